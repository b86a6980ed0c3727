import FoundationEssentials

/// Google Cloud Speech-to-Text v2 streaming recognition (Chirp 3 by default), over gRPC.
///
/// The first message carries the recognizer and the streaming configuration; every later one
/// carries only audio (at most 15 KB each). Streams last about five minutes and must be fed near
/// real time; OUT_OF_RANGE ends one and the session reconnects and replays. An idle stream is
/// closed, not fed silence (see `keepAlive`). The only I/O is the
/// token exchange, done in `prepareCredentials()` before each connection.
package struct GoogleAdapter: ProviderAdapter {
    package static let descriptor = ProviderDescriptor(
        name: "google", displayName: "Google",
        summary: "Google Cloud Speech-to-Text v2 streaming (Chirp 3), gRPC; --region, --project",
        credentialVariables: ["GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_ACCESS_TOKEN"],
        defaultEndpoint: "https://us-speech.googleapis.com", defaultModel: "chirp_3", transport: .grpc,
        capabilities: ProviderCapabilities(
            interimResults: true, wordTimings: true, diarization: false, encodings: [.linear16, .opus],
            maxSessionLength: .seconds(290), maxSpeed: 1.0,
            regions: ["us", "eu", "global", "us-central1", "europe-west4", "asia-southeast1"],
            settingKeys: ["region", "project"]))

    /// The largest audio field Google accepts in one message (the v2 proto says 15 KB).
    package static let maxAudioBytes = 15_000

    /// Models that can stream; `chirp` (the first) cannot.
    package static let streamingModels: Set<String> = [
        "chirp_3", "chirp_2", "long", "short", "telephony", "latest_long", "latest_short",
    ]

    package let options: ProviderOptions
    package let target: GoogleStreamTarget
    package let model: String
    package let language: String
    package let audio: AudioRequirements
    package let tokens: GoogleAccessTokens
    private let quotaProject: String?
    private let endpointOverride: String?

    package init(options: ProviderOptions) throws {
        try self.init(
            options: options, environment: options.environment,
            tokenClient: CurlTokenEndpointClient())
    }

    /// The adapter with an explicit environment and token endpoint client (tests use these).
    package init(
        options: ProviderOptions, environment: [String: String], tokenClient: any TokenEndpointClient,
        readFile: @escaping GoogleCredentialLocator.FileReader = GoogleCredentialLocator.diskReader,
        clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
    ) throws {
        self.options = options
        let located = try GoogleCredentialLocator.locate(
            environment: environment, settings: options.settings, readFile: readFile)
        if case .serviceAccount(let key) = located.credentials {
            // A key OpenSSL cannot read is refused now, before any audio is captured.
            _ = try ServiceAccountAssertion.signer(for: key, origin: located.origin)
        }
        let project =
            options.settings["project"].flatMap { $0.isEmpty ? nil : $0 } ?? located.credentials.project
            ?? environment["GOOGLE_CLOUD_PROJECT"].flatMap { $0.isEmpty ? nil : $0 }
        guard let project else {
            throw ProviderError.invalidOption(
                provider: "Google", option: "--project",
                hint: "\(located.origin) names no project; pass --project PROJECT_ID or set "
                    + "GOOGLE_CLOUD_PROJECT")
        }
        target = try GoogleStreamTarget(
            region: options.settings["region"].flatMap { $0.isEmpty ? nil : $0 } ?? "us", project: project,
            recognizer: options.settings["recognizer"].flatMap { $0.isEmpty ? nil : $0 })
        model = options.model ?? "chirp_3"
        guard Self.streamingModels.contains(model) else {
            throw ProviderError.invalidOption(
                provider: "Google", option: "--model",
                hint: "'\(model)' cannot stream; use one of "
                    + Self.streamingModels.sorted().joined(separator: ", "))
        }
        if model == "chirp_3", target.region == "global" {
            throw ProviderError.invalidOption(
                provider: "Google", option: "--region",
                hint: "chirp_3 is not offered in the global location; use --region us or eu")
        }
        language = options.language ?? "en-US"
        let encoding = options.encoding ?? .linear16
        guard encoding == .linear16 || encoding == .opus else {
            throw ProviderError.invalidOption(
                provider: "Google", option: "--encoding", hint: "Google streaming takes linear16 or opus")
        }
        audio = AudioRequirements(sampleRate: 16_000, encoding: encoding)
        quotaProject =
            located.credentials.quotaProject
            ?? environment["GOOGLE_CLOUD_QUOTA_PROJECT"].flatMap { $0.isEmpty ? nil : $0 }
        endpointOverride = options.endpoint
        tokens = GoogleAccessTokens(located: located, client: tokenClient, clock: clock)
    }

    package func prepareCredentials() async throws {
        try await tokens.prepare()
    }

    package func connectionRequest() throws -> ConnectionRequest {
        guard let token = tokens.current else {
            throw ProviderError.missingCredentials(
                provider: "Google",
                hint: "no access token yet for \(tokens.located.origin); "
                    + "the session must call prepareCredentials() first")
        }
        let url = try EndpointURL.build(
            base: target.defaultBase, override: endpointOverride, path: GoogleStreamTarget.methodPath, query: [],
            webSocket: false)
        var headers = [HTTPHeader("authorization", "Bearer \(token.value)"), target.routingHeader]
        if let quotaProject { headers.append(HTTPHeader("x-goog-user-project", quotaProject)) }
        return ConnectionRequest(url: url, headers: headers)
    }

    /// The first message: recognizer and streaming configuration, no audio.
    package func openingMessages() -> [WireMessage] {
        var features = GoogleSpeech.RecognitionFeatures()
        features.enableAutomaticPunctuation = true
        features.enableWordTimeOffsets = true
        let config = GoogleSpeech.RecognitionConfig(
            features: features,
            decoding: .explicit(
                GoogleSpeech.ExplicitDecodingConfig(
                    encoding: audio.encoding == .opus ? .oggOpus : .linear16,
                    sampleRateHertz: Int32(audio.sampleRate), audioChannelCount: 1)),
            model: model, languageCodes: [language],
            // `--keyterm`: one inline phrase set on the streaming configuration.
            adaptation: options.keyterms.isEmpty
                ? nil : GoogleSpeech.SpeechAdaptation(inlinePhraseSets: [options.keyterms]))
        let streaming = GoogleSpeech.StreamingRecognitionConfig(
            config: config,
            streamingFeatures: GoogleSpeech.StreamingRecognitionFeatures(
                enableVoiceActivityEvents: true, interimResults: options.interimResults))
        let request = GoogleSpeech.StreamingRecognizeRequest(
            recognizer: target.recognizer, payload: .streamingConfig(streaming))
        return [.binary(request.serializedBytes)]
    }

    /// One message per 15 KB of payload.
    package func audioMessages(_ payload: [UInt8]) -> [WireMessage] {
        guard !payload.isEmpty else { return [] }
        return stride(from: 0, to: payload.count, by: Self.maxAudioBytes).map { start in
            let audio = Array(payload[start..<min(start + Self.maxAudioBytes, payload.count)])
            return .binary(GoogleSpeech.StreamingRecognizeRequest(payload: .audio(audio)).serializedBytes)
        }
    }

    /// An idle stream is closed after 8 s, not fed silence.
    ///
    /// Google ends a stream that gets no audio for about 10 s (OUT_OF_RANGE "Audio Timeout
    /// Error"), and every second of silence sent to keep it open would be billed. So the session
    /// half-closes an idle stream before that (8 s leaves room for a late timer and the trip to
    /// the server) and opens a new one when the voice-activity gate lets audio through again.
    package var keepAlive: KeepAlivePolicy { .closeWhenIdle(after: idleCloseAfter) }

    /// How long a stream may go without audio before the session closes it (tests shorten it).
    package var idleCloseAfter: Duration = .seconds(8)

    /// Nothing: the link's half-close asks Google for the last results.
    package func finishMessages() -> [WireMessage] { [] }

    package var finishesByHalfClose: Bool { true }

    package func makeDecoder() -> any TranscriptDecoder { GoogleTranscriptDecoder() }

    package func error(for failure: LinkFailure) -> ProviderError {
        GoogleStatus.error(for: failure)
    }
}
