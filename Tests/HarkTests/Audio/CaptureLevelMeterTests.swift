import Foundation
import Testing

@testable import Hark

private func block(_ samples: [Float], rate: Int = 16000) -> AudioBlock {
    AudioBlock(samples: samples, sampleRate: rate, channels: 1, inputStart: 0)
}

private func sine(amplitude: Float, frames: Int = 1600) -> [Float] {
    (0..<frames).map { amplitude * Float(sin(2 * Double.pi * 400 * Double($0) / 16000)) }
}

@Suite("Capture level meter")
struct CaptureLevelMeterTests {
    @Test("a full-scale sine measures 0 dBFS peak and -3 dBFS RMS")
    func fullScaleSine() {
        let level = CaptureLevelMeter.level(of: block(sine(amplitude: 1)))
        #expect(abs(level.peakDBFS) < 0.01)
        #expect(abs(level.rmsDBFS - -3.0103) < 0.01)
    }

    @Test("halving the amplitude lowers both levels by 6 dB")
    func halfAmplitude() {
        let full = CaptureLevelMeter.level(of: block(sine(amplitude: 1)))
        let half = CaptureLevelMeter.level(of: block(sine(amplitude: 0.5)))
        #expect(abs((full.rmsDBFS - half.rmsDBFS) - 6.0206) < 0.01)
        #expect(abs((full.peakDBFS - half.peakDBFS) - 6.0206) < 0.01)
    }

    @Test("digital silence and an empty block measure the floor, not minus infinity")
    func silenceIsTheFloor() {
        #expect(CaptureLevelMeter.level(of: block([Float](repeating: 0, count: 320))) == .silence)
        #expect(CaptureLevelMeter.level(of: block([])) == .silence)
        #expect(AudioLevel.silence.rmsDBFS == -100)
    }

    @Test("the held peak stays at a click's level and then falls at the set rate")
    func heldPeakFalls() {
        var meter = CaptureLevelMeter(peakFallRate: 20)
        var click = [Float](repeating: 0, count: 1600)
        click[10] = 1
        _ = meter.measure(block(click))
        #expect(abs(meter.heldPeakDBFS) < 0.001)
        // One second of silence in 0.1 s blocks: the peak falls 20 dB.
        for _ in 0..<10 { _ = meter.measure(block([Float](repeating: 0, count: 1600))) }
        #expect(abs(meter.heldPeakDBFS - -20) < 0.001)
        // A louder block replaces the held peak at once.
        _ = meter.measure(block(sine(amplitude: 0.5)))
        #expect(abs(meter.heldPeakDBFS - -6.0206) < 0.01)
    }

    @Test("the meter bar fills in proportion to the level over its range")
    func barFills() {
        #expect(CaptureLevelMeter.bar(for: 0, width: 10) == "##########")
        #expect(CaptureLevelMeter.bar(for: -30, width: 10) == "#####-----")
        #expect(CaptureLevelMeter.bar(for: -100, width: 10) == "----------")
        #expect(CaptureLevelMeter.bar(for: 3, width: 4) == "####")
        #expect(CaptureLevelMeter.bar(for: -10, width: 0) == "")
    }
}

@Suite("Digital silence detector")
struct DigitalSilenceDetectorTests {
    private let zeros = block([Float](repeating: 0, count: 1600))  // 0.1 s

    @Test("all-zero audio is reported once, when it has lasted the threshold")
    func reportsOnceAtThreshold() {
        var detector = DigitalSilenceDetector(threshold: 5)
        var observations: [DigitalSilenceDetector.Observation] = []
        for _ in 0..<100 { observations.append(detector.observe(zeros)) }
        let reports = observations.enumerated().filter { $0.element != .unchanged }
        #expect(reports.count == 1)
        // The 50th block (index 49) completes 5 s.
        #expect(reports.first?.offset == 49)
    }

    @Test("a quiet but real microphone is never reported as digital silence")
    func quietNoiseIsNotSilence() {
        var detector = DigitalSilenceDetector(threshold: 1)
        let hiss = block((0..<1600).map { $0 % 2 == 0 ? 1e-5 : -1e-5 })
        for _ in 0..<100 { #expect(detector.observe(hiss) == .unchanged) }
    }

    @Test("sound after a reported silence ends it, and a new stretch is reported again")
    func soundEndsSilence() {
        var detector = DigitalSilenceDetector(threshold: 1)
        for _ in 0..<9 { #expect(detector.observe(zeros) == .unchanged) }
        #expect(detector.observe(zeros) == .silenceDetected(seconds: detector.silentSeconds))
        #expect(detector.observe(block(sine(amplitude: 0.1))) == .silenceEnded)
        #expect(detector.silentSeconds == 0)
        for _ in 0..<9 { #expect(detector.observe(zeros) == .unchanged) }
        #expect(detector.observe(zeros) != .unchanged)
    }

    @Test("a short gap of zeros between sounds is not reported")
    func shortGapIsNotReported() {
        var detector = DigitalSilenceDetector(threshold: 1)
        for _ in 0..<5 {
            for _ in 0..<9 { #expect(detector.observe(zeros) == .unchanged) }
            #expect(detector.observe(block(sine(amplitude: 0.1))) == .unchanged)
        }
    }
}
