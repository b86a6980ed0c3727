import Foundation
import HarkTestSupport
import Testing

/// The built `hark` binary against the Deepgram fake: inputs, formats, each final once, errors.
@Suite("hark end to end: Deepgram", .serialized)
struct DeepgramEndToEndTests {
    static let script = """
        [{"start": 0.5, "end": 1.9, "text": "Hello from hark."},
         {"start": 2.6, "end": 4.1, "text": "The second sentence arrives."},
         {"start": 5.0, "end": 5.8, "text": "Goodbye."}]
        """

    /// 6.5 s of 16 kHz mono s16le audio (a quiet tone: the fake transcribes by time, not sound),
    /// with sample values that make any dropped, repeated or reordered sample visible.
    static func pcm(seconds: Double = 6.5, rate: Int = 16000) -> Data {
        let count = Int(seconds * Double(rate))
        var data = Data(capacity: count * 2)
        for index in 0..<count {
            let value = Int16(truncatingIfNeeded: (index % 9973) - 4986)
            withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) }
        }
        return data
    }

    static func wav(_ pcm: Data, rate: Int = 16000, channels: Int = 1) -> Data {
        var data = Data("RIFF".utf8)
        func u32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { data.append(contentsOf: $0) } }
        func u16(_ v: Int) { withUnsafeBytes(of: UInt16(v).littleEndian) { data.append(contentsOf: $0) } }
        u32(36 + pcm.count)
        data.append(contentsOf: Array("WAVEfmt ".utf8))
        u32(16)
        u16(1)
        u16(channels)
        u32(rate)
        u32(rate * channels * 2)
        u16(channels * 2)
        u16(16)
        data.append(contentsOf: Array("data".utf8))
        u32(pcm.count)
        data.append(pcm)
        return data
    }

    struct Fixture {
        let fake: FakeServer
        let directory: URL
        let wavPath: String
        let rawPath: String
        let pcm: Data

        init(scenario: [String] = []) throws {
            directory = try PackagePaths.temporaryDirectory("hark-e2e")
            let scriptURL = directory.appendingPathComponent("script.json")
            try DeepgramEndToEndTests.script.write(to: scriptURL, atomically: true, encoding: .utf8)
            fake = try FakeServer(
                script: "deepgram.py",
                arguments: ["--script", scriptURL.path] + scenario.flatMap { ["--scenario", $0] })
            pcm = DeepgramEndToEndTests.pcm()
            wavPath = directory.appendingPathComponent("speech.wav").path
            rawPath = directory.appendingPathComponent("speech.raw").path
            try DeepgramEndToEndTests.wav(pcm).write(to: URL(fileURLWithPath: wavPath))
            try pcm.write(to: URL(fileURLWithPath: rawPath))
        }

        func hark(_ arguments: [String], key: String? = "test-key", stdin: Data? = nil) throws -> CommandResult {
            var environment: [String: String] = [:]
            if let key { environment["DEEPGRAM_API_KEY"] = key }
            return try CommandRunner.hark(
                ["--provider", "deepgram", "--endpoint", fake.endpoint()] + arguments, environment: environment,
                stdin: stdin)
        }
    }

    static let expectedLines = ["Hello from hark.", "The second sentence arrives.", "Goodbye."]

    @Test("a WAV file streamed at --speed max prints each final once, in order, and the fake gets every sample")
    func wavAtMaxSpeed() throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        let result = try fixture.hark(["--speed", "max", fixture.wavPath])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutLines == Self.expectedLines, "\(result.stderr)")
        #expect(fixture.fake.recorded("audio.bin") == fixture.pcm)
        let opened = fixture.fake.recordedEvents().filter { $0["event"] as? String == "open" }
        #expect(opened.count == 1)
    }

    @Test("a raw PCM file with --rate is streamed paced and transcribed")
    func rawFile() throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        let result = try fixture.hark(["--rate", "16000", "--speed", "8", fixture.rawPath])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutLines == Self.expectedLines)
        #expect(fixture.fake.recorded("audio.bin") == fixture.pcm)
    }

    @Test("standard input, WAV or raw, is transcribed")
    func standardInput() throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        let wav = try fixture.hark(["--speed", "max", "-"], stdin: Self.wav(fixture.pcm))
        #expect(wav.status == 0, "\(wav.stderr)")
        #expect(wav.stdoutLines == Self.expectedLines)
        let raw = try fixture.hark(["--speed", "max", "--rate", "16000", "-"], stdin: fixture.pcm)
        #expect(raw.status == 0, "\(raw.stderr)")
        #expect(raw.stdoutLines == Self.expectedLines)
    }

    @Test("--format jsonl gives one parseable object per line with finals on the input timeline")
    func jsonLines() throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        let result = try fixture.hark(["--speed", "max", "--format", "jsonl", fixture.wavPath])
        #expect(result.status == 0, "\(result.stderr)")
        let objects = try result.stdoutLines.map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let finals = objects.filter { $0["type"] as? String == "final" }
        #expect(finals.map { $0["text"] as? String } == Self.expectedLines)
        let starts = finals.compactMap { $0["start"] as? Double }
        #expect(starts.count == 3)
        #expect(abs(starts[0] - 0.5) < 0.02 && abs(starts[1] - 2.6) < 0.02 && abs(starts[2] - 5.0) < 0.02)
        #expect(objects.allSatisfy { $0["schema"] as? Int == 1 })
    }

    @Test("Nova-3: --keyterm reaches the fake as keyterm parameters; --language multi puts languages in jsonl")
    func keytermsAndMultilingual() throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        let result = try fixture.hark(
            [
                "--speed", "max", "--format", "jsonl", "--language", "multi", "--param", "language_hint=es",
                "--keyterm", "hark", "--keyterm", "Pipe Wire", fixture.wavPath,
            ])
        #expect(result.status == 0, "\(result.stderr)")
        let opened = try #require(fixture.fake.recordedEvents().first { $0["event"] as? String == "open" })
        let query = (opened["query"] as? [[String]] ?? []).map { ($0[0], $0[1]) }
        #expect(query.filter { $0.0 == "keyterm" }.map(\.1) == ["hark", "Pipe Wire"], "\(query)")
        #expect(query.contains { $0 == ("language", "multi") } && query.contains { $0 == ("language_hint", "es") })
        let finals = result.stdoutLines.compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.filter { $0["type"] as? String == "final" }
        #expect(finals.map { $0["text"] as? String } == Self.expectedLines)
        #expect(finals.allSatisfy { $0["languages"] as? [String] == ["es"] })
    }

    @Test("keyterms over Deepgram's 500-token limit, or on a model without keyterms, are refused before connecting")
    func keytermRefusals() throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        let many = (0..<260).flatMap { ["--keyterm", "term\($0)x"] }
        let overLimit = try fixture.hark(many + [fixture.wavPath])
        #expect(overLimit.status == 64, "\(overLimit.stderr)")
        #expect(overLimit.stderr.contains("500"), "\(overLimit.stderr)")
        let olderModel = try fixture.hark(["--model", "nova-2", "--keyterm", "hark", fixture.wavPath])
        #expect(olderModel.status == 64, "\(olderModel.stderr)")
        #expect(olderModel.stderr.contains("keywords"), "\(olderModel.stderr)")
        #expect(fixture.fake.recordedEvents().isEmpty)
    }

    @Test("the local provider refuses --keyterm with the reason")
    func localRefusesKeyterms() throws {
        let result = try CommandRunner.hark(["--provider", "local", "--keyterm", "hark", "x.wav"])
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains("keyterm"), "\(result.stderr)")
    }

    @Test("a rejected key says so, names DEEPGRAM_API_KEY, and exits 77 without retrying")
    func badKey() throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        let result = try fixture.hark(["--speed", "max", fixture.wavPath], key: "wrong-key")
        #expect(result.status == 77)
        #expect(result.stderr.contains("DEEPGRAM_API_KEY"))
        #expect(!result.stderr.contains("wrong-key"))
        let opened = fixture.fake.recordedEvents().filter { ($0["event"] as? String) == "reject" }
        #expect(opened.count == 1)
    }

    @Test("a missing key names the variable to set and exits 78")
    func missingKey() throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        let result = try fixture.hark([fixture.wavPath], key: nil)
        #expect(result.status == 78)
        #expect(result.stderr.contains("DEEPGRAM_API_KEY"))
    }

    @Test("an unknown provider is a usage error listing the providers")
    func unknownProvider() throws {
        let result = try CommandRunner.hark(["--provider", "nope", "x.wav"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("deepgram"))
    }

    @Test("a malformed configuration file names file, line and column and exits 78")
    func malformedConfig() throws {
        let directory = try PackagePaths.temporaryDirectory()
        let path = directory.appendingPathComponent("config.json").path
        try "{\n  \"provider\": \"deepgram\",\n  \"speed\" 2\n}\n".write(
            toFile: path, atomically: true, encoding: .utf8)
        let result = try CommandRunner.hark(["--config", path, "x.wav"])
        #expect(result.status == 78)
        #expect(result.stderr.contains("\(path):3:11"))
    }

    @Test("a compressed WAV, an empty file and a missing file each give a clear message and their exit code")
    func badInputs() throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        var mp3 = Self.wav(Data(count: 64))
        mp3[20] = 0x55  // format tag 0x0055: MPEG Layer 3
        let mp3Path = fixture.directory.appendingPathComponent("compressed.wav").path
        try mp3.write(to: URL(fileURLWithPath: mp3Path))
        let compressed = try fixture.hark([mp3Path])
        #expect(compressed.status == 65)
        #expect(compressed.stderr.contains("compressed.wav"))

        let emptyPath = fixture.directory.appendingPathComponent("empty.wav").path
        _ = FileManager.default.createFile(atPath: emptyPath, contents: Data())
        let empty = try fixture.hark([emptyPath])
        #expect(empty.status == 65)
        #expect(empty.stderr.contains("no audio"))

        let missing = try fixture.hark([fixture.directory.appendingPathComponent("absent.wav").path])
        #expect(missing.status == 66)
        #expect(missing.stderr.contains("absent.wav"))
    }
}
