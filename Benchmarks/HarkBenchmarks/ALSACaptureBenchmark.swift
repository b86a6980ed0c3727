import Hark
import HarkTestSupport

/// Capture through the ALSA `file` plugin (unpaced, so this is hark's own cost per second of
/// audio: readi, conversion to floats, the bounded stream) and the level meter's cost.
enum ALSACaptureBenchmark {
    static func run() async throws {
        try ALSATestDevice.configureThisProcess()
        let seconds = 60
        let rate = 16000
        let samples = (0..<(seconds * rate)).map { Int16(truncatingIfNeeded: $0 &* 37) }
        let device = try ALSATestDevice(samples: samples)
        var configuration = ALSACaptureConfiguration()
        // Queue the whole file: the benchmark measures reading, not dropping.
        configuration.maximumQueuedDuration = Double(seconds + 1)
        let capture = try ALSACapture(device: device.deviceName, preferredRate: rate, configuration: configuration)
        let clock = ContinuousClock()
        var frames = 0
        var blocks: [AudioBlock] = []
        let elapsed = try await clock.measure {
            for try await block in capture.blocks() {
                // The device reads on past the file's end until the stop is seen; count the file only.
                guard frames < samples.count else { continue }
                frames += block.frameCount
                blocks.append(block)
                if frames >= samples.count { capture.stop() }
            }
        }
        let captureSeconds = Double(elapsed.components.attoseconds) / 1e18 + Double(elapsed.components.seconds)
        print(
            "ALSA capture (file plugin, \(rate) Hz mono S16_LE, \(capture.periodFrames)-frame periods): "
                + "\(seconds) s of audio in \(format(captureSeconds * 1000)) ms = "
                + "\(format(Double(seconds) / captureSeconds))x real time, "
                + "\(blocks.count) blocks")

        var meter = CaptureLevelMeter()
        var silence = DigitalSilenceDetector()
        let meterElapsed = clock.measure {
            for block in blocks {
                _ = meter.measure(block)
                _ = silence.observe(block)
            }
        }
        let meterSeconds = Double(meterElapsed.components.attoseconds) / 1e18 + Double(meterElapsed.components.seconds)
        print(
            "Level meter + silence detector: \(seconds) s of audio in \(format(meterSeconds * 1000)) ms = "
                + "\(format(Double(seconds) / meterSeconds))x real time")
    }

    private static func format(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return "\(rounded)"
    }
}
