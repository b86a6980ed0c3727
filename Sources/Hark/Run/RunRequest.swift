/// Where a run's audio comes from.
package enum InputSelection: Sendable, Equatable {
    /// An ALSA capture device.
    case microphone(device: String)
    /// A WAV or raw PCM file.
    case file(path: String)
    /// `-`: standard input, WAV or raw.
    case standardInput
}

/// Everything the command line hands the library for one transcription run.
package struct RunRequest: Sendable {
    package var configuration: Configuration
    package var input: InputSelection
    /// The format of raw PCM input (`--rate`, `--channels`, `--sample-format`); nil: WAV only.
    package var rawFormat: AudioFormat?
    package var environment: [String: String]
    package var stdoutIsTerminal: Bool
    package var stderrIsTerminal: Bool
    /// Columns of the terminal on stdout (80 when unknown).
    package var terminalWidth: Int
    /// The live width of the terminal on stdout, for the live view to follow.
    ///
    /// The CLI's SIGWINCH watcher updates it. Nil: the width stays `terminalWidth`.
    package var terminalColumns: TerminalColumns?

    package init(
        configuration: Configuration, input: InputSelection, rawFormat: AudioFormat?, environment: [String: String],
        stdoutIsTerminal: Bool, stderrIsTerminal: Bool, terminalWidth: Int, terminalColumns: TerminalColumns? = nil
    ) {
        self.configuration = configuration
        self.input = input
        self.rawFormat = rawFormat
        self.environment = environment
        self.stdoutIsTerminal = stdoutIsTerminal
        self.stderrIsTerminal = stderrIsTerminal
        self.terminalWidth = terminalWidth
        self.terminalColumns = terminalColumns
    }
}
