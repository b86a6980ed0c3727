import Foundation
import Testing

@testable import Hark

@Suite("OpenAI adapter")
struct OpenAIAdapterTests {
    typealias Kind = AdapterFixtures.ErrorKind

    func adapter(
        model: String? = nil, language: String? = nil, parameters: [(String, String)] = [],
        encoding: AudioEncoding? = nil, endpoint: String? = nil
    ) throws -> OpenAIAdapter {
        try OpenAIAdapter(
            options: ProviderOptions(
                credential: "sk-test-key", endpoint: endpoint, model: model, language: language,
                parameters: parameters.map { ProviderParameter(key: $0.0, value: $0.1) }, encoding: encoding))
    }

    /// The `session` object of the adapter's opening `session.update`.
    func session(_ adapter: OpenAIAdapter) throws -> [String: Any] {
        let messages = adapter.openingMessages()
        #expect(messages.count == 1)
        guard case .text(let text) = try #require(messages.first) else {
            Issue.record("session.update must be a text frame")
            return [:]
        }
        let object = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["type"] as? String == "session.update")
        return try #require(object["session"] as? [String: Any])
    }

    func input(_ adapter: OpenAIAdapter) throws -> [String: Any] {
        let audio = try #require(try session(adapter)["audio"] as? [String: Any])
        return try #require(audio["input"] as? [String: Any])
    }

    // MARK: Request and session

    @Test("no key is a missing-credentials error naming OPENAI_API_KEY")
    func missingKey() {
        let error = AdapterFixtures.providerError { _ = try OpenAIAdapter(options: ProviderOptions()) }
        #expect(error.map(Kind.init) == .missingCredentials)
        #expect(error?.description.contains("OPENAI_API_KEY") == true)
    }

    @Test("the GA request: intent=transcription, no model in the URL, Bearer key, never the beta header")
    func request() throws {
        let request = try adapter().connectionRequest()
        #expect(request.url == "wss://api.openai.com/v1/realtime?intent=transcription")
        #expect(request.headers[header: "Authorization"] == "Bearer sk-test-key")
        #expect(request.headers[header: "OpenAI-Beta"] == nil)
        let local = try adapter(endpoint: "http://127.0.0.1:8123").connectionRequest().url
        #expect(local == "ws://127.0.0.1:8123/v1/realtime?intent=transcription")
    }

    @Test(
        "the session.update asks for a transcription session with 24 kHz PCM, gpt-live-transcribe and turn_detection null; hark decides turns"
    )
    func defaultSession() throws {
        let adapter = try adapter()
        #expect(adapter.audio == AudioRequirements(sampleRate: 24000, encoding: .linear16))
        #expect(adapter.waitsForReady)
        let session = try session(adapter)
        #expect(session["type"] as? String == "transcription")
        let input = try input(adapter)
        let format = try #require(input["format"] as? [String: Any])
        #expect(format["type"] as? String == "audio/pcm")
        #expect(format["rate"] as? Int == 24000)
        let transcription = try #require(input["transcription"] as? [String: Any])
        #expect(transcription["model"] as? String == "gpt-live-transcribe")
        #expect(transcription["language"] == nil)
        #expect(input["turn_detection"] is NSNull)
        #expect(input["noise_reduction"] == nil)
        #expect(adapter.maxClientTurnLength == .seconds(15))
        #expect(adapter.speechEndedMessages().count == 1)
        // A model with server turn detection keeps it by default, and hark leaves turns to it.
        let serverVAD = try self.adapter(model: "gpt-4o-transcribe")
        #expect((try self.input(serverVAD)["turn_detection"] as? [String: Any])?["type"] as? String == "server_vad")
        #expect(serverVAD.maxClientTurnLength == nil)
        #expect(serverVAD.speechEndedMessages().isEmpty)
    }

    @Test("gpt-live-transcribe refuses server and semantic VAD with the reason, and passes keywords and languages")
    func liveTranscribe() throws {
        for value in ["server_vad", "semantic_vad"] {
            let error = AdapterFixtures.providerError { _ = try adapter(parameters: [("turn_detection", value)]) }
            #expect(error.map(Kind.init) == .invalidOption)
            #expect(error?.description.contains("turn_detection null") == true, "\(String(describing: error))")
        }
        let hinted = try input(adapter(parameters: [("keywords", "hark,soxr"), ("languages", "en, de")]))
        let transcription = try #require(hinted["transcription"] as? [String: Any])
        #expect(transcription["keywords"] as? [String] == ["hark", "soxr"])
        #expect(transcription["languages"] as? [String] == ["en", "de"])
        #expect(try input(adapter(parameters: [("turn_detection", "none")]))["turn_detection"] is NSNull)
    }

    @Test("--model, --language and parameters become session fields; turn_detection=none sends an explicit null")
    func sessionFields() throws {
        let adapter = try adapter(
            model: "gpt-4o-transcribe", language: "de-DE",
            parameters: [
                ("turn_detection", "none"), ("noise_reduction", "far_field"), ("prompt", "Swift and libcurl"),
                ("keywords", "hark, soxr"),
            ])
        let input = try input(adapter)
        let transcription = try #require(input["transcription"] as? [String: Any])
        #expect(transcription["model"] as? String == "gpt-4o-transcribe")
        #expect(transcription["language"] as? String == "de")
        #expect(transcription["prompt"] as? String == "Swift and libcurl")
        #expect(transcription["keywords"] as? [String] == ["hark", "soxr"])
        #expect(input["turn_detection"] is NSNull)
        #expect((input["noise_reduction"] as? [String: Any])?["type"] as? String == "far_field")
        let off = try self.input(self.adapter(parameters: [("noise_reduction", "none")]))
        #expect(off["noise_reduction"] is NSNull)
    }

    @Test("server VAD tuning and semantic VAD eagerness reach turn_detection")
    func turnDetection() throws {
        let vad =
            try input(
                adapter(
                    model: "gpt-4o-transcribe",
                    parameters: [
                        ("vad_threshold", "0.6"), ("silence_duration_ms", "700"), ("prefix_padding_ms", "200"),
                    ])
            )["turn_detection"] as? [String: Any]
        #expect(vad?["threshold"] as? Double == 0.6)
        #expect(vad?["silence_duration_ms"] as? Int == 700)
        #expect(vad?["prefix_padding_ms"] as? Int == 200)
        let semantic =
            try input(
                adapter(
                    model: "gpt-4o-mini-transcribe",
                    parameters: [("turn_detection", "semantic_vad"), ("eagerness", "high")]))[
                "turn_detection"] as? [String: Any]
        #expect(semantic?["type"] as? String == "semantic_vad")
        #expect(semantic?["eagerness"] as? String == "high")
    }

    @Test("gpt-realtime-whisper gets turn_detection null and refuses server VAD and prompt")
    func realtimeWhisper() throws {
        let whisper = try adapter(model: "gpt-realtime-whisper", parameters: [("delay", "low")])
        #expect(try input(whisper)["turn_detection"] is NSNull)
        #expect((try input(whisper)["transcription"] as? [String: Any])?["delay"] as? String == "low")
        for parameter in [("turn_detection", "server_vad"), ("prompt", "x")] {
            let error = AdapterFixtures.providerError {
                _ = try adapter(model: "gpt-realtime-whisper", parameters: [parameter])
            }
            #expect(error.map(Kind.init) == .invalidOption)
        }
    }

    @Test("options the server would reject are refused before connecting, because a rejected update never transcribes")
    func refusedOptions() {
        let cases: [() throws -> Void] = [
            { _ = try adapter(parameters: [("bogus_field", "1")]) },
            { _ = try adapter(parameters: [("turn_detection", "sometimes")]) },
            { _ = try adapter(parameters: [("vad_threshold", "2")]) },
            { _ = try adapter(language: "english") },
            { _ = try adapter(encoding: .opus) },
            { _ = try adapter(encoding: .mulaw) },
        ]
        for body in cases {
            #expect(AdapterFixtures.providerError(body).map(Kind.init) == .invalidOption)
        }
    }

    // MARK: Audio

    @Test("audio is base64 in an input_audio_buffer.append text frame, never a binary frame")
    func audioAppend() throws {
        let adapter = try adapter()
        for count in [0, 1, 2, 3, 4, 5, 12000] {
            let payload = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let messages = adapter.audioMessages(payload)
            if count == 0 {
                #expect(messages.isEmpty)
                continue
            }
            guard case .text(let text) = try #require(messages.first) else {
                Issue.record("audio must be a text frame")
                continue
            }
            let object = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            #expect(object["type"] as? String == "input_audio_buffer.append")
            let audio = try #require(object["audio"] as? String)
            #expect(audio == Data(payload).base64EncodedString())
        }
    }

    @Test("finishing commits the buffer and sends the marker update that tells when the commit was handled")
    func finishMessages() throws {
        let messages = try adapter().finishMessages()
        #expect(messages.count == 2)
        guard case .text(let commit) = messages[0], case .text(let marker) = messages[1] else {
            Issue.record("finish messages must be text")
            return
        }
        #expect(commit.contains(#""type":"input_audio_buffer.commit""#))
        #expect(marker.contains(#""type":"session.update""#))
        #expect(marker.contains(#""session":{"type":"transcription"}"#))
    }

    // MARK: Decoding (server events as OpenAI's Realtime API reference gives them)

    static let created =
        #"{"type":"session.created","event_id":"event_1","session":{"type":"transcription","object":"realtime.transcription_session","id":"sess_1","expires_at":1789728574,"audio":{"input":{"format":{"type":"audio/pcm","rate":24000},"transcription":null,"noise_reduction":null,"turn_detection":{"type":"server_vad","threshold":0.5,"prefix_padding_ms":300,"silence_duration_ms":200}}},"include":null}}"#
    static let updated =
        #"{"type":"session.updated","event_id":"event_2","session":{"type":"transcription","object":"realtime.transcription_session","id":"sess_1","expires_at":1789728574,"audio":{"input":{"format":{"type":"audio/pcm","rate":24000},"transcription":{"model":"gpt-live-transcribe","language":null,"prompt":null},"noise_reduction":null,"turn_detection":{"type":"server_vad","threshold":0.5,"prefix_padding_ms":300,"silence_duration_ms":500}}},"include":null}}"#
    static let marker =
        #"{"type":"session.updated","event_id":"event_9","session":{"type":"transcription","audio":{"input":{"format":{"type":"audio/pcm","rate":24000},"transcription":{"model":"gpt-live-transcribe"}}}}}"#

    static func started(_ item: String, _ ms: Int) -> String {
        #"{"type":"input_audio_buffer.speech_started","event_id":"e","audio_start_ms":\#(ms),"item_id":"\#(item)"}"#
    }
    static func stopped(_ item: String, _ ms: Int) -> String {
        #"{"type":"input_audio_buffer.speech_stopped","event_id":"e","audio_end_ms":\#(ms),"item_id":"\#(item)"}"#
    }
    static func committed(_ item: String, after previous: String?) -> String {
        let previous = previous.map { "\"\($0)\"" } ?? "null"
        return
            #"{"type":"input_audio_buffer.committed","event_id":"e","previous_item_id":\#(previous),"item_id":"\#(item)"}"#
    }
    static func delta(_ item: String, _ text: String) -> String {
        #"{"type":"conversation.item.input_audio_transcription.delta","event_id":"e","item_id":"\#(item)","content_index":0,"delta":"\#(text)","obfuscation":"aLxx"}"#
    }
    static func completed(_ item: String, _ text: String) -> String {
        #"{"type":"conversation.item.input_audio_transcription.completed","event_id":"e","item_id":"\#(item)","content_index":0,"transcript":"\#(text)","usage":{"type":"tokens","total_tokens":22,"input_tokens":13,"output_tokens":9}}"#
    }

    func readyDecoder(vad: Bool = true) throws -> OpenAITranscriptDecoder {
        var decoder = OpenAITranscriptDecoder(serverDetectsTurns: vad, model: "gpt-live-transcribe")
        #expect(try decoder.decode(.text(Self.created)) == [.metadata(requestID: "sess_1", detail: nil)])
        #expect(decoder.isReady == false)
        #expect(try decoder.decode(.text(Self.updated)).isEmpty)
        #expect(decoder.isReady)
        return decoder
    }

    @Test("ready only at a session.updated with transcription on")
    func readiness() throws {
        _ = try readyDecoder()
    }

    @Test("a session.updated with transcription null fails clearly instead of streaming into a void")
    func transcriptionOff() throws {
        var decoder = OpenAITranscriptDecoder(serverDetectsTurns: true, model: "gpt-live-transcribe")
        let update = Self.created.replacingOccurrences(of: "session.created", with: "session.updated")
        let error = AdapterFixtures.providerError { _ = try decoder.decode(.text(update)) }
        #expect(error.map(Kind.init) == .invalidRequest)
        #expect(error?.description.contains("transcription off") == true)
        #expect(decoder.isReady == false)
    }

    @Test("an error before session.updated (the update was rejected) is fatal and says why")
    func rejectedUpdate() throws {
        var decoder = OpenAITranscriptDecoder(serverDetectsTurns: true, model: "gpt-live-transcribe")
        _ = try decoder.decode(.text(Self.created))
        let error = AdapterFixtures.providerError {
            _ = try decoder.decode(
                .text(
                    #"{"type":"error","event_id":"e","error":{"type":"invalid_request_error","code":"integer_below_min_value","message":"Invalid 'session.audio.input.format.rate': integer below minimum value. Expected a value >= 24000, but got 16000 instead.","param":"session.audio.input.format.rate","event_id":"hark_session_update"}}"#
                ))
        }
        #expect(error.map(Kind.init) == .unsupportedAudio)
        #expect(error?.description.contains("Expected a value >= 24000") == true)
        var other = OpenAITranscriptDecoder(serverDetectsTurns: true, model: "gpt-live-transcribe")
        let unknown = AdapterFixtures.providerError {
            _ = try other.decode(
                .text(
                    #"{"type":"error","error":{"type":"invalid_request_error","code":"unknown_parameter","message":"Unknown parameter: 'session.bogus_field'.","param":"session.bogus_field","event_id":null}}"#
                ))
        }
        #expect(unknown.map(Kind.init) == .invalidRequest)
        #expect(unknown?.description.contains("nothing would be transcribed") == true)
    }

    @Test("deltas append per item as interim text; completed replaces it as the final")
    func deltasThenCompleted() throws {
        var decoder = try readyDecoder()
        let events = try AdapterFixtures.decodeAll(
            &decoder,
            [
                Self.started("item_1", 1000), Self.stopped("item_1", 2600), Self.committed("item_1", after: nil),
                Self.delta("item_1", "Hey"), Self.delta("item_1", ", can"), Self.delta("item_1", " you"),
                Self.completed("item_1", "Hey, can you hear me?"),
            ])
        #expect(events.first == .speechStarted(at: 1.0))
        #expect(events.contains(.utteranceEnd(at: 2.6)))
        #expect(AdapterFixtures.interims(events).map(\.text) == ["Hey", "Hey, can", "Hey, can you"])
        let finals = AdapterFixtures.finals(events)
        #expect(finals == [TranscriptSegment(text: "Hey, can you hear me?", start: 1.0, end: 2.6)])
    }

    @Test("items completing out of order are final in spoken order, each exactly once")
    func outOfOrderCompletion() throws {
        var decoder = try readyDecoder()
        let events = try AdapterFixtures.decodeAll(
            &decoder,
            [
                Self.started("a", 0), Self.stopped("a", 1000), Self.committed("a", after: nil),
                Self.started("b", 1500), Self.stopped("b", 2500), Self.committed("b", after: "a"),
                Self.delta("b", "second"), Self.completed("b", "Second."), Self.completed("b", "Second."),
                Self.delta("a", "first"), Self.completed("a", "First."),
            ])
        let finals = AdapterFixtures.finals(events)
        #expect(finals.map(\.text) == ["First.", "Second."])
        #expect(finals.map(\.start) == [0, 1.5])
        #expect(AdapterFixtures.interims(events).map(\.text) == ["second", "Second.", "first Second."])
    }

    @Test("deltas that arrive before their commit (streaming models) are placed by the later commit")
    func deltasBeforeCommit() throws {
        var decoder = try readyDecoder(vad: false)
        let events = try AdapterFixtures.decodeAll(
            &decoder,
            [
                Self.delta("x", "hello"), Self.committed("x", after: nil), Self.completed("x", "Hello."),
            ])
        #expect(AdapterFixtures.finals(events).map(\.text) == ["Hello."])
    }

    @Test("a failed item is a notice and does not hold back later finals")
    func failedItem() throws {
        var decoder = try readyDecoder()
        let events = try AdapterFixtures.decodeAll(
            &decoder,
            [
                Self.started("a", 0), Self.stopped("a", 500), Self.committed("a", after: nil),
                Self.started("b", 900), Self.stopped("b", 1500), Self.committed("b", after: "a"),
                Self.completed("b", "Later."),
                #"{"type":"conversation.item.input_audio_transcription.failed","item_id":"a","content_index":0,"error":{"type":"transcription_error","code":"audio_unintelligible","message":"The audio could not be transcribed.","param":null}}"#,
            ])
        #expect(events.contains(.notice("OpenAI could not transcribe a turn: The audio could not be transcribed.")))
        #expect(AdapterFixtures.finals(events).map(\.text) == ["Later."])
    }

    @Test("finished only after the finish marker is answered and every committed item is complete")
    func finishing() throws {
        var decoder = try readyDecoder()
        _ = try AdapterFixtures.decodeAll(
            &decoder, [Self.started("a", 0), Self.stopped("a", 800), Self.committed("a", after: nil)])
        #expect(decoder.isFinished == false)
        // The finish commit found an empty buffer: expected, not shown.
        let empty = try decoder.decode(
            .text(
                #"{"type":"error","event_id":"e","error":{"type":"invalid_request_error","code":"input_audio_buffer_commit_empty","message":"Error committing input audio buffer: buffer too small.","param":null,"event_id":"hark_finish_commit"}}"#
            ))
        #expect(empty.isEmpty)
        #expect(try decoder.decode(.text(Self.marker)).isEmpty)
        #expect(decoder.isFinished == false)
        let events = try decoder.decode(.text(Self.completed("a", "Done.")))
        #expect(AdapterFixtures.finals(events).map(\.text) == ["Done."])
        #expect(decoder.isFinished)
    }

    @Test("with server VAD, an item of trailing silence committed at the end is not shown")
    func silentTailDropped() throws {
        var decoder = try readyDecoder()
        let events = try AdapterFixtures.decodeAll(
            &decoder,
            [
                Self.started("a", 0), Self.stopped("a", 800), Self.committed("a", after: nil),
                Self.completed("a", "Real words."), Self.committed("tail", after: "a"), Self.marker,
                Self.completed("tail", "Thank you."),
            ])
        #expect(AdapterFixtures.finals(events).map(\.text) == ["Real words."])
        #expect(decoder.isFinished)
    }

    @Test("with turn detection off, the committed item is shown whatever preceded it")
    func noVadCommitShown() throws {
        var decoder = try readyDecoder(vad: false)
        let events = try AdapterFixtures.decodeAll(
            &decoder, [Self.committed("a", after: nil), Self.marker, Self.completed("a", "Push to talk.")])
        #expect(AdapterFixtures.finals(events).map(\.text) == ["Push to talk."])
        #expect(decoder.isFinished)
    }

    @Test(
        "without server VAD each committed item takes the times of hark's own turn, refused commits drop theirs, and finished waits for every commit"
    )
    func clientTurnTimes() throws {
        var decoder = try readyDecoder(vad: false)
        decoder.sessionDid(.speechStarted(at: 1.0))
        decoder.sessionDid(.speechEnded(speechEnd: 2.5, sentAt: 3.3))
        #expect(decoder.awaitsResults)
        var events = try AdapterFixtures.decodeAll(
            &decoder, [Self.delta("a", "Hello"), Self.committed("a", after: nil)])
        #expect(AdapterFixtures.interims(events).first?.start == 1.0)
        // A commit the server refuses (too little audio) is answered by an error, not `committed`.
        decoder.sessionDid(.speechEnded(speechEnd: 3.4, sentAt: 3.4))
        decoder.sessionDid(.speechStarted(at: 5.0))
        decoder.sessionDid(.speechEnded(speechEnd: 6.2, sentAt: 7.0))
        decoder.sessionDid(.finishSent(at: 7.5))
        events = try AdapterFixtures.decodeAll(
            &decoder,
            [
                #"{"type":"error","event_id":"e","error":{"type":"invalid_request_error","code":"input_audio_buffer_commit_empty","message":"buffer too small","param":null,"event_id":null}}"#,
                Self.committed("b", after: "a"), Self.committed("tail", after: "b"), Self.marker,
                Self.completed("b", "Second."),
            ])
        #expect(decoder.isFinished == false, "item a and the tail have no result yet")
        events += try AdapterFixtures.decodeAll(
            &decoder, [Self.completed("a", "Hello there."), Self.completed("tail", "Thank you.")])
        let finals = AdapterFixtures.finals(events)
        #expect(
            finals == [
                TranscriptSegment(text: "Hello there.", start: 1.0, end: 2.5),
                TranscriptSegment(text: "Second.", start: 5.0, end: 6.2),
            ])
        #expect(decoder.isFinished)
        #expect(!decoder.awaitsResults)
    }

    @Test("an error after the session is ready is a notice with its code, not fatal")
    func nonFatalError() throws {
        var decoder = try readyDecoder()
        let events = try decoder.decode(
            .text(
                #"{"type":"error","event_id":"e","error":{"type":"invalid_request_error","code":"invalid_event","message":"Expected a text WebSocket message; binary frames are not supported.","param":null,"event_id":null}}"#
            ))
        #expect(
            events == [
                .notice(
                    "OpenAI error invalid_event: Expected a text WebSocket message; binary frames are not supported.")
            ])
        #expect(
            AdapterFixtures.providerError { _ = try decoder.decode(.text("not json")) }.map(Kind.init) == .protocolError
        )
    }

    // MARK: Errors

    static let closeCases: [(Int, String, Kind)] = [
        (3000, "invalid_request_error.invalid_api_key", .authenticationFailed),
        (3000, "invalid_request_error", .authenticationFailed),
        (4000, "invalid_request_error.beta_api_shape_disabled", .invalidRequest),
        (4000, "invalid_request_error.invalid_model", .invalidRequest),
        (4000, "invalid_request_error.missing_model", .invalidRequest),
        (1001, "Your session hit the maximum duration of 60 minutes.", .sessionLimitReached),
        (1001, "going away", .unavailable),
        (1011, "internal error", .serverError),
        (1013, "try again later", .serverError),
        (4321, "new", .unavailable),
    ]

    @Test("server close codes mean the right thing for retry and keep the reason")
    func closeCodes() throws {
        let adapter = try adapter()
        for (code, reason, kind) in Self.closeCases {
            let error = adapter.error(for: .closed(code: code, reason: reason))
            #expect(Kind(error) == kind, "close \(code) \(reason)")
            #expect(error.description.contains(reason))
        }
        let beta = adapter.error(for: .closed(code: 4000, reason: "invalid_request_error.beta_api_shape_disabled"))
        #expect(beta.description.contains("OpenAI-Beta"))
    }

    @Test("handshake rejections keep status and the error message of the body")
    func handshake() throws {
        let adapter = try adapter()
        let forbidden = adapter.error(
            for: .handshakeRejected(
                status: 403, headers: [],
                body: #"{"error":{"message":"No Realtime access","type":"invalid_request_error","code":null}}"#))
        #expect(Kind(forbidden) == .permissionDenied)
        #expect(forbidden.description.contains("HTTP 403: No Realtime access"))
        let limited = adapter.error(
            for: .handshakeRejected(status: 429, headers: [HTTPHeader("Retry-After", "3")], body: ""))
        if case .rateLimited(_, let retryAfter, _) = limited {
            #expect(retryAfter == 3)
        } else {
            Issue.record("429 must be rate limited, got \(limited)")
        }
        #expect(
            Kind(adapter.error(for: .handshakeRejected(status: 401, headers: [], body: ""))) == .authenticationFailed)
        #expect(Kind(adapter.error(for: .handshakeRejected(status: 502, headers: [], body: ""))) == .serverError)
        #expect(Kind(adapter.error(for: .connectFailed(host: "h", detail: "refused"))) == .unavailable)
        #expect(Kind(adapter.error(for: .connectionLost(detail: "reset"))) == .unavailable)
    }

    @Test("error events map by code: rate limits and server errors are retryable, bad requests are not")
    func errorEventCodes() {
        let cases: [(String?, String?, Kind)] = [
            ("invalid_request_error", "invalid_api_key", .authenticationFailed),
            ("rate_limit_error", nil, .rateLimited),
            ("server_error", nil, .serverError),
            ("invalid_request_error", "insufficient_quota", .permissionDenied),
            ("invalid_request_error", "invalid_value", .invalidRequest),
        ]
        for (type, code, kind) in cases {
            let error = OpenAIAdapter.requestError(
                type: type, code: code, message: "m", model: "gpt-live-transcribe", setup: false)
            #expect(Kind(error) == kind, "\(type ?? "") \(code ?? "")")
        }
    }

    @Test("an error never contains the API key")
    func keyNeverShown() throws {
        let error = try adapter().error(
            for: .handshakeRejected(
                status: 401, headers: [], body: #"{"error":{"message":"Incorrect API key: sk-test-key"}}"#))
        #expect(!error.description.contains("sk-test-key"))
    }
}
