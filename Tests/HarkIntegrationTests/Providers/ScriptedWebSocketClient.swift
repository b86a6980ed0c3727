import Foundation
import HarkTestSupport

/// Drives a fake server with `Tests/Fakes/wsclient.py` (Python `websockets`), so a fake's protocol
/// can be checked apart from hark's own WebSocket client.
enum ScriptedWebSocketClient {
    /// What the client saw, in order.
    struct Transcript {
        /// Every line the client printed, parsed.
        var lines: [[String: Any]]

        /// The JSON objects the server sent as text messages.
        var messages: [[String: Any]] { lines.compactMap { $0["received"] as? [String: Any] } }

        /// The raw text of every text message, for decoders.
        var rawTexts: [String] { lines.compactMap { $0["raw"] as? String } }

        /// The `type` of every JSON message.
        var types: [String] { messages.compactMap { $0["type"] as? String } }

        /// The close code the server ended with, if it closed.
        var closeCode: Int? { lines.last { $0["closed"] != nil }?["closed"] as? Int }

        var closeReason: String? { lines.last { $0["closed"] != nil }?["reason"] as? String }

        /// The HTTP status of a refused upgrade.
        var rejectedStatus: Int? { lines.first { $0["rejected"] != nil }?["rejected"] as? Int }

        /// The messages of one type.
        func messages(ofType type: String) -> [[String: Any]] { messages.filter { $0["type"] as? String == type } }
    }

    /// Runs the steps (see wsclient.py) against `url` and returns what the client saw.
    static func run(url: String, headers: [String] = [], steps: [[String: Any]]) throws -> Transcript {
        let directory = try PackagePaths.temporaryDirectory("hark-wsclient")
        defer { try? FileManager.default.removeItem(at: directory) }
        let stepsFile = directory.appendingPathComponent("steps.json")
        try JSONSerialization.data(withJSONObject: steps).write(to: stepsFile)
        var arguments = [PackagePaths.fakes.appendingPathComponent("wsclient.py").path, "--url", url]
        for header in headers { arguments += ["--header", header] }
        arguments += ["--steps", stepsFile.path]
        let result = try CommandRunner.run(PackagePaths.python, arguments, timeout: 60)
        let lines = result.stdoutLines.compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        return Transcript(lines: lines)
    }

    /// A temporary file holding a `--script` for a fake.
    static func scriptFile(_ utterances: [(start: Double, end: Double, text: String)]) throws -> URL {
        let directory = try PackagePaths.temporaryDirectory("hark-fake-script")
        let file = directory.appendingPathComponent("script.json")
        let objects = utterances.map { ["start": $0.start, "end": $0.end, "text": $0.text] as [String: Any] }
        try JSONSerialization.data(withJSONObject: objects).write(to: file)
        return file
    }
}
