import Testing

@testable import Hark

@Suite("Turn detector: where hark ends turns for providers that leave turns to the client")
struct TurnDetectorTests {
    /// Feeds 10 ms frames with the decisions of `pattern` (`true` = voice), returning each mark
    /// with the index of the frame that produced it.
    static func run(
        _ detector: inout TurnDetector, _ pattern: [Bool], from start: Int = 0
    ) -> [(frame: Int, mark: TurnDetector.Mark)] {
        var marks: [(Int, TurnDetector.Mark)] = []
        for (offset, isVoice) in pattern.enumerated() {
            let index = start + offset
            for mark in detector.process(frameStart: Double(index) / 100, duration: 0.01, isVoice: isVoice) {
                marks.append((index, rounded(mark)))
            }
        }
        return marks
    }

    /// The mark with its time rounded to the microsecond (frame times are sums of 10 ms steps).
    static func rounded(_ mark: TurnDetector.Mark) -> TurnDetector.Mark {
        func round(_ time: Double) -> Double { (time * 1e6).rounded() / 1e6 }
        switch mark {
        case .speechStarted(let at): return .speechStarted(at: round(at))
        case .turnEnded(let end): return .turnEnded(speechEnd: round(end))
        }
    }

    static func frames(_ voice: Bool, _ count: Int) -> [Bool] { [Bool](repeating: voice, count: count) }

    @Test("a turn begins at the first voice frame and ends once the pause has passed, at its last voice frame")
    func pauseEndsTurn() {
        var detector = TurnDetector(pause: .milliseconds(800), maxLength: .seconds(15))
        let pattern = Self.frames(false, 50) + Self.frames(true, 120) + Self.frames(false, 100)
        let marks = Self.run(&detector, pattern)
        #expect(marks.map(\.mark) == [.speechStarted(at: 0.5), .turnEnded(speechEnd: 1.7)])
        // Ended by the frame that completes 800 ms of non-voice: frames 170...249.
        #expect(marks.last?.frame == 249)
        #expect(!detector.inTurn)
    }

    @Test("pauses shorter than the pause, inside a sentence, do not end the turn")
    func shortPausesKeepTurn() {
        var detector = TurnDetector(pause: .milliseconds(800), maxLength: .seconds(15))
        let sentence = Self.frames(true, 60) + Self.frames(false, 40) + Self.frames(true, 60)
        let marks = Self.run(&detector, sentence + Self.frames(false, 80))
        #expect(marks.map(\.mark) == [.speechStarted(at: 0), .turnEnded(speechEnd: 1.6)])
    }

    @Test("unbroken speech ends a turn at the longest turn length, and the next voice frame starts a new one")
    func maxLengthCutsMonologue() {
        var detector = TurnDetector(pause: .milliseconds(800), maxLength: .seconds(15))
        let marks = Self.run(&detector, Self.frames(true, 4000))
        let ends = marks.compactMap { entry -> Double? in
            if case .turnEnded(let end) = entry.mark { return end }
            return nil
        }
        #expect(ends.count == 2)
        #expect(ends == [15, 30])
        #expect(marks.filter { if case .speechStarted = $0.mark { true } else { false } }.count == 3)
    }

    @Test("past two thirds of the longest turn, a short break ends the turn instead of a mid-word cut")
    func softLengthUsesShortBreak() {
        var detector = TurnDetector(pause: .milliseconds(800), maxLength: .seconds(15))
        // 11 s of speech, a 100 ms dip (kept), 200 ms later a 150 ms break (ends the turn).
        let pattern =
            Self.frames(true, 1100) + Self.frames(false, 10) + Self.frames(true, 20) + Self.frames(false, 15)
        let marks = Self.run(&detector, pattern)
        #expect(marks.map(\.mark) == [.speechStarted(at: 0), .turnEnded(speechEnd: 11.3)])
    }

    @Test("without a longest turn, only pauses end turns; an open turn ends at the finish")
    func noLimitAndFinish() {
        var detector = TurnDetector(pause: .milliseconds(300), maxLength: nil)
        let marks = Self.run(&detector, Self.frames(true, 3000) + Self.frames(false, 10))
        #expect(marks.map(\.mark) == [.speechStarted(at: 0)])
        let ended = detector.finish().map(Self.rounded)
        #expect(ended == [.turnEnded(speechEnd: 30)])
        let again = detector.finish()
        #expect(again.isEmpty)
    }

    @Test("noise at a steady level never stands above its own floor; speech after it does at once")
    func noiseFloor() {
        var tracker = NoiseFloorTracker()
        var aboveFloor = 0
        for index in 0..<300 {
            // Steady noise at -60 dBFS with a little jitter, as white noise gives frame by frame.
            if tracker.isAboveFloor(level: -60 + Double(index % 3) * 0.4) { aboveFloor += 1 }
        }
        #expect(aboveFloor == 0)
        let speech = tracker.isAboveFloor(level: -30)
        #expect(speech)
        // Digital silence counts as the quietest level, so faint noise after it is not a jump.
        var afterSilence = NoiseFloorTracker()
        for _ in 0..<50 { _ = afterSilence.isAboveFloor(level: -200) }
        let faintNoise = afterSilence.isAboveFloor(level: -69)
        #expect(!faintNoise)
    }
}
