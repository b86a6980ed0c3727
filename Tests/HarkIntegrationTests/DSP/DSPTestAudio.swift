import Foundation
import HarkTestSupport
import Testing

/// Audio made and measured for the DSP tests: tones, speech from espeak-ng, WAV files, levels.
enum DSPTestAudio {
    /// A sine at `frequency` Hz.
    static func tone(frequency: Double, amplitude: Float = 0.5, seconds: Double, rate: Int) -> [Float] {
        let count = Int(seconds * Double(rate))
        let step = 2 * Double.pi * frequency / Double(rate)
        return (0..<count).map { amplitude * Float(sin(step * Double($0))) }
    }

    /// Root mean square of `samples`, skipping `margin` samples at each end (filter transients).
    static func rms(_ samples: [Float], margin: Int = 0) -> Double {
        let slice = samples.dropFirst(margin).dropLast(margin)
        guard !slice.isEmpty else { return 0 }
        let sum = slice.reduce(0.0) { $0 + Double($1) * Double($1) }
        return (sum / Double(slice.count)).squareRoot()
    }

    static func decibels(_ ratio: Double) -> Double { 20 * log10(max(ratio, 1e-30)) }

    /// Mono samples and rate of a 16-bit PCM WAV file.
    static func readWAV(_ url: URL) throws -> (samples: [Float], rate: Int) {
        try WAVFile.read(url)
    }

    /// `text` spoken by espeak-ng, as mono samples at its 22050 Hz.
    static func speech(_ text: String) throws -> (samples: [Float], rate: Int) {
        let directory = try PackagePaths.temporaryDirectory("hark-espeak")
        defer { try? FileManager.default.removeItem(at: directory) }
        let wav = directory.appendingPathComponent("speech.wav")
        let result = try CommandRunner.run("/usr/bin/espeak-ng", ["-w", wav.path, text])
        try #require(result.status == 0, "espeak-ng failed: \(result.stderr)")
        return try readWAV(wav)
    }

    /// Index of the first sample louder than `threshold`.
    static func onset(of samples: [Float], threshold: Float = 0.02) -> Int? {
        samples.firstIndex { abs($0) > threshold }
    }

    /// Deterministic white noise in [-amplitude, amplitude].
    static func noise(count: Int, amplitude: Float, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return amplitude * (Float(state >> 40) / Float(1 << 23) * 2 - 1)
        }
    }

    /// Pearson correlation of two equally long signals.
    static func correlation(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Double {
        let n = min(a.count, b.count)
        guard n > 1 else { return 0 }
        var sx = 0.0
        var sy = 0.0
        var sxy = 0.0
        var sxx = 0.0
        var syy = 0.0
        var ia = a.startIndex
        var ib = b.startIndex
        for _ in 0..<n {
            let x = Double(a[ia])
            let y = Double(b[ib])
            sx += x
            sy += y
            sxy += x * y
            sxx += x * x
            syy += y * y
            ia += 1
            ib += 1
        }
        let count = Double(n)
        let covariance = sxy - sx * sy / count
        let variance = (sxx - sx * sx / count) * (syy - sy * sy / count)
        return covariance / max(variance.squareRoot(), 1e-30)
    }
}

/// A small seeded generator so random block sizes repeat.
struct SeededSplits {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next(upTo limit: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(limit)) + 1
    }
}
