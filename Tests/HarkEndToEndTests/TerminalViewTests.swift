import Foundation
import HarkTestSupport
import Testing

/// The live view in a real terminal: the built `hark` runs in a detached tmux pane against the
/// Deepgram fake, and the screen is read with `tmux capture-pane` while it runs and at the end.
///
/// Every check polls the screen until the expected state appears, within a generous overall
/// limit; nothing asserts on how long anything took.
@Suite("hark end to end: the live view in tmux", .serialized)
struct TerminalViewTests {
    /// A short sentence, then one long one whose interims grow far past 40 columns: the fake
    /// sends an interim every second of audio and a final when its 3 s window fills.
    static let script = """
        [{"start": 0.3, "end": 1.5, "text": "Hello there."},
         {"start": 2.0, "end": 8.0, "text": "\(longSentence)"}]
        """
    static let longSentence =
        "Seventeen elephants wandered slowly across the dusty savannah toward distant waterholes while curious "
        + "photographers followed quietly behind their enormous footprints under blazing afternoon sunshine and "
        + "scattered clouds drifting lazily overhead."

    /// Printed before hark so that hark's first row is not the screen's top-left corner (where
    /// tmux moves the screen into its history on an erase-below, a tmux quirk, not hark's).
    static let startMarker = "TERMINAL-TEST-START"
    static let exitMarker = "HARK-EXIT="

    struct Fixture {
        let fake: FakeServer
        let directory: URL
        let wavPath: String
        let transcriptPath: String

        init(scenarios: [String] = [], marked: Bool = false, script: String = TerminalViewTests.script) throws {
            directory = try PackagePaths.temporaryDirectory("hark-tmux")
            let scriptURL = directory.appendingPathComponent("script.json")
            try script.write(to: scriptURL, atomically: true, encoding: .utf8)
            fake = try FakeServer(
                script: "deepgram.py",
                arguments: ["--script", scriptURL.path] + (marked ? ["--marked"] : [])
                    + scenarios.flatMap { ["--scenario", $0] })
            wavPath = directory.appendingPathComponent("speech.wav").path
            let pcm = marked ? MarkedAudio.pcm(seconds: 9) : DeepgramEndToEndTests.pcm(seconds: 9)
            try DeepgramEndToEndTests.wav(pcm).write(to: URL(fileURLWithPath: wavPath))
            transcriptPath = directory.appendingPathComponent("transcript.txt").path
        }

        /// The shell command the pane runs: the marker, hark (with `-o` so the finals are also
        /// in a file to compare the screen with), its exit status, then a pause that keeps the
        /// pane open to be read.
        func command(_ extra: [String] = [], redirectStdout: String? = nil, feeder: AudioFeeder? = nil) -> String {
            let config = directory.appendingPathComponent("config.json")
            try? #"{"retry_base": 0.05, "retry_cap": 0.2}"#.write(to: config, atomically: true, encoding: .utf8)
            let arguments =
                [
                    PackagePaths.harkBinary.path, "--provider", "deepgram", "--endpoint", fake.endpoint(),
                    "--config", config.path,
                ]
                + extra + (feeder == nil ? [wavPath] : ["--rate", "16000", "--speed", "max", "-"])
            let quoted =
                arguments.map { "'\($0)'" }.joined(separator: " ")
                + (feeder.map { " < '\($0.path)'" } ?? "")
            let environment =
                "env -u NO_COLOR DEEPGRAM_API_KEY=test-key XDG_CONFIG_HOME='\(directory.path)/no-config'"
            let redirect = redirectStdout.map { " > '\($0)'" } ?? ""
            return
                "printf '\(TerminalViewTests.startMarker)\\n'; \(environment) \(quoted)\(redirect); echo \(TerminalViewTests.exitMarker)$?; sleep 120"
        }

        /// The final lines hark wrote to `-o`.
        func finals() throws -> [String] {
            try String(contentsOfFile: transcriptPath, encoding: .utf8).split(separator: "\n").map(String.init)
        }
    }

    /// Raw 16 kHz audio handed to hark's standard input through a FIFO, a stretch at a time, so
    /// a test can hold the audio still while it reads the screen: what is on screen then stays
    /// there until the test writes more, however slowly the machine polls.
    final class AudioFeeder {
        let path: String
        private let pcm: Data
        private var written = 0
        private var descriptor: Int32 = -1

        init(directory: URL, pcm: Data) throws {
            path = directory.appendingPathComponent("audio.fifo").path
            self.pcm = pcm
            guard mkfifo(path, 0o600) == 0 else { throw TmuxError.failed("mkfifo", "errno \(errno)") }
        }

        /// Writes the audio up to `seconds` (opening the FIFO once hark's shell has).
        func feed(until seconds: Double) throws {
            if descriptor < 0 {
                // Non-blocking: ENXIO until the reader has opened its end.
                let opened = Evidence.waitBlocking(limit: .seconds(60)) {
                    descriptor = open(path, O_WRONLY | O_NONBLOCK)
                    return descriptor >= 0
                }
                guard opened else { throw TmuxError.failed("open fifo", "no reader") }
                _ = fcntl(descriptor, F_SETFL, 0)  // blocking writes from here on
            }
            let end = min(pcm.count, Int(seconds * 16000) * 2)
            guard end > written else { return }
            try pcm[written..<end].withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let result = write(descriptor, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
                    if result < 0 && errno == EINTR { continue }
                    guard result > 0 else { throw TmuxError.failed("write fifo", "errno \(errno)") }
                    offset += result
                }
            }
            written = end
        }

        /// Writes the rest and ends the input.
        func finish() throws {
            try feed(until: Double(pcm.count) / 32000)
            close()
        }

        func close() {
            if descriptor >= 0 { Glibc.close(descriptor) }
            descriptor = -1
        }

        deinit { close() }
    }

    /// The screen as logical lines (wrapped rows joined), between the start marker and the exit
    /// marker, without blank lines.
    static func transcriptLines(_ joinedScreen: String) -> [String] {
        let lines = joinedScreen.split(separator: "\n", omittingEmptySubsequences: false).map {
            String($0.reversed().drop(while: { $0 == " " }).reversed())
        }
        guard let start = lines.firstIndex(of: startMarker) else { return [] }
        return lines[(start + 1)...].prefix { !$0.hasPrefix(exitMarker) }.filter { !$0.isEmpty }
    }

    /// Whether the screen shows a wrapped interim of the long sentence: a logical line that is a
    /// part of it, wider than 40 columns, and not (yet) a final.
    static func wrappedInterim(rows: String, joined: String, finals: [String] = []) -> String? {
        transcriptLines(joined).first { line in
            line.count > 40 && longSentence.hasPrefix(line) && line != longSentence
                && rows.contains(String(line.prefix(40)))
                && !finals.contains(line)
        }
    }

    @Test("a long interim wraps and is redrawn in place; at the end each final is on screen once, nothing else")
    func longInterimWrapsAndLeavesNoFragments() throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        let feeder = try AudioFeeder(directory: fixture.directory, pcm: DeepgramEndToEndTests.pcm(seconds: 9))
        let pane = try TmuxPane(
            width: 40, height: 30, command: fixture.command(["-o", fixture.transcriptPath], feeder: feeder))
        defer { pane.close() }

        // 4.2 s in: the first final ("Hello there.") and an interim of the long sentence from
        // 3.5 s, which stays on screen until more audio comes.
        try feeder.feed(until: 4.2)
        let middle = try pane.waitFor { rows, joined in Self.wrappedInterim(rows: rows, joined: joined) != nil }
        let interim = try #require(Self.wrappedInterim(rows: middle.rows, joined: middle.joined))
        #expect(Self.transcriptLines(middle.joined) == ["Hello there.", interim], "\(middle.rows)")
        try feeder.finish()

        let end = try pane.waitFor { _, joined in joined.contains(Self.exitMarker) }
        #expect(end.joined.contains("\(Self.exitMarker)0"), "\(end.joined)")
        let finals = try fixture.finals()
        #expect(finals.count >= 3, "\(finals)")
        #expect(finals.joined(separator: " ") == "Hello there. " + Self.longSentence)
        // The line seen mid-run was an interim: no final has exactly its words.
        #expect(!finals.contains(interim))
        // Each final once, in order, and no fragment of an interim between or after them.
        #expect(Self.transcriptLines(end.joined) == finals, "\(end.rows)")
    }

    @Test("widening the terminal mid-interim (SIGWINCH) leaves the screen exactly the finals")
    func resizeWhileAnInterimIsShown() throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        let feeder = try AudioFeeder(directory: fixture.directory, pcm: DeepgramEndToEndTests.pcm(seconds: 9))
        let pane = try TmuxPane(
            width: 40, height: 30, command: fixture.command(["-o", fixture.transcriptPath], feeder: feeder))
        defer { pane.close() }

        // Hold the audio while a wrapped interim of the long sentence is shown, widen the window
        // under it, then let the rest come.
        try feeder.feed(until: 4.2)
        let before = try pane.waitFor { rows, joined in Self.wrappedInterim(rows: rows, joined: joined) != nil }
        let interim = try #require(Self.wrappedInterim(rows: before.rows, joined: before.joined))
        try pane.resize(width: 60)
        // tmux has reflowed the interim onto one row (and hark has had SIGWINCH) before more comes.
        _ = try pane.waitFor { rows, _ in rows.split(separator: "\n").contains { $0 == interim } }
        try feeder.finish()
        let end = try pane.waitFor { _, joined in joined.contains(Self.exitMarker) }
        #expect(end.joined.contains("\(Self.exitMarker)0"), "\(end.joined)")
        let finals = try fixture.finals()
        #expect(finals.joined(separator: " ") == "Hello there. " + Self.longSentence)
        // A renderer that kept the old width would move up too many rows and erase a final.
        #expect(Self.transcriptLines(end.joined) == finals, "\(end.rows)")
    }

    @Test("a status line on stderr during an interim gets its own line; the interim is redrawn below it")
    func statusLineDuringInterim() throws {
        // The connection drops 3.7 s into the audio, while the first wrapped interim is shown.
        let fixture = try Fixture(scenarios: ["drop-after-bytes=118400"], marked: true)
        defer { fixture.fake.stop() }
        let pane = try TmuxPane(width: 40, height: 30, command: fixture.command(["-o", fixture.transcriptPath]))
        defer { pane.close() }

        let end = try pane.waitFor { _, joined in joined.contains(Self.exitMarker) }
        #expect(end.joined.contains("\(Self.exitMarker)0"), "\(end.joined)")
        let lines = Self.transcriptLines(end.joined)
        let status = lines.filter { $0.contains("hark:") }
        #expect(status.count == 1, "\(end.rows)")
        #expect(status.first?.hasPrefix("hark: connection lost") == true, "\(end.rows)")
        #expect(lines.filter { !$0.contains("hark:") } == (try fixture.finals()), "\(end.rows)")
    }

    @Test("--timestamps and speaker labels on the live view; interims dimmed, finals in normal colour")
    func timestampsSpeakersAndColour() throws {
        let script = """
            [{"start": 0.3, "end": 2.3, "text": "Hello there, this is the first speaker talking.", "speaker": 0},
             {"start": 3.0, "end": 4.8, "text": "And this is the second speaker answering.", "speaker": 1}]
            """
        let fixture = try Fixture(script: script)
        defer { fixture.fake.stop() }
        let feeder = try AudioFeeder(directory: fixture.directory, pcm: DeepgramEndToEndTests.pcm(seconds: 6))
        let pane = try TmuxPane(
            width: 80, height: 20,
            command: fixture.command(
                ["--timestamps", "--param", "diarize=true", "-o", fixture.transcriptPath], feeder: feeder))
        defer { pane.close() }

        // 1.6 s in: the interim from 1.0 s is on screen, and stays there.
        try feeder.feed(until: 1.6)
        _ = try pane.waitFor { _, joined in Self.transcriptLines(joined).contains { $0.contains("[S1] Hello") } }
        let styledInterim = try pane.captureWithStyles()
        let sawDimmedInterim = styledInterim.contains("\u{1B}[2m") || styledInterim.contains(";2m")
        try feeder.finish()
        let end = try pane.waitFor { _, joined in joined.contains(Self.exitMarker) }
        #expect(end.joined.contains("\(Self.exitMarker)0"), "\(end.joined)")
        let lines = Self.transcriptLines(end.joined)
        #expect(lines == (try fixture.finals()), "\(end.rows)")
        #expect(lines.count == 2, "\(lines)")
        #expect(lines.first?.hasPrefix("[00:00:00.") == true && lines.first?.contains("] [S1] Hello there,") == true)
        #expect(lines.last?.hasPrefix("[00:00:03.") == true && lines.last?.contains("] [S2] And this is") == true)
        #expect(sawDimmedInterim, "\(styledInterim.debugDescription)")
        // Finals carry no attributes at all: no dim, no colour.
        let styled = try pane.captureWithStyles()
        for row in styled.split(separator: "\n") where row.contains("speaker") {
            #expect(!row.contains("\u{1B}"), "\(row.debugDescription)")
        }
    }

    @Test("--meter on the live view's terminal: the meter shows between utterances, never inside a line of words")
    func meterBesideTheLiveView() throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        let feeder = try AudioFeeder(directory: fixture.directory, pcm: DeepgramEndToEndTests.pcm(seconds: 9))
        let pane = try TmuxPane(
            width: 60, height: 30,
            command: fixture.command(["--meter", "-o", fixture.transcriptPath], feeder: feeder))
        defer { pane.close() }

        var meterRows: [String] = []
        var garbled: [String] = []
        func look(_ rows: String) {
            for row in rows.split(separator: "\n") where row.contains("level [") || row.contains("dBFS") {
                let text = String(row).trimmingCharacters(in: .whitespaces)
                // Alone on its row: `level [####------] -20 dBFS`.
                let alone = text.range(of: #"^level \[[#-]+\] -?[0-9]+ dBFS$"#, options: .regularExpression) != nil
                if alone { meterRows.append(text) } else { garbled.append(text) }
            }
        }
        // Before the first word the meter has the row to itself; hold the audio until it shows.
        try feeder.feed(until: 0.5)
        _ = try pane.waitFor { rows, _ in
            look(rows)
            return !meterRows.isEmpty
        }
        try feeder.finish()
        let end = try pane.waitFor { rows, joined in
            look(rows)
            return joined.contains(Self.exitMarker)
        }
        #expect(end.joined.contains("\(Self.exitMarker)0"), "\(end.joined)")
        #expect(!meterRows.isEmpty)
        #expect(garbled.isEmpty, "\(garbled.prefix(3))")
        // Gone at the end: the screen holds the finals only.
        #expect(Self.transcriptLines(end.joined) == (try fixture.finals()), "\(end.rows)")
    }

    @Test("a file's progress line shows on a terminal's stderr while stdout is a file, and is gone at the end")
    func progressLineOnTerminal() throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        let stdoutPath = fixture.directory.appendingPathComponent("stdout.txt").path
        let feeder = try AudioFeeder(directory: fixture.directory, pcm: DeepgramEndToEndTests.pcm(seconds: 9))
        let pane = try TmuxPane(
            width: 60, height: 20, command: fixture.command(redirectStdout: stdoutPath, feeder: feeder))
        defer { pane.close() }

        // `0:00 (3.1x)`: the position (standard input has no duration) and the speed, redrawn at
        // most ten times a second, so the position shown may lag the audio written.
        try feeder.feed(until: 2.5)
        let middle = try pane.waitFor { rows, _ in
            rows.split(separator: "\n").contains { $0.hasPrefix("0:0") }
        }
        let progress = middle.rows.split(separator: "\n").filter { $0.hasPrefix("0:0") }
        #expect(progress.count == 1, "\(middle.rows)")
        try feeder.finish()
        let end = try pane.waitFor { _, joined in joined.contains(Self.exitMarker) }
        #expect(end.joined.contains("\(Self.exitMarker)0"), "\(end.joined)")
        // Cleared at the end: the screen holds only the marker and the exit status.
        #expect(Self.transcriptLines(end.joined).isEmpty, "\(end.rows)")
        let stdout = try String(contentsOfFile: stdoutPath, encoding: .utf8)
        #expect(stdout.split(separator: "\n").joined(separator: " ") == "Hello there. " + Self.longSentence)
        #expect(!stdout.contains("\u{1B}"))
    }
}

/// A detached tmux session on its own server socket, so tests never touch the user's tmux.
final class TmuxPane {
    private let socket = "hark-test-\(UUID().uuidString.prefix(8))"
    private let target = "view"

    /// Starts `command` in a new `width`×`height` session.
    init(width: Int, height: Int, command: String) throws {
        // The server this starts inherits the client's descriptors and signal mask and outlives
        // it. So: Foundation's Process would wait on a descriptor of its own until the server
        // exits, hence posix_spawn and waitpid; every descriptor of the test process (say, the
        // write end of another test's stdin pipe) would stay open in the server, and a blocked
        // SIGTERM (test runners block signals) would make `kill-server` a no-op, as tmux ends
        // by signalling itself. A small Python step unblocks signals and closes all
        // descriptors but 0-2 before running tmux.
        let closeAndRun =
            "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); "
            + "os.closerange(3, os.sysconf('SC_OPEN_MAX')); os.execv(sys.argv[1], sys.argv[1:])"
        let arguments =
            [
                PackagePaths.python, "-c", closeAndRun, "/usr/bin/tmux", "-L", socket, "-f", "/dev/null",
                "new-session", "-d", "-s", target, "-x", "\(width)", "-y", "\(height)", command,
            ]
        var argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for descriptor: Int32 in 0...2 {
            posix_spawn_file_actions_addopen(
                &actions, descriptor, "/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, arguments[0], &actions, nil, &argv, environ)
        guard spawned == 0 else { throw TmuxError.failed("new-session", "posix_spawn: \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else { throw TmuxError.failed("new-session", "wait status \(status)") }
    }

    /// The visible screen: as rows, and with wrapped rows joined into logical lines (`-J`).
    func capture() throws -> (rows: String, joined: String) {
        let rows = try tmux(["capture-pane", "-p", "-t", target])
        let joined = try tmux(["capture-pane", "-p", "-J", "-t", target])
        guard rows.status == 0, joined.status == 0 else { throw TmuxError.failed("capture-pane", rows.stderr) }
        return (rows.stdout, joined.stdout)
    }

    /// The visible screen with its attributes as escape sequences (`-e`).
    func captureWithStyles() throws -> String {
        let result = try tmux(["capture-pane", "-p", "-e", "-t", target])
        guard result.status == 0 else { throw TmuxError.failed("capture-pane", result.stderr) }
        return result.stdout
    }

    /// Polls the screen until `done` says so; fails after `limit` seconds (a hang, not a wait).
    func waitFor(limit: Double = 90, _ done: (_ rows: String, _ joined: String) -> Bool) throws
        -> (rows: String, joined: String)
    {
        var screen = try capture()
        let seen = try Evidence.waitBlocking(limit: .seconds(limit)) {
            screen = try capture()
            return done(screen.rows, screen.joined)
        }
        guard seen else { throw TmuxError.timedOut(screen.rows) }
        return screen
    }

    /// Resizes the window; hark gets SIGWINCH.
    func resize(width: Int) throws {
        let result = try tmux(["resize-window", "-t", target, "-x", "\(width)"])
        guard result.status == 0 else { throw TmuxError.failed("resize-window", result.stderr) }
    }

    /// Ends the session and its server (and the command in it).
    func close() {
        _ = try? tmux(["kill-server"])
    }

    private func tmux(_ arguments: [String]) throws -> CommandResult {
        try CommandRunner.run("/usr/bin/tmux", ["-L", socket, "-f", "/dev/null"] + arguments, timeout: 30)
    }
}

enum TmuxError: Error, CustomStringConvertible {
    case failed(String, String)
    case timedOut(String)

    var description: String {
        switch self {
        case .failed(let command, let stderr): "tmux \(command) failed: \(stderr)"
        case .timedOut(let screen): "the expected screen did not appear; last screen:\n\(screen)"
        }
    }
}
