import Foundation
import HarkTestSupport
import Testing

/// `hark serve` end to end: the built hark and hark-serve, the Deepgram fake as the provider,
/// and either headless Chromium (a speech file as its microphone) or plain WebSocket clients,
/// driven by Tests/Browser/serve_harness.py, which reports what it saw as JSON.
@Suite("hark serve end to end", .serialized)
struct ServeEndToEndTests {
    static let sentences = [
        "The first sentence is short.", "Here comes the second one.", "A third sentence follows now.",
        "And this is the last.",
    ]

    /// The sentences spoken by espeak-ng, silence before, between and after (the Deepgram
    /// fake's energy detector ends an utterance after half a second of quiet), and a script of
    /// where each sentence is (for the OpenAI fake, which transcribes by time).
    static func speechWAV(in directory: URL) throws -> (path: String, script: String) {
        var pcm = Data()
        var script: [[String: Any]] = []
        func silence(_ seconds: Double) { pcm.append(Data(count: Int(seconds * 16000) * 2)) }
        silence(1.5)
        for sentence in sentences {
            let utterance = try SpeechCorpus.espeak(sentence)
            let start = Double(pcm.count / 2) / 16000
            for sample in utterance.samples {
                withUnsafeBytes(of: sample.littleEndian) { pcm.append(contentsOf: $0) }
            }
            script.append(["start": start, "end": Double(pcm.count / 2) / 16000, "text": sentence])
            silence(1.2)
        }
        silence(1.5)
        let path = directory.appendingPathComponent("speech.wav").path
        try DeepgramEndToEndTests.wav(pcm).write(to: URL(fileURLWithPath: path))
        let scriptPath = directory.appendingPathComponent("script.json").path
        try JSONSerialization.data(withJSONObject: script).write(to: URL(fileURLWithPath: scriptPath))
        return (path, scriptPath)
    }

    struct Report {
        let object: [String: Any]
        var error: String? { object["error"] as? String }
        var stdout: [String] { object["stdout"] as? [String] ?? [] }
        var stderr: String { (object["stderr"] as? [String] ?? []).joined(separator: "\n") }
        var exit: Int? { object["exit"] as? Int }
        var status: Int? { object["status"] as? Int }
        var close: Int? { object["close"] as? Int }
        var reason: String? { object["reason"] as? String }
        var summary: String { "\(error ?? "no error")\n--- hark stderr:\n\(stderr)" }

        /// The finals hark printed (`--format jsonl`), as text and input start time.
        var stdoutFinals: [(text: String, start: Double, end: Double)] {
            stdout.compactMap { line in
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    object["type"] as? String == "final", let text = object["text"] as? String, !text.isEmpty
                else { return nil }
                return (text, object["start"] as? Double ?? -1, object["end"] as? Double ?? -1)
            }
        }

        var pageFinals: [(text: String, start: Double, end: Double)] {
            let page = object["page"] as? [String: Any]
            return (page?["finals"] as? [[String: Any]] ?? []).map {
                ($0["text"] as? String ?? "", $0["start"] as? Double ?? -1, $0["end"] as? Double ?? -1)
            }
        }
    }

    struct Fixture {
        let fake: FakeServer
        let directory: URL
        let provider: String
        let keyVariable: String

        init(
            scenario: [String] = [], fake script: String = "deepgram.py", provider: String = "deepgram",
            keyVariable: String = "DEEPGRAM_API_KEY", arguments: [String] = [],
            directory: URL? = nil
        ) throws {
            self.directory = try directory ?? PackagePaths.temporaryDirectory("hark-serve-e2e")
            self.provider = provider
            self.keyVariable = keyVariable
            fake = try FakeServer(script: script, arguments: arguments + scenario.flatMap { ["--scenario", $0] })
        }

        /// Runs the harness; `serve` are `hark serve`'s own arguments.
        func harness(_ harness: [String], serve: [String] = [], timeout: Double = 400) throws -> Report {
            let script = PackagePaths.root.appendingPathComponent("Tests/Browser/serve_harness.py").path
            let result = try CommandRunner.run(
                PackagePaths.python,
                [script, "--hark", PackagePaths.harkBinary.path, "--env", "\(keyVariable)=test-key"] + harness
                    + [
                        "--", "--provider", provider, "--endpoint", fake.endpoint(), "--format", "jsonl",
                        "--listen", "127.0.0.1:0",
                    ] + serve,
                timeout: timeout)
            let line = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw HarnessFailure(output: result.stdout + result.stderr)
            }
            return Report(object: object)
        }

        func probe(_ name: String, _ extra: [String] = [], serve: [String] = []) throws -> Report {
            try harness(["--mode", "probe", "--probe", name] + extra, serve: serve)
        }
    }

    struct HarnessFailure: Error, CustomStringConvertible {
        var output: String
        var description: String { "the harness printed no report: \(output)" }
    }

    /// Each final once, in order of input time, none overlapping another.
    static func expectOnceInOrder(_ finals: [(text: String, start: Double, end: Double)], count: Int) {
        #expect(finals.count == count, "\(finals)")
        for (previous, next) in zip(finals, finals.dropFirst()) {
            #expect(next.start >= previous.end - 0.05, "overlapping or out of order: \(previous) then \(next)")
        }
    }

    // MARK: - In a real browser

    @Test("Chromium with a speech file as its microphone: every sentence once, in the page and on stdout")
    func browserShowsFinals() throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        let audio = try Self.speechWAV(in: fixture.directory).path
        let screenshot = fixture.directory.appendingPathComponent("serve-page.png").path
        let report = try fixture.harness([
            "--mode", "browser", "--audio", audio, "--expect-finals", String(Self.sentences.count),
            "--screenshot", screenshot,
        ])
        #expect(report.error == nil, "\(report.summary)")
        Self.expectOnceInOrder(report.pageFinals, count: Self.sentences.count)
        #expect(report.pageFinals.map(\.text) == report.stdoutFinals.map(\.text), "\(report.summary)")
        #expect(report.pageFinals.map(\.start) == report.stdoutFinals.map(\.start))
        let paragraphs = report.object["page_paragraphs"] as? [String] ?? []
        #expect(paragraphs == report.pageFinals.map(\.text))
        // The screenshot shows the transcript: a real PNG of some size, taken when the DOM held the finals.
        let png = try Data(contentsOf: URL(fileURLWithPath: screenshot))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 10000)
        let text = report.object["page_text"] as? String ?? ""
        for final in report.pageFinals { #expect(text.contains(final.text)) }
        #expect(report.exit == 0, "\(report.summary)")
        // The key never reaches the page, its messages or the logs.
        #expect(!text.contains("test-key"))
        #expect(!report.stderr.contains("test-key"))
        let opened = fixture.fake.recordedEvents().filter { $0["event"] as? String == "open" }
        #expect(opened.count == 1)
    }

    @Test("Chromium across a Deepgram connection reset mid-speech: nothing lost, nothing twice")
    func browserAcrossProviderReset() throws {
        // 16 kHz linear16: 32000 bytes a second; the drop comes about 4 s into the audio.
        let fixture = try Fixture(scenario: ["drop-after-bytes=128000"])
        defer { fixture.fake.stop() }
        let audio = try Self.speechWAV(in: fixture.directory).path
        let screenshot = fixture.directory.appendingPathComponent("serve-reset.png").path
        let report = try fixture.harness([
            "--mode", "browser", "--audio", audio, "--expect-finals", String(Self.sentences.count),
            "--screenshot", screenshot,
        ])
        #expect(report.error == nil, "\(report.summary)")
        Self.expectOnceInOrder(report.pageFinals, count: Self.sentences.count)
        Self.expectOnceInOrder(report.stdoutFinals, count: Self.sentences.count)
        #expect(report.pageFinals.map(\.start) == report.stdoutFinals.map(\.start))
        let events = fixture.fake.recordedEvents()
        #expect(events.contains { $0["event"] as? String == "drop" }, "the fake never dropped the connection")
        #expect(events.filter { $0["event"] as? String == "open" }.count >= 2)
        #expect(report.stdout.contains { $0.contains("\"status\":\"reconnecting\"") })
        // The outage showed in the page.
        let states = (report.object["page"] as? [String: Any])?["states"] as? [String] ?? []
        #expect(states.contains("provider reconnecting"), "\(states)")
    }

    @Test("Chromium: a page whose connection drops mid-sentence resumes its session, each final once")
    func browserPageReconnects() throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        let audio = try Self.speechWAV(in: fixture.directory).path
        let screenshot = fixture.directory.appendingPathComponent("serve-resume.png").path
        let report = try fixture.harness([
            "--mode", "browser", "--audio", audio, "--expect-finals", String(Self.sentences.count),
            "--screenshot", screenshot, "--drop-page",
        ])
        #expect(report.error == nil, "\(report.summary)")
        Self.expectOnceInOrder(report.pageFinals, count: Self.sentences.count)
        #expect(report.pageFinals.map(\.start) == report.stdoutFinals.map(\.start))
        // One provider session: the page came back to it.
        let opened = fixture.fake.recordedEvents().filter { $0["event"] as? String == "open" }
        #expect(opened.count == 1)
    }

    @Test("Chromium: a page offline for 16 s catches up under the rate limit, each final once")
    func browserPageOffline() throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        let audio = try Self.speechWAV(in: fixture.directory).path
        let screenshot = fixture.directory.appendingPathComponent("serve-offline.png").path
        let report = try fixture.harness([
            "--mode", "browser", "--audio", audio, "--expect-finals", String(Self.sentences.count),
            "--screenshot", screenshot, "--drop-page", "--offline-seconds", "16",
        ])
        #expect(report.error == nil, "\(report.summary)")
        Self.expectOnceInOrder(report.pageFinals, count: Self.sentences.count)
        #expect(report.pageFinals.map(\.start) == report.stdoutFinals.map(\.start))
        let page = report.object["page"] as? [String: Any]
        #expect((page?["close"] as? [String: Any])?["code"] as? Int == 1000, "\(report.summary)")
    }

    @Test("Chromium with the OpenAI fake: each sentence once, in order, in the page and on stdout")
    func browserOpenAI() throws {
        let directory = try PackagePaths.temporaryDirectory("hark-serve-e2e")
        let speech = try Self.speechWAV(in: directory)
        let fixture = try Fixture(
            fake: "openai.py", provider: "openai", keyVariable: "OPENAI_API_KEY",
            arguments: ["--script", speech.script],
            directory: directory)
        defer { fixture.fake.stop() }
        let screenshot = fixture.directory.appendingPathComponent("serve-openai.png").path
        // --no-vad: the fake places the script's words by the audio it received, and the gate
        // (on for live sources) would skip the silences the script's times count.
        let report = try fixture.harness(
            [
                "--mode", "browser", "--audio", speech.path, "--expect-finals", String(Self.sentences.count),
                "--screenshot", screenshot,
            ], serve: ["--no-vad"])
        #expect(report.error == nil, "\(report.summary)")
        #expect(report.pageFinals.map(\.text) == Self.sentences, "\(report.summary)")
        #expect(report.stdoutFinals.map(\.text) == Self.sentences, "\(report.summary)")
        #expect(report.exit == 0, "\(report.summary)")
    }

    // MARK: - Without a browser: the rules

    @Test("no token, or a wrong one: 401")
    func tokenRequired() throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        let missing = try fixture.probe("no-token")
        #expect(missing.status == 401, "\(missing.summary)")
        let wrong = try fixture.probe("wrong-token")
        #expect(wrong.status == 401, "\(wrong.summary)")
    }

    @Test("a WebSocket from another site's page (Origin), or without an Origin: 403")
    func originChecked() throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        let foreign = try fixture.probe("wrong-origin")
        #expect(foreign.status == 403, "\(foreign.summary)")
        let none = try fixture.probe("no-origin")
        #expect(none.status == 403, "\(none.summary)")
    }

    @Test("on loopback, a Host that is not loopback (DNS rebinding): 403")
    func hostChecked() throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        let report = try fixture.probe("wrong-host")
        #expect(report.status == 403, "\(report.summary)")
    }

    @Test("a message above --max-message-bytes closes with 1009")
    func oversizeMessage() throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        let report = try fixture.probe(
            "oversize", ["--oversize-bytes", "70000"], serve: ["--max-message-bytes", "65536"])
        #expect(report.close == 1009, "\(report.summary)")
    }

    @Test("a connection above --max-connections closes with 1013 and says why")
    func tooManyConnections() throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        let report = try fixture.probe("too-many", ["--connections", "2"], serve: ["--max-connections", "2"])
        #expect(report.close == 1013, "\(report.summary)")
        #expect(report.reason?.contains("too many connections") == true)
    }

    @Test("a burst above --max-message-rate closes with 1008 and says why")
    func messageRate() throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        let report = try fixture.probe("rate", ["--burst", "400"], serve: ["--max-message-rate", "20"])
        #expect(report.close == 1008, "\(report.summary)")
        #expect(report.reason?.contains("message rate") == true)
    }

    @Test("a session that reaches --max-session ends; the close (1008) says why")
    func sessionLength() throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        let report = try fixture.probe("session-limit", serve: ["--max-session", "1"])
        #expect(report.close == 1008, "\(report.summary)")
        #expect(report.reason?.contains("session length limit") == true)
    }

    @Test("Ctrl-C with a session open: its last words still reach the page and stdout, then hark exits 0")
    func interruptFinishesSessions() throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        let audio = try Self.speechWAV(in: fixture.directory).path
        let report = try fixture.probe("interrupt", ["--audio", audio])
        #expect(report.error == nil, "\(report.summary)")
        let events = report.object["events"] as? [[String: Any]] ?? []
        let finals = events.filter { $0["type"] as? String == "final" && !($0["text"] as? String ?? "").isEmpty }
        #expect(finals.count == Self.sentences.count, "\(events)")
        #expect(report.stdoutFinals.count == Self.sentences.count, "\(report.summary)")
        #expect(report.close == 1000, "\(report.summary)")
        #expect(report.exit == 0, "\(report.summary)")
    }

    @Test("a client that goes away mid-sentence and comes back resumes: every final once, nothing lost")
    func clientResumes() throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        let audio = try Self.speechWAV(in: fixture.directory).path
        let report = try fixture.probe("resume", ["--audio", audio])
        #expect(report.error == nil, "\(report.summary)")
        let events = report.object["events"] as? [[String: Any]] ?? []
        #expect(!events.contains { $0["duplicate_seq"] != nil })
        let finals = events.filter { $0["type"] as? String == "final" && !($0["text"] as? String ?? "").isEmpty }
            .map { ($0["text"] as? String ?? "", $0["start"] as? Double ?? -1, $0["end"] as? Double ?? -1) }
        Self.expectOnceInOrder(finals, count: Self.sentences.count)
        #expect(report.close == 1000, "\(report.summary)")
        #expect(finals.map(\.1) == report.stdoutFinals.map(\.start))
    }

    @Test("TLS with a test CA: the page and the WebSocket over https/wss, the token still required")
    func tls() throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        let authority = try TestCertificateAuthority()
        let tls = ["--tls-cert", authority.serverCertificate, "--tls-key", authority.serverKey]
        let page = try fixture.probe("page", ["--cafile", authority.caCertificate], serve: tls)
        #expect(page.status == 200, "\(page.summary)")
        #expect(page.object["body_has_start"] as? Bool == true)
        #expect(page.object["referrer_policy"] as? String == "no-referrer")
        let missing = try fixture.probe("no-token", ["--cafile", authority.caCertificate], serve: tls)
        #expect(missing.status == 401, "\(missing.summary)")
        let origin = try fixture.probe("wrong-origin", ["--cafile", authority.caCertificate], serve: tls)
        #expect(origin.status == 403, "\(origin.summary)")
    }

    @Test("listening beyond loopback without TLS is a usage error (64)")
    func nonLoopbackNeedsTLS() throws {
        let result = try CommandRunner.hark(["serve", "--listen", "0.0.0.0:0"], timeout: 60)
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains("--tls-cert"))
    }
}
