import Foundation
import HarkTestSupport
import Testing

@testable import Hark

/// The OpenAI fake follows the GA Realtime transcription protocol (developers.openai.com realtime
/// guides), checked with a Python client and with the adapter's own messages.
@Suite("OpenAI fake server")
struct OpenAIFakeTests {
    static let utterances: [(start: Double, end: Double, text: String)] = [
        (0.5, 1.5, "Hello there, world."), (2.5, 3.0, "Second one."),
    ]

    func withFake<T>(_ arguments: [String] = [], _ body: (FakeServer) throws -> T) throws -> T {
        let script = try ScriptedWebSocketClient.scriptFile(Self.utterances)
        let fake = try FakeServer(script: "openai.py", arguments: ["--script", script.path] + arguments)
        defer { fake.stop() }
        return try body(fake)
    }

    func url(_ fake: FakeServer, query: String = "intent=transcription") -> String {
        "\(fake.endpoint())/v1/realtime?\(query)"
    }

    static let bearer = "Authorization: Bearer test-key"

    static func update(rate: Int = 24000, model: String = "gpt-4o-transcribe", turnDetection: Any = NSNull())
        -> [String: Any]
    {
        [
            "type": "session.update", "event_id": "evt_1",
            "session": [
                "type": "transcription",
                "audio": [
                    "input": [
                        "format": ["type": "audio/pcm", "rate": rate], "transcription": ["model": model],
                        "turn_detection": turnDetection,
                    ]
                ],
            ] as [String: Any],
        ]
    }

    /// 250 ms of 24 kHz PCM silence.
    static let chunk = 12000

    @Test("the adapter's session.update, audio and finish give finals in order and a finished decoder")
    func adapterAgainstFake() throws {
        try withFake { fake in
            // Silence is no speech for hark's own turns: a model with server VAD, which the fake plays from its script.
            let adapter = try OpenAIAdapter(
                options: ProviderOptions(credential: "test-key", endpoint: fake.endpoint(), model: "gpt-4o-transcribe"))
            let request = try adapter.connectionRequest()
            var steps: [[String: Any]] = [["wait": "session.created"]]
            for case .text(let text) in adapter.openingMessages() { steps.append(["text": text]) }
            steps.append(["wait": "session.updated"])
            for _ in 0..<16 {
                for case .text(let text) in adapter.audioMessages([UInt8](repeating: 0, count: Self.chunk)) {
                    steps.append(["text": text])
                }
            }
            for case .text(let text) in adapter.finishMessages() { steps.append(["text": text]) }
            steps += [
                ["wait": "session.updated", "count": 2],
                ["wait": "conversation.item.input_audio_transcription.completed", "count": 3], ["close": 1000],
            ]
            let seen = try ScriptedWebSocketClient.run(
                url: request.url, headers: request.headers.map { "\($0.name): \($0.value)" }, steps: steps)
            var decoder = adapter.makeDecoder()
            var events: [TranscriptEvent] = []
            for text in seen.rawTexts {
                events += try decoder.decode(.text(text))
                if decoder.isFinished { break }
            }
            #expect(decoder.isReady)
            #expect(decoder.isFinished)
            let finals = events.compactMap { event -> TranscriptSegment? in
                if case .final(let segment) = event { return segment }
                return nil
            }
            #expect(finals.map(\.text) == ["Hello there, world.", "Second one."])
            #expect(finals.first?.start == 0.2)
            #expect(fake.recorded("audio.bin").count == Self.chunk * 16)
            #expect(!events.contains { if case .notice = $0 { true } else { false } })
        }
    }

    @Test("a 16 kHz session.update is rejected whole: the session stays without transcription")
    func wrongRateRejected() throws {
        try withFake { fake in
            let seen = try ScriptedWebSocketClient.run(
                url: url(fake), headers: [Self.bearer],
                steps: [
                    ["wait": "session.created"], ["json": Self.update(rate: 16000)], ["wait": "error"],
                    ["audio": Self.chunk, "count": 16, "as": "openai"], ["json": ["type": "input_audio_buffer.commit"]],
                    ["wait": "input_audio_buffer.committed"], ["sleep": 0.3], ["close": 1000],
                ])
            let error = try #require(seen.messages(ofType: "error").first?["error"] as? [String: Any])
            #expect(error["code"] as? String == "integer_below_min_value")
            #expect(error["param"] as? String == "session.audio.input.format.rate")
            #expect(error["event_id"] as? String == "evt_1")
            #expect(!seen.types.contains("session.updated"))
            #expect(seen.types.contains("input_audio_buffer.committed"))
            #expect(!seen.types.contains("conversation.item.input_audio_transcription.completed"))
        }
    }

    @Test("binary frames, bad JSON, unknown events and the legacy beta update are non-fatal errors")
    func nonFatalErrors() throws {
        try withFake { fake in
            let seen = try ScriptedWebSocketClient.run(
                url: url(fake), headers: [Self.bearer],
                steps: [
                    ["wait": "session.created"], ["binary": 10], ["text": "{nope"], ["json": ["type": "nope"]],
                    ["json": ["type": "transcription_session.update", "session": [String: Any]()]],
                    ["wait": "error", "count": 4], ["json": Self.update()], ["wait": "session.updated"],
                    ["close": 1000],
                ])
            let codes = seen.messages(ofType: "error").compactMap {
                ($0["error"] as? [String: Any])?["code"] as? String
            }
            #expect(codes == ["invalid_event", "invalid_json", "invalid_value", "invalid_value"])
            #expect(seen.types.last == "session.updated")
            #expect(seen.closeCode == 1000)
        }
    }

    @Test(
        "a commit of less than 100 ms is input_audio_buffer_commit_empty; with turn detection off a commit makes an item"
    )
    func commits() throws {
        try withFake { fake in
            let seen = try ScriptedWebSocketClient.run(
                url: url(fake), headers: [Self.bearer],
                steps: [
                    ["wait": "session.created"], ["json": Self.update()], ["wait": "session.updated"],
                    ["json": ["type": "input_audio_buffer.commit", "event_id": "c0"]], ["wait": "error"],
                    ["audio": Self.chunk, "count": 8, "as": "openai"], ["json": ["type": "input_audio_buffer.commit"]],
                    ["wait": "conversation.item.input_audio_transcription.completed"], ["close": 1000],
                ])
            let error = try #require(seen.messages(ofType: "error").first?["error"] as? [String: Any])
            #expect(error["code"] as? String == "input_audio_buffer_commit_empty")
            #expect(error["event_id"] as? String == "c0")
            let committed = try #require(seen.messages(ofType: "input_audio_buffer.committed").first)
            #expect(committed["previous_item_id"] is NSNull)
            let completed = try #require(
                seen.messages(ofType: "conversation.item.input_audio_transcription.completed").first)
            #expect(completed["transcript"] as? String == "Hello there, world.")
            #expect(completed["item_id"] as? String == committed["item_id"] as? String)
            #expect(!seen.types.contains("input_audio_buffer.speech_started"))
        }
    }

    @Test("auth, the beta header and a model in the URL are refused after the upgrade with 3000 and 4000")
    func handshakeChecks() throws {
        try withFake(["--api-key", "test-key"]) { fake in
            let missing = try ScriptedWebSocketClient.run(url: url(fake), steps: [["until_closed": 5]])
            #expect(missing.closeCode == 3000)
            #expect(missing.closeReason == "invalid_request_error")
            let wrong = try ScriptedWebSocketClient.run(
                url: url(fake), headers: ["Authorization: Bearer other"], steps: [["until_closed": 5]])
            #expect(wrong.closeCode == 3000)
            #expect(wrong.closeReason == "invalid_request_error.invalid_api_key")
            let beta = try ScriptedWebSocketClient.run(
                url: url(fake), headers: [Self.bearer, "OpenAI-Beta: realtime=v1"], steps: [["until_closed": 5]])
            #expect(beta.closeCode == 4000)
            #expect(beta.closeReason == "invalid_request_error.beta_api_shape_disabled")
            let model = try ScriptedWebSocketClient.run(
                url: url(fake, query: "intent=transcription&model=gpt-4o-transcribe"), headers: [Self.bearer],
                steps: [["until_closed": 5]])
            #expect(model.closeCode == 4000)
        }
    }

    @Test(
        "gpt-realtime-whisper and gpt-live-transcribe with server VAD, and a transcription update to a conversation session, are refused"
    )
    func modelRules() throws {
        try withFake { fake in
            let whisper = try ScriptedWebSocketClient.run(
                url: url(fake), headers: [Self.bearer],
                steps: [
                    ["wait": "session.created"],
                    ["json": Self.update(model: "gpt-realtime-whisper", turnDetection: ["type": "server_vad"])],
                    ["wait": "error"], ["close": 1000],
                ])
            let error = try #require(whisper.messages(ofType: "error").first?["error"] as? [String: Any])
            #expect(error["param"] as? String == "session.audio.input.turn_detection")
            // gpt-live-transcribe likewise (OpenAI's realtime-vad guide); omitting turn_detection gives null.
            let live = try ScriptedWebSocketClient.run(
                url: url(fake), headers: [Self.bearer],
                steps: [
                    ["wait": "session.created"],
                    ["json": Self.update(model: "gpt-live-transcribe", turnDetection: ["type": "semantic_vad"])],
                    ["wait": "error"], ["close": 1000],
                ])
            let liveError = try #require(live.messages(ofType: "error").first?["error"] as? [String: Any])
            #expect(liveError["code"] as? String == "invalid_value")
            #expect((liveError["message"] as? String)?.contains("gpt-live-transcribe") == true)
            #expect(live.messages(ofType: "session.updated").isEmpty)
            let conversation = try ScriptedWebSocketClient.run(
                url: url(fake, query: "model=gpt-realtime"), headers: [Self.bearer],
                steps: [["wait": "session.created"], ["json": Self.update()], ["wait": "error"], ["close": 1000]])
            let refused = try #require(conversation.messages(ofType: "error").first?["error"] as? [String: Any])
            #expect(refused["code"] as? String == "invalid_parameter")
        }
    }

    @Test("out-of-order completions and a failed item can be played for decoder tests")
    func orderingScenarios() throws {
        try withFake(["--scenario", "out-of-order,fail-item=3"]) { fake in
            let seen = try ScriptedWebSocketClient.run(
                url: url(fake), headers: [Self.bearer],
                steps: [
                    ["wait": "session.created"],
                    ["json": Self.update(turnDetection: ["type": "server_vad"])], ["wait": "session.updated"],
                    ["audio": Self.chunk, "count": 16, "as": "openai"],
                    ["wait": "conversation.item.input_audio_transcription.completed", "count": 2],
                    ["json": ["type": "input_audio_buffer.commit"]],
                    ["wait": "conversation.item.input_audio_transcription.failed"], ["close": 1000],
                ])
            let committed = seen.messages(ofType: "input_audio_buffer.committed").compactMap {
                $0["item_id"] as? String
            }
            let completed = seen.messages(ofType: "conversation.item.input_audio_transcription.completed")
                .compactMap { $0["item_id"] as? String }
            #expect(committed.count == 3)
            #expect(completed == [committed[1], committed[0]])
            #expect(seen.types.contains("input_audio_buffer.speech_started"))
        }
    }

    @Test("fault scenarios: HTTP 503, close 1011 after audio, a dropped connection")
    func faults() throws {
        try withFake(["--scenario", "reject-503"]) { fake in
            let seen = try ScriptedWebSocketClient.run(url: url(fake), headers: [Self.bearer], steps: [])
            #expect(seen.rejectedStatus == 503)
        }
        try withFake(["--scenario", "close-1011-after=1"]) { fake in
            let seen = try ScriptedWebSocketClient.run(
                url: url(fake), headers: [Self.bearer],
                steps: [
                    ["wait": "session.created"], ["audio": Self.chunk, "count": 8, "as": "openai"], ["until_closed": 5],
                ])
            #expect(seen.closeCode == 1011)
        }
        try withFake(["--scenario", "drop-after-bytes=24000"]) { fake in
            let seen = try ScriptedWebSocketClient.run(
                url: url(fake), headers: [Self.bearer],
                steps: [
                    ["wait": "session.created"], ["audio": Self.chunk, "count": 4, "as": "openai", "pace": 0.05],
                    ["until_closed": 5],
                ])
            #expect(seen.closeCode == 1006)
        }
    }

    @Test("the session closes with 1001 at its length limit")
    func sessionLimit() throws {
        try withFake(["--max-session-seconds", "0.5"]) { fake in
            let seen = try ScriptedWebSocketClient.run(
                url: url(fake), headers: [Self.bearer], steps: [["until_closed": 5]])
            #expect(seen.closeCode == 1001)
            #expect(seen.closeReason?.contains("maximum duration") == true)
        }
    }
}
