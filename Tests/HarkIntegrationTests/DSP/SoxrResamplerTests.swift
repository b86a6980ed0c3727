import Testing

@testable import Hark

@Suite("soxr resampler: passband, stopband, exact length and timing")
struct SoxrResamplerTests {
    /// Resamples `input` in random block sizes, then flushes.
    static func resample(_ input: [Float], from inputRate: Int, to outputRate: Int, seed: UInt64 = 1) throws -> [Float]
    {
        let resampler = try SoxrResampler(inputRate: inputRate, outputRate: outputRate)
        var splits = SeededSplits(seed: seed)
        var output: [Float] = []
        var position = 0
        while position < input.count {
            let end = min(input.count, position + splits.next(upTo: 4800))
            output += try resampler.process(Array(input[position..<end]))
            position = end
        }
        output += try resampler.finish()
        return output
    }

    @Test(
        "tones below 0.4 of the output rate pass within 0.1 dB",
        arguments: [(48000, 16000), (44100, 16000), (22050, 16000), (44100, 24000), (8000, 16000)])
    func passbandIsFlat(rates: (Int, Int)) throws {
        let (inputRate, outputRate) = rates
        let limit = min(0.4 * Double(outputRate), 0.4 * Double(inputRate))
        var gains: [Double] = []
        for frequency in [100.0, 440, 1000, 2500, 4000, limit * 0.8, limit] where frequency <= limit {
            let input = DSPTestAudio.tone(frequency: frequency, seconds: 1.5, rate: inputRate)
            let output = try Self.resample(input, from: inputRate, to: outputRate)
            let gain = DSPTestAudio.decibels(
                DSPTestAudio.rms(output, margin: outputRate / 5) / DSPTestAudio.rms(input, margin: inputRate / 5))
            gains.append(gain)
            #expect(abs(gain) <= 0.1, "\(inputRate)->\(outputRate) at \(frequency) Hz: \(gain) dB")
        }
        let ripple = (gains.max() ?? 0) - (gains.min() ?? 0)
        #expect(ripple <= 0.1, "ripple \(ripple) dB")
    }

    @Test(
        "tones above the new Nyquist are rejected by at least 100 dB",
        arguments: [(48000, 16000), (44100, 16000), (96000, 16000), (48000, 24000)])
    func stopbandRejectsAliases(rates: (Int, Int)) throws {
        let (inputRate, outputRate) = rates
        let nyquist = Double(outputRate) / 2
        for frequency in [nyquist * 1.03, nyquist * 1.25, nyquist * 1.9, Double(inputRate) * 0.45] {
            let input = DSPTestAudio.tone(frequency: frequency, seconds: 1.0, rate: inputRate)
            let output = try Self.resample(input, from: inputRate, to: outputRate)
            let rejection = DSPTestAudio.decibels(
                DSPTestAudio.rms(output, margin: outputRate / 5) / DSPTestAudio.rms(input, margin: inputRate / 5))
            #expect(rejection <= -100, "\(inputRate)->\(outputRate) at \(frequency) Hz: \(rejection) dB")
        }
    }

    @Test("ten minutes of 44.1 kHz in random blocks give exactly round(n * 16000 / 44100) samples")
    func longStreamLengthIsExact() throws {
        let resampler = try SoxrResampler(inputRate: 44100, outputRate: 16000)
        let noise = DSPTestAudio.noise(count: 44100, amplitude: 0.3, seed: 3)
        var splits = SeededSplits(seed: 9)
        let total = 44100 * 600 + 1234
        var fed = 0
        var produced = 0
        while fed < total {
            let count = min(total - fed, splits.next(upTo: 8000))
            let offset = fed % 30000
            produced += try resampler.process(Array(noise[offset..<offset + count])).count
            fed += count
        }
        produced += try resampler.finish().count
        #expect(produced == (total * 16000 + 22050) / 44100)
    }

    @Test(
        "the output length is exact for every rate pair, including 1-sample blocks",
        arguments: [(48000, 16000), (44100, 16000), (8000, 16000), (192000, 16000), (32000, 24000), (11025, 24000)])
    func lengthIsExactForRatePairs(rates: (Int, Int)) throws {
        let (inputRate, outputRate) = rates
        for total in [1, 7, 441, 4799, 96_001] {
            let resampler = try SoxrResampler(inputRate: inputRate, outputRate: outputRate)
            var produced = 0
            var fed = 0
            var splits = SeededSplits(seed: UInt64(total))
            while fed < total {
                let count = min(total - fed, fed < 50 ? 1 : splits.next(upTo: 3000))
                produced += try resampler.process([Float](repeating: 0.1, count: count)).count
                fed += count
            }
            produced += try resampler.finish().count
            #expect(
                produced == (total * outputRate + inputRate / 2) / inputRate, "\(inputRate)->\(outputRate) n=\(total)")
        }
    }

    @Test("a sound starting at input time t appears at output sample t * outputRate (delay compensated)")
    func outputIsNotDelayed() throws {
        let inputRate = 44100
        let onset = 30_000
        let input =
            [Float](repeating: 0, count: onset) + DSPTestAudio.tone(frequency: 1000, seconds: 0.5, rate: inputRate)
        let output = try Self.resample(input, from: inputRate, to: 16000)
        let expected = Double(onset) * 16000 / Double(inputRate)
        let found = try #require(DSPTestAudio.onset(of: output, threshold: 0.05))
        #expect(abs(Double(found) - expected) <= 3, "onset at \(found), expected \(expected)")
    }

    @Test("equal rates pass samples through untouched")
    func equalRatesPassThrough() throws {
        let resampler = try SoxrResampler(inputRate: 16000, outputRate: 16000)
        let input = DSPTestAudio.noise(count: 1000, amplitude: 0.5, seed: 1)
        #expect(try resampler.process(input) == input)
        #expect(try resampler.finish().isEmpty)
    }

    @Test("rates outside 8-192 kHz are refused with a message naming the range")
    func unsupportedRateIsRefused() {
        #expect(throws: DSPError.unsupportedSampleRate(stage: "resampler", rate: 4000, supported: "8000 to 192000 Hz"))
        {
            try SoxrResampler(inputRate: 4000, outputRate: 16000)
        }
    }
}
