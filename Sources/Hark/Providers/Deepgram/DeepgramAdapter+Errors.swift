// What Deepgram's failures mean: developers.deepgram.com/reference/errors (handshake
// statuses with a JSON body and `dg-request-id`/`dg-error` headers; close codes 1008/1011).

import FoundationEssentials

extension DeepgramAdapter {
    /// A rejected upgrade: Deepgram's JSON body `{err_code, err_msg, request_id}`, else its
    /// `dg-error` header, names the cause; `dg-request-id` is what Deepgram support asks for.
    package func handshakeError(_ rejection: HandshakeRejection) -> ProviderError {
        var cause = rejection.bodyErrorText ?? ""
        if cause.isEmpty { cause = rejection.headers[header: "dg-error"] ?? String(rejection.body.prefix(200)) }
        let requestID = rejection.headers[header: "dg-request-id"] ?? rejection.bodyRequestID
        var what = "HTTP \(rejection.status)"
        if !cause.isEmpty { what += " (\(cause))" }
        what += " while connecting to \(host)"
        if let requestID { what += ", request id \(requestID)" }
        let mapping = HandshakeErrorMapping(
            unauthorized: "\(what). Set DEEPGRAM_API_KEY to a valid Deepgram API key",
            paymentRequired:
                "\(what). The Deepgram project is out of credits: add credits or use a key from another project",
            forbidden:
                "\(what). The key's project may not use model '\(model)': choose another --model or use a key with "
                + "access to it",
            badRequest:
                "\(what). Check --model '\(model)', --language and --param values (booleans are lowercase true/false)",
            notFound: "\(what): there is no Deepgram live endpoint at \(path). Check --endpoint",
            rateLimited: "\(what). The project has too many concurrent streams: end other streams or raise its limit",
            serverError: "\(what). Deepgram failed on its side; try again in a moment",
            otherStatus: .protocolError(
                provider: Self.descriptor.displayName, hint: "unexpected \(what). Check --endpoint and --proxy"))
        return mapping.error(for: rejection, provider: Self.descriptor.displayName)
    }

    /// A close frame during the stream (A7: 1008 DATA-0000 undecodable audio, 1011 NET-0000 no
    /// result in time, 1011 NET-0001 no data from hark for ~10 s).
    package func closeError(code: Int, reason: String) -> ProviderError {
        let name = Self.descriptor.displayName
        let what = reason.isEmpty ? "closed the stream with code \(code)" : "closed the stream with \(code) (\(reason))"
        switch code {
        case 1008:
            return .unsupportedAudio(
                provider: name,
                hint: "Deepgram \(what): it could not decode the audio. Check that --encoding matches the audio "
                    + "(hark declared \(audioDeclaration))")
        // The real reason names the code only in its link (`https://dpgr.am/net0001`).
        case 1011 where reason.lowercased().contains("net0001") || reason.contains("NET-0001"):
            return .serverError(
                provider: name,
                hint: "Deepgram \(what): it received no audio or KeepAlive for about 10 s, usually because the "
                    + "audio input stalled. Check the input if this repeats")
        case 1011:
            return .serverError(
                provider: name,
                hint: "Deepgram \(what): it produced no result in its time window, which also happens when it "
                    + "cannot decode the audio. Check --encoding if this repeats")
        case 1012, 1013:
            return .serverError(provider: name, hint: "Deepgram \(what): it is restarting or overloaded; try again")
        case 1000, 1001:
            return .unavailable(
                provider: name,
                hint: "Deepgram \(what) before hark finished the stream; run hark again if this repeats")
        case 1006:
            return .unavailable(
                provider: name,
                hint: "the connection to \(host) broke without a close frame. If this repeats, check the network "
                    + "connection and --proxy")
        default:
            return .serverError(provider: name, hint: "Deepgram \(what); try again, and report it if it repeats")
        }
    }

    /// What hark told Deepgram about the audio, for messages.
    var audioDeclaration: String {
        switch audio.encoding {
        case .opus: "Ogg Opus, no encoding parameter"
        case .linear16, .mulaw: "encoding=\(audio.encoding.rawValue), sample_rate=\(audio.sampleRate)"
        }
    }
}

/// What a Deepgram `Error` frame means (A4): thrown by the decoder, ending the stream.
func deepgramStreamError(_ message: DeepgramErrorMessage) -> ProviderError {
    let name = DeepgramAdapter.descriptor.displayName
    let text = [message.variant, message.code, message.description].compactMap { $0 }.joined(separator: ": ")
    if message.variant == "SchemaError" {
        // The offending message is left out: it is hark's own text and says nothing new.
        return .protocolError(
            provider: name,
            hint: "Deepgram could not parse a control message hark sent (\(text)); this is a bug in hark, "
                + "please report it")
    }
    if text.contains("DATA-0000") {
        return .unsupportedAudio(
            provider: name, hint: "Deepgram reported \(text): it could not decode the audio. Check --encoding")
    }
    if text.contains("INVALID_AUTH") {
        return .authenticationFailed(
            provider: name, hint: "Deepgram reported \(text). Set DEEPGRAM_API_KEY to a valid Deepgram API key")
    }
    return .serverError(provider: name, hint: "Deepgram reported an error during the stream: \(text)")
}
