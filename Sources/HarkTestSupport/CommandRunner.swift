package import Foundation

/// The result of running a command to completion.
package struct CommandResult: Sendable {
    package var status: Int32
    package var stdout: String
    package var stderr: String
    /// Stdout split into lines, without empty ones.
    package var stdoutLines: [String] { stdout.split(separator: "\n").map(String.init) }
}

/// Runs the built `hark` (or any command) with arguments, environment and standard input.
package enum CommandRunner {
    /// Runs `hark` from `PackagePaths.harkBinary`.
    /// - Parameters:
    ///   - environment: added to a clean environment that has no provider keys unless given.
    ///   - stdin: bytes for standard input; nil gives /dev/null.
    ///   - timeout: the process is killed after this many seconds (a hang is a failure, not a wait).
    package static func hark(
        _ arguments: [String], environment: [String: String] = [:], stdin: Data? = nil, timeout: Double = 120,
        currentDirectory: URL? = nil
    ) throws -> CommandResult {
        try run(
            PackagePaths.harkBinary.path, arguments, environment: environment, stdin: stdin, timeout: timeout,
            currentDirectory: currentDirectory)
    }

    /// Runs any executable.
    package static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], stdin: Data? = nil,
        timeout: Double = 120, currentDirectory: URL? = nil
    ) throws -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for key in [
            "DEEPGRAM_API_KEY", "ASSEMBLYAI_API_KEY", "OPENAI_API_KEY", "GOOGLE_APPLICATION_CREDENTIALS",
            "GOOGLE_ACCESS_TOKEN", "HARK_PROVIDER", "NO_COLOR",
        ] {
            env[key] = nil
        }
        // A test must never read the developer's own configuration.
        env["XDG_CONFIG_HOME"] = FileManager.default.temporaryDirectory.appendingPathComponent("hark-no-config").path
        env.merge(environment) { $1 }
        process.environment = env
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = stdin == nil ? FileHandle.nullDevice : input
        try process.run()
        if let stdin {
            DispatchQueue.global().async {
                try? input.fileHandleForWriting.write(contentsOf: stdin)
                try? input.fileHandleForWriting.close()
            }
        }
        // Drain both pipes concurrently so a chatty process cannot block on a full pipe.
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data()
        nonisolated(unsafe) var errData = Data()
        group.enter()
        DispatchQueue.global().async {
            outData = out.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let deadline = DispatchTime.now() + timeout
        if group.wait(timeout: deadline) == .timedOut {
            process.terminate()
            kill(process.processIdentifier, SIGKILL)
            group.wait()
        }
        process.waitUntilExit()
        return CommandResult(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// A command started in the background, for tests that signal it (Ctrl-C) while it runs.
package final class RunningCommand: @unchecked Sendable {
    // @unchecked: the pipes' data is behind locks; Process does its own locking.
    private let process: Process
    private let out = Pipe()
    private let err = Pipe()
    private let outData = LockedData()
    private let errData = LockedData()
    private let group = DispatchGroup()

    /// What the command has printed so far, read while it runs.
    private final class LockedData: @unchecked Sendable {
        // @unchecked: every access holds `lock`.
        private let lock = NSLock()
        private var data = Data()
        func append(_ more: Data) { lock.withLock { data.append(more) } }
        var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
    }

    /// Starts `hark` with `arguments` in an environment without provider keys unless given.
    package init(harkArguments arguments: [String], environment: [String: String] = [:]) throws {
        process = Process()
        process.executableURL = PackagePaths.harkBinary
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for key in ["DEEPGRAM_API_KEY", "ASSEMBLYAI_API_KEY", "OPENAI_API_KEY", "HARK_PROVIDER", "NO_COLOR"] {
            env[key] = nil
        }
        env["XDG_CONFIG_HOME"] = FileManager.default.temporaryDirectory.appendingPathComponent("hark-no-config").path
        env.merge(environment) { $1 }
        process.environment = env
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        for (pipe, data) in [(out, outData), (err, errData)] {
            group.enter()
            DispatchQueue.global().async { [group] in
                // availableData returns what the pipe holds now, and empty data only at end of file.
                while true {
                    let chunk = pipe.fileHandleForReading.availableData
                    if chunk.isEmpty { break }
                    data.append(chunk)
                }
                group.leave()
            }
        }
    }

    /// What the command has printed on stdout so far.
    package var stdoutSoFar: String { outData.text }

    /// What the command has printed on stderr so far.
    package var stderrSoFar: String { errData.text }

    /// Sends a signal (SIGINT for Ctrl-C).
    package func send(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits for exit (killing the process after `timeout` seconds) and returns what it printed.
    package func wait(timeout: Double = 60) -> CommandResult {
        if group.wait(timeout: .now() + timeout) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            group.wait()
        }
        process.waitUntilExit()
        return CommandResult(
            status: process.terminationStatus, stdout: outData.text, stderr: errData.text)
    }
}
