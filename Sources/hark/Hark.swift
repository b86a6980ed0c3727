import ArgumentParser
import Hark

/// The `hark` command: streaming speech-to-text in the terminal.
@main
struct HarkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hark",
        abstract: "Live speech-to-text in the terminal: from a microphone, a file or standard input.",
        discussion: """
            Examples:
              hark                             the default microphone, until Ctrl-C
              hark speech.wav                  a WAV file, streamed as if live
              hark --speed max speech.wav      as fast as the provider accepts
              hark --rate 16000 talk.raw       raw PCM (s16le, mono unless --channels)
              ffmpeg -i a.mp3 -f wav - | hark -
              hark --format jsonl a.wav | jq -r 'select(.type=="final") | .text'
              hark --provider deepgram --language en -o notes.txt
              hark devices                     list capture devices
              hark providers                   what each provider supports
              hark serve                       a browser page as the microphone (prints its URL)

            Keys come from the environment (DEEPGRAM_API_KEY, ASSEMBLYAI_API_KEY, OPENAI_API_KEY, GOOGLE_APPLICATION_CREDENTIALS) or the configuration file, never from a flag. With none, hark uses the offline 'local' recognizer.

            Every flag: hark help transcribe (or man hark.transcribe once installed).
            """,
        version: HarkVersion.string,
        subcommands: [Transcribe.self, Serve.self, Devices.self, Providers.self, ConfigCommand.self],
        defaultSubcommand: Transcribe.self
    )
}
