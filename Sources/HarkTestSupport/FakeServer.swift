package import Foundation

/// A fake provider (or plain test) server from `Tests/Fakes`, started on loopback for one test.
///
/// Every fake follows one convention: `python3 Tests/Fakes/NAME.py --port 0 [options]` binds
/// 127.0.0.1 on a free port, prints `LISTENING <port>` as its first stdout line, writes what it
/// received under `--record DIR` when given, and exits on SIGTERM.
package final class FakeServer: @unchecked Sendable {
    // @unchecked: `process` is set once in init and only read afterwards; Process itself
    // does its own locking.
    package let port: Int
    package let recordDirectory: URL
    private let process: Process
    private let stderrPipe: Pipe

    /// Starts `Tests/Fakes/<script>` with `arguments` and waits for its port.
    package init(script: String, arguments: [String] = [], environment: [String: String] = [:]) throws {
        let record = try PackagePaths.temporaryDirectory("hark-fake-\(script)")
        recordDirectory = record
        let process = Process()
        process.executableURL = URL(fileURLWithPath: PackagePaths.python)
        process.arguments =
            ["-u", PackagePaths.fakes.appendingPathComponent(script).path, "--port", "0", "--record", record.path]
            + arguments
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        process.environment = env
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        self.process = process
        self.stderrPipe = stderr
        // The first line names the port. Read byte by byte so nothing after it is consumed.
        var line = [UInt8]()
        let handle = stdout.fileHandleForReading
        while true {
            let byte = handle.readData(ofLength: 1)
            if byte.isEmpty { break }
            if byte[byte.startIndex] == UInt8(ascii: "\n") { break }
            line.append(byte[byte.startIndex])
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("LISTENING "), let port = Int(text.dropFirst("LISTENING ".count)) else {
            process.terminate()
            let errors = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw FakeServerError.didNotStart(script: script, output: text + errors)
        }
        self.port = port
    }

    /// `ws://127.0.0.1:<port>` (or another scheme) for `--endpoint`.
    package func endpoint(scheme: String = "ws") -> String { "\(scheme)://127.0.0.1:\(port)" }

    /// A file the fake recorded, as bytes (empty when absent).
    package func recorded(_ name: String) -> Data {
        (try? Data(contentsOf: recordDirectory.appendingPathComponent(name))) ?? Data()
    }

    /// A recorded JSON Lines file, one parsed object per line.
    package func recordedEvents(_ name: String = "events.jsonl") -> [[String: Any]] {
        let text = String(decoding: recorded(name), as: UTF8.self)
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// Stops the fake and returns what it wrote on stderr (useful in failure messages).
    @discardableResult
    package func stop() -> String {
        if process.isRunning {
            process.terminate()
            // A fake that ignores SIGTERM must not hang the suite.
            _ = Evidence.waitBlocking(limit: .seconds(5)) { !process.isRunning }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        return String(decoding: stderrPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    deinit {
        if process.isRunning { process.terminate() }
    }
}

/// A fake that failed to come up.
package enum FakeServerError: Error, CustomStringConvertible {
    case didNotStart(script: String, output: String)

    package var description: String {
        switch self {
        case .didNotStart(let script, let output): "fake server \(script) did not start: \(output)"
        }
    }
}
