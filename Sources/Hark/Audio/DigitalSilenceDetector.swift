/// Notices a capture that has delivered nothing but exact zeros for several seconds.
///
/// A real microphone, even in a quiet room, never gives all-zero samples; a muted capture
/// channel or the wrong device does. The CLI hints "muted or wrong device" once when this fires.
package struct DigitalSilenceDetector: Sendable {
    /// What one observed block changed.
    package enum Observation: Sendable, Equatable {
        /// Nothing new to report.
        case unchanged
        /// Zeros have now lasted `threshold` seconds (reported once per silent stretch).
        case silenceDetected(seconds: Double)
        /// A non-zero sample arrived after a reported silent stretch.
        case silenceEnded
    }

    /// Seconds of all-zero audio before it is reported.
    package let threshold: Double
    /// Seconds of all-zero audio in the current stretch.
    package private(set) var silentSeconds = 0.0
    /// Frames are counted, not seconds, so that ten 0.1 s blocks make exactly 1 s.
    private var silentFrames = 0
    private var reported = false

    package init(threshold: Double = 5) {
        self.threshold = threshold
    }

    /// Adds `block` to the running stretch; `.silenceDetected` is returned once when the stretch
    /// reaches the threshold, `.silenceEnded` when sound returns after that.
    package mutating func observe(_ block: AudioBlock) -> Observation {
        if block.samples.allSatisfy({ $0 == 0 }) {
            silentFrames += block.frameCount
            silentSeconds = Double(silentFrames) / Double(max(block.sampleRate, 1))
            if !reported && silentSeconds >= threshold {
                reported = true
                return .silenceDetected(seconds: silentSeconds)
            }
            return .unchanged
        }
        silentFrames = 0
        silentSeconds = 0
        if reported {
            reported = false
            return .silenceEnded
        }
        return .unchanged
    }
}
