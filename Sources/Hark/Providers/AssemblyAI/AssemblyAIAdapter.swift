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
package struct AssemblyAIAdapter: WebSocketProviderAdapter {
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

    package let credential: String
    private let endpoint: String?
    private let base: String
    private let query: [(String, String)]
    private let encoding: AudioEncoding
    /// Whether the final of a turn is the separate formatted `end_of_turn` message.
    let formatTurns: Bool
    private let keepAlivePolicy: KeepAlivePolicy

    package init(options: ProviderOptions) throws {
        let name = Self.descriptor.displayName
        credential = try options.requiredCredential(
            provider: name,
            hint: "set ASSEMBLYAI_API_KEY to an API key (or a temporary streaming token) from the AssemblyAI "
                + "dashboard")
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

    /// A JSON array of strings, as list-valued query parameters need.
    static func jsonArray(_ items: [String]) -> String {
        (try? JSONEncoder().encode(items)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
    }
}
