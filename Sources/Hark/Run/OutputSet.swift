/// The renderers of one run: the transcript on stdout (the live view on a terminal, the chosen
/// format on a pipe), an optional copy in the chosen format in `-o FILE`, and status lines for
/// stderr.
///
/// Status lines go through here, on the rendering task, because the live view redraws its
/// interim in place: a line written to the same terminal by another task would land in the
/// middle of it, and the next redraw would erase it. Here the interim is taken back first and
/// drawn again by the next event.
struct OutputSet {
    private var primary: any TranscriptRenderer
    private var file: (any TranscriptRenderer)?
    private let provider: String
    private let jsonOnStdout: Bool
    /// Stdout shows the live view and stderr is a terminal too (most likely the same one).
    private let statusLinesShareTerminal: Bool
    /// A link to the provider is open: a failure now loses a connection rather than failing
    /// to make one, and the status line says which.
    private var linkUp = false
    /// Stderr, for the level meter drawn on the live view's row (`--meter`).
    private let standardError = OutputSink(descriptor: 2, name: "standard error")
    /// The latest meter text, and whether it is on screen now.
    private var meter: String?
    private var meterShown = false

    init(prepared: PreparedRun) throws {
        let request = prepared.request
        let configuration = request.configuration
        let provider = prepared.descriptor.name
        self.provider = provider
        let stdout = OutputSink.standardOutput()
        let interim = configuration.interim ?? false
        // With -o the terminal keeps the live view; otherwise only the text format has one.
        let primaryIsLiveView =
            request.stdoutIsTerminal && (configuration.outputFile != nil || configuration.format == .text)
        statusLinesShareTerminal = primaryIsLiveView && request.stderrIsTerminal
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
                if let columns = request.terminalColumns {
                    return TerminalRenderer(
                        sink: sink, columns: columns, color: configuration.color, timestamps: configuration.timestamps)
                }
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
        eraseMeter()
        defer { drawMeter() }
        if let line = StatusLine.text(for: event, linkWasUp: linkUp) { try writeStatus(line, diagnostics: diagnostics) }
        switch event {
        case .status(.connected): linkUp = true
        case .status(.reconnecting): linkUp = false
        default: break
        }
        try primary.render(event)
        if case .final = event { PerformanceTrace.record("final_line") }
        try file?.render(event)
    }

    /// Prints a whole line on stderr through `diagnostics`, first taking back the live view's
    /// interim when both go to a terminal; the next interim redraws it below the line.
    mutating func printStatus(_ line: String, diagnostics: @Sendable (String) -> Void) throws {
        eraseMeter()
        defer { drawMeter() }
        try writeStatus(line, diagnostics: diagnostics)
    }

    /// `printStatus` with the meter already out of the way.
    private mutating func writeStatus(_ line: String, diagnostics: @Sendable (String) -> Void) throws {
        if statusLinesShareTerminal { try primary.clearInterim() }
        diagnostics(line)
    }

    /// Shows the level meter (`--meter`) on the live view's terminal.
    ///
    /// Meter and interim would share one row, so the meter shows only while no interim is on
    /// screen (between utterances) and gives way to the words as soon as they come.
    mutating func showMeter(_ text: String) {
        meter = text
        drawMeter()
    }

    private mutating func drawMeter() {
        guard let meter, !primary.showsInterim else { return }
        // Best effort: a meter that cannot be drawn must not end the transcript.
        try? standardError.write("\r\u{1B}[K" + meter)
        meterShown = true
    }

    private mutating func eraseMeter() {
        guard meterShown else { return }
        try? standardError.write("\r\u{1B}[K")
        meterShown = false
    }

    mutating func finish() throws {
        eraseMeter()
        meter = nil
        try primary.finish()
        try file?.finish()
    }
}

/// Human lines for stderr about what the session is doing.
package enum StatusLine {
    /// The stderr line for an event, or nil for events that only the transcript shows.
    /// - Parameter linkWasUp: a connection was open when the failure came (else hark had not
    ///   got one yet: refused, rejected, unreachable).
    package static func text(for event: TranscriptEvent, linkWasUp: Bool = true) -> String? {
        switch event {
        case .status(.reconnecting(let reason, let delay, let attempt)):
            let what = linkWasUp ? "connection lost" : "could not connect"
            return "hark: \(what) (\(reason)); retrying in \(format(delay)) s, attempt \(attempt)"
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
