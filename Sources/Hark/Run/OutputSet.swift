/// The renderers of one run: the transcript on stdout (the live view on a terminal, the chosen
/// format on a pipe), an optional copy in the chosen format in `-o FILE`, and status lines for
/// stderr.
struct OutputSet {
    private var primary: any TranscriptRenderer
    private var file: (any TranscriptRenderer)?
    private let provider: String
    private let jsonOnStdout: Bool

    init(prepared: PreparedRun) throws {
        let request = prepared.request
        let configuration = request.configuration
        let provider = prepared.descriptor.name
        self.provider = provider
        let stdout = OutputSink.standardOutput()
        let interim = configuration.interim ?? false
        if let path = configuration.outputFile {
            // The file gets the chosen format; the terminal keeps the live view.
            let sink = try configuration.appendOutput ? OutputSink.append(path: path) : OutputSink.create(path: path)
            file = Self.renderer(
                configuration.format, sink: sink, provider: provider, interim: interim, request: request,
                liveView: false)
            primary = Self.renderer(
                .text, sink: stdout, provider: provider, interim: interim, request: request,
                liveView: request.stdoutIsTerminal)
            jsonOnStdout = false
        } else {
            primary = Self.renderer(
                configuration.format, sink: stdout, provider: provider, interim: interim, request: request,
                liveView: request.stdoutIsTerminal)
            jsonOnStdout = configuration.format == .jsonl
        }
    }

    private static func renderer(
        _ format: OutputFormat, sink: OutputSink, provider: String, interim: Bool, request: RunRequest, liveView: Bool
    ) -> any TranscriptRenderer {
        let configuration = request.configuration
        switch format {
        case .text:
            if liveView {
                return TerminalRenderer(
                    sink: sink, width: request.terminalWidth, color: configuration.color,
                    timestamps: configuration.timestamps)
            }
            return LineRenderer(sink: sink, interim: interim, timestamps: configuration.timestamps)
        case .jsonl:
            return JSONLinesRenderer(sink: sink, provider: provider, interim: interim || liveView)
        case .srt:
            return CaptionRenderer(sink: sink, format: .srt)
        case .vtt:
            return CaptionRenderer(sink: sink, format: .vtt)
        }
    }

    /// Renders one event everywhere it belongs; status lines go to `diagnostics`.
    mutating func render(_ event: TranscriptEvent, diagnostics: @Sendable (String) -> Void) throws {
        if let line = StatusLine.text(for: event) { diagnostics(line) }
        try primary.render(event)
        if case .final = event { PerformanceTrace.record("final_line") }
        try file?.render(event)
    }

    mutating func finish() throws {
        try primary.finish()
        try file?.finish()
    }
}

/// Human lines for stderr about what the session is doing.
package enum StatusLine {
    /// The stderr line for an event, or nil for events that only the transcript shows.
    package static func text(for event: TranscriptEvent) -> String? {
        switch event {
        case .status(.reconnecting(let reason, let delay, let attempt)):
            return "hark: connection lost (\(reason)); retrying in \(format(delay)) s, attempt \(attempt)"
        case .status(.audioLost(let from, let to, let reason)):
            return "hark: audio from \(format(from)) s to \(format(to)) s was not transcribed: \(reason)"
        case .status(.summary(let summary)):
            guard summary.secondsSent + 0.05 < summary.secondsCaptured, summary.secondsCaptured > 0 else { return nil }
            let saved = 100 * (1 - summary.secondsSent / summary.secondsCaptured)
            return
                "hark: \(format(summary.secondsCaptured)) s captured, \(format(summary.secondsSent)) s sent (silence skipped: \(Int(saved.rounded()))% saved)"
        case .notice(let text):
            return "hark: note: \(text)"
        default:
            return nil
        }
    }

    private static func format(_ seconds: Double) -> String {
        let tenths = Int((seconds * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
