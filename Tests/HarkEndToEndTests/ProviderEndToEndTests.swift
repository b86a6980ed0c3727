import Foundation
import HarkTestSupport
import Testing

/// The `hark` binary against the AssemblyAI and OpenAI fakes, and the offline provider.
@Suite("hark end to end: AssemblyAI, OpenAI, local", .serialized)
struct ProviderEndToEndTests {
    static let script = """
        [{"start": 0.3, "end": 1.4, "text": "First words here."},
         {"start": 2.2, "end": 3.2, "text": "And the second turn."}]
        """
    static let expected = ["First words here.", "And the second turn."]

    struct Fixture {
        let fake: FakeServer
        let wavPath: String
        let pcm: Data
        let keyVariable: String

        init(_ script: String, keyVariable: String, scenarios: [String] = [], extra: [String] = []) throws {
            let directory = try PackagePaths.temporaryDirectory("hark-e2e")
            let scriptURL = directory.appendingPathComponent("script.json")
            try ProviderEndToEndTests.script.write(to: scriptURL, atomically: true, encoding: .utf8)
            fake = try FakeServer(
                script: script,
                arguments: ["--script", scriptURL.path] + scenarios.flatMap { ["--scenario", $0] } + extra)
            pcm = DeepgramEndToEndTests.pcm(seconds: 4)
            wavPath = directory.appendingPathComponent("speech.wav").path
            try DeepgramEndToEndTests.wav(pcm).write(to: URL(fileURLWithPath: wavPath))
            self.keyVariable = keyVariable
        }

        func hark(_ provider: String, _ arguments: [String], key: String = "test-key", stdin: Data? = nil) throws
            -> CommandResult
        {
            try CommandRunner.hark(
                ["--provider", provider, "--endpoint", fake.endpoint()] + arguments,
                environment: [keyVariable: key], stdin: stdin)
        }
    }

    // MARK: AssemblyAI (refuses audio faster than real time, so files stream at --speed 1)

    @Test("AssemblyAI: a WAV file prints each formatted turn once, in order; the fake got every sample")
    func assemblyAIFile() throws {
        let fixture = try Fixture("assemblyai.py", keyVariable: "ASSEMBLYAI_API_KEY", extra: ["--max-ahead", "1.5"])
        defer { fixture.fake.stop() }
        let result = try fixture.hark("assemblyai", [fixture.wavPath])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutLines == Self.expected, "\(result.stderr)")
        #expect(fixture.fake.recorded("audio.bin") == fixture.pcm)
    }

    @Test("AssemblyAI: stdin and JSON Lines; word times on the input timeline")
    func assemblyAIStdinJSONLines() throws {
        let fixture = try Fixture("assemblyai.py", keyVariable: "ASSEMBLYAI_API_KEY")
        defer { fixture.fake.stop() }
        let result = try fixture.hark(
            "assemblyai", ["--format", "jsonl", "--rate", "16000", "-"], stdin: fixture.pcm)
        #expect(result.status == 0, "\(result.stderr)")
        let finals = result.stdoutLines.compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.filter { $0["type"] as? String == "final" }
        #expect(finals.map { $0["text"] as? String } == Self.expected)
        let firstStart = try #require(finals.first?["start"] as? Double)
        #expect(abs(firstStart - 0.3) < 0.05)
    }

    @Test("AssemblyAI: --speed max sends its look-ahead budget at once, then real time, and says so once")
    func assemblyAISpeedMax() throws {
        // The fake refuses audio more than 121 s ahead of real time (3007): hark's 120 s head
        // start stays within it, and this short file goes at once.
        let fixture = try Fixture("assemblyai.py", keyVariable: "ASSEMBLYAI_API_KEY", extra: ["--max-ahead", "121"])
        defer { fixture.fake.stop() }
        let result = try fixture.hark("assemblyai", ["--speed", "max", fixture.wavPath])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutLines == Self.expected, "\(result.stderr)")
        let notice = "--speed max sends the first 120 s at once, then streams at real time"
        #expect(result.stderr.components(separatedBy: notice).count == 2, "\(result.stderr)")
        #expect(fixture.fake.recorded("audio.bin") == fixture.pcm)
    }

    @Test("AssemblyAI: --keyterm reaches the fake as keyterms_prompt; a multilingual turn carries its language")
    func assemblyAIKeytermsAndLanguage() throws {
        let fixture = try Fixture("assemblyai.py", keyVariable: "ASSEMBLYAI_API_KEY")
        defer { fixture.fake.stop() }
        let result = try fixture.hark(
            "assemblyai",
            [
                "--model", "universal-streaming-multilingual", "--language", "es", "--keyterm", "hark",
                "--keyterm", "Pipe Wire", "--format", "jsonl", fixture.wavPath,
            ])
        #expect(result.status == 0, "\(result.stderr)")
        let opened = try #require(fixture.fake.recordedEvents().first { $0["event"] as? String == "opened" })
        let query = (opened["query"] as? [[String]] ?? []).map { ($0[0], $0[1]) }
        #expect(query.contains { $0 == ("keyterms_prompt", #"["hark","Pipe Wire"]"#) }, "\(query)")
        #expect(query.contains { $0 == ("format_turns", "true") })
        let finals = result.stdoutLines.compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.filter { $0["type"] as? String == "final" }
        #expect(finals.count == 2)
        #expect(finals.allSatisfy { $0["languages"] as? [String] == ["en"] })
    }

    @Test(
        "AssemblyAI: parameters a model does not take, and keyterms over the limits, are refused before connecting",
        arguments: [
            ["--param", "prompt=meeting"], ["--param", "mode=balanced"],
            ["--model", "u3-rt-pro", "--param", "format_turns=true"], ["--model", "nope"],
            ["--model", "whisper-rt", "--keyterm", "hark"], ["--keyterm", "one two three four five six seven"],
        ])
    func assemblyAIRefusals(arguments: [String]) throws {
        let fixture = try Fixture("assemblyai.py", keyVariable: "ASSEMBLYAI_API_KEY")
        defer { fixture.fake.stop() }
        let result = try fixture.hark("assemblyai", arguments + [fixture.wavPath])
        #expect(result.status == 64, "\(result.stderr)")
        #expect(fixture.fake.recordedEvents().isEmpty)
    }

    @Test("AssemblyAI: each current speech model is accepted, with prompt and mode only on Universal-3 Pro")
    func assemblyAIModels() throws {
        let fixture = try Fixture("assemblyai.py", keyVariable: "ASSEMBLYAI_API_KEY")
        defer { fixture.fake.stop() }
        let result = try fixture.hark(
            "assemblyai",
            [
                "--model", "universal-3-6-pro", "--param", "prompt=a meeting", "--param", "mode=balanced",
                "--keyterm", "hark", fixture.wavPath,
            ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutLines == Self.expected, "\(result.stderr)")
        let opened = try #require(fixture.fake.recordedEvents().first { $0["event"] as? String == "opened" })
        let keys = (opened["query"] as? [[String]] ?? []).map { $0[0] }
        #expect(keys.contains("prompt") && keys.contains("mode") && keys.contains("keyterms_prompt"))
        #expect(!keys.contains("format_turns"))
    }

    @Test("AssemblyAI: a rejected key is reported with what to do and exit 77")
    func assemblyAIBadKey() throws {
        let fixture = try Fixture("assemblyai.py", keyVariable: "ASSEMBLYAI_API_KEY", extra: ["--api-key", "right"])
        defer { fixture.fake.stop() }
        let result = try fixture.hark("assemblyai", [fixture.wavPath], key: "wrong")
        #expect(result.status == 77, "\(result.stderr)")
        #expect(result.stderr.contains("ASSEMBLYAI_API_KEY"))
        #expect(!result.stderr.contains("wrong"))
    }

    // MARK: OpenAI

    @Test(
        "OpenAI with server VAD (gpt-4o-transcribe): a WAV file at --speed max prints each completed item once, in order"
    )
    func openAIFile() throws {
        let fixture = try Fixture("openai.py", keyVariable: "OPENAI_API_KEY")
        defer { fixture.fake.stop() }
        // The test pattern is not speech: a model with server turn detection places the turns
        // (OpenAITurnsEndToEndTests covers the default model, whose turns hark decides).
        let result = try fixture.hark("openai", ["--model", "gpt-4o-transcribe", "--speed", "max", fixture.wavPath])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutLines == Self.expected, "\(result.stderr)")
        // OpenAI takes 24 kHz: 4 s of 16 kHz input arrive as 4 s at 24 kHz, base64 in JSON.
        #expect(fixture.fake.recorded("audio.bin").count == 4 * 24000 * 2)
    }

    @Test(
        "OpenAI: --keyterm reaches the session as keywords on gpt-live-transcribe, and is refused where a model has none"
    )
    func openAIKeywords() throws {
        let fixture = try Fixture("openai.py", keyVariable: "OPENAI_API_KEY")
        defer { fixture.fake.stop() }
        // Only what reached the fake is checked: how the run ends depends on turn handling, not keywords.
        _ = try fixture.hark("openai", ["--speed", "max", "--keyterm", "hark", "--keyterm", "ALSA", fixture.wavPath])
        let texts = fixture.fake.recordedEvents().filter { $0["event"] as? String == "text" }
            .compactMap { $0["text"] as? String }
        let update = try #require(texts.first { $0.contains("session.update") }, "\(texts.prefix(3))")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(update.utf8)) as? [String: Any])
        let session = object["session"] as? [String: Any]
        let audio = session?["audio"] as? [String: Any]
        let input = audio?["input"] as? [String: Any]
        let transcription = input?["transcription"] as? [String: Any]
        #expect(transcription?["keywords"] as? [String] == ["hark", "ALSA"], "\(update)")

        let other = try Fixture("openai.py", keyVariable: "OPENAI_API_KEY")
        defer { other.fake.stop() }
        let refused = try other.hark("openai", ["--model", "gpt-4o-transcribe", "--keyterm", "hark", other.wavPath])
        #expect(refused.status == 64, "\(refused.stderr)")
        #expect(refused.stderr.contains("gpt-live-transcribe"), "\(refused.stderr)")
        #expect(other.fake.recordedEvents().isEmpty)
    }

    @Test("OpenAI with server VAD (gpt-4o-transcribe): stdin with JSON Lines")
    func openAIStdin() throws {
        let fixture = try Fixture("openai.py", keyVariable: "OPENAI_API_KEY")
        defer { fixture.fake.stop() }
        let result = try fixture.hark(
            "openai", ["--model", "gpt-4o-transcribe", "--speed", "max", "--format", "jsonl", "-"],
            stdin: DeepgramEndToEndTests.wav(fixture.pcm))
        #expect(result.status == 0, "\(result.stderr)")
        let finals = result.stdoutLines.compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.filter { $0["type"] as? String == "final" }
        #expect(finals.map { $0["text"] as? String } == Self.expected)
    }

    @Test("OpenAI: a rejected key (close 3000) is reported with what to do and exit 77")
    func openAIBadKey() throws {
        let fixture = try Fixture("openai.py", keyVariable: "OPENAI_API_KEY", extra: ["--api-key", "right"])
        defer { fixture.fake.stop() }
        let result = try fixture.hark("openai", ["--speed", "max", fixture.wavPath], key: "wrong")
        #expect(result.status == 77, "\(result.stderr)")
        #expect(result.stderr.contains("OPENAI_API_KEY"))
        #expect(!result.stderr.contains("wrong"))
    }

    @Test("OpenAI: a refused parameter is a usage error before connecting")
    func openAIUnknownParameter() throws {
        let fixture = try Fixture("openai.py", keyVariable: "OPENAI_API_KEY")
        defer { fixture.fake.stop() }
        let result = try fixture.hark("openai", ["--param", "bogus=1", fixture.wavPath])
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains("bogus"))
    }

    // MARK: Offline

    static var goForward: URL { URL(fileURLWithPath: "/usr/share/pocketsphinx/test/data/goforward.raw") }

    @Test("local: a raw file and stdin are transcribed offline, with no key and no network")
    func localFileAndStdin() throws {
        let file = try CommandRunner.hark([
            "--provider", "local", "--rate", "16000", "--speed", "max", Self.goForward.path,
        ])
        #expect(file.status == 0, "\(file.stderr)")
        #expect(file.stdoutLines == ["go forward ten meters"])
        let stdin = try CommandRunner.hark(
            ["--provider", "local", "--rate", "16000", "--speed", "max", "-"],
            stdin: try Data(contentsOf: Self.goForward))
        #expect(stdin.status == 0, "\(stdin.stderr)")
        #expect(stdin.stdoutLines == ["go forward ten meters"])
    }

    @Test("with no provider and no key, hark uses local and says once which keys would do better")
    func localIsTheDefault() throws {
        let result = try CommandRunner.hark(["--rate", "16000", "--speed", "max", Self.goForward.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutLines == ["go forward ten meters"])
        #expect(result.stderr.components(separatedBy: "DEEPGRAM_API_KEY").count == 2)
    }

    @Test("local refuses a language other than English")
    func localRefusesLanguage() throws {
        let result = try CommandRunner.hark(["--provider", "local", "--language", "de", Self.goForward.path])
        #expect(result.status == 64)
        #expect(result.stderr.contains("English"))
    }
}
