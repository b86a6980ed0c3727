extension AudioProcessingOptions {
    /// The options a run's configuration asks for.
    ///
    /// An unset `vad` means on for a live source (a microphone: silence costs money and
    /// provider minutes) and off for files and standard input, which are transcribed for the
    /// record, silences and all.
    package init(configuration: Configuration, sourceIsLive: Bool) {
        self.init(
            voiceActivityGate: configuration.vad ?? sourceIsLive,
            vadLevel: configuration.vadLevel,
            preRoll: .milliseconds(configuration.preRollMilliseconds),
            hangOver: .milliseconds(configuration.hangOverMilliseconds),
            noiseSuppression: configuration.denoise.map(NoiseSuppressionLevel.init(level:)),
            gainControl: configuration.agc,
            highPassFilter: configuration.highPass)
    }
}

extension NoiseSuppressionLevel {
    /// `--denoise 0-3`: 0 low, 1 moderate, 2 high, 3 very high (out-of-range values are clamped).
    package init(level: Int) {
        let levels: [NoiseSuppressionLevel] = [.low, .moderate, .high, .veryHigh]
        self = levels[min(max(level, 0), levels.count - 1)]
    }
}
