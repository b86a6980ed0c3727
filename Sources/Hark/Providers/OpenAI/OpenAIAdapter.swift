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
package struct OpenAIAdapter: ProviderAdapter {
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

    private let credential: String
    private let endpoint: String?
    private let extraHeaders: [HTTPHeader]
    private let update: OpenAISessionUpdate
    let model: String

    package init(options: ProviderOptions) throws {
        let name = Self.descriptor.displayName
        guard let credential = options.credential, !credential.isEmpty else {
            throw ProviderError.missingCredentials(
                provider: name, hint: "set OPENAI_API_KEY to an API key (or an ephemeral ek_… client secret)")
        }
        self.credential = credential
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

    package func error(for failure: LinkFailure) -> ProviderError {
        let host = (try? connectionRequest()).map { EndpointURL.host(of: $0.url) } ?? Self.descriptor.defaultEndpoint
        return failure.providerError(
            provider: Self.descriptor.displayName, host: host, handshake: Self.handshakeError,
            close: { Self.closeError(code: $0, reason: $1, model: model) }
        ).replacingSecret(credential)
    }

    /// What an HTTP answer other than 101 means; bodies look like `{"error":{"message":…,"code":…}}`.
    static func handshakeError(status: Int, headers: [HTTPHeader], body: String) -> ProviderError {
        let name = descriptor.displayName
        let said = errorText(fromBody: body).map { ": \($0)" } ?? ""
        let what = "HTTP \(status)\(said) while connecting"
        switch status {
        case 401: return .authenticationFailed(provider: name, hint: "\(what); set OPENAI_API_KEY to a valid key")
        case 402, 403:
            return .permissionDenied(
                provider: name, hint: "\(what); the key's project needs Realtime access and billing")
        case 429:
            let retryAfter = headers[header: "Retry-After"].flatMap { Double($0) }
            return .rateLimited(provider: name, retryAfter: retryAfter, hint: "\(what); try again shortly")
        case 500...599: return .serverError(provider: name, hint: "\(what); OpenAI should recover, try again")
        case 404:
            return .invalidRequest(provider: name, hint: "\(what); no /v1/realtime there, check --endpoint")
        default: return .invalidRequest(provider: name, hint: what)
        }
    }

    /// What a server close means (A.9): 3000 authentication, 4000 a request shape problem named in
    /// the reason (`invalid_request_error.<code>`), 1001 the 60-minute limit.
    static func closeError(code: Int, reason: String, model: String) -> ProviderError {
        let name = descriptor.displayName
        let said = reason.isEmpty ? "closed with code \(code)" : "closed with code \(code): \(reason)"
        switch code {
        case 3000:
            return .authenticationFailed(provider: name, hint: "\(said); set OPENAI_API_KEY to a valid key")
        case 4000:
            let errorCode = reason.split(separator: ".").dropFirst().first.map(String.init)
            return requestError(
                type: "invalid_request_error", code: errorCode, message: said, model: model, setup: true)
        case 1001 where reason.lowercased().contains("maximum duration"):
            return .sessionLimitReached(provider: name, hint: "\(said); a new session continues the stream")
        case 1011, 1012, 1013:
            return .serverError(provider: name, hint: "\(said); OpenAI failed on its side, try again")
        case 1008:
            return .permissionDenied(provider: name, hint: said)
        case 1009:
            return .invalidRequest(provider: name, hint: "\(said); a message was too large")
        default:
            return .unavailable(provider: name, hint: said)
        }
    }

    /// What an `error` event (or the code in a 4000 close) means.
    ///
    /// `setup`: it came before the
    /// session was confirmed, so the session would never transcribe.
    static func requestError(type: String?, code: String?, message: String, model: String, setup: Bool)
        -> ProviderError
    {
        let name = descriptor.displayName
        switch (type, code) {
        case (_, "invalid_api_key"):
            return .authenticationFailed(provider: name, hint: "\(message); set OPENAI_API_KEY to a valid key")
        case (_, "beta_api_shape_disabled"):
            return .invalidRequest(
                provider: name,
                hint: "\(message); the beta Realtime API is gone and hark speaks only the GA shape, so something "
                    + "between hark and OpenAI (a proxy or --endpoint) added the OpenAI-Beta header")
        case (_, "invalid_model"), (_, "missing_model"), (_, "model_not_found"):
            return .invalidRequest(
                provider: name, hint: "\(message); --model \(model) is not a realtime transcription model")
        case (_, "integer_below_min_value"), (_, "integer_above_max_value"):
            return .unsupportedAudio(provider: name, hint: "\(message); OpenAI takes 24 kHz PCM only")
        case (_, "insufficient_quota"):
            return .permissionDenied(provider: name, hint: "\(message); check the account's billing")
        case ("rate_limit_error", _), (_, "rate_limit_exceeded"):
            return .rateLimited(provider: name, retryAfter: nil, hint: "\(message); try again shortly")
        case ("server_error", _):
            return .serverError(provider: name, hint: "\(message); OpenAI failed on its side, try again")
        default:
            let consequence = setup ? "the session setup was refused, so nothing would be transcribed; " : ""
            return .invalidRequest(provider: name, hint: "\(message); \(consequence)check --model and --param values")
        }
    }

    /// The `error.message` of a JSON body, or the body itself when short and not JSON.
    static func errorText(fromBody body: String) -> String? {
        struct Body: Decodable {
            struct Detail: Decodable { var message: String? }
            var error: Detail?
        }
        if let parsed = try? JSONDecoder().decode(Body.self, from: Data(body.utf8)), let message = parsed.error?.message
        {
            return message
        }
        let trimmed = body.trimmedOfWhitespace()
        guard !trimmed.isEmpty else { return nil }
        return trimmed.count > 200 ? String(trimmed.prefix(200)) + "…" : trimmed
    }
}

/// Turns Realtime transcription events into interim and final events, per item, in spoken order.
///
/// Items are turns. They are ordered by `committed.previous_item_id`; deltas append to an item's
/// interim text, `completed` replaces it with the final. Items transcribe concurrently and may
/// complete out of order, so a final is held until every earlier item is final (or failed).
/// The decoder is ready at the `session.updated` that confirms transcription is on, and finished
/// once the answer to hark's finish marker arrived, every commit hark sent was answered, and every
/// committed item is done (completed or failed).
///
/// Without server turn detection the times come from hark's own turns (`sessionDid`): each commit
/// hark sends queues its turn (where speech began and ended on the connection's audio), and the
/// server answers commits in order, each with `committed` (which takes the turn's times) or an
/// `input_audio_buffer_commit_empty` error (which drops it).
struct OpenAITranscriptDecoder: TranscriptDecoder {
    let serverDetectsTurns: Bool
    let model: String
    private(set) var isReady = false
    private var finishAcknowledged = false

    /// One turn, from its first event to its final.
    private struct Item {
        var id: String
        var text = ""
        var committed = false
        var done = false
        var finalText: String?
        /// Committed with no speech detected since the previous commit: trailing silence.
        var silent = false
        var start: Double
        var end: Double
    }

    /// Items not yet final, in spoken order.
    private var items: [Item] = []
    private var finishedIDs: Set<String> = []
    private var speechStart: Double?
    private var speechEnd: Double?
    private var speechSinceCommit = false
    private var lastEnd = 0.0

    /// A turn hark committed and the server has not answered yet, on the connection's audio.
    private struct SentTurn {
        var start: Double
        var end: Double
        /// False for the finish commit of trailing audio with no speech detected in it.
        var hadSpeech: Bool
    }

    /// Commits hark sent, oldest first, awaiting `committed` or a refusal.
    private var sentTurns: [SentTurn] = []
    /// Where the speech of the turn now being spoken began (hark's detector), if it has.
    private var turnSpeechStart: Double?
    /// Where the last commit hark sent ended the buffer.
    private var lastCommitAt = 0.0

    init(serverDetectsTurns: Bool, model: String) {
        self.serverDetectsTurns = serverDetectsTurns
        self.model = model
    }

    var isFinished: Bool { finishAcknowledged && !awaitsResults }

    /// A commit not yet answered, or a committed item not yet completed or failed.
    var awaitsResults: Bool { !sentTurns.isEmpty || items.contains { $0.committed && !$0.done } }

    mutating func sessionDid(_ action: SessionAction) {
        guard !serverDetectsTurns else { return }
        switch action {
        case .speechStarted(let at):
            if turnSpeechStart == nil { turnSpeechStart = at }
        case .speechEnded(let speechEnd, let sentAt):
            let start = turnSpeechStart ?? lastCommitAt
            sentTurns.append(SentTurn(start: start, end: max(start, speechEnd), hadSpeech: true))
            turnSpeechStart = nil
            lastCommitAt = sentAt
        case .finishSent(let at):
            // The finish commit takes whatever followed the last turn.
            let start = turnSpeechStart ?? lastCommitAt
            sentTurns.append(SentTurn(start: start, end: max(start, at), hadSpeech: turnSpeechStart != nil))
            turnSpeechStart = nil
            lastCommitAt = at
        }
    }

    mutating func decode(_ message: WireMessage) throws -> [TranscriptEvent] {
        let name = OpenAIAdapter.descriptor.displayName
        guard let event = try message.decodeJSON(OpenAIServerEvent.self, provider: name) else { return [] }
        switch event.type {
        case "session.created":
            return [.metadata(requestID: event.session?.id, detail: nil)]
        case "session.updated":
            return try sessionUpdated(event)
        case "error":
            return try errorEvent(event.error)
        case "input_audio_buffer.speech_started":
            speechSinceCommit = true
            let start = (event.audioStartMs ?? 0) / 1000
            speechStart = start
            speechEnd = nil
            return [.speechStarted(at: start)]
        case "input_audio_buffer.speech_stopped":
            speechSinceCommit = true
            let end = (event.audioEndMs ?? 0) / 1000
            speechEnd = end
            return [.utteranceEnd(at: end)]
        case "input_audio_buffer.committed":
            guard let id = event.itemID else { return [] }
            committed(id, after: event.previousItemID)
            return []
        case "conversation.item.input_audio_transcription.delta":
            guard let id = event.itemID, let delta = event.delta, !finishedIDs.contains(id) else { return [] }
            let index = itemIndex(id)
            items[index].text += delta
            return interim()
        case "conversation.item.input_audio_transcription.completed":
            guard let id = event.itemID, !finishedIDs.contains(id) else { return [] }
            let index = itemIndex(id)
            // A repeated completed changes nothing: the first one is authoritative.
            guard !items[index].done else { return [] }
            items[index].done = true
            items[index].finalText = event.transcript ?? items[index].text
            return flush()
        case "conversation.item.input_audio_transcription.failed":
            guard let id = event.itemID, !finishedIDs.contains(id) else { return [] }
            let index = itemIndex(id)
            guard !items[index].done else { return [] }
            items[index].done = true
            items[index].finalText = ""
            let detail = event.error?.message ?? "no reason given"
            return [.notice("OpenAI could not transcribe a turn: \(detail)")] + flush()
        default:
            return []
        }
    }

    private mutating func sessionUpdated(_ event: OpenAIServerEvent) throws -> [TranscriptEvent] {
        guard !isReady else {
            // The answer to the finish marker: the finish commit has been handled.
            finishAcknowledged = true
            return []
        }
        let name = OpenAIAdapter.descriptor.displayName
        let input = event.session?.audio?.input
        guard event.session?.type == nil || event.session?.type == "transcription" else {
            throw ProviderError.invalidRequest(
                provider: name,
                hint: "the session is a \(event.session?.type ?? "") session, not a transcription one; check --endpoint"
            )
        }
        guard let transcription = input?.transcription else {
            throw ProviderError.invalidRequest(
                provider: name,
                hint: "the session was set up with transcription off, so nothing would be transcribed; "
                    + "check --model and --param values")
        }
        if let format = input?.format, format.type == "audio/pcm", let rate = format.rate,
            rate != OpenAIAdapter.sampleRate
        {
            throw ProviderError.unsupportedAudio(
                provider: name, hint: "the session expects \(rate) Hz audio but hark sends 24 kHz")
        }
        isReady = true
        if let confirmed = transcription.model, confirmed != model {
            return [.notice("OpenAI transcribes with \(confirmed) instead of \(model)")]
        }
        return []
    }

    private mutating func errorEvent(_ detail: OpenAIServerEvent.ErrorDetail?) throws -> [TranscriptEvent] {
        let code = detail?.code
        let text = "\(code ?? detail?.type ?? "error"): \(detail?.message ?? "no message")"
        guard isReady else {
            // Before `session.updated` an error means the setup failed (bad key, beta header, a
            // refused session.update): the session would never transcribe.
            throw OpenAIAdapter.requestError(
                type: detail?.type, code: code, message: "OpenAI error \(text)", model: model, setup: true)
        }
        if code == "input_audio_buffer_commit_empty", !serverDetectsTurns, !sentTurns.isEmpty {
            // The server answers commits in order: this refusal is the oldest one's.
            sentTurns.removeFirst()
        }
        switch detail?.eventID {
        case OpenAIClientMessage.finishCommitID where code == "input_audio_buffer_commit_empty":
            // Nothing was left to commit at the end: expected.
            return []
        case OpenAIClientMessage.finishMarkerID:
            finishAcknowledged = true
            return []
        default:
            // Not fatal by itself: a fatal one is followed by the server's close.
            return [.notice("OpenAI error \(text)")]
        }
    }

    /// Places an item after `previous` (the linked list the server keeps); a first item
    /// (`previous` null) or one after an item already final goes first.
    private mutating func committed(_ id: String, after previous: String?) {
        let index = itemIndex(id)
        var item = items.remove(at: index)
        item.committed = true
        if !serverDetectsTurns, !sentTurns.isEmpty {
            let turn = sentTurns.removeFirst()
            item.silent = !turn.hadSpeech
            item.start = turn.start
            item.end = turn.end
        } else {
            item.silent = serverDetectsTurns && !speechSinceCommit
            item.start = speechStart ?? lastEnd
            item.end = max(speechEnd ?? item.start, item.start)
        }
        lastEnd = max(lastEnd, item.end)
        speechStart = nil
        speechEnd = nil
        speechSinceCommit = false
        if let previous, let previousIndex = items.firstIndex(where: { $0.id == previous }) {
            items.insert(item, at: previousIndex + 1)
        } else if previous == nil || finishedIDs.contains(previous ?? "") {
            items.insert(item, at: 0)
        } else {
            items.append(item)
        }
    }

    /// The index of an item, adding it at the end when this is its first event.
    private mutating func itemIndex(_ id: String) -> Int {
        if let index = items.firstIndex(where: { $0.id == id }) { return index }
        // Deltas of streaming models come before `committed`: the item is the oldest turn hark
        // committed and the server has not answered, or else the turn being spoken.
        let start = sentTurns.first?.start ?? turnSpeechStart ?? lastEnd
        items.append(Item(id: id, start: start, end: start))
        return items.count - 1
    }

    /// Finals for every leading item that is done, then the interim text of the rest.
    private mutating func flush() -> [TranscriptEvent] {
        var events: [TranscriptEvent] = []
        while let first = items.first, first.done {
            items.removeFirst()
            finishedIDs.insert(first.id)
            let text = (first.finalText ?? "").trimmedOfWhitespace()
            if !text.isEmpty, !first.silent {
                events.append(.final(TranscriptSegment(text: text, start: first.start, end: first.end)))
            }
        }
        return events + interim()
    }

    /// The text of every item not yet final, as one interim line.
    private func interim() -> [TranscriptEvent] {
        // A held final (an earlier item is still transcribing) shows its final text already.
        let pending = items.filter { !$0.silent && !($0.finalText ?? $0.text).isEmpty }
        guard let first = pending.first, let last = pending.last else { return [] }
        let text = pending.map { ($0.finalText ?? $0.text).trimmedOfWhitespace() }.joined(separator: " ")
        return [.interim(TranscriptSegment(text: text, start: first.start, end: last.end))]
    }
}
