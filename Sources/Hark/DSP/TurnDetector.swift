/// Decides where turns of speech begin and end from the voice detector's per-frame decisions,
/// for providers that leave turn-taking to the client (OpenAI's `gpt-live-transcribe`, which
/// transcribes only what the client commits).
///
/// A turn begins at the first voice frame and ends once `pause` of non-voice audio followed the
/// last voice frame: the same rule, with the same pause, as the voice-activity gate's hang-over,
/// so with the gate on a turn ends exactly where the gate closes. A talker who never pauses still
/// gets turns: past `softLength` the first short break (`shortPause` without voice) ends the turn,
/// and at `maxLength` it ends whatever is happening.
///
/// It sees only positions and decisions, never audio or a clock, so it is tested by feeding frames.
package struct TurnDetector: Sendable {
    /// What happened at a frame.
    package enum Mark: Sendable, Equatable {
        /// Speech began at this input time (the first voice frame's start).
        case speechStarted(at: Double)
        /// The turn ended after this frame; its speech ended at `speechEnd` (input time of the end
        /// of its last voice frame, or of the frame where a long turn was cut).
        case turnEnded(speechEnd: Double)
    }

    /// Non-voice audio that ends a turn, in seconds.
    package let pause: Double
    /// Turn length after which a short break ends the turn, in seconds.
    package let softLength: Double
    /// Turn length at which the turn ends regardless, in seconds.
    package let maxLength: Double
    /// The break that ends a turn past `softLength`, in seconds.
    package let shortPause: Double

    package private(set) var inTurn = false
    private var turnStart = 0.0
    private var lastVoiceEnd = 0.0

    /// - Parameters:
    ///   - pause: non-voice audio that ends a turn (the gate's hang-over).
    ///   - maxLength: the longest turn; nil for none (turns end only at pauses).
    package init(pause: Duration, maxLength: Duration?) {
        self.pause = pause.inSeconds
        let maximum = maxLength?.inSeconds ?? .infinity
        self.maxLength = maximum
        self.softLength = maximum * 2 / 3
        self.shortPause = min(0.15, self.pause)
    }

    /// Takes one frame's position and voice decision; returns what it marks (at most a start, or
    /// an end).
    package mutating func process(frameStart: Double, duration: Double, isVoice: Bool) -> [Mark] {
        let frameEnd = frameStart + duration
        if isVoice {
            var marks: [Mark] = []
            if !inTurn {
                inTurn = true
                turnStart = frameStart
                marks.append(.speechStarted(at: frameStart))
            }
            lastVoiceEnd = frameEnd
            if frameEnd - turnStart >= maxLength - 1e-9 {
                // A talker who never pauses: cut here; the next voice frame starts a new turn.
                inTurn = false
                marks.append(.turnEnded(speechEnd: frameEnd))
            }
            return marks
        }
        guard inTurn else { return [] }
        let silence = frameEnd - lastVoiceEnd
        let length = frameEnd - turnStart
        if silence >= pause - 1e-9 || (length >= softLength && silence >= shortPause - 1e-9)
            || length >= maxLength - 1e-9
        {
            inTurn = false
            return [.turnEnded(speechEnd: lastVoiceEnd)]
        }
        return []
    }

    /// Ends a turn still open at the end of the input.
    package mutating func finish() -> [Mark] {
        guard inTurn else { return [] }
        inTurn = false
        return [.turnEnded(speechEnd: lastVoiceEnd)]
    }
}

extension Duration {
    /// This duration in seconds.
    var inSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}
