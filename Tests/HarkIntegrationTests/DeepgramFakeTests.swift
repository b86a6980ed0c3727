import Foundation
import HarkTestSupport
import Testing

@testable import Hark

/// Proves `Tests/Fakes/deepgram.py` speaks Deepgram's protocol (as documented by Deepgram), driven by
/// `Tests/Fakes/wsprobe.py` (hark's own WebSocket client is not used here), and that the
/// Deepgram adapter understands what the fake says.
@Suite("Deepgram fake server")
struct DeepgramFakeTests {
    /// Two utterances in the first five seconds of audio.
    static let script = """
        [{"start": 0.5, "end": 1.7, "text": "Hello world, this is hark."},
         {"start": 3.0, "end": 4.0, "text": "Second one."}]
        """

    static func startFake(_ scenarios: [String] = []) throws -> FakeServer {
        let directory = try PackagePaths.temporaryDirectory("hark-deepgram-script")
        let script = directory.appendingPathComponent("script.json")
        try Data(Self.script.utf8).write(to: script)
        return try FakeServer(
            script: "deepgram.py", arguments: ["--script", script.path] + scenarios.flatMap { ["--scenario", $0] })
    }

    static func adapter(_ fake: FakeServer, key: String = "test-key") throws -> DeepgramAdapter {
        try DeepgramAdapter(options: ProviderOptions(credential: key, endpoint: fake.endpoint()))
    }

    /// Runs the probe with a plan and returns its JSON Lines.
    static func probe(
        url: String, headers: [HTTPHeader], plan: [[String: Any]]? = nil, handshakeOnly: Bool = false
    ) throws -> [[String: Any]] {
        var arguments = [PackagePaths.fakes.appendingPathComponent("wsprobe.py").path, "--url", url]
        for header in headers { arguments += ["--header", "\(header.name): \(header.value)"] }
        if handshakeOnly { arguments.append("--handshake-only") }
        if let plan {
            let file = try PackagePaths.temporaryDirectory("hark-probe").appendingPathComponent("plan.json")
            try JSONSerialization.data(withJSONObject: plan).write(to: file)
            arguments += ["--plan", file.path]
        }
        let result = try CommandRunner.run(PackagePaths.python, arguments, timeout: 60)
        #expect(result.status == 0, "wsprobe failed: \(result.stderr)")
        return result.stdoutLines.compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// The text messages the server sent, in order.
    static func messages(_ lines: [[String: Any]]) -> [String] {
        lines.filter { $0["event"] as? String == "message" }.compactMap { $0["text"] as? String }
    }

    static func types(_ messages: [String]) -> [String] {
        messages.compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["type"] as? String
        }
    }

    static func closed(_ lines: [[String: Any]]) -> (code: Int?, reason: String?) {
        let line = lines.last { $0["event"] as? String == "closed" }
        return (line?["code"] as? Int, line?["reason"] as? String)
    }

    static func silence(_ seconds: Double) -> [String: Any] { ["silence": seconds, "chunk": 3200] }

    static func text(_ message: WireMessage) -> [String: Any] {
        guard case .text(let text) = message else { return [:] }
        return ["text": text]
    }

    @Test("a wrong key gets Deepgram's 401 with its JSON body and headers, and the adapter explains it")
    func wrongKeyRejected() throws {
        let fake = try Self.startFake()
        defer { fake.stop() }
        let request = try Self.adapter(fake, key: "wrong-key").connectionRequest()
        let lines = try Self.probe(url: request.url, headers: request.headers, handshakeOnly: true)
        let response = try #require(lines.first)
        #expect(response["status"] as? Int == 401)
        let headers = (response["headers"] as? [[String]] ?? []).map { HTTPHeader($0[0], $0[1]) }
        let requestID = try #require(headers[header: "dg-request-id"])
        #expect(headers[header: "dg-error"] == "Invalid credentials.")
        let body = try #require(response["body"] as? String)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        #expect(json["err_code"] as? String == "INVALID_AUTH")
        #expect(json["request_id"] as? String == requestID)

        let error = try Self.adapter(fake, key: "wrong-key")
            .error(for: .handshakeRejected(status: 401, headers: headers, body: body))
        guard case .authenticationFailed(_, let hint) = error else {
            Issue.record("expected authenticationFailed, got \(error)")
            return
        }
        #expect(hint.contains(requestID))
        #expect(hint.contains("DEEPGRAM_API_KEY"))
    }

    @Test("a capitalised boolean is refused at the upgrade with 400")
    func capitalisedBooleanRejected() throws {
        let fake = try Self.startFake()
        defer { fake.stop() }
        let request = try Self.adapter(fake).connectionRequest()
        let lines = try Self.probe(
            url: request.url + "&diarize=False", headers: request.headers, handshakeOnly: true)
        #expect(lines.first?["status"] as? Int == 400)
        #expect((lines.first?["body"] as? String)?.contains("diarize") == true)
    }

    @Test("the adapter's own request is accepted and the script's words come back once each, in order")
    func scriptTranscriptThroughAdapter() throws {
        let fake = try Self.startFake()
        defer { fake.stop() }
        let adapter = try Self.adapter(fake)
        let request = try adapter.connectionRequest()
        let lines = try Self.probe(
            url: request.url, headers: request.headers,
            plan: [Self.silence(6)] + adapter.finishMessages().map(Self.text) + [["wait_close": 10]])
        #expect(lines.first?["event"] as? String == "open")
        let messages = Self.messages(lines)
        var decoder = adapter.makeDecoder()
        var events: [TranscriptEvent] = []
        for message in messages { events += try decoder.decode(.text(message)) }
        let finals = events.compactMap { if case .final(let segment) = $0 { segment.text } else { nil } }
        #expect(finals == ["Hello world, this is hark.", "Second one."])
        let ends = events.compactMap { if case .utteranceEnd(let at) = $0 { at } else { nil } }
        #expect(ends == [1.7, 4.0])
        #expect(events.contains(.speechStarted(at: 3.0)))
        #expect(
            events.contains { if case .interim(let segment) = $0 { segment.text == "Hello world," } else { false } })
        #expect(decoder.isFinished)
        #expect(Self.types(messages).last == "Metadata")
        #expect(Self.closed(lines).code == 1000)
        // 6 s of 16 kHz 16-bit mono, as recorded by the fake.
        #expect(fake.recorded("audio.bin").count == 192_000)
        let opened = try #require(fake.recordedEvents().first { $0["event"] as? String == "open" })
        #expect(opened["path"] as? String == "/v1/listen")
    }

    @Test("Finalize flushes the words heard so far as from_finalize finals; CloseStream ends with Metadata and 1000")
    func finalizeThenCloseStream() throws {
        let fake = try Self.startFake()
        defer { fake.stop() }
        let request = try Self.adapter(fake).connectionRequest()
        let lines = try Self.probe(
            url: request.url, headers: request.headers,
            plan: [
                Self.silence(1.2), ["text": #"{"type":"Finalize"}"#], Self.silence(0.6),
                ["text": #"{"type":"CloseStream"}"#], ["wait_close": 10],
            ])
        let results = Self.messages(lines).compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let flushed = results.filter { $0["from_finalize"] as? Bool == true }
        #expect(flushed.count == 1)
        let alternative = ((flushed.first?["channel"] as? [String: Any])?["alternatives"] as? [[String: Any]])?.first
        #expect(alternative?["transcript"] as? String == "Hello world, this")
        #expect(flushed.first?["is_final"] as? Bool == true)
        let finals = results.filter { $0["is_final"] as? Bool == true }.compactMap {
            (($0["channel"] as? [String: Any])?["alternatives"] as? [[String: Any]])?.first?["transcript"] as? String
        }
        #expect(finals == ["Hello world, this", "is hark."])
        #expect(results.last?["type"] as? String == "Metadata")
        #expect(Self.closed(lines).code == 1000)
    }

    @Test("without audio or KeepAlive the fake sends Metadata and closes 1011 NET-0001")
    func idleTimeout() throws {
        let fake = try Self.startFake(["no-audio-timeout=1"])
        defer { fake.stop() }
        let adapter = try Self.adapter(fake)
        let request = try adapter.connectionRequest()
        let lines = try Self.probe(url: request.url, headers: request.headers, plan: [["wait_close": 10]])
        #expect(Self.types(Self.messages(lines)) == ["Metadata"])
        let closed = Self.closed(lines)
        #expect(closed.code == 1011)
        #expect(closed.reason?.contains("https://dpgr.am/net0001") == true)
        let error = adapter.error(for: .closed(code: closed.code ?? 0, reason: closed.reason ?? ""))
        guard case .serverError(_, let hint) = error else {
            Issue.record("expected serverError, got \(error)")
            return
        }
        #expect(hint.contains("no audio or KeepAlive"))
    }

    @Test("an unknown control message gets a SchemaError and the stream stays open")
    func unknownControlMessage() throws {
        let fake = try Self.startFake()
        defer { fake.stop() }
        let request = try Self.adapter(fake).connectionRequest()
        let lines = try Self.probe(
            url: request.url, headers: request.headers,
            plan: [
                ["text": #"{ "type": "KeepAlive "}"#], ["text": #"{"type":"KeepAlive"}"#],
                ["text": #"{"type":"CloseStream"}"#], ["wait_close": 10],
            ])
        let messages = Self.messages(lines)
        #expect(Self.types(messages) == ["Error", "Metadata"])
        #expect(messages.first?.contains("unknown variant `KeepAlive `") == true)
        #expect(Self.closed(lines).code == 1000)
    }

    @Test("reject-429 for the first attempt only gives Retry-After, which the adapter passes on; the next is accepted")
    func rateLimitedOnce() throws {
        let fake = try Self.startFake(["reject-429", "reject-times=1", "retry-after=7"])
        defer { fake.stop() }
        let adapter = try Self.adapter(fake)
        let request = try adapter.connectionRequest()
        let first = try #require(try Self.probe(url: request.url, headers: request.headers, handshakeOnly: true).first)
        #expect(first["status"] as? Int == 429)
        let headers = (first["headers"] as? [[String]] ?? []).map { HTTPHeader($0[0], $0[1]) }
        let error = adapter.error(
            for: .handshakeRejected(status: 429, headers: headers, body: first["body"] as? String ?? ""))
        #expect(error == .rateLimited(provider: "Deepgram", retryAfter: 7, hint: Self.hint(of: error)))
        let second = try Self.probe(url: request.url, headers: request.headers, handshakeOnly: true)
        #expect(second.first?["status"] as? Int == 101)
    }

    @Test("drop-after-bytes breaks the first stream without a close frame and leaves the next one alone")
    func dropFirstStreamOnly() throws {
        let fake = try Self.startFake(["drop-after-bytes=32000"])
        defer { fake.stop() }
        let request = try Self.adapter(fake).connectionRequest()
        let plan: [[String: Any]] = [Self.silence(2), ["text": #"{"type":"CloseStream"}"#], ["wait_close": 10]]
        let dropped = try Self.probe(url: request.url, headers: request.headers, plan: plan)
        #expect(Self.closed(dropped).code == 1006)
        #expect(!Self.types(Self.messages(dropped)).contains("Metadata"))
        let next = try Self.probe(url: request.url, headers: request.headers, plan: plan)
        #expect(Self.closed(next).code == 1000)
        #expect(Self.types(Self.messages(next)).last == "Metadata")
        #expect(fake.recordedEvents().contains { $0["event"] as? String == "drop" && $0["conn"] as? Int == 1 })
    }

    /// 16 kHz 16-bit mono: `silence` s of zeros, `tone` s of a 440 Hz sine at a third of full scale, `silence` again.
    static func toneBetweenSilences(silence: Double, tone: Double) -> Data {
        let rate = 16000.0
        var samples = [Int16](repeating: 0, count: Int(silence * rate))
        samples += (0..<Int(tone * rate)).map { Int16(10_000 * sin(2 * Double.pi * 440 * Double($0) / rate)) }
        samples += [Int16](repeating: 0, count: Int(silence * rate))
        return samples.withUnsafeBufferPointer { Data(buffer: $0) }
    }

    @Test("without a script the energy detector reports a tone as 'utterance 1' at the tone's times")
    func energyDetectorWithoutScript() throws {
        let fake = try FakeServer(script: "deepgram.py")
        defer { fake.stop() }
        let adapter = try Self.adapter(fake)
        let request = try adapter.connectionRequest()
        let audio = try PackagePaths.temporaryDirectory("hark-tone").appendingPathComponent("tone.raw")
        try Self.toneBetweenSilences(silence: 1, tone: 1.5).write(to: audio)
        let lines = try Self.probe(
            url: request.url, headers: request.headers,
            plan: [["audio": audio.path, "chunk": 3200]] + adapter.finishMessages().map(Self.text) + [
                ["wait_close": 10]
            ])
        var decoder = adapter.makeDecoder()
        var events: [TranscriptEvent] = []
        for message in Self.messages(lines) { events += try decoder.decode(.text(message)) }
        let finals = events.compactMap { if case .final(let segment) = $0 { segment } else { nil } }
        #expect(finals.map(\.text) == ["utterance 1"])
        #expect(finals.first?.start == 1.0)
        #expect(finals.first?.end == 2.5)
        #expect(events.contains(.speechStarted(at: 1.0)))
        #expect(decoder.isFinished)
    }

    @Test("Ogg Opus without an encoding parameter is timed from its pages; other bytes close 1008 DATA-0000")
    func oggOpusTimedAndGarbageRejected() throws {
        let fake = try Self.startFake()
        defer { fake.stop() }
        let adapter = try DeepgramAdapter(
            options: ProviderOptions(credential: "test-key", endpoint: fake.endpoint(), encoding: .opus))
        let request = try adapter.connectionRequest()
        let directory = try PackagePaths.temporaryDirectory("hark-ogg")
        let wav = directory.appendingPathComponent("speechless.wav")
        let ogg = directory.appendingPathComponent("speechless.ogg")
        // A WAV header in front of 2.5 s of silence, encoded by opus-tools like hark's Ogg pages.
        let pcm = Data(count: 80_000)
        var header = Data("RIFF".utf8)
        func append<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.littleEndian) { header.append(contentsOf: $0) }
        }
        append(UInt32(36 + pcm.count))
        header.append(contentsOf: Array("WAVEfmt ".utf8))
        append(UInt32(16))
        append(UInt16(1))
        append(UInt16(1))
        append(UInt32(16000))
        append(UInt32(32000))
        append(UInt16(2))
        append(UInt16(16))
        header.append(contentsOf: Array("data".utf8))
        append(UInt32(pcm.count))
        try (header + pcm).write(to: wav)
        let encoded = try CommandRunner.run("/usr/bin/opusenc", ["--quiet", wav.path, ogg.path])
        #expect(encoded.status == 0, "opusenc failed: \(encoded.stderr)")
        let lines = try Self.probe(
            url: request.url, headers: request.headers,
            plan: [["audio": ogg.path, "chunk": 1000]] + adapter.finishMessages().map(Self.text) + [
                ["wait_close": 10]
            ])
        var decoder = adapter.makeDecoder()
        var finals: [String] = []
        for message in Self.messages(lines) {
            for case .final(let segment) in try decoder.decode(.text(message)) { finals.append(segment.text) }
        }
        #expect(finals == ["Hello world, this is hark."])
        #expect(Self.closed(lines).code == 1000)

        let garbage = try Self.probe(
            url: request.url, headers: request.headers, plan: [["binary_hex": "00010203"], ["wait_close": 10]])
        #expect(Self.closed(garbage).code == 1008)
        #expect(Self.closed(garbage).reason?.contains("DATA-0000") == true)
    }

    static func hint(of error: ProviderError) -> String {
        if case .rateLimited(_, _, let hint) = error { hint } else { "" }
    }
}
