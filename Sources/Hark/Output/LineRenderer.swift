/// Plain lines for a pipe or a file (`--format text`): one line per final, written at once.
///
/// With `interim`, interim results are printed too, each on its own line prefixed with `~ `
/// (a repeated identical interim is printed once), so `grep -v '^~ '` keeps the finals. With
/// `timestamps` each line starts with the segment's start, `[00:01:02.345] `, and a known
/// speaker adds `[S1] `. Status events are not printed: the CLI reports them on stderr.
package struct LineRenderer: TranscriptRenderer {
    /// What marks an interim line.
    package static let interimPrefix = "~ "

    private let sink: any TextSink
    private let interim: Bool
    private let timestamps: Bool
    private var lastInterim: String?

    package init(sink: any TextSink, interim: Bool = false, timestamps: Bool = false) {
        self.sink = sink
        self.interim = interim
        self.timestamps = timestamps
    }

    package mutating func render(_ event: TranscriptEvent) throws {
        switch event {
        case .final(let segment):
            lastInterim = nil
            guard !segment.text.allSatisfy(\.isWhitespace) else { return }
            try sink.write(TranscriptLineFormat.line(segment, timestamps: timestamps) + "\n")
        case .interim(let segment):
            guard interim, !segment.text.allSatisfy(\.isWhitespace) else { return }
            let line = TranscriptLineFormat.line(segment, timestamps: timestamps)
            guard line != lastInterim else { return }
            lastInterim = line
            try sink.write(Self.interimPrefix + line + "\n")
        case .speechStarted, .utteranceEnd, .metadata, .notice, .status:
            return
        }
    }

    package mutating func finish() throws {}
}
