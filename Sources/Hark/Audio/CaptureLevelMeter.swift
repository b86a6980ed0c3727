#if canImport(Glibc)
    import Glibc
#endif

/// The loudness of one block, in dB relative to full scale (0 dBFS is the loudest a sample can be).
package struct AudioLevel: Sendable, Equatable {
    /// Root-mean-square level: how loud the block sounds on average.
    package var rmsDBFS: Double
    /// Largest absolute sample: how close the block came to clipping.
    package var peakDBFS: Double

    package init(rmsDBFS: Double, peakDBFS: Double) {
        self.rmsDBFS = rmsDBFS
        self.peakDBFS = peakDBFS
    }

    /// Lowest level reported: digital silence would otherwise be minus infinity.
    package static let floorDBFS = -100.0

    /// The level of silence.
    package static let silence = AudioLevel(rmsDBFS: floorDBFS, peakDBFS: floorDBFS)

    /// Converts a linear amplitude (1 = full scale) to dBFS, clamped at `floorDBFS`.
    package static func decibels(_ amplitude: Double) -> Double {
        amplitude <= 0 ? floorDBFS : max(floorDBFS, 20 * log10(amplitude))
    }
}

/// Measures blocks for the `--meter` display: the level of each block, and a peak that holds
/// and then falls slowly so a short click stays visible long enough to be read.
package struct CaptureLevelMeter: Sendable {
    /// How fast the held peak falls once it stops being refreshed, in dB per second.
    package var peakFallRate: Double
    /// The held peak, in dBFS.
    package private(set) var heldPeakDBFS = AudioLevel.floorDBFS

    package init(peakFallRate: Double = 20) {
        self.peakFallRate = peakFallRate
    }

    /// The RMS and peak of `block` over all its channels.
    package static func level(of block: AudioBlock) -> AudioLevel {
        guard !block.samples.isEmpty else { return .silence }
        var sumOfSquares = 0.0
        var peak: Float = 0
        for sample in block.samples {
            sumOfSquares += Double(sample) * Double(sample)
            peak = max(peak, abs(sample))
        }
        let rms = (sumOfSquares / Double(block.samples.count)).squareRoot()
        return AudioLevel(rmsDBFS: AudioLevel.decibels(rms), peakDBFS: AudioLevel.decibels(Double(peak)))
    }

    /// Measures `block` and updates the held peak; returns the block's own level.
    package mutating func measure(_ block: AudioBlock) -> AudioLevel {
        let level = Self.level(of: block)
        let fallen = heldPeakDBFS - peakFallRate * block.duration
        heldPeakDBFS = max(level.peakDBFS, max(fallen, AudioLevel.floorDBFS))
        return level
    }

    /// A text bar for a level: `width` cells spanning `range` dBFS up to 0, filled up to `level`.
    package static func bar(for level: Double, width: Int, range: Double = 60) -> String {
        guard width > 0 else { return "" }
        let fraction = min(1, max(0, (level + range) / range))
        let filled = Int((fraction * Double(width)).rounded())
        return String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
    }
}
