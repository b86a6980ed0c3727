/// Lets speech through and holds silence back, without ever clipping a word.
///
/// It sees mono 10 ms frames with a voice decision each (from `AudioProcessingModule`). While
/// closed it keeps the last `preRoll` of audio; the first voice frame opens it and sends that
/// pre-roll ahead of the frame, so a word's soft onset (which the detector often misses) is
/// sent. After the last voice frame it stays open for `hangOver`, which keeps word tails and
/// the short pauses inside a sentence.
///
/// Every block it returns keeps its true `inputStart`, so a skipped silence shows as a jump in
/// `inputStart`; the session maps provider times back through those.
package struct VoiceActivityGate: Sendable {
    package let sampleRate: Int
    /// The longest pre-roll kept, in samples.
    private let preRollSamples: Int
    /// Samples of non-voice audio still sent after the last voice frame.
    private let hangOverSamples: Int
    /// Frames held while closed, oldest first; at most `preRollSamples` in total.
    private var preRollFrames: [AudioBlock] = []
    private var preRollCount = 0
    /// Non-voice samples the gate may still send before it closes.
    private var hangOverLeft = 0
    package private(set) var isOpen = false
    package private(set) var statistics: GateStatistics

    package init(sampleRate: Int, preRoll: Duration, hangOver: Duration) {
        self.sampleRate = sampleRate
        self.preRollSamples = max(0, preRoll.sampleCount(at: sampleRate))
        self.hangOverSamples = max(0, hangOver.sampleCount(at: sampleRate))
        self.statistics = GateStatistics()
    }

    /// Takes one mono frame and its voice decision; returns what to send now (possibly nothing,
    /// possibly the pre-roll followed by this frame, merged into blocks wherever they touch).
    package mutating func process(_ frame: AudioBlock, isVoice: Bool) -> [AudioBlock] {
        statistics.secondsCaptured += frame.duration
        if isVoice {
            hangOverLeft = hangOverSamples
            if isOpen { return pass([frame]) }
            isOpen = true
            statistics.openings += 1
            let released = preRollFrames + [frame]
            preRollFrames.removeAll(keepingCapacity: true)
            preRollCount = 0
            return pass(released)
        }
        if isOpen && hangOverLeft > 0 {
            hangOverLeft -= frame.frameCount
            return pass([frame])
        }
        isOpen = false
        hold(frame)
        return []
    }

    /// Ends the stream, sending a last partial frame only while the gate is open.
    ///
    /// `remainder` (audio shorter than a frame, which no detector can judge) is
    /// sent if the gate is open; audio still held is pre-roll that speech never followed and is
    /// not sent. The gate is closed afterwards.
    package mutating func finish(remainder: AudioBlock? = nil) -> [AudioBlock] {
        var output: [AudioBlock] = []
        if let remainder, remainder.frameCount > 0 {
            statistics.secondsCaptured += remainder.duration
            if isOpen { output = pass([remainder]) }
        }
        preRollFrames.removeAll()
        preRollCount = 0
        isOpen = false
        return output
    }

    private mutating func hold(_ frame: AudioBlock) {
        guard preRollSamples > 0 else { return }
        preRollFrames.append(frame)
        preRollCount += frame.frameCount
        // Drop whole frames from the front while what remains still covers the pre-roll.
        while let first = preRollFrames.first, preRollCount - first.frameCount >= preRollSamples {
            preRollFrames.removeFirst()
            preRollCount -= first.frameCount
        }
    }

    private mutating func pass(_ frames: [AudioBlock]) -> [AudioBlock] {
        var blocks: [AudioBlock] = []
        for frame in frames {
            statistics.secondsPassed += frame.duration
            if var last = blocks.last, last.isFollowed(by: frame) {
                last.samples.append(contentsOf: frame.samples)
                blocks[blocks.count - 1] = last
            } else {
                blocks.append(frame)
            }
        }
        return blocks
    }
}

/// What the voice-activity gate did over a run: reported at the end and by `make bench`.
package struct GateStatistics: Sendable, Equatable {
    /// Seconds of audio that reached the gate.
    package var secondsCaptured: Double = 0
    /// Seconds of audio the gate sent on.
    package var secondsPassed: Double = 0
    /// How many times speech opened the gate.
    package var openings = 0

    package init(secondsCaptured: Double = 0, secondsPassed: Double = 0, openings: Int = 0) {
        self.secondsCaptured = secondsCaptured
        self.secondsPassed = secondsPassed
        self.openings = openings
    }

    /// Seconds not sent.
    package var secondsSkipped: Double { max(0, secondsCaptured - secondsPassed) }

    /// The fraction of captured audio not sent, 0–1.
    package var saving: Double { secondsCaptured > 0 ? secondsSkipped / secondsCaptured : 0 }
}

extension AudioBlock {
    /// True when `next` starts exactly where this block ends (same rate and layout), to within
    /// half a sample.
    func isFollowed(by next: AudioBlock) -> Bool {
        guard next.sampleRate == sampleRate, next.channels == channels, sampleRate > 0 else { return false }
        let end = inputStart + Double(frameCount) / Double(sampleRate)
        return abs(next.inputStart - end) < 0.5 / Double(sampleRate)
    }
}
