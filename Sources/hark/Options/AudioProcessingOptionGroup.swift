import ArgumentParser
import Hark

/// The DSP chain between capture and the provider.
struct AudioProcessingOptionGroup: ParsableArguments {
    @Option(
        name: .customLong("chunk-ms"),
        help: ArgumentHelp(
            "Milliseconds of audio per message to the provider (20-1000; default: the provider's, 250, or 80 for Deepgram Flux).",
            valueName: "ms"))
    var chunkMilliseconds: Int?

    @Flag(
        inversion: .prefixedNo,
        help: "Skip silence (voice-activity gate). Default: on for the microphone, off for files.")
    var vad: Bool?

    @Option(
        name: .customLong("vad-level"),
        help: ArgumentHelp("Gate aggressiveness, 0 (lets most through) to 3 (strictest).", valueName: "0-3"))
    var vadLevel: Int?

    @Option(
        help: ArgumentHelp("Noise suppression level 0-3 (WebRTC); off unless given.", valueName: "level"))
    var denoise: Int?

    @Flag(help: "Automatic gain control (WebRTC).")
    var agc = false

    @Option(help: ArgumentHelp("Audio encoding on the wire: linear16, opus or mulaw.", valueName: "encoding"))
    var encoding: String?

    @Option(help: ArgumentHelp("Opus bitrate in bits per second.", valueName: "bps"))
    var bitrate: Int?

    func validate() throws {
        if let chunkMilliseconds, !(20...1000).contains(chunkMilliseconds) {
            throw ValidationError("--chunk-ms must be between 20 and 1000.")
        }
        if let vadLevel, !(0...3).contains(vadLevel) {
            throw ValidationError("--vad-level must be 0, 1, 2 or 3.")
        }
        if let denoise, !(0...3).contains(denoise) {
            throw ValidationError("--denoise must be 0, 1, 2 or 3.")
        }
        if let encoding, AudioEncoding(rawValue: encoding) == nil {
            throw ValidationError("--encoding must be linear16, opus or mulaw.")
        }
        if let bitrate, !(6000...256_000).contains(bitrate) {
            throw ValidationError("--bitrate must be between 6000 and 256000.")
        }
    }
}
