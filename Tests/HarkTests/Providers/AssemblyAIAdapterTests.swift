import Foundation
import Testing

@testable import Hark

@Suite("AssemblyAI adapter")
struct AssemblyAIAdapterTests {
    typealias Kind = AdapterFixtures.ErrorKind

    func adapter(
        model: String? = nil, language: String? = nil, parameters: [String: String] = [:],
        encoding: AudioEncoding? = nil, endpoint: String? = nil, settings: [String: String] = [:]
    ) throws -> AssemblyAIAdapter {
        try AssemblyAIAdapter(
            options: ProviderOptions(
                credential: "aai-test-key", endpoint: endpoint, model: model, language: language,
                parameters: parameters.sorted { $0.key < $1.key }.map {
                    ProviderParameter(key: $0.key, value: $0.value)
                },
                encoding: encoding, settings: settings))
    }

    /// The query of a URL as pairs, decoded.
    func query(_ url: String) throws -> [String: String] {
        let components = try #require(URLComponents(string: url))
        var result: [String: String] = [:]
        for item in components.queryItems ?? [] { result[item.name] = item.value ?? "" }
        return result
    }

    // MARK: Request

    @Test("no key is a missing-credentials error naming ASSEMBLYAI_API_KEY before anything connects")
    func missingKey() {
        let error = AdapterFixtures.providerError { _ = try AssemblyAIAdapter(options: ProviderOptions()) }
        #expect(error.map(Kind.init) == .missingCredentials)
        #expect(error?.description.contains("ASSEMBLYAI_API_KEY") == true)
    }

    @Test("the request goes to /v3/ws with the raw key in Authorization and the audio described in the query")
    func defaultRequest() throws {
        let request = try adapter().connectionRequest()
        #expect(request.url.hasPrefix("wss://streaming.assemblyai.com/v3/ws?"))
        #expect(request.headers[header: "Authorization"] == "aai-test-key")
        let query = try query(request.url)
        #expect(query["speech_model"] == "universal-streaming-english")
        #expect(query["sample_rate"] == "16000")
        #expect(query["encoding"] == "pcm_s16le")
        #expect(query["format_turns"] == "true")
        #expect(try adapter().audio == AudioRequirements(sampleRate: 16000, encoding: .linear16))
    }

    @Test("µ-law is sent as pcm_mulaw and the pipeline is told so")
    func mulaw() throws {
        let adapter = try adapter(encoding: .mulaw)
        #expect(adapter.audio.encoding == .mulaw)
        #expect(try query(adapter.connectionRequest().url)["encoding"] == "pcm_mulaw")
    }

    @Test("Opus is refused before connecting")
    func opusRefused() {
        let error = AdapterFixtures.providerError { _ = try adapter(encoding: .opus) }
        #expect(error.map(Kind.init) == .invalidOption)
    }

    @Test("--endpoint replaces the host and keeps the path; region=eu picks the EU data zone")
    func endpoints() throws {
        let local = try adapter(endpoint: "ws://127.0.0.1:9000").connectionRequest().url
        #expect(local.hasPrefix("ws://127.0.0.1:9000/v3/ws?speech_model="))
        let eu = try adapter(settings: ["region": "eu"]).connectionRequest().url
        #expect(eu.hasPrefix("wss://streaming.eu.assemblyai.com/v3/ws?"))
        #expect(
            AdapterFixtures.providerError { _ = try adapter(settings: ["region": "mars"]) }.map(Kind.init)
                == .invalidOption)
    }

    @Test("parameters pass through as query parameters; lists become JSON arrays; defaults can be overridden")
    func parameters() throws {
        let url = try adapter(parameters: [
            "keyterms_prompt": "hark, libcurl", "format_turns": "false", "min_turn_silence": "300",
        ]).connectionRequest().url
        let query = try query(url)
        #expect(query["keyterms_prompt"] == #"["hark","libcurl"]"#)
        #expect(query["format_turns"] == "false")
        #expect(query["min_turn_silence"] == "300")
        #expect(url.components(separatedBy: "format_turns=").count == 2)
        #expect(try adapter(parameters: ["format_turns": "false"]).formatTurns == false)
    }

    @Test("parameters hark owns (sample_rate, encoding, speech_model) are refused with the flag to use")
    func ownedParameters() {
        for key in ["sample_rate", "encoding", "speech_model"] {
            let error = AdapterFixtures.providerError { _ = try adapter(parameters: [key: "8000"]) }
            #expect(error.map(Kind.init) == .invalidOption)
        }
    }

    @Test("the English model refuses another language; other models take it as language_codes")
    func languages() throws {
        let error = AdapterFixtures.providerError { _ = try adapter(language: "de") }
        #expect(error.map(Kind.init) == .invalidOption)
        #expect(try adapter(language: "en-US").connectionRequest().url.contains("language") == false)
        let u3 = try query(adapter(model: "u3-rt-pro", language: "de-DE").connectionRequest().url)
        #expect(u3["language_codes"] == #"["de"]"#)
        #expect(u3["format_turns"] == nil)
        let multilingual = try query(
            adapter(model: "universal-streaming-multilingual", language: "fr").connectionRequest().url)
        #expect(multilingual["language_detection"] == "true")
    }

    @Test("inactivity_timeout makes hark send KeepAlive at half the timeout; without it nothing is sent")
    func keepAlive() throws {
        #expect(try adapter().keepAlive == .none)
        #expect(
            try adapter(parameters: ["inactivity_timeout": "30"]).keepAlive
                == .message(.text(#"{"type":"KeepAlive"}"#), interval: .seconds(15)))
        #expect(
            AdapterFixtures.providerError { _ = try adapter(parameters: ["inactivity_timeout": "2"]) }.map(Kind.init)
                == .invalidOption)
    }

    // MARK: Audio and control messages

    @Test("a 250 ms chunk is one binary message of exactly its bytes")
    func audioChunk() throws {
        let payload = (0..<8000).map { UInt8(truncatingIfNeeded: $0) }
        #expect(try adapter().audioMessages(payload) == [.binary(payload)])
        #expect(try adapter().audioMessages([]) == [])
    }

    @Test("a chunk shorter than the 50 ms minimum is padded with silence so the server does not close 3007")
    func shortChunkPadded() throws {
        let pcm = try adapter().audioMessages([1, 2, 3, 4])
        #expect(pcm == [.binary([1, 2, 3, 4] + [UInt8](repeating: 0, count: 1600 - 4))])
        let mulaw = try adapter(encoding: .mulaw).audioMessages([7])
        #expect(mulaw == [.binary([7] + [UInt8](repeating: 0xFF, count: 799))])
    }

    @Test("a chunk longer than the 1000 ms maximum is split into whole samples within the limits")
    func longChunkSplit() throws {
        let payload = (0..<(32000 * 2 + 6)).map { UInt8(truncatingIfNeeded: $0) }
        let messages = try adapter().audioMessages(payload)
        var joined: [UInt8] = []
        for message in messages {
            guard case .binary(let bytes) = message else {
                Issue.record("audio must be binary")
                continue
            }
            #expect(bytes.count % 2 == 0)
            #expect((1600...32000).contains(bytes.count))
            joined += bytes
        }
        #expect(messages.count == 3)
        #expect(joined == payload)
    }

    @Test("finishing sends Terminate, confirmed by the clean close after Termination")
    func controlMessages() throws {
        let adapter = try adapter()
        #expect(adapter.finishMessages() == [.text(#"{"type":"Terminate"}"#)])
        #expect(adapter.finishConfirmedByClose)
        #expect(adapter.waitsForReady == false)
        #expect(adapter.openingMessages().isEmpty)
    }

    // MARK: Decoding (messages as assemblyai.com/docs/streaming/message-sequence gives them)

    static let begin = #"{"type":"Begin","id":"de5d9927-73a6-4be8-b52d-b4c07be37e6b","expires_at":1759796682}"#
    static let partial1 =
        #"{"turn_order":0,"turn_is_formatted":false,"end_of_turn":false,"transcript":"hi my","end_of_turn_confidence":0.01,"words":[{"start":2160,"end":2560,"text":"hi","confidence":0.86,"word_is_final":true},{"start":2560,"end":2560,"text":"my","confidence":0.98,"word_is_final":true},{"start":2640,"end":2720,"text":"na","confidence":0.5,"word_is_final":false}],"utterance":"","type":"Turn"}"#
    static let endOfTurn =
        #"{"turn_order":0,"turn_is_formatted":false,"end_of_turn":true,"transcript":"hi my name is sonny","end_of_turn_confidence":0.4,"words":[{"start":2160,"end":2560,"text":"hi","confidence":0.86,"word_is_final":true},{"start":2560,"end":2560,"text":"my","confidence":0.98,"word_is_final":true},{"start":2640,"end":2720,"text":"name","confidence":0.99,"word_is_final":true},{"start":2720,"end":2720,"text":"is","confidence":0.73,"word_is_final":true},{"start":3280,"end":3600,"text":"sonny","confidence":0.66,"word_is_final":true}],"utterance":"hi my name is sonny","type":"Turn"}"#
    static let formatted =
        #"{"turn_order":0,"turn_is_formatted":true,"end_of_turn":true,"transcript":"Hi, my name is Sonny.","end_of_turn_confidence":0.4,"words":[{"start":2160,"end":2560,"text":"Hi,","confidence":0.86,"word_is_final":true},{"start":2560,"end":2560,"text":"my","confidence":0.98,"word_is_final":true},{"start":2640,"end":2720,"text":"name","confidence":0.99,"word_is_final":true},{"start":2720,"end":2720,"text":"is","confidence":0.73,"word_is_final":true},{"start":3280,"end":3600,"text":"Sonny.","confidence":0.66,"word_is_final":true}],"utterance":"","type":"Turn"}"#
    static func turn(_ order: Int, _ text: String, end: Bool, formatted: Bool, at ms: Int) -> String {
        #"{"type":"Turn","turn_order":\#(order),"end_of_turn":\#(end),"turn_is_formatted":\#(formatted),"transcript":"\#(text)","words":[{"text":"\#(text)","start":\#(ms),"end":\#(ms + 300),"confidence":0.9,"word_is_final":true}]}"#
    }
    static let termination = #"{"type":"Termination","audio_duration_seconds":7,"session_duration_seconds":7}"#

    @Test("Begin reports the session id for support")
    func beginMetadata() throws {
        var decoder = AssemblyAITranscriptDecoder(formatTurns: true)
        #expect(
            try decoder.decode(.text(Self.begin))
                == [.metadata(requestID: "de5d9927-73a6-4be8-b52d-b4c07be37e6b", detail: nil)])
    }

    @Test("interims show the non-final tail word; with format_turns the formatted end of turn is the one final")
    func formattedFinal() throws {
        var decoder = AssemblyAITranscriptDecoder(formatTurns: true)
        let events = try AdapterFixtures.decodeAll(
            &decoder, [Self.begin, Self.partial1, Self.endOfTurn, Self.formatted, Self.termination])
        #expect(AdapterFixtures.interims(events).map(\.text) == ["hi my na", "hi my name is sonny"])
        let finals = AdapterFixtures.finals(events)
        #expect(finals.map(\.text) == ["Hi, my name is Sonny."])
        let final = try #require(finals.first)
        #expect(final.start == 2.16)
        #expect(final.end == 3.6)
        #expect(final.words.map(\.text) == ["Hi,", "my", "name", "is", "Sonny."])
        #expect(final.words.first?.confidence == 0.86)
        #expect(decoder.isFinished)
    }

    @Test("without format_turns the first end of turn is final and a late formatted repeat is not a second final")
    func unformattedFinal() throws {
        var decoder = AssemblyAITranscriptDecoder(formatTurns: false)
        let events = try AdapterFixtures.decodeAll(&decoder, [Self.partial1, Self.endOfTurn, Self.formatted])
        #expect(AdapterFixtures.finals(events).map(\.text) == ["hi my name is sonny"])
    }

    @Test("a formatted repeat that never comes does not lose the turn: the next turn or Termination releases it")
    func missingFormattedRepeat() throws {
        var decoder = AssemblyAITranscriptDecoder(formatTurns: true)
        let events = try AdapterFixtures.decodeAll(
            &decoder,
            [
                Self.turn(0, "one", end: true, formatted: false, at: 0),
                Self.turn(1, "two", end: false, formatted: false, at: 1000),
                Self.turn(0, "One.", end: true, formatted: true, at: 0),
                Self.turn(1, "two", end: true, formatted: false, at: 1000),
                Self.termination,
            ])
        #expect(AdapterFixtures.finals(events).map(\.text) == ["one", "two"])
        #expect(decoder.isFinished)
    }

    @Test("turns become final exactly once each, in turn order, with times in seconds")
    func severalTurns() throws {
        var decoder = AssemblyAITranscriptDecoder(formatTurns: true)
        let events = try AdapterFixtures.decodeAll(
            &decoder,
            [
                Self.turn(0, "a", end: false, formatted: false, at: 500),
                Self.turn(0, "a", end: true, formatted: false, at: 500),
                Self.turn(0, "A.", end: true, formatted: true, at: 500),
                Self.turn(0, "A.", end: true, formatted: true, at: 500),
                Self.turn(1, "b", end: true, formatted: false, at: 2000),
                Self.turn(1, "B.", end: true, formatted: true, at: 2000),
            ])
        let finals = AdapterFixtures.finals(events)
        #expect(finals.map(\.text) == ["A.", "B."])
        #expect(finals.map(\.start) == [0.5, 2.0])
        #expect(finals.map(\.end) == [0.8, 2.3])
        #expect(decoder.isFinished == false)
    }

    @Test("speaker labels become speaker numbers; SpeechStarted is reported in seconds")
    func speakersAndSpeechStarted() throws {
        var decoder = AssemblyAITranscriptDecoder(formatTurns: false)
        let events = try AdapterFixtures.decodeAll(
            &decoder,
            [
                #"{"type":"SpeechStarted","timestamp":1216}"#,
                #"{"type":"Turn","turn_order":0,"end_of_turn":true,"turn_is_formatted":true,"transcript":"Yes.","speaker_label":"B","words":[{"text":"Yes.","start":1300,"end":1500,"word_is_final":true,"speaker":"B"}]}"#,
            ])
        #expect(events.first == .speechStarted(at: 1.216))
        let final = try #require(AdapterFixtures.finals(events).first)
        #expect(final.speaker == 1)
        #expect(final.words.first?.speaker == 1)
        #expect(AssemblyAITranscriptDecoder.speakerNumber("UNKNOWN") == nil)
    }

    @Test("empty turns produce no events; unknown message types and Heartbeat are ignored")
    func ignored() throws {
        var decoder = AssemblyAITranscriptDecoder(formatTurns: false)
        let events = try AdapterFixtures.decodeAll(
            &decoder,
            [
                #"{"type":"Turn","turn_order":0,"end_of_turn":false,"transcript":"","words":[]}"#,
                #"{"type":"Turn","turn_order":0,"end_of_turn":true,"transcript":"","words":[]}"#,
                #"{"type":"Heartbeat","total_audio_received_ms":45000}"#, #"{"type":"SomethingNew","x":1}"#,
            ])
        #expect(events.isEmpty)
        #expect(try decoder.decode(.binary([1, 2])).isEmpty)
    }

    @Test("a Warning is a notice, not an error")
    func warning() throws {
        var decoder = AssemblyAITranscriptDecoder(formatTurns: false)
        let events = try decoder.decode(
            .text(#"{"type":"Warning","warning":"session ending soon","warning_code":1234}"#))
        #expect(events == [.notice("AssemblyAI warning 1234: session ending soon")])
    }

    @Test("an Error message throws the mapped error with its text, and the legacy bare error form too")
    func errorMessage() throws {
        var decoder = AssemblyAITranscriptDecoder(formatTurns: false)
        let error = AdapterFixtures.providerError {
            _ = try decoder.decode(
                .text(
                    #"{"type":"Error","error_code":3007,"error":"Input Duration Error: Audio Transmission Rate Exceeded: Received 314.9 sec. audio in 1.3 sec"}"#
                ))
        }
        #expect(error.map(Kind.init) == .rateLimited)
        #expect(error?.description.contains("Received 314.9 sec") == true)
        let bare = AdapterFixtures.providerError {
            _ = try decoder.decode(.text(#"{"error":"Client sent audio too fast"}"#))
        }
        #expect(bare.map(Kind.init) == .unavailable)
        let notJSON = AdapterFixtures.providerError { _ = try decoder.decode(.text("<html>")) }
        #expect(notJSON.map(Kind.init) == .protocolError)
    }

    // MARK: Errors

    static let closeCases: [(Int, String, Kind)] = [
        (1008, "Unauthorized Connection: Missing Authorization header", .authenticationFailed),
        (1008, "Unauthorized Connection: Invalid API key", .authenticationFailed),
        (1008, "Unauthorized connection: Too many concurrent sessions", .rateLimited),
        (1008, "Unauthorized connection: Incorrect padding", .serverError),
        (1008, "Unauthorized Connection: insufficient balance", .permissionDenied),
        (3005, "Session Cancelled: An error occurred", .serverError),
        (3006, "Invalid Message Type: Foo", .invalidRequest),
        (3007, "Input duration violation: 20 ms. Expected between 50 and 1000 ms", .unsupportedAudio),
        (3007, "Audio Transmission Rate Exceeded: Received 320 sec. audio in 2 sec", .rateLimited),
        (3008, "Session Expired: Maximum session duration exceeded", .sessionLimitReached),
        (3009, "Unauthorized Connection: Too many concurrent sessions", .rateLimited),
        (4000, "Sample rate must be a positive integer", .unsupportedAudio),
        (4001, "Not Authorized", .authenticationFailed),
        (4002, "Insufficient Funds", .permissionDenied),
        (4008, "Session Expired", .sessionLimitReached),
        (4029, "Client sent audio too fast", .rateLimited),
        (4031, "Session idle for too long", .unavailable),
        (4032, "Audio duration is too short", .unsupportedAudio),
        (1011, "internal error", .serverError),
        (1013, "Try again later", .serverError),
        (4999, "something new", .unavailable),
    ]

    @Test("every documented close code means the right thing for retry and keeps the server's reason")
    func closeCodes() throws {
        let adapter = try adapter()
        for (code, reason, kind) in Self.closeCases {
            let error = adapter.error(for: .closed(code: code, reason: reason))
            #expect(Kind(error) == kind, "close \(code) \(reason)")
            #expect(error.description.contains(reason))
            #expect(error.provider == "AssemblyAI")
        }
    }

    @Test("handshake rejections keep status and body; 429 carries Retry-After; 5xx is a server error")
    func handshakeRejections() throws {
        let adapter = try adapter()
        let unauthorized = adapter.error(
            for: .handshakeRejected(status: 401, headers: [], body: #"{"error":"Invalid API key"}"#))
        #expect(Kind(unauthorized) == .authenticationFailed)
        #expect(unauthorized.description.contains("HTTP 401: Invalid API key"))
        let limited = adapter.error(
            for: .handshakeRejected(status: 429, headers: [HTTPHeader("retry-after", "7")], body: ""))
        #expect(limited == .rateLimited(provider: "AssemblyAI", retryAfter: 7, hint: Self.hint(of: limited)))
        #expect(Kind(adapter.error(for: .handshakeRejected(status: 503, headers: [], body: "busy"))) == .serverError)
        #expect(Kind(adapter.error(for: .handshakeRejected(status: 400, headers: [], body: ""))) == .invalidRequest)
        #expect(Kind(adapter.error(for: .handshakeRejected(status: 403, headers: [], body: ""))) == .permissionDenied)
    }

    @Test("transport failures are unavailable (retried); protocol violations are protocol errors")
    func transportFailures() throws {
        let adapter = try adapter()
        #expect(Kind(adapter.error(for: .connectFailed(host: "h", detail: "refused"))) == .unavailable)
        #expect(Kind(adapter.error(for: .tlsFailed(host: "h", detail: "unknown CA"))) == .unavailable)
        #expect(Kind(adapter.error(for: .connectionLost(detail: "reset"))) == .unavailable)
        #expect(Kind(adapter.error(for: .timedOut(phase: "waiting for Begin"))) == .unavailable)
        #expect(Kind(adapter.error(for: .protocolViolation(detail: "bad frame"))) == .protocolError)
    }

    @Test("an error never contains the API key, even when the server echoes it")
    func keyNeverShown() throws {
        let error = try adapter().error(
            for: .handshakeRejected(status: 401, headers: [], body: #"{"error":"bad key aai-test-key"}"#))
        #expect(!error.description.contains("aai-test-key"))
    }

    static func hint(of error: ProviderError) -> String {
        if case .rateLimited(_, _, let hint) = error { return hint }
        return ""
    }
}

@Suite("Provider registry: AssemblyAI and OpenAI")
struct AssemblyAIOpenAIRegistryTests {
    @Test("--provider assemblyai and openai find their adapters, case-insensitively")
    func registered() {
        #expect(ProviderRegistry.adapter(named: "AssemblyAI") == AssemblyAIAdapter.self)
        #expect(ProviderRegistry.adapter(named: "openai") == OpenAIAdapter.self)
        #expect(AssemblyAIAdapter.descriptor.credentialVariables == ["ASSEMBLYAI_API_KEY"])
        #expect(OpenAIAdapter.descriptor.credentialVariables == ["OPENAI_API_KEY"])
        #expect(OpenAIAdapter.descriptor.defaultModel == "gpt-live-transcribe")
    }
}
