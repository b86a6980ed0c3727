import ArgumentParser
import Hark

/// Where audio comes from and how fast.
struct InputOptions: ParsableArguments {
    @Argument(
        help: ArgumentHelp(
            "A WAV or raw PCM file, or '-' for standard input. Without it, hark listens to the microphone.",
            valueName: "input"),
        completion: .file(extensions: ["wav", "raw", "pcm"]))
    var input: String?

    @Option(help: ArgumentHelp("ALSA capture device (see 'hark devices').", valueName: "name"))
    var device: String?

    @Option(help: ArgumentHelp("Sample rate of raw PCM input, in Hz.", valueName: "hz"))
    var rate: Int?

    @Option(help: ArgumentHelp("Channel count of raw PCM input.", valueName: "n"))
    var channels: Int?

    @Option(
        name: .customLong("sample-format"),
        help: ArgumentHelp("Sample format of raw PCM input: s16le, s24le, s32le or f32le.", valueName: "format"),
        completion: .list(["s16le", "s24le", "s32le", "f32le"]))
    var sampleFormat: String?

    @Option(
        help: ArgumentHelp(
            "Streaming speed for files and stdin: 1 is real time (as if live), N is N times, 'max' is as fast as the provider accepts.",
            valueName: "speed"))
    var speed: String?

    func validate() throws {
        if let rate, !(8000...384_000).contains(rate) {
            throw ValidationError("--rate must be between 8000 and 384000 Hz.")
        }
        if let channels, !(1...32).contains(channels) {
            throw ValidationError("--channels must be between 1 and 32.")
        }
        if let sampleFormat, SampleFormat(rawValue: sampleFormat) == nil {
            throw ValidationError("--sample-format must be one of s16le, s24le, s32le, f32le.")
        }
        if let speed, PacingSpeed(argument: speed) == nil {
            throw ValidationError("--speed must be a positive number or 'max'.")
        }
        if input == nil, rate != nil || channels != nil || sampleFormat != nil {
            // The microphone's format is negotiated with the device.
            throw ValidationError("--rate, --channels and --sample-format describe raw PCM input; give a file or '-'.")
        }
    }
}
