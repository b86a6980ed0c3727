import Foundation
import HarkTestSupport
import Testing

/// The built `hark` in everyday use: caption formats checked by their own rules, `-o`,
/// `--append`, `--save-audio`, shell completions, and the messages and exit statuses of
/// mistakes a person makes.
@Suite("hark end to end: formats, files, completions, messages", .serialized)
struct EverydayUseEndToEndTests {
    typealias Fixture = DeepgramEndToEndTests.Fixture
    static let expectedLines = DeepgramEndToEndTests.expectedLines

    // MARK: Formats

    @Test("--format srt is valid SubRip: numbered cues, ordered HH:MM:SS,mmm times, the finals' words")
    func subRip() throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        let result = try fixture.hark(["--speed", "max", "--format", "srt", fixture.wavPath])
        #expect(result.status == 0, "\(result.stderr)")
        let cues = try CaptionValidator.subRip(result.stdout)
        #expect(cues.map(\.text).joined(separator: " ") == Self.expectedLines.joined(separator: " "))
        #expect(abs(Double(cues[0].start) / 1000 - 0.5) < 0.05)
    }

    @Test("--format vtt is valid WebVTT: header, ordered HH:MM:SS.mmm cues, the finals' words")
    func webVTT() throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        let result = try fixture.hark(["--speed", "max", "--format", "vtt", fixture.wavPath])
        #expect(result.status == 0, "\(result.stderr)")
        let cues = try CaptionValidator.webVTT(result.stdout)
        #expect(cues.map(\.text).joined(separator: " ") == Self.expectedLines.joined(separator: " "))
    }

    // MARK: Files

    @Test("-o FILE gets the chosen format while stdout still shows the text; --append adds to the file")
    func outputFileAndAppend() throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        let path = fixture.directory.appendingPathComponent("captions.srt").path
        let first = try fixture.hark(["--speed", "max", "--format", "srt", "-o", path, fixture.wavPath])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdoutLines == Self.expectedLines)
        let captions = try String(contentsOfFile: path, encoding: .utf8)
        let cues = try CaptionValidator.subRip(captions)
        #expect(cues.map(\.text).joined(separator: " ") == Self.expectedLines.joined(separator: " "))

        // Without --append the file is replaced.
        let replaced = try fixture.hark(["--speed", "max", "--format", "srt", "-o", path, fixture.wavPath])
        #expect(replaced.status == 0, "\(replaced.stderr)")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == captions)

        let textPath = fixture.directory.appendingPathComponent("notes.txt").path
        try "earlier notes\n".write(toFile: textPath, atomically: true, encoding: .utf8)
        let appended = try fixture.hark(["--speed", "max", "-o", textPath, "--append", fixture.wavPath])
        #expect(appended.status == 0, "\(appended.stderr)")
        #expect(appended.stdoutLines == Self.expectedLines)
        let notes = try String(contentsOfFile: textPath, encoding: .utf8)
        #expect(notes == "earlier notes\n" + Self.expectedLines.map { $0 + "\n" }.joined())
    }

    @Test("--save-audio writes a WAV whose samples equal a 16 kHz mono s16 WAV input")
    func saveAudio() throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        let path = fixture.directory.appendingPathComponent("saved.wav").path
        let result = try fixture.hark(["--speed", "max", "--save-audio", path, fixture.wavPath])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutLines == Self.expectedLines)
        let saved = try Data(contentsOf: URL(fileURLWithPath: path))
        let wav = try #require(SimpleWAV(saved))
        #expect(wav.sampleRate == 16000 && wav.channels == 1 && wav.bitsPerSample == 16)
        #expect(wav.samples == fixture.pcm)
    }

    @Test("-o into a folder that does not exist names the path, says what to do, and exits 74")
    func outputFileCannotBeCreated() throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        let path = fixture.directory.appendingPathComponent("missing/notes.txt").path
        let result = try fixture.hark(["--speed", "max", "-o", path, fixture.wavPath])
        #expect(result.status == 74)
        #expect(result.stderr.contains(path))
        #expect(result.stderr.contains("-o"))
        #expect(result.stderr.contains("writable"))
    }

    @Test("--save-audio into a folder that does not exist names the path and the flag, exit 74")
    func recordingCannotBeCreated() throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        let path = fixture.directory.appendingPathComponent("missing/saved.wav").path
        let result = try fixture.hark(["--speed", "max", "--save-audio", path, fixture.wavPath])
        #expect(result.status == 74, "\(result.stderr)")
        #expect(result.stderr.contains(path))
        #expect(result.stderr.contains("--save-audio"))
        #expect(!result.stderr.contains("standard input"))
    }

    // MARK: Terminal or not

    @Test("on a pipe nothing but the transcript reaches stdout: no escape codes, no progress line on stderr")
    func pipeGetsPlainText() throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        let result = try fixture.hark(["--speed", "4", fixture.wavPath])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutLines == Self.expectedLines)
        #expect(!result.stdout.contains("\u{1B}"))
        #expect(result.stderr.isEmpty, "\(result.stderr)")
    }

    @Test("hark | head -1 ends quietly: status 0 and nothing on stderr")
    func readerLeaves() throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        let command =
            "'\(PackagePaths.harkBinary.path)' --provider deepgram --endpoint \(fixture.fake.endpoint()) "
            + "--speed max '\(fixture.wavPath)' | head -1; exit ${PIPESTATUS[0]}"
        let result = try CommandRunner.run(
            "/bin/bash", ["-c", command], environment: ["DEEPGRAM_API_KEY": "test-key"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutLines == [Self.expectedLines[0]])
        #expect(result.stderr.isEmpty, "\(result.stderr)")
    }

    // MARK: Completions and help

    static let shells = ["bash", "zsh", "fish"]

    /// The completion script for `shell`, written to a file.
    static func completionScript(_ shell: String) throws -> (text: String, path: String) {
        let result = try CommandRunner.hark(["--generate-completion-script", shell])
        guard result.status == 0 else { throw SetupError.generationFailed(shell, result.stderr) }
        let path = try PackagePaths.temporaryDirectory("hark-completion").appendingPathComponent("hark.\(shell)").path
        try result.stdout.write(toFile: path, atomically: true, encoding: .utf8)
        return (result.stdout, path)
    }

    @Test("the completion script for each shell names hark, its subcommands, flags and values", arguments: shells)
    func completionScriptsCoverTheCommand(shell: String) throws {
        let script = try Self.completionScript(shell).text
        // fish names long flags without their dashes.
        for word in ["hark", "providers", "devices", "format", "provider", "save-audio", "interim"] {
            #expect(script.contains(word), "\(shell) completion lacks \(word)")
        }
        // Enumerated values are offered, not typed from memory.
        #expect(script.contains("srt") && script.contains("vtt") && script.contains("jsonl"), "\(shell)")
        #expect(script.contains("deepgram") && script.contains("assemblyai"), "\(shell)")
    }

    @Test("bash accepts the bash completion script (bash -n) and it defines the completion")
    func bashCompletionParses() throws {
        let path = try Self.completionScript("bash").path
        let check = try CommandRunner.run("/bin/bash", ["-n", path])
        #expect(check.status == 0, "\(check.stderr)")
        let loaded = try CommandRunner.run("/bin/bash", ["-c", "source '\(path)' && complete -p hark"])
        #expect(loaded.status == 0, "\(loaded.stderr)")
        #expect(loaded.stdout.contains("hark"))
    }

    @Test("zsh accepts the zsh completion script (zsh -n)")
    func zshCompletionParses() throws {
        let path = try Self.completionScript("zsh").path
        let check = try CommandRunner.run("/usr/bin/zsh", ["-n", path])
        #expect(check.status == 0, "\(check.stderr)")
    }

    @Test("fish accepts the fish completion script (fish -n)")
    func fishCompletionParses() throws {
        let path = try Self.completionScript("fish").path
        let check = try CommandRunner.run("/usr/bin/fish", ["-n", path])
        #expect(check.status == 0, "\(check.stderr)")
    }

    @Test("hark --help and hark help transcribe fit 80 columns; the overview shows examples and where the flags are")
    func helpFitsEightyColumns() throws {
        let overview = try CommandRunner.hark(["--help"], environment: ["COLUMNS": "80"])
        #expect(overview.status == 0)
        #expect(overview.stdout.contains("Examples:"))
        #expect(overview.stdout.contains("hark help transcribe"))
        let flags = try CommandRunner.hark(["help", "transcribe"], environment: ["COLUMNS": "80"])
        #expect(flags.status == 0)
        for flag in ["--format", "--output", "--append", "--save-audio", "--timestamps", "--provider", "--speed"] {
            #expect(flags.stdout.contains(flag), "\(flag)")
        }
        for text in [overview.stdout, flags.stdout] {
            let wide = text.split(separator: "\n").filter { $0.count > 80 }
            #expect(wide.isEmpty, "\(wide)")
        }
    }

    // MARK: Mistakes and their messages

    @Test("--append without -o is a usage error naming both flags, exit 64")
    func appendWithoutOutput() throws {
        let result = try CommandRunner.hark(["--append", "x.wav"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--append"))
        #expect(result.stderr.contains("-o"))
    }

    @Test("a --param without '=' is a usage error naming --param and the expected form, exit 64")
    func malformedParameter() throws {
        let result = try CommandRunner.hark(["--provider", "deepgram", "--param", "punctuate", "x.wav"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--param"))
        #expect(result.stderr.contains("key=value"))
    }

    @Test("an unknown --format is a usage error listing the formats, exit 64")
    func unknownFormat() throws {
        let result = try CommandRunner.hark(["--format", "docx", "x.wav"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--format"))
        #expect(result.stderr.contains("srt"))
    }

    @Test("a provider that refuses connections is named with its host and port, the flag to check, exit 69")
    func unreachableHost() throws {
        let port = try ClosedPort.find()
        let directory = try PackagePaths.temporaryDirectory()
        let config = directory.appendingPathComponent("config.json")
        try #"{"retry_base": 0.05, "retry_cap": 0.1}"#.write(to: config, atomically: true, encoding: .utf8)
        let wav = directory.appendingPathComponent("speech.wav")
        try DeepgramEndToEndTests.wav(DeepgramEndToEndTests.pcm(seconds: 1)).write(to: wav)
        let secret = "secret-key-1234567890"
        let result = try CommandRunner.hark(
            ["--provider", "deepgram", "--endpoint", "ws://127.0.0.1:\(port)", "--config", config.path, wav.path],
            environment: ["DEEPGRAM_API_KEY": secret])
        #expect(result.status == 69, "\(result.stderr)")
        #expect(result.stderr.contains("127.0.0.1:\(port)"), "\(result.stderr)")
        #expect(result.stderr.contains("--endpoint"), "\(result.stderr)")
        // It never connected, so the retries do not claim a connection was lost.
        #expect(result.stderr.contains("could not connect"), "\(result.stderr)")
        #expect(!result.stderr.contains("connection lost"), "\(result.stderr)")
        #expect(!result.stderr.contains(secret))
        #expect(result.stdout.isEmpty)
    }

    @Test(
        "a file that is not WAV, given without --rate, is refused (not read as noise), naming --rate and ffmpeg, exit 65"
    )
    func notWAVWithoutRate() throws {
        let directory = try PackagePaths.temporaryDirectory()
        let path = directory.appendingPathComponent("song.mp3").path
        try Data([0x49, 0x44, 0x33, 0x04] + [UInt8](repeating: 0x55, count: 4000)).write(to: URL(fileURLWithPath: path))
        let result = try CommandRunner.hark(["--provider", "local", path])
        #expect(result.status == 65, "\(result.stderr)")
        #expect(result.stderr.contains("song.mp3"))
        #expect(result.stderr.contains("--rate"))
        #expect(result.stderr.contains("ffmpeg"))
        #expect(result.stdout.isEmpty)
    }

    @Test("a missing configuration file named with --config says so and exits 78")
    func missingConfigurationFile() throws {
        let result = try CommandRunner.hark(["--config", "/nonexistent/hark.json", "x.wav"])
        #expect(result.status == 78)
        #expect(result.stderr.contains("/nonexistent/hark.json"))
        #expect(result.stderr.contains("--config"))
    }
}

/// Caption files checked by their formats' rules (SubRip as players read it; WebVTT per the
/// W3C syntax for cues without settings).
enum CaptionValidator {
    struct Cue: Equatable {
        var start: Int
        var end: Int
        var text: String
    }

    enum Failure: Error, CustomStringConvertible {
        case invalid(String)
        var description: String {
            switch self {
            case .invalid(let detail): "invalid caption file: \(detail)"
            }
        }
    }

    /// Cues of a SubRip file: blocks of a counter from 1, `HH:MM:SS,mmm --> HH:MM:SS,mmm`, and
    /// at least one text line, separated by one blank line; times ordered and positive.
    static func subRip(_ text: String) throws -> [Cue] {
        guard !text.contains("\r") else { throw Failure.invalid("carriage returns") }
        guard text.hasSuffix("\n\n") else { throw Failure.invalid("the last cue is not ended by a blank line") }
        let blocks = text.dropLast(2).components(separatedBy: "\n\n")
        var cues: [Cue] = []
        for (index, block) in blocks.enumerated() {
            let lines = block.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            guard lines.count >= 3 else { throw Failure.invalid("cue \(index + 1) has \(lines.count) lines") }
            guard lines[0] == String(index + 1) else {
                throw Failure.invalid("cue \(index + 1) is numbered \(lines[0])")
            }
            let (start, end) = try times(lines[1], separator: ",", hoursRequired: true)
            guard lines[2...].allSatisfy({ !$0.trimmingCharacters(in: .whitespaces).isEmpty }) else {
                throw Failure.invalid("cue \(index + 1) has an empty text line")
            }
            cues.append(Cue(start: start, end: end, text: lines[2...].joined(separator: " ")))
        }
        try checkOrder(cues)
        return cues
    }

    /// Cues of a WebVTT file: `WEBVTT` first, a blank line, then cues of an optional identifier,
    /// `[HH:]MM:SS.mmm --> [HH:]MM:SS.mmm` and text lines that never hold `-->`.
    static func webVTT(_ text: String) throws -> [Cue] {
        guard text.hasPrefix("WEBVTT\n\n") else { throw Failure.invalid("no WEBVTT header and blank line") }
        guard text.hasSuffix("\n\n") else { throw Failure.invalid("the last cue is not ended by a blank line") }
        let body = text.dropFirst("WEBVTT\n\n".count).dropLast(2)
        var cues: [Cue] = []
        for block in body.components(separatedBy: "\n\n") where !block.isEmpty {
            var lines = block.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if let first = lines.first, !first.contains("-->") { lines.removeFirst() }  // an identifier
            guard lines.count >= 2 else { throw Failure.invalid("cue without timing or text: \(block)") }
            let (start, end) = try times(lines[0], separator: ".", hoursRequired: false)
            let textLines = lines[1...]
            guard textLines.allSatisfy({ !$0.contains("-->") && !$0.isEmpty }) else {
                throw Failure.invalid("bad cue text: \(block)")
            }
            // Voice spans (`<v S1>`) are markup, not words.
            let words = textLines.joined(separator: " ").replacingOccurrences(
                of: "<v [^>]*>", with: "", options: .regularExpression)
            cues.append(Cue(start: start, end: end, text: words))
        }
        try checkOrder(cues)
        return cues
    }

    private static func checkOrder(_ cues: [Cue]) throws {
        guard !cues.isEmpty else { throw Failure.invalid("no cues") }
        for (index, cue) in cues.enumerated() {
            guard cue.end > cue.start else { throw Failure.invalid("cue \(index + 1) ends before it starts") }
            if index > 0, cue.start < cues[index - 1].start {
                throw Failure.invalid("cue \(index + 1) starts before the one before it")
            }
        }
    }

    /// `start --> end` in milliseconds.
    private static func times(_ line: String, separator: Character, hoursRequired: Bool) throws -> (Int, Int) {
        let parts = line.components(separatedBy: " --> ")
        guard parts.count == 2, let start = timestamp(parts[0], separator, hoursRequired),
            let end = timestamp(parts[1], separator, hoursRequired)
        else { throw Failure.invalid("bad timing line '\(line)'") }
        return (start, end)
    }

    private static func timestamp(_ text: String, _ separator: Character, _ hoursRequired: Bool) -> Int? {
        let halves = text.split(separator: separator, omittingEmptySubsequences: false)
        guard halves.count == 2, halves[1].count == 3, let millis = Int(halves[1]) else { return nil }
        let fields = halves[0].split(separator: ":", omittingEmptySubsequences: false)
        guard fields.count == 3 || (!hoursRequired && fields.count == 2) else { return nil }
        let numbers = fields.map { Int($0) }
        guard numbers.allSatisfy({ $0 != nil }), fields.suffix(2).allSatisfy({ $0.count == 2 }),
            fields.count == 2 || fields[0].count >= 2
        else { return nil }
        let values = numbers.compactMap { $0 }
        let (hours, minutes, seconds) =
            values.count == 3 ? (values[0], values[1], values[2]) : (0, values[0], values[1])
        guard minutes < 60, seconds < 60 else { return nil }
        return ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis
    }
}

/// A PCM WAV's format and the bytes of its `data` chunk.
struct SimpleWAV {
    var channels: Int
    var sampleRate: Int
    var bitsPerSample: Int
    var samples: Data

    init?(_ data: Data) {
        let bytes = [UInt8](data)
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        guard bytes.count >= 12, bytes[0..<4] == [0x52, 0x49, 0x46, 0x46], bytes[8..<12] == [0x57, 0x41, 0x56, 0x45]
        else { return nil }
        var offset = 12
        var format: (channels: Int, rate: Int, bits: Int)?
        while offset + 8 <= bytes.count {
            let id = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
            let size = u32(offset + 4)
            let body = offset + 8
            if id == "fmt ", body + 16 <= bytes.count {
                format = (u16(body + 2), u32(body + 4), u16(body + 14))
            } else if id == "data", let format {
                let end = min(bytes.count, body + size)
                self.channels = format.channels
                self.sampleRate = format.rate
                self.bitsPerSample = format.bits
                self.samples = Data(bytes[body..<end])
                return
            }
            offset = body + size + (size & 1)
        }
        return nil
    }
}

/// A loopback port nothing listens on: bound once to learn a free number, then closed.
enum ClosedPort {
    static func find() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw SetupError.generationFailed("socket", "errno \(errno)") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard bound else { throw SetupError.generationFailed("bind", "errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

enum SetupError: Error, CustomStringConvertible {
    case generationFailed(String, String)
    var description: String {
        switch self {
        case .generationFailed(let what, let detail): "\(what) failed: \(detail)"
        }
    }
}
