import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Live transcript on a terminal: the current interim redrawn in place, dimmed, and replaced by
/// its final line in normal colour.
///
/// An interim longer than the terminal wraps onto several rows; the renderer knows how many
/// (`DisplayWidth.rows`, counting wide and combining characters) and on redraw moves up to the
/// first of them and clears to the end of the screen, so no fragment is left behind. When the
/// new interim only extends the one shown, only the new suffix is written (no flicker). Each
/// redraw is a single `write`, so a redraw is never seen half done.
///
/// `color: false` (`--no-color`, `NO_COLOR`) writes no SGR codes; redrawing still uses carriage
/// return, cursor-up and erase. Speakers and timestamps appear as in `LineRenderer`.
package struct TerminalRenderer: TranscriptRenderer {
    private static let dim = "\u{1B}[2m"
    private static let reset = "\u{1B}[0m"
    private static let eraseBelow = "\u{1B}[J"

    private let sink: any TextSink
    private let color: Bool
    private let timestamps: Bool
    /// The shared width, when the renderer follows one.
    private var columns: TerminalColumns?
    /// The interim on screen (with its labels), or nil.
    private var shown: String?
    /// Rows `shown` occupies at `shownWidth`.
    private var shownRows = 1
    /// Terminal width when `shown` was laid out.
    private var shownWidth: Int

    /// Terminal columns; the CLI updates it on SIGWINCH and the next redraw uses it.
    package var width: Int {
        didSet { width = max(1, width) }
    }

    /// Follows `columns`, which the CLI's SIGWINCH watcher updates from any task; the width is
    /// read at each event.
    package init(sink: any TextSink, columns: TerminalColumns, color: Bool, timestamps: Bool = false) {
        self.init(sink: sink, width: columns.current, color: color, timestamps: timestamps)
        self.columns = columns
    }

    /// - Parameters:
    ///   - width: terminal columns (`TIOCGWINSZ`); 80 when unknown.
    ///   - color: SGR dimming for interims; false for `--no-color` or `NO_COLOR`.
    package init(sink: any TextSink, width: Int, color: Bool, timestamps: Bool = false) {
        self.sink = sink
        self.width = max(1, width)
        self.shownWidth = max(1, width)
        self.color = color
        self.timestamps = timestamps
    }

    /// Whether to dim interims: not with `--no-color`, nor when `NO_COLOR` is set to anything
    /// but the empty string (no-color.org), nor on a `TERM=dumb` terminal.
    package static func wantsColor(noColorFlag: Bool, environment: [String: String]) -> Bool {
        if noColorFlag { return false }
        if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return false }
        return environment["TERM"] != "dumb"
    }

    package mutating func render(_ event: TranscriptEvent) throws {
        if let columns { width = columns.current }
        switch event {
        case .interim(let segment):
            if segment.text.allSatisfy(\.isWhitespace) {
                try clearInterim()
            } else {
                try showInterim(TranscriptLineFormat.line(segment, timestamps: timestamps))
            }
        case .final(let segment):
            var output = eraseShown()
            if !segment.text.allSatisfy(\.isWhitespace) {
                output += TranscriptLineFormat.line(segment, timestamps: timestamps) + "\n"
            }
            forget()
            if !output.isEmpty { try sink.write(output) }
        case .speechStarted, .utteranceEnd, .metadata, .notice, .status:
            return
        }
    }

    /// Leaves a last unfinished interim on screen and ends its line, so the shell prompt
    /// starts on a fresh row.
    package mutating func finish() throws {
        guard shown != nil else { return }
        forget()
        try sink.write("\n")
    }

    /// Whether an interim is on screen.
    package var showsInterim: Bool { shown != nil }

    /// Erases the interim on screen; the next interim is drawn afresh.
    ///
    /// The CLI calls it before printing a status line on stderr to the same terminal.
    package mutating func clearInterim() throws {
        let output = eraseShown()
        forget()
        if !output.isEmpty { try sink.write(output) }
    }

    private mutating func showInterim(_ line: String) throws {
        if let shown, width == shownWidth, line.hasPrefix(shown) {
            // The provider extended its hypothesis: append, the terminal wraps on its own.
            let suffix = String(line.dropFirst(shown.count))
            self.shown = line
            shownRows = DisplayWidth.rows(line, columns: width)
            if !suffix.isEmpty { try sink.write(styled(suffix)) }
            return
        }
        let output = eraseShown() + styled(line)
        shown = line
        shownWidth = width
        shownRows = DisplayWidth.rows(line, columns: width)
        try sink.write(output)
    }

    /// The escape sequence that erases the shown interim and leaves the cursor where it began.
    ///
    /// After a width change the interim's rows depend on whether the terminal reflowed it
    /// (VTE, kitty, tmux) or not (xterm). The smaller count is used: moving up too far would
    /// erase final lines, which matter more than a stale fragment of an interim.
    private func eraseShown() -> String {
        guard let shown else { return "" }
        var rows = shownRows
        if width != shownWidth { rows = min(rows, DisplayWidth.rows(shown, columns: width)) }
        return "\r" + (rows > 1 ? "\u{1B}[\(rows - 1)A" : "") + Self.eraseBelow
    }

    private mutating func forget() {
        shown = nil
        shownRows = 1
        shownWidth = width
    }

    private func styled(_ text: String) -> String {
        color ? Self.dim + text + Self.reset : text
    }
}

/// A terminal's width in columns, shared by the SIGWINCH watcher and the renderer.
///
/// The CLI's signal task updates it; `TerminalRenderer` reads it at each event. `Sendable`
/// through its atomic.
package final class TerminalColumns: Sendable {
    private let value: Atomic<Int>

    package init(_ columns: Int) {
        value = Atomic(max(1, columns))
    }

    /// The latest width.
    package var current: Int { value.load(ordering: .relaxed) }

    package func update(_ columns: Int) {
        value.store(max(1, columns), ordering: .relaxed)
    }

    /// The width of the terminal on `descriptor`, or nil when it is not a terminal.
    ///
    /// The corresponding C function is `ioctl` with `TIOCGWINSZ`.
    package static func query(descriptor: Int32) -> Int? {
        var size = winsize()
        guard ioctl(descriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
        return Int(size.ws_col)
    }
}
