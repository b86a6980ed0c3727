import Foundation
import HarkTestSupport
import Testing

/// The built `hark` binary against the Deepgram Flux fake (`deepgram_flux.py`): one line per
/// turn, times from the turns' audio windows, Flux's own parameters, and what Flux refuses.
@Suite("hark end to end: Deepgram Flux", .serialized)
struct DeepgramFluxEndToEndTests {
    /// The last turn ends 0.2 s before the audio does, less than the fake's 0.3 s end-of-turn
    /// delay: its words reach hark only as the `Update` Flux sends after `CloseStream`.
    static let script = """
        [{"start": 0.5, "end": 1.9, "text": "Hello from hark."},
         {"start": 2.6, "end": 4.1, "text": "The second sentence arrives."},
         {"start": 5.0, "end": 5.8, "text": "Goodbye."}]
        """
    static let seconds = 6.0
    static let expectedLines = ["Hello from hark.", "The second sentence arrives.", "Goodbye."]

    struct Fixture {
        let fake: FakeServer
        let directory: URL
        let wavPath: String
        let pcm: Data

        init(scenario: [String] = []) throws {
            directory = try PackagePaths.temporaryDirectory("hark-flux")
            let scriptURL = directory.appendingPathComponent("script.json")
            try DeepgramFluxEndToEndTests.script.write(to: scriptURL, atomically: true, encoding: .utf8)
            fake = try FakeServer(
                script: "deepgram_flux.py",
                arguments: ["--script", scriptURL.path] + scenario.flatMap { ["--scenario", $0] })
            pcm = DeepgramEndToEndTests.pcm(seconds: DeepgramFluxEndToEndTests.seconds)
            wavPath = directory.appendingPathComponent("speech.wav").path
            try DeepgramEndToEndTests.wav(pcm).write(to: URL(fileURLWithPath: wavPath))
        }

        func hark(_ arguments: [String], model: String = "flux-general-en") throws -> CommandResult {
            try CommandRunner.hark(
                ["--provider", "deepgram", "--model", model, "--endpoint", fake.endpoint(), "--speed", "max"]
                    + arguments,
                environment: ["DEEPGRAM_API_KEY": "test-key"])
        }

        var opened: [[String: Any]] { fake.recordedEvents().filter { $0["event"] as? String == "opened" } }

        /// The query of the first accepted upgrade, as pairs.
        var query: [(String, String)] {
            (opened.first?["query"] as? [[String]] ?? []).map { ($0[0], $0[1]) }
        }
    }

    static func objects(_ result: CommandResult) throws -> [[String: Any]] {
        try result.stdoutLines.map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    @Test("--model flux-general-en prints each turn once, the last one from the Update after CloseStream")
    func textOncePerTurn() throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        let result = try fixture.hark([fixture.wavPath])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutLines == Self.expectedLines, "\(result.stderr)")
        let events = fixture.fake.recordedEvents()
        #expect(fixture.opened.first?["path"] as? String == "/v2/listen")
        #expect(fixture.query.map(\.0) == ["model", "encoding", "sample_rate"])
        // Every sample arrived, in 80 ms messages (2560 bytes at 16 kHz linear16).
        #expect(fixture.fake.recorded("audio-1.bin") == fixture.pcm)
        let sizes = events.filter { $0["event"] as? String == "binary" }.compactMap { $0["bytes"] as? Int }
        #expect(sizes.dropLast().allSatisfy { $0 == 2560 }, "\(sizes.prefix(5))")
        let texts = events.filter { $0["event"] as? String == "text" }.compactMap { $0["message"] as? String }
        #expect(texts == [#"{"type":"CloseStream"}"#])
        #expect(events.contains { $0["event"] as? String == "close" && $0["code"] as? Int == 1005 })
    }

    @Test("jsonl finals take their start and end from the turns' audio windows, with no word times")
    func jsonlTimes() throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        let result = try fixture.hark(["--format", "jsonl", fixture.wavPath])
        #expect(result.status == 0, "\(result.stderr)")
        let finals = try Self.objects(result).filter { $0["type"] as? String == "final" }
        #expect(finals.map { $0["text"] as? String } == Self.expectedLines)
        let starts = finals.compactMap { $0["start"] as? Double }
        let ends = finals.compactMap { $0["end"] as? Double }
        // Windows: 0.5-2.2 and 2.6-4.4 (EndOfTurn 0.3 s after the words), 5.0-6.0 (the close).
        #expect(zip(starts, [0.5, 2.6, 5.0]).allSatisfy { abs($0 - $1) < 0.02 }, "\(starts)")
        #expect(zip(ends, [2.2, 4.4, 6.0]).allSatisfy { abs($0 - $1) < 0.02 }, "\(ends)")
        #expect(finals.allSatisfy { ($0["words"] as? [Any])?.isEmpty == true })
    }

    @Test("srt cues fall back to the audio windows")
    func srtFromWindows() throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        let result = try fixture.hark(["--format", "srt", fixture.wavPath])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("00:00:00,500 --> 00:00:02,200\nHello from hark."), "\(result.stdout)")
        #expect(result.stdout.contains("00:00:02,600 --> 00:00:04,400\nThe second sentence arrives."))
        #expect(result.stdout.contains("00:00:05,000 --> 00:00:06,000\nGoodbye."))
    }

    @Test("flux-general-multi sends language hints and jsonl carries the detected languages")
    func multilingual() throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        let result = try fixture.hark(
            ["--format", "jsonl", "--language", "es", "--param", "eot_threshold=0.8", fixture.wavPath],
            model: "flux-general-multi")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(fixture.query.contains { $0 == ("language_hint", "es") })
        #expect(fixture.query.contains { $0 == ("eot_threshold", "0.8") })
        let finals = try Self.objects(result).filter { $0["type"] as? String == "final" }
        #expect(finals.count == 3)
        #expect(finals.allSatisfy { $0["languages"] as? [String] == ["es"] })
    }

    @Test("--keyterm and the configuration's keyterms reach Flux as repeated keyterm parameters")
    func keyterms() throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        let result = try fixture.hark(["--keyterm", "hark", "--keyterm", "Pipe Wire", fixture.wavPath])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(fixture.query.filter { $0.0 == "keyterm" }.map(\.1) == ["hark", "Pipe Wire"])

        let config = fixture.directory.appendingPathComponent("config.json")
        try #"{"keyterms": ["ALSA", "hark"]}"#.write(to: config, atomically: true, encoding: .utf8)
        let fromFile = try fixture.hark(["--config", config.path, fixture.wavPath])
        #expect(fromFile.status == 0, "\(fromFile.stderr)")
        let second = fixture.opened.dropFirst().first?["query"] as? [[String]] ?? []
        #expect(second.filter { $0[0] == "keyterm" }.map { $0[1] } == ["ALSA", "hark"])
    }

    @Test(
        "diarization, stereo and Nova-only parameters are refused for Flux before connecting, exit 64",
        arguments: [["--param", "diarize=true"], ["--param", "multichannel=true"], ["--param", "channels=2"]])
    func refusals(arguments: [String]) throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        let result = try fixture.hark(arguments + [fixture.wavPath])
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains("Flux") || result.stderr.contains("mono"), "\(result.stderr)")
        #expect(fixture.fake.recordedEvents().isEmpty)
    }

    @Test("a Flux Error frame is reported with its description")
    func fatalError() throws {
        let fixture = try Fixture(scenario: ["error-after=1.0", "drop-every"])
        defer { fixture.fake.stop() }
        let directory = try PackagePaths.temporaryDirectory("hark-flux-error")
        let config = directory.appendingPathComponent("config.json")
        try #"{"retry_base": 0.05, "retry_cap": 0.1, "retry_attempts": 1}"#.write(
            to: config, atomically: true, encoding: .utf8)
        let result = try fixture.hark(["--config", config.path, fixture.wavPath])
        #expect(result.status != 0)
        #expect(result.stderr.contains("The server encountered an internal error."), "\(result.stderr)")
    }
}

/// Faults between hark and Flux, played by its fake on position-marked audio: every turn comes
/// out exactly once and in order, and every 10 ms of input reached a server at least once.
@Suite("hark end to end: Deepgram Flux faults", .serialized)
struct DeepgramFluxFaultTests {
    static let harness = ProviderFaultHarness(
        fake: "deepgram_flux.py", provider: "deepgram", keyVariable: "DEEPGRAM_API_KEY", sampleRate: 16000)
    static func config(_ extra: String = "") -> String {
        #"{"retry_base": 0.05, "retry_cap": 0.2, "providers": {"deepgram": {"model": "flux-general-en"}}\#(extra)}"#
    }

    @Test("Flux dropping TCP mid-turn: hark reconnects, replays, and loses and repeats nothing")
    func dropMidTurn() throws {
        // 4.2 s in: the middle of sentence 2 (3.3-4.9 s).
        let run = try Self.harness.run(seconds: 12, scenarios: ["drop-after-bytes=134400"], config: Self.config())
        run.reportFigures("flux drop")
        #expect(run.result.status == 0, "\(run.diagnosis)")
        #expect(run.result.stdoutLines == run.sentences, "\(run.diagnosis)")
        #expect(run.connections == 2, "\(run.diagnosis)")
        #expect(run.missingFrames.isEmpty, "\(run.diagnosis)")
    }

    @Test("Flux closing with 1011 is retried and the transcript is complete")
    func close1011() throws {
        let run = try Self.harness.run(seconds: 12, scenarios: ["close-1011-after=5.1"], config: Self.config())
        #expect(run.result.status == 0, "\(run.diagnosis)")
        #expect(run.result.stdoutLines == run.sentences, "\(run.diagnosis)")
        #expect(run.connections == 2, "\(run.diagnosis)")
        #expect(run.missingFrames.isEmpty, "\(run.diagnosis)")
    }

    @Test("a close without status before hark asked to finish is a fault: reconnect and replay")
    func earlyCloseWithoutStatus() throws {
        let run = try Self.harness.run(
            seconds: 12, scenarios: ["close-without-status-early=4.0"], config: Self.config())
        #expect(run.result.status == 0, "\(run.diagnosis)")
        #expect(run.result.stdoutLines == run.sentences, "\(run.diagnosis)")
        #expect(run.connections == 2, "\(run.diagnosis)")
        #expect(run.missingFrames.isEmpty, "\(run.diagnosis)")
    }

    @Test("a Flux Error mid-stream is retried like a server failure and the transcript is complete")
    func errorMidStream() throws {
        let run = try Self.harness.run(seconds: 12, scenarios: ["error-after=4.4"], config: Self.config())
        #expect(run.result.status == 0, "\(run.diagnosis)")
        #expect(run.result.stdoutLines == run.sentences, "\(run.diagnosis)")
        #expect(run.connections == 2, "\(run.diagnosis)")
        #expect(run.missingFrames.isEmpty, "\(run.diagnosis)")
    }

    @Test("two 503 answers at the upgrade are retried, then the stream succeeds")
    func serviceUnavailableTwice() throws {
        let run = try Self.harness.run(
            seconds: 6, scenarios: ["reject-503", "reject-times=2"], config: Self.config())
        #expect(run.result.status == 0, "\(run.diagnosis)")
        #expect(run.result.stdoutLines == run.sentences, "\(run.diagnosis)")
        #expect(run.rejections == 2, "\(run.diagnosis)")
        #expect(run.missingFrames.isEmpty, "\(run.diagnosis)")
    }

    @Test("a 429 with Retry-After is honoured before the next attempt")
    func rateLimited() throws {
        let run = try Self.harness.run(
            seconds: 6, scenarios: ["reject-429", "reject-times=1", "retry-after=1"], config: Self.config())
        #expect(run.result.status == 0, "\(run.diagnosis)")
        #expect(run.result.stdoutLines == run.sentences, "\(run.diagnosis)")
        #expect(run.result.stderr.contains("retrying in 1.0 s"), "\(run.diagnosis)")
        let gap = try #require(run.upgradeGaps.first)
        #expect(gap >= 1, "\(run.diagnosis)")
    }

    @Test("a Flux server that answers nothing is given up on after the attempts allowed, exit 69")
    func silentServer() throws {
        let run = try Self.harness.run(
            seconds: 6, scenarios: ["silent"],
            config: Self.config(
                #", "retry_attempts": 2, "server_silence_timeout": 1, "finish_timeout": 1"#))
        #expect(run.result.status == 69, "\(run.diagnosis)")
        #expect(run.result.stderr.contains("sent nothing"), "\(run.diagnosis)")
        #expect(run.connections == 3, "\(run.diagnosis)")
    }

    @Test("session_limit: hark rotates Flux sessions without loss or repeats")
    func rotation() throws {
        let run = try Self.harness.run(seconds: 12, config: Self.config(#", "session_limit": 3"#), speed: "1")
        run.reportFigures("flux rotation")
        #expect(run.result.status == 0, "\(run.diagnosis)")
        #expect(run.result.stdoutLines == run.sentences, "\(run.diagnosis)")
        #expect(run.connections >= 3, "\(run.diagnosis)")
        #expect(run.missingFrames.isEmpty, "\(run.diagnosis)")
    }

    @Test("two minutes with a drop every 20 s end with the same transcript as without drops")
    func repeatedDrops() throws {
        let run = try Self.harness.run(
            seconds: 120, scenarios: ["drop-after-bytes=640000", "drop-every"],
            config: Self.config(#", "retry_attempts": 3"#))
        run.reportFigures("flux drops")
        #expect(run.result.status == 0, "\(run.diagnosis)")
        #expect(run.result.stdoutLines == run.sentences, "\(run.result.stdoutLines.count) lines")
        #expect(run.connections >= 6, "\(run.diagnosis)")
        #expect(run.missingFrames.isEmpty, "\(run.diagnosis)")
    }
}
