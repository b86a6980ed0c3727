/// How the DSP chain treats audio between the resampler and the chunker: enhancement, then the
/// voice-activity gate. The CLI fills it from `--vad`, `--vad-level`, `--denoise`, `--agc`, …
///
/// Everything is off by default: the CLI turns the gate on for a microphone and leaves it off
/// for files unless asked, because a file is usually transcribed for the record, silences and all.
package struct AudioProcessingOptions: Sendable, Equatable {
    /// Send only speech (plus pre-roll and hang-over) instead of every sample.
    package var voiceActivityGate: Bool
    /// `--vad-level`, 0–3 like webrtcvad's aggressiveness: 0 lets the most through, 3 the least.
    package var vadLevel: Int
    /// Audio kept from before speech starts and sent with it, so a word's onset is never cut.
    package var preRoll: Duration
    /// Audio still sent after speech stops, so a word's tail and short pauses are never cut.
    package var hangOver: Duration
    /// `--denoise`: WebRTC noise suppression at this level, or nil for off.
    package var noiseSuppression: NoiseSuppressionLevel?
    /// `--agc`: WebRTC adaptive digital gain control.
    package var gainControl: Bool
    /// WebRTC's high-pass filter (removes DC and rumble below about 80 Hz).
    package var highPassFilter: Bool
    /// Set when the provider leaves turns to hark (`ProviderAdapter.maxClientTurnLength`): the
    /// voice detector then runs even with the gate off, every pause ends a turn, and so does this
    /// much unbroken speech.
    package var maxTurnLength: Duration?

    /// The `--vad-level` used when none is given, as in `Configuration`: 1, `kModerateLikelihood`.
    ///
    /// On `samples/sample.wav` levels 0 and 1 skip 11.7%, 2 skips 13.0% and 3 13.4%; none clips
    /// the espeak-ng speech in the tests, so the default leans towards letting speech through.
    package static let defaultVADLevel = 1

    package init(
        voiceActivityGate: Bool = false, vadLevel: Int = AudioProcessingOptions.defaultVADLevel,
        preRoll: Duration = .milliseconds(300), hangOver: Duration = .milliseconds(800),
        noiseSuppression: NoiseSuppressionLevel? = nil, gainControl: Bool = false, highPassFilter: Bool = false,
        maxTurnLength: Duration? = nil
    ) {
        self.voiceActivityGate = voiceActivityGate
        self.vadLevel = vadLevel
        self.preRoll = preRoll
        self.hangOver = hangOver
        self.noiseSuppression = noiseSuppression
        self.gainControl = gainControl
        self.highPassFilter = highPassFilter
        self.maxTurnLength = maxTurnLength
    }

    /// True when the voice detector runs: for the gate, or to find turns.
    package var detectsVoice: Bool { voiceActivityGate || maxTurnLength != nil }

    /// True when any stage needs WebRTC audio processing at all; when false the chain skips it.
    package var needsAudioProcessing: Bool {
        detectsVoice || noiseSuppression != nil || gainControl || highPassFilter
    }

    /// Checks ranges before any audio flows, so a bad flag fails at start-up.
    package func validate() throws(DSPError) {
        guard (0...3).contains(vadLevel) else {
            throw .invalidOption(option: "--vad-level", value: String(vadLevel), expected: "0, 1, 2 or 3")
        }
        guard preRoll >= .zero, preRoll <= .seconds(5) else {
            throw .invalidOption(option: "pre-roll", value: "\(preRoll)", expected: "0 to 5 seconds")
        }
        guard hangOver >= .zero, hangOver <= .seconds(10) else {
            throw .invalidOption(option: "hang-over", value: "\(hangOver)", expected: "0 to 10 seconds")
        }
        if let maxTurnLength, maxTurnLength < .seconds(1) {
            throw .invalidOption(option: "turn length", value: "\(maxTurnLength)", expected: "at least 1 second")
        }
    }
}

/// How hard `--denoise` suppresses noise; stronger removes more noise and distorts speech more.
package enum NoiseSuppressionLevel: String, Sendable, CaseIterable, Equatable {
    case low
    case moderate
    case high
    case veryHigh = "very-high"
}

extension Duration {
    /// This duration in whole samples at `sampleRate`, rounded to the nearest sample.
    package func sampleCount(at sampleRate: Int) -> Int {
        let (seconds, attoseconds) = components
        let exact = Double(seconds) * Double(sampleRate) + Double(attoseconds) * 1e-18 * Double(sampleRate)
        return Int(exact.rounded())
    }
}
