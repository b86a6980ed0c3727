/// What a provider can do, for `hark providers`, validation and the session.
package struct ProviderCapabilities: Sendable, Equatable {
    /// Sends text that may still change before the final.
    package var interimResults: Bool
    /// Gives per-word start and end times.
    package var wordTimings: Bool
    /// Labels speakers.
    package var diarization: Bool
    /// Encodings it accepts, the default first.
    package var encodings: [AudioEncoding]
    /// Longest session it allows, if any; the session rotates before it.
    package var maxSessionLength: Duration?
    /// Fastest it accepts audio, in times real time, when faster audio is an error (nil: no
    /// such limit).
    ///
    /// `--speed` above it is refused, and replays after a reconnect are paced to it.
    package var maxSpeed: Double?
    /// Seconds of audio a connection may run ahead of `maxSpeed` before the provider objects:
    /// the room a reconnect has to replay its backlog at once (see `SendPace`).
    package var speedBurstSeconds: Double
    /// Regions or endpoints worth naming in `hark providers`.
    package var regions: [String]
    /// Settings beyond the common ones that the adapter reads from `ProviderOptions.settings`
    /// (`region`, `project`, …); the command line refuses its provider-specific flags for a
    /// provider that would ignore them.
    package var settingKeys: Set<String>

    package init(
        interimResults: Bool, wordTimings: Bool, diarization: Bool, encodings: [AudioEncoding],
        maxSessionLength: Duration? = nil, maxSpeed: Double? = nil, speedBurstSeconds: Double = 0.5,
        regions: [String] = [], settingKeys: Set<String> = []
    ) {
        self.speedBurstSeconds = speedBurstSeconds
        self.interimResults = interimResults
        self.wordTimings = wordTimings
        self.diarization = diarization
        self.encodings = encodings
        self.maxSessionLength = maxSessionLength
        self.maxSpeed = maxSpeed
        self.regions = regions
        self.settingKeys = settingKeys
    }
}

/// Who a provider is: its name on the command line, where its key lives, what it can do.
package struct ProviderDescriptor: Sendable, Equatable {
    /// `--provider` value, lower case.
    package var name: String
    /// Name for messages ("Deepgram").
    package var displayName: String
    /// One line for `hark providers`.
    package var summary: String
    /// Environment variables that hold its key, in the order they are tried.
    ///
    /// Empty: no key needed.
    package var credentialVariables: [String]
    /// Base URL (scheme, host, port) that `--endpoint` replaces.
    package var defaultEndpoint: String
    package var defaultModel: String?
    package var transport: ProviderTransportKind
    package var capabilities: ProviderCapabilities

    package init(
        name: String, displayName: String, summary: String, credentialVariables: [String], defaultEndpoint: String,
        defaultModel: String?, transport: ProviderTransportKind, capabilities: ProviderCapabilities
    ) {
        self.name = name
        self.displayName = displayName
        self.summary = summary
        self.credentialVariables = credentialVariables
        self.defaultEndpoint = defaultEndpoint
        self.defaultModel = defaultModel
        self.transport = transport
        self.capabilities = capabilities
    }
}

/// Everything the user chose for a provider, from flags, environment and configuration.
package struct ProviderOptions: Sendable, Equatable {
    /// The key or token; nil when none was found (adapters that need one throw `missingCredentials`).
    package var credential: String?
    /// `--endpoint`: replaces scheme, host and port of `defaultEndpoint`; nil for the default.
    package var endpoint: String?
    package var model: String?
    package var language: String?
    /// `--param key=value` and the configuration's `params`, in order; passed through as the
    /// provider's own query parameters or session fields.
    package var parameters: [ProviderParameter]
    /// `--encoding`; nil for the provider's default.
    package var encoding: AudioEncoding?
    /// `--bitrate` for Opus, bits per second.
    package var bitrate: Int?
    /// Whether the user wants interim text (the renderer shows it on a terminal or with `--interim`).
    package var interimResults: Bool
    /// Provider-specific settings from the configuration file (`region`, `project`, model paths…).
    package var settings: [String: String]
    /// `--keyterm` and the configuration's `keyterms`: words and phrases to favour, in order.
    ///
    /// An adapter sends them in its provider's form, or refuses them with the reason where the
    /// provider or model has no such thing.
    package var keyterms: [String]
    /// The run's environment (`RunRequest.environment`), for providers that find credentials
    /// beyond one key there (Google's `GOOGLE_APPLICATION_CREDENTIALS`, `GOOGLE_CLOUD_PROJECT`).
    ///
    /// Adapters read it from here, never from the process, so a test or `hark serve` decides it.
    package var environment: [String: String]

    package init(
        credential: String? = nil, endpoint: String? = nil, model: String? = nil, language: String? = nil,
        parameters: [ProviderParameter] = [], encoding: AudioEncoding? = nil, bitrate: Int? = nil,
        interimResults: Bool = true, settings: [String: String] = [:], keyterms: [String] = [],
        environment: [String: String] = [:]
    ) {
        self.keyterms = keyterms
        self.environment = environment
        self.credential = credential
        self.endpoint = endpoint
        self.model = model
        self.language = language
        self.parameters = parameters
        self.encoding = encoding
        self.bitrate = bitrate
        self.interimResults = interimResults
        self.settings = settings
    }
}

extension ProviderOptions {
    /// The key or token, or `missingCredentials` with `hint` (where to get one) when there is none.
    package func requiredCredential(provider: String, hint: String) throws(ProviderError) -> String {
        guard let credential, !credential.isEmpty else { throw .missingCredentials(provider: provider, hint: hint) }
        return credential
    }
}

/// One `key=value` pair for the provider.
package struct ProviderParameter: Sendable, Equatable {
    package var key: String
    package var value: String

    package init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// The audio a provider gets: mono, this rate, this encoding.
package struct AudioRequirements: Sendable, Equatable {
    package var sampleRate: Int
    package var encoding: AudioEncoding

    package init(sampleRate: Int, encoding: AudioEncoding) {
        self.sampleRate = sampleRate
        self.encoding = encoding
    }
}

/// Where and how to connect: the full URL (ws/wss, or https for gRPC) and request headers or metadata.
package struct ConnectionRequest: Sendable, Equatable {
    package var url: String
    package var headers: [HTTPHeader]

    package init(url: String, headers: [HTTPHeader]) {
        self.url = url
        self.headers = headers
    }
}

/// How a session stays alive while no audio flows (the gate is closed, the input paused).
package enum KeepAlivePolicy: Sendable, Equatable {
    /// Nothing needed.
    case none
    /// Send this message after `interval` with no audio (Deepgram `KeepAlive`).
    case message(WireMessage, interval: Duration)
    /// Send silent audio after `interval` with no audio, for providers that only understand audio.
    case silence(interval: Duration)
    /// End the stream cleanly (as at the end of the input) after `after` with no audio, and open
    /// a new one only when audio comes again: for providers that bill streamed audio and end a
    /// stream that goes unfed, where silence sent to keep it open would be billed (Google).
    case closeWhenIdle(after: Duration)
}

/// A provider's protocol, with no I/O: it builds the connection request, turns audio into wire
/// messages, turns wire messages into `TranscriptEvent`s, and says what failures mean.
///
/// `TranscriptionSession` does all connecting, keep-alive, retry, replay and rotation, once for
/// every provider, so an adapter can be tested with recorded messages and no server. Adding a
/// provider is one adapter (plus its wire types and fake) and one line in `ProviderRegistry`.
package protocol ProviderAdapter: Sendable {
    static var descriptor: ProviderDescriptor { get }

    /// Checks the options (credentials, model, language, encoding) and keeps them.
    /// - Throws: `ProviderError.missingCredentials` or `.invalidOption` before anything connects.
    init(options: ProviderOptions) throws

    /// What the pipeline must produce for this provider.
    var audio: AudioRequirements { get }

    /// Milliseconds of audio per chunk sent when the user set none (`--chunk-ms`): what the
    /// provider, or the chosen model, works best with. 250 unless the adapter says otherwise.
    var chunkMilliseconds: Int { get }

    /// Obtains what `connectionRequest()` needs that takes I/O (an OAuth access token); the
    /// session calls it before every `connectionRequest()`. Most providers keep the default.
    /// - Throws: `ProviderError` saying what to fix.
    func prepareCredentials() async throws

    /// URL and headers for a new connection (credentials included, never logged).
    func connectionRequest() throws -> ConnectionRequest

    /// Messages sent right after connecting, before any audio (OpenAI `session.update`).
    func openingMessages() -> [WireMessage]

    /// True when the session must wait for the decoder to report `isReady` before sending audio.
    var waitsForReady: Bool { get }

    /// Wraps an encoded audio payload (one chunk) in the provider's messages.
    func audioMessages(_ payload: [UInt8]) -> [WireMessage]

    /// What keeps an idle session open.
    var keepAlive: KeepAlivePolicy { get }

    /// Messages sent when a turn of speech ends (the voice-activity gate closed, or, with
    /// `maxClientTurnLength` set, hark's turn detector found a pause or the longest turn), for
    /// providers that would otherwise wait for silence they never get: Deepgram's `Finalize`,
    /// OpenAI's commit when it detects no turns itself.
    func speechEndedMessages() -> [WireMessage]

    /// Set when the provider leaves turns to the client: hark's voice detector then ends a turn at
    /// every pause, and after this much unbroken speech, whether or not the gate is on, and the
    /// session sends `speechEndedMessages()` there. nil (the default): the provider finds turns.
    var maxClientTurnLength: Duration? { get }

    /// Messages that ask the provider to finish: flush its last results and end the session
    /// (Deepgram `Finalize` + `CloseStream`, AssemblyAI `Terminate`). After them the session
    /// reads until the decoder reports `isFinished` or the link closes.
    func finishMessages() -> [WireMessage]

    /// True when the provider finishes on the link's clean close rather than on a message (gRPC
    /// half-close): the session closes the link after the finish messages and reads on.
    var finishesByHalfClose: Bool { get }

    /// True when the provider closes the connection right after its last message at the finish
    /// (Deepgram's `Metadata`, AssemblyAI's `Termination`, then a clean close). The session then
    /// takes the finish as done only at that clean close: the same last message followed by
    /// another close (AssemblyAI's 3008 at its session limit) means the session ended before the
    /// last results, and what is not final is replayed.
    var finishConfirmedByClose: Bool { get }

    /// A fresh decoder for one connection.
    func makeDecoder() -> any TranscriptDecoder

    /// True when this failure of the link, once the finish messages are out, is how the provider
    /// normally ends a session it was asked to finish rather than a fault (Deepgram Flux closes
    /// without a status code after `CloseStream`). Most providers close cleanly: the default is false.
    func endsSessionAfterFinish(_ failure: LinkFailure) -> Bool

    /// What a failure of the link means for this provider.
    func error(for failure: LinkFailure) -> ProviderError

    /// For `inProcess` providers: the recognizer, as a link. Network providers keep the default.
    func makeInProcessLink() throws -> any ProviderLink
}

extension ProviderAdapter {
    package var chunkMilliseconds: Int { 250 }

    package var waitsForReady: Bool { false }

    package var keepAlive: KeepAlivePolicy { .none }

    package func prepareCredentials() async throws {}

    package var finishesByHalfClose: Bool { false }

    package var finishConfirmedByClose: Bool { false }

    package func openingMessages() -> [WireMessage] { [] }

    package func speechEndedMessages() -> [WireMessage] { [] }

    package func endsSessionAfterFinish(_ failure: LinkFailure) -> Bool { false }

    package var maxClientTurnLength: Duration? { nil }

    package func makeInProcessLink() throws -> any ProviderLink {
        throw ProviderError.protocolError(
            provider: Self.descriptor.displayName, hint: "this provider is reached over the network, not in-process")
    }
}

/// The stateful half of an adapter: turns one connection's messages into events, in order.
///
/// Decoders hold what a protocol spreads across messages (Deepgram's `is_final` pieces,
/// AssemblyAI's turns, OpenAI's items). Times in the events are on the provider's timeline:
/// seconds of audio this connection received.
package protocol TranscriptDecoder {
    /// Events for one message.
    /// - Throws: `ProviderError` for a fatal provider error message.
    mutating func decode(_ message: WireMessage) throws -> [TranscriptEvent]

    /// True once the provider confirmed the session is set up (see `waitsForReady`).
    var isReady: Bool { get }

    /// True once the provider confirmed that every result has been delivered after the
    /// finish messages (Deepgram's final `Metadata`, AssemblyAI's `Termination`).
    var isFinished: Bool { get }

    /// Events still owed when the provider closes the connection after the finish messages:
    /// for a protocol whose last results are never confirmed as final (Deepgram Flux's last
    /// `Update`), the close is that confirmation. Most decoders owe nothing.
    mutating func eventsAtClose() -> [TranscriptEvent]

    /// Told what the session did on this connection, before any answer to it can be decoded, for
    /// protocols whose answers refer to it without saying where it lies in the audio.
    mutating func sessionDid(_ action: SessionAction)
}

extension TranscriptDecoder {
    package var isReady: Bool { true }

    package mutating func eventsAtClose() -> [TranscriptEvent] { [] }

    package mutating func sessionDid(_ action: SessionAction) {}
}

/// Something the session did on a connection, with its place on the connection's timeline
/// (seconds of audio sent on it, the timeline decoders report times on).
package enum SessionAction: Sendable, Equatable {
    /// Speech began here (the voice detector's first voice frame).
    case speechStarted(at: Double)
    /// A turn's speech ended at `speechEnd`, and `speechEndedMessages()` went out after `sentAt`
    /// seconds of audio (the pause after the speech lies between the two).
    case speechEnded(speechEnd: Double, sentAt: Double)
    /// The finish messages went out after `at` seconds of audio.
    case finishSent(at: Double)
}
