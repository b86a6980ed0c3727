import ArgumentParser
import Hark

/// The `hark` command: streaming speech-to-text in the terminal.
@main
struct HarkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hark",
        abstract: "Live speech-to-text in the terminal: from a microphone, a file or standard input.",
        version: HarkVersion.string
    )

    func run() async throws {}
}
