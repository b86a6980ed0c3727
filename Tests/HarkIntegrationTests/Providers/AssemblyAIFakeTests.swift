import Foundation
import HarkTestSupport
import Testing

@testable import Hark

/// The AssemblyAI fake follows the v3 protocol (assemblyai.com/docs/streaming/message-sequence), checked
/// with a Python client and with the adapter's own messages.
@Suite("AssemblyAI fake server")
struct AssemblyAIFakeTests {
    static let utterances: [(start: Double, end: Double, text: String)] = [
        (0.5, 1.5, "Hello there, world."), (2.5, 3.0, "Second one."),
    ]

    static let query = "speech_model=universal-streaming-english&sample_rate=16000&encoding=pcm_s16le&format_turns=true"

    func withFake<T>(_ arguments: [String] = [], _ body: (FakeServer) throws -> T) throws -> T {
        let script = try ScriptedWebSocketClient.scriptFile(Self.utterances)
        let fake = try FakeServer(script: "assemblyai.py", arguments: ["--script", script.path] + arguments)
        defer { fake.stop() }
        return try body(fake)
    }

    func url(_ fake: FakeServer, query: String = Self.query) -> String { "\(fake.endpoint())/v3/ws?\(query)" }

    @Test("a session is Begin, turns that grow, an unformatted then a formatted end of turn, and Termination")
    func happyPath() throws {
        try withFake { fake in
            let seen = try ScriptedWebSocketClient.run(
                url: url(fake), headers: ["Authorization: test-key"],
                steps: [
                    ["wait": "Begin"], ["audio": 8000, "count": 16], ["json": ["type": "Terminate"]],
                    ["until_closed": 5],
                ])
            #expect(seen.types.first == "Begin")
            #expect(seen.types.last == "Termination")
            #expect(seen.closeCode == 1000)
            let turns = seen.messages(ofType: "Turn")
            let ends = turns.filter { $0["end_of_turn"] as? Bool == true }
            #expect(
                ends.map { $0["transcript"] as? String } == [
                    "hello there world", "Hello there, world.", "second one", "Second one.",
                ])
            #expect(ends.map { $0["turn_order"] as? Int } == [0, 0, 1, 1])
            let partials = turns.filter { $0["end_of_turn"] as? Bool == false && $0["turn_order"] as? Int == 0 }
            #expect(partials.map { $0["transcript"] as? String } == ["", "hello", "hello there", "hello there world"])
            let tail = try #require((partials.first?["words"] as? [[String: Any]])?.last)
            #expect(tail["word_is_final"] as? Bool == false)
            #expect(tail["start"] as? Int == 500)
            #expect(fake.recorded("audio.bin").count == 8000 * 16)
        }
    }

    @Test(
        "the adapter's request, audio and Terminate give one final per turn, formatted, in order",
        arguments: ["universal-streaming-english", "u3-rt-pro"])
    func adapterAgainstFake(model: String) throws {
        try withFake { fake in
            let adapter = try AssemblyAIAdapter(
                options: ProviderOptions(credential: "test-key", endpoint: fake.endpoint(), model: model))
            let request = try adapter.connectionRequest()
            var steps: [[String: Any]] = [["wait": "Begin"]]
            for _ in 0..<16 {
                for message in adapter.audioMessages([UInt8](repeating: 0, count: 8000)) {
                    guard case .binary(let bytes) = message else { continue }
                    steps.append(["binary": bytes.count])
                }
            }
            for message in adapter.finishMessages() {
                if case .text(let text) = message { steps.append(["text": text]) }
            }
            steps.append(["until_closed": 5])
            let seen = try ScriptedWebSocketClient.run(
                url: request.url, headers: request.headers.map { "\($0.name): \($0.value)" }, steps: steps)
            var decoder = adapter.makeDecoder()
            var events: [TranscriptEvent] = []
            for text in seen.rawTexts { events += try decoder.decode(.text(text)) }
            let finals = events.compactMap { event -> TranscriptSegment? in
                if case .final(let segment) = event { return segment }
                return nil
            }
            #expect(finals.map(\.text) == ["Hello there, world.", "Second one."])
            #expect(finals.first?.start == 0.5)
            #expect(decoder.isFinished)
            // U3 Pro announces speech; Universal-Streaming does not.
            #expect(events.contains(.speechStarted(at: 0.5)) == (model == "u3-rt-pro"))
            let opened = try #require(fake.recordedEvents().first { $0["event"] as? String == "opened" })
            #expect((opened["headers"] as? [String: String])?["Authorization"] == "test-key")
        }
    }

    @Test("audio messages outside 50–1000 ms end the session with Error and close 3007")
    func chunkLimits() throws {
        try withFake { fake in
            for bytes in [100, 33000] {
                let seen = try ScriptedWebSocketClient.run(
                    url: url(fake), headers: ["Authorization: test-key"],
                    steps: [["wait": "Begin"], ["binary": bytes], ["until_closed": 5]])
                #expect(seen.closeCode == 3007)
                let error = try #require(seen.messages(ofType: "Error").first)
                #expect(error["error_code"] as? Int == 3007)
                #expect(seen.closeReason?.contains("Expected between 50 and 1000 ms") == true)
            }
        }
    }

    @Test("a missing key and a key with a Bearer scheme are refused with close 1008 before Begin")
    func authentication() throws {
        try withFake(["--api-key", "right"]) { fake in
            let missing = try ScriptedWebSocketClient.run(url: url(fake), steps: [["until_closed": 5]])
            #expect(missing.closeCode == 1008)
            #expect(missing.closeReason == "Unauthorized Connection: Missing Authorization header")
            #expect(!missing.types.contains("Begin"))
            for header in ["Authorization: Bearer right", "Authorization: wrong"] {
                let refused = try ScriptedWebSocketClient.run(
                    url: url(fake), headers: [header], steps: [["until_closed": 5]])
                #expect(refused.closeCode == 1008)
                #expect(refused.closeReason == "Unauthorized Connection: Invalid API key")
            }
            let token = try ScriptedWebSocketClient.run(
                url: url(fake, query: Self.query + "&token=right"), steps: [["wait": "Begin"], ["close": 1000]])
            #expect(token.types == ["Begin"])
        }
    }

    @Test("a missing speech_model and an unknown message type are refused with close 3006")
    func invalidRequests() throws {
        try withFake { fake in
            let noModel = try ScriptedWebSocketClient.run(
                url: url(fake, query: "sample_rate=16000"), headers: ["Authorization: k"], steps: [["until_closed": 5]])
            #expect(noModel.closeCode == 3006)
            let badType = try ScriptedWebSocketClient.run(
                url: url(fake), headers: ["Authorization: k"],
                steps: [["wait": "Begin"], ["json": ["type": "Nope"]], ["until_closed": 5]])
            #expect(badType.closeCode == 3006)
            #expect(badType.closeReason == "Invalid Message Type: Nope")
        }
    }

    @Test("ForceEndpoint ends the current turn at once and drops its in-flight tail word")
    func forceEndpoint() throws {
        try withFake { fake in
            // 1.25 s of audio: "hello" (0.5–0.83) and "there," (0.83–1.17) final, "world." in flight.
            let seen = try ScriptedWebSocketClient.run(
                url: url(fake), headers: ["Authorization: k"],
                steps: [
                    ["wait": "Begin"], ["audio": 8000, "count": 5], ["json": ["type": "ForceEndpoint"]],
                    ["wait": "Turn", "count": 5], ["close": 1000],
                ])
            let ends = seen.messages(ofType: "Turn").filter { $0["end_of_turn"] as? Bool == true }
            #expect(ends.first?["transcript"] as? String == "hello there")
        }
    }

    @Test("fault scenarios: HTTP 429 with Retry-After, close 3005 after audio, a dropped connection")
    func faults() throws {
        try withFake(["--scenario", "reject-429"]) { fake in
            let seen = try ScriptedWebSocketClient.run(url: url(fake), headers: ["Authorization: k"], steps: [])
            #expect(seen.rejectedStatus == 429)
        }
        try withFake(["--scenario", "close-3005-after=1"]) { fake in
            let seen = try ScriptedWebSocketClient.run(
                url: url(fake), headers: ["Authorization: k"],
                steps: [["wait": "Begin"], ["audio": 8000, "count": 8], ["until_closed": 5]])
            #expect(seen.closeCode == 3005)
            #expect(seen.messages(ofType: "Error").first?["error"] as? String == "Session Cancelled: An error occurred")
        }
        try withFake(["--scenario", "drop-after-bytes=16000"]) { fake in
            let seen = try ScriptedWebSocketClient.run(
                url: url(fake), headers: ["Authorization: k"],
                steps: [["wait": "Begin"], ["audio": 8000, "count": 4, "pace": 0.05], ["until_closed": 5]])
            #expect(seen.closeCode == 1006)
        }
    }

    @Test("with inactivity_timeout an idle session is closed; KeepAlive is accepted without an answer")
    func inactivityTimeout() throws {
        try withFake { fake in
            let seen = try ScriptedWebSocketClient.run(
                url: url(fake, query: Self.query + "&inactivity_timeout=5"), headers: ["Authorization: k"],
                steps: [["wait": "Begin"], ["json": ["type": "KeepAlive"]], ["until_closed": 15]])
            #expect(seen.types == ["Begin"])
            #expect(seen.closeCode == 4031)
        }
    }

    @Test("the session ends at its length limit with Termination and close 3008")
    func sessionLimit() throws {
        try withFake(["--max-session-seconds", "0.5"]) { fake in
            let seen = try ScriptedWebSocketClient.run(
                url: url(fake), headers: ["Authorization: k"], steps: [["until_closed": 5]])
            #expect(seen.types == ["Begin", "Termination"])
            #expect(seen.closeCode == 3008)
        }
    }
}
