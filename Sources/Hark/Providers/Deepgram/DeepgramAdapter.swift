// Deepgram live streaming, `/v1/listen` (Nova-3): developers.deepgram.com/docs/lower-level-websockets;
// `--model flux-…` selects Flux, `/v2/listen` (DeepgramFlux.swift, DeepgramFluxDecoder.swift),
// which shares the host, keys and error mapping.
//
// Implements A1 (query, `Authorization: Token`), A2 (raw linear16/mulaw with encoding and
// sample_rate; Ogg Opus as a container, so without them), A3 (KeepAlive, Finalize, CloseStream),
// A4/A5 (Results assembly per channel, SpeechStarted, UtteranceEnd, Metadata, Error) and A7
// (handshake statuses with Deepgram's JSON body and dg-request-id, close codes 1008/1011).
//
// Known choices beyond the document:
// - `--param encoding=…` and `channels` other than 1 are refused: hark sends mono audio in the
//   encoding it was told, and a different declaration garbles the transcript silently.
//   `--param sample_rate=N` is honoured by asking the pipeline for audio at N Hz.
// - A key shaped like a JWT (`eyJ….….…`) is sent as `Bearer` (a temporary token); any other
//   key as `Token`.
// - A `SchemaError` frame is thrown as a protocol error: hark only sends the three fixed
//   control messages, so Deepgram failing to parse one means hark is wrong, not the stream.

import FoundationEssentials

/// Deepgram's live transcription protocol, with no I/O.
package struct DeepgramAdapter: WebSocketProviderAdapter {
    package static let descriptor = ProviderDescriptor(
        name: "deepgram",
        displayName: "Deepgram",
        summary:
            "Deepgram Nova-3 (/v1/listen) and Flux (--model flux-general-en|flux-general-multi, /v2/listen) over WebSocket",
        credentialVariables: ["DEEPGRAM_API_KEY"],
        defaultEndpoint: "wss://api.deepgram.com",
        defaultModel: "nova-3",
        transport: .webSocket,
        capabilities: ProviderCapabilities(
            interimResults: true, wordTimings: true, diarization: true, encodings: [.linear16, .opus, .mulaw],
            // Deepgram documents 1.25x real time as what it keeps up with (A2), but faster audio
            // is buffered, not refused, so `--speed max` stays allowed: no hard limit here.
            regions: [
                "wss://api.eu.deepgram.com", "wss://api.au.deepgram.com", "wss://api.in.deepgram.com",
                "wss://api.us.deepgram.com",
            ]))

    /// Path of the live (Nova) socket; `/v2/listen` is Flux, a different protocol.
    static let novaPath = "/v1/listen"
    /// Silence after which hark sends `KeepAlive`.
    ///
    /// Deepgram closes after ~10 s without data and advises 3–5 s; 5 s is what its SDKs and
    /// LiveKit use, leaving 5 s of margin.
    static let keepAliveInterval = Duration.seconds(5)

    package let audio: AudioRequirements
    /// The full URL, query included; built once so a bad `--endpoint` fails before connecting.
    let url: String
    /// `host[:port]`, for messages (never the query, which is safe here but not in general).
    let host: String
    let model: String
    let headers: [HTTPHeader]
    package let credential: String
    let emitsInterims: Bool
    /// True for `flux-…` models: the `/v2/listen` protocol.
    let isFlux: Bool
    /// The socket's path: `/v1/listen`, or `/v2/listen` for Flux.
    var path: String { isFlux ? DeepgramFlux.path : Self.novaPath }
    /// Deepgram's limit on the keyterms of one request, in its tokens (A1).
    static let keytermTokenLimit = 500

    package init(options: ProviderOptions) throws {
        let name = Self.descriptor.displayName
        credential = try options.requiredCredential(
            provider: name,
            hint: "set DEEPGRAM_API_KEY to a Deepgram API key (console.deepgram.com → API Keys), "
                + "or put it in the configuration file")
        var sampleRate = 16000
        for parameter in options.parameters {
            if ["True", "False", "TRUE", "FALSE"].contains(parameter.value) {
                throw ProviderError.invalidOption(
                    provider: name, option: "--param \(parameter.key)=\(parameter.value)",
                    hint: "Deepgram rejects capitalised booleans with HTTP 400; write true or false")
            }
            switch parameter.key {
            case "encoding":
                throw ProviderError.invalidOption(
                    provider: name, option: "--param encoding",
                    hint: "hark declares the encoding of the audio it sends; use --encoding linear16|opus|mulaw")
            case "channels" where parameter.value != "1":
                throw ProviderError.invalidOption(
                    provider: name, option: "--param channels=\(parameter.value)",
                    hint: "hark sends mono audio; leave channels unset")
            case "sample_rate":
                guard let rate = Int(parameter.value), (8000...48000).contains(rate) else {
                    throw ProviderError.invalidOption(
                        provider: name, option: "--param sample_rate=\(parameter.value)",
                        hint: "give a rate in Hz between 8000 and 48000, e.g. sample_rate=16000")
                }
                sampleRate = rate
            default:
                break
            }
        }
        let encoding = options.encoding ?? .linear16
        audio = AudioRequirements(sampleRate: sampleRate, encoding: encoding)
        model = options.model ?? Self.descriptor.defaultModel ?? "nova-3"
        isFlux = DeepgramFlux.isFlux(model: model)
        emitsInterims = options.interimResults
        let keyterms = try Self.keytermParameters(options: options, model: model)
        let query =
            try isFlux
            ? DeepgramFlux.query(options: options, model: model, audio: audio)
            : Self.query(options: options, model: model, audio: audio)
        do {
            url = try EndpointURL.build(
                base: Self.descriptor.defaultEndpoint, override: options.endpoint,
                path: isFlux ? DeepgramFlux.path : Self.novaPath, query: query + keyterms)
        } catch let error as EndpointURL.InvalidEndpoint {
            throw ProviderError.invalidOption(provider: name, option: "--endpoint", hint: error.description)
        }
        host = EndpointURL.host(of: url)
        let scheme = Self.looksLikeJWT(credential) ? "Bearer" : "Token"
        headers = [HTTPHeader("Authorization", "\(scheme) \(credential)")]
    }

    /// The query: hark's defaults, then every user parameter in order; a user parameter
    /// replaces every default of the same key, and repeated user keys (`keyterm`) stay repeated.
    static func query(options: ProviderOptions, model: String, audio: AudioRequirements) throws -> [(String, String)] {
        var defaults: [(String, String)] = [("model", model)]
        if let language = options.language { defaults.append(("language", language)) }
        switch audio.encoding {
        case .linear16, .mulaw:
            defaults += [
                ("encoding", audio.encoding.rawValue), ("sample_rate", String(audio.sampleRate)), ("channels", "1"),
            ]
        case .opus:
            // Ogg is a container: Deepgram reads the format from its header and wants neither
            // encoding nor sample_rate (A1, A2).
            break
        }
        // interim_results is needed for UtteranceEnd even when interims are not shown; punctuate
        // gives punctuated_word, smart_format formats numbers and dates (A1).
        defaults += [
            ("interim_results", "true"), ("punctuate", "true"), ("smart_format", "true"), ("vad_events", "true"),
        ]
        if options.parameters.contains(where: { $0.key == "language_hint" }), options.language != "multi" {
            throw ProviderError.invalidOption(
                provider: descriptor.displayName, option: "--param language_hint",
                hint: "Nova-3 takes language hints only when it detects the language: add --language multi")
        }
        let userKeys = Set(options.parameters.map(\.key))
        // UtteranceEnd needs interim results; without them Deepgram's utterance_end_ms is useless.
        let interimsOff = options.parameters.contains { $0.key == "interim_results" && $0.value == "false" }
        if !interimsOff { defaults.append(("utterance_end_ms", "1000")) }
        return defaults.filter { !userKeys.contains($0.0) } + options.parameters.map { ($0.key, $0.value) }
    }

    /// `--keyterm` as repeated `keyterm` parameters, for the models that take them (Nova-3 and
    /// Flux), after checking the 500-token limit over these and any `--param keyterm=`.
    ///
    /// Deepgram does not publish its tokenizer; `keytermTokens` estimates on the high side so a
    /// list it accepts is not refused by Deepgram, which stops transcribing without an error when
    /// the limit is exceeded (it closes 1011 about 30 s later).
    static func keytermParameters(options: ProviderOptions, model: String) throws -> [(String, String)] {
        let name = descriptor.displayName
        let fromParameters = options.parameters.filter { $0.key == "keyterm" }.map(\.value)
        let all = fromParameters + options.keyterms
        guard !all.isEmpty else { return [] }
        guard options.keyterms.isEmpty || model.hasPrefix("nova-3") || DeepgramFlux.isFlux(model: model) else {
            throw ProviderError.invalidOption(
                provider: name, option: "--keyterm",
                hint: "Deepgram takes keyterms on Nova-3 and Flux only, not on '\(model)'; use --model nova-3, "
                    + "or --param keywords=WORD:BOOST for older Nova models")
        }
        let tokens = all.reduce(0) { $0 + keytermTokens($1) }
        if tokens > keytermTokenLimit {
            throw ProviderError.invalidOption(
                provider: name, option: "--keyterm",
                hint: "the \(all.count) keyterms come to about \(tokens) tokens, over Deepgram's limit of "
                    + "\(keytermTokenLimit) per request (hark counts each word or number as one token per 4 "
                    + "characters begun, and each other symbol as one); drop the least needed ones")
        }
        return options.keyterms.map { ("keyterm", $0) }
    }

    /// Tokens of one keyterm as hark estimates them: each run of letters or digits counts one
    /// token per 4 characters begun (sub-word tokenizers average about 4 characters of English
    /// per token), every other non-space character one.
    static func keytermTokens(_ term: String) -> Int {
        var tokens = 0
        var run = 0
        for character in term {
            if character.isLetter || character.isNumber {
                run += 1
                continue
            }
            tokens += (run + 3) / 4
            run = 0
            if !character.isWhitespace { tokens += 1 }
        }
        return tokens + (run + 3) / 4
    }

    /// Deepgram temporary tokens are JWTs (`Bearer`); API keys are 40 hex digits (`Token`).
    static func looksLikeJWT(_ credential: String) -> Bool {
        credential.hasPrefix("eyJ") && credential.split(separator: ".", omittingEmptySubsequences: false).count == 3
    }

    package func connectionRequest() throws -> ConnectionRequest {
        ConnectionRequest(url: url, headers: headers)
    }

    /// Flux works best with 80 ms chunks (Deepgram's recommendation); Nova with hark's 250.
    package var chunkMilliseconds: Int { isFlux ? DeepgramFlux.chunkMilliseconds : 250 }

    package func audioMessages(_ payload: [UInt8]) -> [WireMessage] {
        // An empty binary frame is Deepgram's legacy end-of-stream and closes the socket (A2).
        payload.isEmpty ? [] : [.binary(payload)]
    }

    package var keepAlive: KeepAlivePolicy {
        // Flux lists KeepAlive among its client messages too (Deepgram's asyncapi spec for /v2/listen).
        .message(
            .text(isFlux ? DeepgramFlux.ControlMessage.keepAlive : DeepgramControlMessage.keepAlive),
            interval: Self.keepAliveInterval)
    }

    /// Nova: `Finalize` then `CloseStream` (A3), finished by the `Metadata` that follows.
    ///
    /// Flux: `CloseStream` only (it has no Finalize), finished by the close that follows.
    package func finishMessages() -> [WireMessage] {
        if isFlux { return [.text(DeepgramFlux.ControlMessage.closeStream)] }
        return [.text(DeepgramControlMessage.finalize), .text(DeepgramControlMessage.closeStream)]
    }

    /// `Metadata`, then close 1000: a `Metadata` before a 1011 (an idle or server close) ends the
    /// session without its last results.
    package var finishConfirmedByClose: Bool { true }

    /// Deepgram endpoints on silence it hears; with the gate closed it hears none, so the last
    /// words would wait for the next speech.
    ///
    /// `Finalize` flushes them now (A3); on Flux, `ForceEndTurn` ends the turn now.
    package func speechEndedMessages() -> [WireMessage] {
        [.text(isFlux ? DeepgramFlux.ControlMessage.forceEndTurn : DeepgramControlMessage.finalize)]
    }

    package func makeDecoder() -> any TranscriptDecoder {
        if isFlux { return DeepgramFluxDecoder(emitsInterims: emitsInterims) }
        return DeepgramTranscriptDecoder(emitsInterims: emitsInterims)
    }

    /// Flux ends a session it was asked to finish by closing without a status code (its Close
    /// Stream page), which the link reports as 1005; any other failure is one.
    package func endsSessionAfterFinish(_ failure: LinkFailure) -> Bool {
        guard isFlux, case .closed(let code, _) = failure else { return false }
        return code == 1005
    }
}
