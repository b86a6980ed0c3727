import ArgumentParser
import Hark

/// What is printed, and where.
struct OutputOptionGroup: ParsableArguments {
    @Option(
        help: ArgumentHelp("Output format: text, jsonl, srt or vtt.", valueName: "format"),
        completion: .list(OutputFormat.allCases.map(\.rawValue)))
    var format: String?

    @Flag(help: "Also print interim (changing) text when stdout is not a terminal.")
    var interim = false

    @Flag(help: "Prefix each line with its start time.")
    var timestamps = false

    @Flag(name: .customLong("no-color"), help: "No colours or dimming (also: NO_COLOR=1).")
    var noColor = false

    @Option(
        name: [.short, .customLong("output")],
        help: ArgumentHelp(
            "Also write the transcript to this file, in the --format chosen; stdout keeps the text.",
            valueName: "file"),
        completion: .file())
    var output: String?

    @Flag(help: "Append to the -o file instead of replacing it.")
    var append = false

    @Option(
        name: .customLong("save-audio"),
        help: ArgumentHelp("Keep the captured audio as a WAV file.", valueName: "file"),
        completion: .file(extensions: ["wav"]))
    var saveAudio: String?

    @Flag(help: "Show a live input level meter on stderr.")
    var meter = false

    func validate() throws {
        if let format, OutputFormat(rawValue: format) == nil {
            throw ValidationError("--format must be text, jsonl, srt or vtt.")
        }
        if append, output == nil {
            throw ValidationError("--append needs -o FILE.")
        }
    }
}
