/// Why a DSP stage (resampler, audio processing, encoder) failed, phrased for the person running hark.
///
/// Each case keeps the C library's own code and text, so a bug report carries the cause.
package enum DSPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A sample rate the stage cannot work at.
    case unsupportedSampleRate(stage: String, rate: Int, supported: String)
    /// libsoxr refused to create or run a resampler.
    case resamplerFailed(inputRate: Int, outputRate: Int, reason: String)
    /// WebRTC audio processing returned an error code.
    case audioProcessingFailed(code: Int32, reason: String, while: String)
    /// libopusenc (or the libopus under it) returned an error code.
    case encoderFailed(library: String, code: Int32, reason: String, while: String)
    /// An option value outside its range (e.g. `--vad-level 7`).
    case invalidOption(option: String, value: String, expected: String)
    /// The stage's library (opened on first use) is not installed.
    case libraryMissing(MissingLibrary)

    package var description: String {
        switch self {
        case .unsupportedSampleRate(let stage, let rate, let supported):
            "the \(stage) cannot work at \(rate) Hz (it supports \(supported)); convert the audio or pick a provider "
                + "rate it supports."
        case .resamplerFailed(let inputRate, let outputRate, let reason):
            "resampling \(inputRate) Hz to \(outputRate) Hz failed: \(reason) (libsoxr). This is a bug in hark; "
                + "please report it with the input's format."
        case .audioProcessingFailed(let code, let reason, let activity):
            "WebRTC audio processing failed while \(activity): \(reason) (code \(code)). Run again without "
                + "--denoise/--agc/--vad to work around it, and report it."
        case .encoderFailed(let library, let code, let reason, let activity):
            "\(library) failed while \(activity): \(reason) (code \(code)). Use --encoding linear16 to work around "
                + "it, and report it."
        case .invalidOption(let option, let value, let expected):
            "\(option) \(value) is out of range: expected \(expected)."
        case .libraryMissing(let missing):
            missing.description
        }
    }
}
