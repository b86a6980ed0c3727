import FoundationEssentials

// AssemblyAI Universal Streaming v3 (`wss://streaming.assemblyai.com/v3/ws`), implementing
// assemblyai.com/docs/streaming/message-sequence, /docs/streaming/common-session-errors-and-closures
// and the usm-streaming specs in AssemblyAI/assemblyai-api-spec. The deprecated v2 realtime API is not used.
//
// Known deviations and choices:
// - µ-law is sent at 16 kHz like PCM (the protocol allows any `sample_rate` that matches the audio).
// - The server rejects binary messages holding less than 50 ms or more than 1000 ms of audio
//   (close 3007 "Input duration violation"). The chunker's 250 ms chunks are well inside; a
//   shorter payload (the last chunk of a stream) is padded with silence to 50 ms and a longer one
//   is split, so no chunk size the pipeline produces can end the session.
// - `--language` other than English selects `language_codes` (U3 family) or `language_detection`
//   (multilingual model); the English model refuses it before connecting.
// - `--model` takes the speech models of assemblyai.com/docs/streaming/select-the-speech-model (and any later `universal-3-…`);
//   parameters go only to the models that take them: `prompt` and `mode` to the Universal-3 Pro
//   family, `format_turns` to Universal-Streaming (the U3 family always formats).
// - `--keyterm` becomes `keyterms_prompt` (a JSON array in the query), at most 100 terms (B1,
//   models page) of at most 6 words each (AssemblyAI's keyterms pages); whisper-rt is not
//   documented to take keyterms, so they are refused for it.

/// AssemblyAI Universal Streaming v3: binary PCM in, `Turn` snapshots keyed by `turn_order` out.
package struct AssemblyAIAdapter: ProviderAdapter {
    package static let descriptor = ProviderDescriptor(
        name: "assemblyai",
        displayName: "AssemblyAI",
        summary: "AssemblyAI Universal Streaming v3 (turns with word times; EU endpoint with region=eu)",
        credentialVariables: ["ASSEMBLYAI_API_KEY"],
        defaultEndpoint: "wss://streaming.assemblyai.com",
        defaultModel: "universal-streaming-english",
        transport: .webSocket,
        capabilities: ProviderCapabilities(
            interimResults: true, wordTimings: true, diarization: true, encodings: [.linear16, .mulaw],
            // Sessions end with close 3008 after 3 hours.
            maxSessionLength: .seconds(3 * 3600),
            // Audio ahead of real time by more than a few minutes ends the session with 3007 (about
            // 310 s measured by a user, ViDove PR #3): a reconnect may replay 120 s, the whole
            // default replay buffer, at once and catch up with live audio.
            maxSpeed: 1.0, speedBurstSeconds: 120,
            regions: [
                "wss://streaming.assemblyai.com (nearest region)", "wss://streaming.us.assemblyai.com (US data zone)",
                "wss://streaming.eu.assemblyai.com (EU data zone)",
            ],
            // --region edge|us|eu picks the host.
            settingKeys: ["region"])
    )

    /// Sample rate hark sends at, for both encodings.
    static let sampleRate = 16000
    /// The current streaming speech models (assemblyai.com/docs/streaming/select-the-speech-model); `universal-3-…` names not
    /// listed here are taken as later members of the U3 Pro family.
    static let models = [
        "universal-streaming-english", "universal-streaming-multilingual", "whisper-rt", "u3-rt-pro",
        "universal-3-5-pro", "universal-3-6-pro",
    ]
    /// AssemblyAI's limits on `keyterms_prompt`: terms per session, words per term.
    static let maxKeyterms = 100
    static let maxWordsPerKeyterm = 6

    private let credential: String
    private let endpoint: String?
    private let base: String
    private let query: [(String, String)]
    private let encoding: AudioEncoding
    /// Whether the final of a turn is the separate formatted `end_of_turn` message.
    let formatTurns: Bool
    private let keepAlivePolicy: KeepAlivePolicy

    package init(options: ProviderOptions) throws {
        let name = Self.descriptor.displayName
        guard let credential = options.credential, !credential.isEmpty else {
            throw ProviderError.missingCredentials(
                provider: name,
                hint: "set ASSEMBLYAI_API_KEY to an API key (or a temporary streaming token) from the AssemblyAI "
                    + "dashboard")
        }
        self.credential = credential
        self.endpoint = options.endpoint

        switch options.settings["region"]?.lowercased() {
        case nil, "", "edge": base = "wss://streaming.assemblyai.com"
        case "us": base = "wss://streaming.us.assemblyai.com"
        case "eu": base = "wss://streaming.eu.assemblyai.com"
        case let other?:
            throw ProviderError.invalidOption(
                provider: name, option: "region \(other)", hint: "AssemblyAI regions are edge (default), us and eu")
        }

        let wireEncoding: String
        switch options.encoding ?? .linear16 {
        case .linear16: wireEncoding = "pcm_s16le"
        case .mulaw: wireEncoding = "pcm_mulaw"
        case .opus:
            throw ProviderError.invalidOption(
                provider: name, option: "--encoding opus", hint: "AssemblyAI streaming takes linear16 or mulaw")
        }
        encoding = options.encoding ?? .linear16

        let model = options.model ?? Self.descriptor.defaultModel ?? "universal-streaming-english"
        let isUniversal = model.hasPrefix("universal-streaming")
        let isU3Pro = model == "u3-rt-pro" || model.hasPrefix("u3-rt-pro-") || model.hasPrefix("universal-3-")
        if model == "u3-pro" {
            throw ProviderError.invalidOption(
                provider: name, option: "--model u3-pro", hint: "u3-pro is a retired alias; use --model u3-rt-pro")
        }
        guard Self.models.contains(model) || isU3Pro else {
            throw ProviderError.invalidOption(
                provider: name, option: "--model \(model)",
                hint: "AssemblyAI's streaming models are \(Self.models.joined(separator: ", "))")
        }
        var query: [(String, String)] = [
            ("speech_model", model), ("sample_rate", String(Self.sampleRate)), ("encoding", wireEncoding),
        ]
        // Universal-Streaming sends the formatted final as a second end_of_turn message only when
        // asked; the U3 family always formats and does not take the parameter.
        if isUniversal { query.append(("format_turns", "true")) }

        if let language = options.language {
            let code = String(language.prefix { $0 != "-" && $0 != "_" }).lowercased()
            if model == "universal-streaming-english" {
                guard code == "en" else {
                    throw ProviderError.invalidOption(
                        provider: name, option: "--language \(language)",
                        hint: "universal-streaming-english only transcribes English; use --model "
                            + "universal-streaming-multilingual or u3-rt-pro for other languages")
                }
            } else if model == "universal-streaming-multilingual" {
                // The multilingual model detects the language itself; this reports it on each turn.
                query.append(("language_detection", "true"))
            } else {
                query.append(("language_codes", Self.jsonArray([code])))
            }
        }

        var keepAlive = KeepAlivePolicy.none
        for parameter in options.parameters {
            let key = parameter.key
            var value = parameter.value
            switch key {
            case "prompt" where !isU3Pro, "mode" where !isU3Pro:
                throw ProviderError.invalidOption(
                    provider: name, option: "--param \(key)",
                    hint: "only the Universal-3 Pro models (u3-rt-pro, universal-3-5-pro, universal-3-6-pro) take "
                        + "\(key); choose one with --model")
            case "format_turns" where !isUniversal:
                throw ProviderError.invalidOption(
                    provider: name, option: "--param format_turns",
                    hint: "only Universal-Streaming takes format_turns; \(model) always formats its finals")
            case "sample_rate", "encoding":
                throw ProviderError.invalidOption(
                    provider: name, option: "--param \(key)",
                    hint: "hark sets \(key) from the audio it sends; use --encoding to choose linear16 or mulaw")
            case "speech_model":
                throw ProviderError.invalidOption(
                    provider: name, option: "--param speech_model", hint: "use --model to choose the speech model")
            case "keyterms_prompt", "language_codes":
                // Lists travel as JSON arrays inside the query string; accept a plain comma list too.
                if !value.hasPrefix("[") {
                    value = Self.jsonArray(value.split(separator: ",").map { $0.trimmedOfWhitespace() })
                }
            case "inactivity_timeout":
                guard let seconds = Int(value), (5...3600).contains(seconds) else {
                    throw ProviderError.invalidOption(
                        provider: name, option: "--param inactivity_timeout=\(value)",
                        hint: "give whole seconds from 5 to 3600")
                }
                // With an inactivity timeout the server closes idle sessions; KeepAlive resets it.
                keepAlive = .message(
                    .text(AssemblyAIClientMessage.keepAlive), interval: .seconds(max(2, seconds / 2)))
            default: break
            }
            if let index = query.firstIndex(where: { $0.0 == key }) {
                query[index].1 = value
            } else {
                query.append((key, value))
            }
        }
        if !options.keyterms.isEmpty {
            try Self.checkKeyterms(options.keyterms, model: model)
            // --keyterm replaces a keyterms_prompt given as a parameter.
            query.removeAll { $0.0 == "keyterms_prompt" }
            query.append(("keyterms_prompt", Self.jsonArray(options.keyterms)))
        }
        self.query = query
        formatTurns = query.contains { $0.0 == "format_turns" && $0.1.lowercased() == "true" }
        keepAlivePolicy = keepAlive
    }

    package var audio: AudioRequirements { AudioRequirements(sampleRate: Self.sampleRate, encoding: encoding) }

    /// Refuses keyterms AssemblyAI would not take, before connecting.
    static func checkKeyterms(_ terms: [String], model: String) throws {
        let name = descriptor.displayName
        if model == "whisper-rt" {
            throw ProviderError.invalidOption(
                provider: name, option: "--keyterm",
                hint: "AssemblyAI documents keyterms for Universal-Streaming and Universal-3 Pro, not whisper-rt; "
                    + "choose one of those with --model")
        }
        if terms.count > maxKeyterms {
            throw ProviderError.invalidOption(
                provider: name, option: "--keyterm",
                hint: "AssemblyAI takes at most \(maxKeyterms) keyterms per session, not \(terms.count)")
        }
        if let long = terms.first(where: { $0.split(whereSeparator: \.isWhitespace).count > maxWordsPerKeyterm }) {
            throw ProviderError.invalidOption(
                provider: name, option: "--keyterm \(long)",
                hint: "AssemblyAI takes keyterms of at most \(maxWordsPerKeyterm) words; split or shorten it")
        }
    }

    package func connectionRequest() throws -> ConnectionRequest {
        let url = try EndpointURL.build(base: base, override: endpoint, path: "/v3/ws", query: query)
        // The raw key, no scheme (a temporary token works in the same header).
        return ConnectionRequest(url: url, headers: [HTTPHeader("Authorization", credential)])
    }

    package var keepAlive: KeepAlivePolicy { keepAlivePolicy }

    /// Audio bytes a second on the wire.
    private var bytesPerSecond: Int { encoding == .mulaw ? Self.sampleRate : Self.sampleRate * 2 }

    /// One binary message per payload, kept within the server's 50–1000 ms per message.
    package func audioMessages(_ payload: [UInt8]) -> [WireMessage] {
        guard !payload.isEmpty else { return [] }
        let bytesPerSample = encoding == .mulaw ? 1 : 2
        let minimum = bytesPerSecond / 20
        let maximum = bytesPerSecond
        if payload.count < minimum {
            // µ-law silence is 0xFF; PCM silence is zero.
            let silence: UInt8 = encoding == .mulaw ? 0xFF : 0
            return [.binary(payload + [UInt8](repeating: silence, count: minimum - payload.count))]
        }
        guard payload.count > maximum else { return [.binary(payload)] }
        // Split evenly so every piece is between 500 and 1000 ms.
        let pieces = (payload.count + maximum - 1) / maximum
        let samples = payload.count / bytesPerSample
        var messages: [WireMessage] = []
        var start = 0
        for index in 0..<pieces {
            let end = index == pieces - 1 ? payload.count : (samples * (index + 1) / pieces) * bytesPerSample
            messages.append(.binary(Array(payload[start..<end])))
            start = end
        }
        return messages
    }

    package func finishMessages() -> [WireMessage] { [.text(AssemblyAIClientMessage.terminate)] }

    /// `Termination`, then close 1000; `Termination` then 3008 is the session limit, which may
    /// strike while `Terminate` is in flight and leaves the last turn untold.
    package var finishConfirmedByClose: Bool { true }

    package func makeDecoder() -> any TranscriptDecoder { AssemblyAITranscriptDecoder(formatTurns: formatTurns) }

    package func error(for failure: LinkFailure) -> ProviderError {
        let host = (try? connectionRequest()).map { EndpointURL.host(of: $0.url) } ?? Self.descriptor.defaultEndpoint
        return failure.providerError(
            provider: Self.descriptor.displayName, host: host, handshake: Self.handshakeError,
            close: { Self.closeError(code: $0, reason: $1) }
        ).replacingSecret(credential)
    }

    /// What an HTTP answer other than 101 to the upgrade means; the body is usually `{"error":"…"}`.
    static func handshakeError(status: Int, headers: [HTTPHeader], body: String) -> ProviderError {
        let name = descriptor.displayName
        let said = errorText(fromBody: body).map { ": \($0)" } ?? ""
        let what = "HTTP \(status)\(said) while connecting"
        switch status {
        case 401:
            return .authenticationFailed(provider: name, hint: "\(what); set ASSEMBLYAI_API_KEY to a valid API key")
        case 402, 403:
            return .permissionDenied(
                provider: name, hint: "\(what); check the account's balance and streaming access in the dashboard")
        case 429:
            let retryAfter = headers[header: "Retry-After"].flatMap { Double($0) }
            return .rateLimited(
                provider: name, retryAfter: retryAfter,
                hint: "\(what); too many new sessions a minute for this account, try again shortly")
        case 500...599:
            return .serverError(provider: name, hint: "\(what); AssemblyAI should recover, try again")
        case 404:
            return .invalidRequest(
                provider: name, hint: "\(what); the endpoint has no /v3/ws, check --endpoint or the region")
        default:
            return .invalidRequest(provider: name, hint: "\(what); check --model and --param values")
        }
    }

    /// What a close code (or an `Error` message's `error_code`) means (B7).
    ///
    /// Sources disagree on which
    /// family (1008/3xxx or the v2-era 4xxx) v3 uses for a condition, so both are mapped.
    static func closeError(code: Int, reason: String, inErrorMessage: Bool = false) -> ProviderError {
        let name = descriptor.displayName
        let said: String
        if inErrorMessage {
            said = code == 0 ? "error: \(reason)" : "error \(code): \(reason)"
        } else {
            said = reason.isEmpty ? "closed with code \(code)" : "closed with code \(code): \(reason)"
        }
        let lowered = reason.lowercased()
        switch code {
        case 1008, 4001:
            if lowered.contains("too many concurrent") {
                return .rateLimited(
                    provider: name, retryAfter: nil,
                    hint: "\(said); the account opened too many sessions this minute, try again shortly")
            }
            if lowered.contains("incorrect padding") {
                // Sporadic on connect and gone on retry (assemblyai-node-sdk#97).
                return .serverError(provider: name, hint: "\(said); a transient AssemblyAI fault, try again")
            }
            if lowered.contains("balance") || lowered.contains("insufficient") || lowered.contains("disabled") {
                return .permissionDenied(provider: name, hint: "\(said); check the account in the AssemblyAI dashboard")
            }
            return .authenticationFailed(provider: name, hint: "\(said); set ASSEMBLYAI_API_KEY to a valid API key")
        case 4002, 4003:
            return .permissionDenied(provider: name, hint: "\(said); check the account's balance and plan")
        case 3005, 1011, 1012, 1013:
            return .serverError(provider: name, hint: "\(said); AssemblyAI cancelled the session on its side")
        case 3006, 4100, 4101:
            return .invalidRequest(
                provider: name, hint: "\(said); check --model (a speech_model the endpoint serves) and --param values")
        case 3007 where lowered.contains("rate exceeded"), 4029:
            return .rateLimited(
                provider: name, retryAfter: nil,
                hint: "\(said); audio arrived faster than real time, stream files at real-time speed")
        case 3007, 4032, 4033, 4034:
            return .unsupportedAudio(
                provider: name, hint: "\(said); each audio message must hold 50 to 1000 ms of audio")
        case 4000:
            return .unsupportedAudio(provider: name, hint: "\(said); the sample rate was refused")
        case 3008, 4008:
            return .sessionLimitReached(provider: name, hint: "\(said); a new session continues the stream")
        case 3009, 4102:
            return .rateLimited(
                provider: name, retryAfter: nil, hint: "\(said); too many sessions for this account, try again shortly")
        case 4031:
            return .unavailable(
                provider: name, hint: "\(said); the session was idle longer than its inactivity_timeout")
        default:
            return .unavailable(provider: name, hint: said)
        }
    }

    /// The `error` text of a JSON body, or the body itself when short and not JSON.
    static func errorText(fromBody body: String) -> String? {
        struct Body: Decodable { var error: String? }
        if let parsed = try? JSONDecoder().decode(Body.self, from: Data(body.utf8)), let error = parsed.error {
            return error
        }
        let trimmed = body.trimmedOfWhitespace()
        guard !trimmed.isEmpty else { return nil }
        return trimmed.count > 200 ? String(trimmed.prefix(200)) + "…" : trimmed
    }

    /// A JSON array of strings, as list-valued query parameters need.
    static func jsonArray(_ items: [String]) -> String {
        (try? JSONEncoder().encode(items)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
    }
}

/// Turns AssemblyAI `Turn` snapshots into interim and final events, one final per `turn_order`.
///
/// A turn's messages are snapshots to replace, never deltas to append. Its final is the first
/// `end_of_turn` message — or, when `format_turns` was asked for, the formatted `end_of_turn`
/// repeat that follows it; if that repeat never comes (the next turn starts, or `Termination`), the
/// unformatted one is used, so each turn is final exactly once and in order.
struct AssemblyAITranscriptDecoder: TranscriptDecoder {
    let formatTurns: Bool
    private(set) var isFinished = false
    /// Highest `turn_order` whose final was emitted (or skipped as empty).
    private var lastFinalTurn = -1
    /// An unformatted end of turn waiting for its formatted repeat.
    private var awaitingFormat: (order: Int, segment: TranscriptSegment)?
    /// End of the latest timed word, for turns that carry no times.
    private var lastEnd = 0.0

    init(formatTurns: Bool) {
        self.formatTurns = formatTurns
    }

    mutating func decode(_ message: WireMessage) throws -> [TranscriptEvent] {
        let name = AssemblyAIAdapter.descriptor.displayName
        guard let parsed = try message.decodeJSON(AssemblyAIServerMessage.self, provider: name) else { return [] }
        switch parsed.type {
        case "Begin":
            return [.metadata(requestID: parsed.id, detail: parsed.configuration?.model.map { "model \($0)" })]
        case "Turn":
            return decodeTurn(parsed)
        case "SpeechStarted":
            return parsed.timestamp.map { [.speechStarted(at: $0 / 1000)] } ?? []
        case "Termination":
            isFinished = true
            return flushAwaitingFormat()
        case "Error", nil:
            // An Error frame precedes the close and says more than its reason ("See Error message").
            guard parsed.type != nil || parsed.error != nil else { return [] }
            throw AssemblyAIAdapter.closeError(
                code: parsed.errorCode ?? 0, reason: parsed.error ?? "", inErrorMessage: true)
        case "Warning":
            let code = parsed.warningCode.map { " \($0)" } ?? ""
            return [.notice("AssemblyAI warning\(code): \(parsed.warning ?? "")")]
        default:
            // Heartbeat, Silence, SpeakerRevision and types added later carry no transcript.
            return []
        }
    }

    private mutating func decodeTurn(_ turn: AssemblyAIServerMessage) -> [TranscriptEvent] {
        let order = turn.turnOrder ?? (lastFinalTurn + 1)
        // A formatted repeat of a turn already made final (after its fallback) changes nothing.
        guard order > lastFinalTurn else { return [] }
        var events: [TranscriptEvent] = []
        if let pending = awaitingFormat, pending.order != order { events += flushAwaitingFormat() }
        let ended = turn.endOfTurn ?? false
        let segment = makeSegment(turn, final: ended)
        if ended {
            if !formatTurns || turn.turnIsFormatted == true {
                awaitingFormat = nil
                lastFinalTurn = order
                if !segment.text.isEmpty { events.append(.final(segment)) }
            } else {
                awaitingFormat = (order, segment)
                if !segment.text.isEmpty { events.append(.interim(segment)) }
            }
        } else if !segment.text.isEmpty {
            events.append(.interim(segment))
        }
        return events
    }

    private mutating func flushAwaitingFormat() -> [TranscriptEvent] {
        guard let pending = awaitingFormat else { return [] }
        awaitingFormat = nil
        lastFinalTurn = pending.order
        return pending.segment.text.isEmpty ? [] : [.final(pending.segment)]
    }

    /// The turn as a segment: a final uses `transcript`; an interim shows every word so far,
    /// including Universal-Streaming's one non-final tail word that `transcript` leaves out.
    private mutating func makeSegment(_ turn: AssemblyAIServerMessage, final: Bool) -> TranscriptSegment {
        let wireWords = turn.words ?? []
        let joined = wireWords.map(\.text).joined(separator: " ")
        let transcript = turn.transcript ?? ""
        let text = final ? (transcript.isEmpty ? joined : transcript) : (joined.isEmpty ? transcript : joined)
        var words: [TranscriptWord] = []
        for word in wireWords {
            guard let start = word.start, let end = word.end else { continue }
            words.append(
                TranscriptWord(
                    text: word.text, start: start / 1000, end: end / 1000, confidence: word.confidence,
                    speaker: word.speaker.flatMap(Self.speakerNumber)))
        }
        let start = words.first?.start ?? lastEnd
        let end = words.last?.end ?? start
        lastEnd = max(lastEnd, end)
        let confidences = words.compactMap(\.confidence)
        return TranscriptSegment(
            text: text, start: start, end: end, words: words, speaker: turn.speakerLabel.flatMap(Self.speakerNumber),
            confidence: confidences.isEmpty ? nil : confidences.reduce(0, +) / Double(confidences.count),
            languages: turn.languageCode.map { [$0] } ?? [])
    }

    /// "A" → 0, "B" → 1, …; "UNKNOWN" (turns too short to attribute) → nil.
    static func speakerNumber(_ label: String) -> Int? {
        guard label.count == 1, let scalar = label.unicodeScalars.first, ("A"..."Z").contains(scalar) else {
            return nil
        }
        return Int(scalar.value - Unicode.Scalar("A").value)
    }
}
