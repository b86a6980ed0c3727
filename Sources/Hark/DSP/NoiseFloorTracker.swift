#if canImport(Glibc)
    import Glibc
#endif

/// Keeps WebRTC's voice detector from calling a quiet room's steady noise speech.
///
/// WebRTC's detector judges spectra, not loudness, and at `--vad-level` 0–1 it calls faint
/// white noise voice in bursts (measured before this tracker: 4.9 s of 18 s of −69 dBFS noise
/// sent at level 1). Speech stands well above the room it is spoken in, noise sits at its own
/// floor: a frame counts as voice only when it is also `margin` above the quietest frame of the
/// last `window` (minimum statistics, as noise estimators do). The window is short because it only
/// has to reach back past the start of an utterance: before speech comes noise or silence, and
/// within speech the gaps between syllables keep the floor low.
///
/// Frames quieter than `quietest` (digital silence, dithering) count as that level, so noise
/// that starts after digital silence is not a jump of 90 dB.
package struct NoiseFloorTracker: Sendable {
    /// How far above the floor a frame must be to count as voice, in dB.
    package let margin: Double
    /// The level quieter frames count as, in dBFS.
    package let quietest: Double
    private var levels: [Double]
    private var next = 0
    private var filled = 0

    /// - Parameter windowFrames: frames the floor looks back over (50 frames of 10 ms: 0.5 s).
    package init(windowFrames: Int = 50, margin: Double = 10, quietest: Double = -75) {
        self.margin = margin
        self.quietest = quietest
        levels = [Double](repeating: quietest, count: max(1, windowFrames))
    }

    /// The floor over the window, in dBFS (`quietest` before any frame).
    package var floor: Double { filled == 0 ? quietest : levels[0..<filled].min() ?? quietest }

    /// Takes one frame's level; returns whether it stands `margin` above the floor (this frame
    /// included in the floor, so a first loud frame after quiet ones passes and steady noise never does).
    package mutating func isAboveFloor(level: Double) -> Bool {
        let level = max(level, quietest)
        levels[next] = level
        next = (next + 1) % levels.count
        filled = min(filled + 1, levels.count)
        return level >= floor + margin
    }

    /// The RMS level of `samples` (full scale ±1) in dBFS.
    package static func level(of samples: [Float]) -> Double {
        guard !samples.isEmpty else { return -200 }
        var sum: Float = 0
        for sample in samples { sum += sample * sample }
        let meanSquare = Double(sum) / Double(samples.count)
        return meanSquare > 0 ? 10 * log10(meanSquare) : -200
    }
}
