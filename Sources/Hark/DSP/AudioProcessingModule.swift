import CWebRTCAudio

/// WebRTC audio processing for one mono stream: high-pass filter, noise suppression, gain
/// control and voice detection, 10 ms at a time; the one owner of a `hark_apm` handle.
///
/// The C++ library sits behind the `CWebRTCAudio` shim's `extern "C"` API, so nothing C++ reaches
/// Swift. The shim uses the float path, which accepts any rate from 8 to 96 kHz (the int16 path
/// only 8/16/32/48 kHz, measured on Debian 12's 0.3).
package final class AudioProcessingModule {
    package let sampleRate: Int
    /// Samples in one 10 ms frame, the only length `process` accepts.
    package let frameLength: Int
    /// True when `process` reports voice (voice detection is on).
    package let detectsVoice: Bool
    private let handle: OpaquePointer

    /// Rates the float path accepts, in Hz.
    package static let supportedRates = 8_000...96_000

    /// - Throws: `DSPError.unsupportedSampleRate` outside 8–96 kHz, `.audioProcessingFailed`
    ///   when the library refuses the configuration.
    package init(sampleRate: Int, options: AudioProcessingOptions) throws(DSPError) {
        guard Self.supportedRates.contains(sampleRate) else {
            throw .unsupportedSampleRate(
                stage: "WebRTC audio processing", rate: sampleRate, supported: "8000 to 96000 Hz")
        }
        try options.validate()
        var settings = hark_apm_options(
            voice_detection: options.detectsVoice ? 1 : 0,
            vad_likelihood: Self.likelihood(forVADLevel: options.vadLevel),
            noise_suppression_level: options.noiseSuppression.map(Self.suppressionLevel) ?? -1,
            gain_control: options.gainControl ? 1 : 0,
            high_pass_filter: options.highPassFilter ? 1 : 0)
        if let reason = hark_apm_load() {
            throw .libraryMissing(
                MissingLibrary(
                    soname: HARK_APM_SONAME, debianPackage: "libwebrtc-audio-processing1",
                    neededFor: "--vad, --denoise and --agc", reason: String(cString: reason)))
        }
        var status: Int32 = 0
        guard let handle = hark_apm_create(Int32(sampleRate), &settings, &status) else {
            throw .audioProcessingFailed(
                code: status, reason: String(cString: hark_apm_strerror(status)),
                while: "setting up at \(sampleRate) Hz")
        }
        self.handle = handle
        self.sampleRate = sampleRate
        self.frameLength = Int(hark_apm_frame_length(handle))
        self.detectsVoice = options.detectsVoice
    }

    deinit {
        hark_apm_destroy(handle)
    }

    /// Processes one 10 ms frame in place and says whether it holds voice (always false when
    /// voice detection is off).
    /// - Precondition: `frame.count == frameLength`; anything else is a caller bug and throws.
    package func process(_ frame: inout [Float]) throws(DSPError) -> Bool {
        var voice: Int32 = 0
        let count = Int32(frame.count)
        let status = frame.withUnsafeMutableBufferPointer { buffer in
            hark_apm_process(handle, buffer.baseAddress, count, &voice)
        }
        guard status == 0 else {
            throw .audioProcessingFailed(
                code: status, reason: String(cString: hark_apm_strerror(status)),
                while: "processing a \(frame.count)-sample frame at \(sampleRate) Hz")
        }
        return voice != 0
    }

    /// Maps `--vad-level` onto the library's likelihood, whose names run the other way.
    ///
    /// webrtcvad's aggressiveness 0 lets the most audio through as speech and 3 the least. The
    /// APM header says of `VoiceDetection::Likelihood`: "A higher value makes it more likely that
    /// speech will not be clipped, at the expense of more noise being detected as voice", and
    /// 0.3 maps `kHighLikelihood` to the VAD's normal mode and `kVeryLowLikelihood` to its very
    /// aggressive one. So level 0 → `kHighLikelihood` (3), 1 → `kModerateLikelihood` (2),
    /// 2 → `kLowLikelihood` (1, the library's default), 3 → `kVeryLowLikelihood` (0, strictest).
    /// The shim takes the enum's raw order.
    static func likelihood(forVADLevel level: Int) -> Int32 {
        Int32(3 - min(max(level, 0), 3))
    }

    private static func suppressionLevel(_ level: NoiseSuppressionLevel) -> Int32 {
        switch level {
        case .low: 0
        case .moderate: 1
        case .high: 2
        case .veryHigh: 3
        }
    }
}

@available(*, unavailable)
extension AudioProcessingModule: Sendable {}
