import FoundationEssentials

// OpenAI Realtime transcription sessions, GA shape only
// (`wss://api.openai.com/v1/realtime?intent=transcription`), implementing
// OpenAI's realtime transcription and realtime VAD guides (developers.openai.com/api/docs/guides/
// realtime-transcription, /realtime-vad) and the openai-python realtime types. The beta shape (`OpenAI-Beta: realtime=v1`) was shut
// down in May 2026 and now closes with 4000; hark never sends that header.
//
// Known deviations and choices:
// - Unknown `--param` keys are refused before connecting: the server discards a whole
//   `session.update` with any bad field, and the session then never transcribes.
// - `gpt-live-transcribe` (the default) and `gpt-realtime-whisper` take no server turn detection
//   (OpenAI's realtime-vad guide: they "require turn detection to be omitted or set to null. Send
//   input_audio_buffer.commit to finish each audio turn"), so hark sends `turn_detection: null`
//   and decides turns itself (`maxClientTurnLength`): its voice detector commits at every pause
//   and after 15 s of unbroken speech, whether or not the gate is on. `--param turn_detection=
//   server_vad|semantic_vad` is refused for them before connecting.
// - The realtime events carry no word times. Segment times come from `speech_started` /
//   `speech_stopped` with server turn detection, and from hark's own turns otherwise: the session
//   tells the decoder where speech began and ended on the connection's audio (`SessionAction`),
//   and the n-th commit's `committed` takes the n-th turn's times (commits are answered in order,
//   each with `committed` or an `input_audio_buffer_commit_empty` error).
// - At the end hark always commits (an empty-buffer error for that commit is expected and
//   ignored). With server turn detection on, an item committed without any speech since the
//   previous commit holds only trailing silence; its text (often a hallucinated "Thank you.") is
//   dropped.

/// OpenAI Realtime transcription: base64 PCM at 24 kHz in JSON text frames, items out.
package struct OpenAIAdapter: WebSocketProviderAdapter {
    package static let descriptor = ProviderDescriptor(
        name: "openai",
        displayName: "OpenAI",
        summary: "OpenAI Realtime transcription (GA; hark's own turns, or server/semantic VAD where the model has it)",
        credentialVariables: ["OPENAI_API_KEY"],
        defaultEndpoint: "wss://api.openai.com",
        defaultModel: "gpt-live-transcribe",
        transport: .webSocket,
        capabilities: ProviderCapabilities(
            interimResults: true, wordTimings: false, diarization: false, encodings: [.linear16],
            // The server closes with 1001 at 60 minutes.
            maxSessionLength: .seconds(3600))
    )

    /// The only rate the GA `audio/pcm` format accepts.
    static let sampleRate = 24000

    /// `--param` keys hark turns into session fields.
    static let parameterKeys = [
        "turn_detection", "noise_reduction", "prompt", "vad_threshold", "prefix_padding_ms", "silence_duration_ms",
        "eagerness", "delay", "keywords", "languages",
    ]

    /// Models that take no server turn detection: the client commits each turn.
    static let clientTurnModels: Set<String> = ["gpt-live-transcribe", "gpt-realtime-whisper"]

    /// The longest turn hark lets run before committing it, for a talker who never pauses.
    static let maxTurnLength = Duration.seconds(15)

    package let credential: String
    private let endpoint: String?
    private let extraHeaders: [HTTPHeader]
    private let update: OpenAISessionUpdate
    let model: String

    package init(options: ProviderOptions) throws {
        let name = Self.descriptor.displayName
        credential = try options.requiredCredential(
            provider: name, hint: "set OPENAI_API_KEY to an API key (or an ephemeral ek_… client secret)")
        endpoint = options.endpoint
        if let encoding = options.encoding, encoding != .linear16 {
            throw ProviderError.invalidOption(
                provider: name, option: "--encoding \(encoding.rawValue)",
                hint: "OpenAI Realtime transcription takes linear16 (24 kHz PCM)")
        }
        var headers: [HTTPHeader] = []
        if let organization = options.settings["organization"] {
            headers.append(HTTPHeader("OpenAI-Organization", organization))
        }
        if let project = options.settings["project"] { headers.append(HTTPHeader("OpenAI-Project", project)) }
        extraHeaders = headers

        let model = options.model ?? Self.descriptor.defaultModel ?? "gpt-live-transcribe"
        self.model = model
        // gpt-realtime-whisper streams by itself: it needs turn_detection null and takes no prompt.
        let isWhisperStream = model == "gpt-realtime-whisper"
        let needsClientTurns = Self.clientTurnModels.contains(model)

        var transcription = OpenAISessionUpdate.Transcription(model: model)
        if let language = options.language {
            let code = String(language.prefix { $0 != "-" && $0 != "_" }).lowercased()
            guard code.count == 2, code.allSatisfy({ ("a"..."z").contains($0) }) else {
                throw ProviderError.invalidOption(
                    provider: name, option: "--language \(language)",
                    hint: "give an ISO-639-1 code such as en or de")
            }
            transcription.language = code
        }

        var turnType: String? = needsClientTurns ? nil : "server_vad"
        var noiseReduction = OpenAISessionUpdate.NoiseReduction.unchanged
        var threshold: Double?
        var prefixPadding: Int?
        var silenceDuration: Int?
        var eagerness: String?
        func invalid(_ parameter: ProviderParameter, _ hint: String) -> ProviderError {
            .invalidOption(provider: name, option: "--param \(parameter.key)=\(parameter.value)", hint: hint)
        }
        for parameter in options.parameters {
            let value = parameter.value
            switch parameter.key {
            case "turn_detection":
                switch value {
                case "none", "null": turnType = nil
                case "server_vad", "semantic_vad":
                    guard !needsClientTurns else {
                        throw invalid(
                            parameter,
                            "\(model) takes no server turn detection (OpenAI requires turn_detection null for it); "
                                + "hark ends its turns itself, so leave the parameter out, or use --model "
                                + "gpt-4o-transcribe for server_vad")
                    }
                    turnType = value
                default: throw invalid(parameter, "use none, server_vad or semantic_vad")
                }
            case "noise_reduction":
                switch value {
                case "none", "null", "off": noiseReduction = .off
                case "near_field", "far_field": noiseReduction = .type(value)
                default: throw invalid(parameter, "use near_field, far_field or none")
                }
            case "prompt":
                guard !isWhisperStream else { throw invalid(parameter, "gpt-realtime-whisper takes no prompt") }
                transcription.prompt = value
            case "vad_threshold":
                guard let number = Double(value), (0...1).contains(number) else {
                    throw invalid(parameter, "give a number from 0 to 1")
                }
                threshold = number
            case "prefix_padding_ms", "silence_duration_ms":
                guard let number = Int(value), number >= 0 else { throw invalid(parameter, "give milliseconds") }
                if parameter.key == "prefix_padding_ms" { prefixPadding = number } else { silenceDuration = number }
            case "eagerness":
                guard ["low", "medium", "high", "auto"].contains(value) else {
                    throw invalid(parameter, "use low, medium, high or auto")
                }
                eagerness = value
            case "delay":
                guard ["minimal", "low", "medium", "high", "xhigh"].contains(value) else {
                    throw invalid(parameter, "use minimal, low, medium, high or xhigh")
                }
                transcription.delay = value
            case "keywords":
                transcription.keywords = value.split(separator: ",").map { $0.trimmedOfWhitespace() }
            case "languages":
                transcription.languages = value.split(separator: ",").map { $0.trimmedOfWhitespace() }
            default:
                throw invalid(
                    parameter,
                    "OpenAI would reject the whole session; known keys: \(Self.parameterKeys.joined(separator: ", "))")
            }
        }
        if !options.keyterms.isEmpty {
            // `keywords` is a hint of gpt-live-transcribe and gpt-transcribe only (developers.openai.com/api/docs/guides/realtime-transcription).
            let modelsTakingKeywords = ["gpt-live-transcribe", "gpt-transcribe"]
            guard modelsTakingKeywords.contains(model) else {
                throw ProviderError.invalidOption(
                    provider: name, option: "--keyterm",
                    hint: "OpenAI takes keywords on \(modelsTakingKeywords.joined(separator: " and ")) only, not on "
                        + "\(model); choose one of them with --model, or use --param prompt=… to name the terms")
            }
            transcription.keywords = (transcription.keywords ?? []) + options.keyterms
        }
        var turnDetection: OpenAISessionUpdate.TurnDetection?
        if let turnType {
            turnDetection = OpenAISessionUpdate.TurnDetection(type: turnType)
            if turnType == "server_vad" {
                turnDetection?.threshold = threshold
                turnDetection?.prefixPaddingMs = prefixPadding
                turnDetection?.silenceDurationMs = silenceDuration
            } else {
                turnDetection?.eagerness = eagerness
            }
        }
        update = OpenAISessionUpdate(
            eventID: OpenAIClientMessage.sessionUpdateID,
            input: OpenAISessionUpdate.Input(
                transcription: transcription, noiseReduction: noiseReduction, turnDetection: turnDetection))
    }

    /// Whether the server decides where turns end (server or semantic VAD).
    var serverDetectsTurns: Bool { update.input.turnDetection != nil }

    package var audio: AudioRequirements { AudioRequirements(sampleRate: Self.sampleRate, encoding: .linear16) }

    package func connectionRequest() throws -> ConnectionRequest {
        // No `model` in the query: with it the server makes a conversation session, not a
        // transcription one.
        let url = try EndpointURL.build(
            base: Self.descriptor.defaultEndpoint, override: endpoint, path: "/v1/realtime",
            query: [("intent", "transcription")])
        return ConnectionRequest(
            url: url,
            headers: [HTTPHeader("Authorization", "Bearer \(credential)")] + extraHeaders)
    }

    package func openingMessages() -> [WireMessage] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(update) else { return [] }
        return [.text(String(decoding: data, as: UTF8.self))]
    }

    /// A rejected `session.update` is discarded whole and the session then never transcribes, so
    /// no audio goes out before `session.updated` confirms transcription is on.
    package var waitsForReady: Bool { true }

    package func audioMessages(_ payload: [UInt8]) -> [WireMessage] {
        // Binary frames are refused by the server; audio travels as base64 in a text frame.
        payload.isEmpty ? [] : [.text(OpenAIClientMessage.append(payload))]
    }

    package func finishMessages() -> [WireMessage] {
        [.text(OpenAIClientMessage.finishCommit), .text(OpenAIClientMessage.finishMarker)]
    }

    /// Ends the current turn now (the way to mark turns when turn detection is off).
    package func commitMessage() -> WireMessage { .text(OpenAIClientMessage.commit) }

    /// With turn detection off nothing ends a turn but a commit, so the end of speech is one.
    ///
    /// With server VAD the server commits after the hang-over's silence by itself.
    package func speechEndedMessages() -> [WireMessage] { serverDetectsTurns ? [] : [commitMessage()] }

    /// Without server turn detection nothing but hark's commits ends a turn, so hark finds them,
    /// with or without the gate.
    package var maxClientTurnLength: Duration? { serverDetectsTurns ? nil : Self.maxTurnLength }

    package func makeDecoder() -> any TranscriptDecoder {
        OpenAITranscriptDecoder(serverDetectsTurns: serverDetectsTurns, model: model)
    }
}
