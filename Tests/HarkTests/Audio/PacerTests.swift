import HarkTestSupport
import Synchronization
import Testing

@testable import Hark

/// A clock that moves only when told to (or when slept on: then to the deadline, at once).
final class ManualClock: Clock, Sendable {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private let offset = Mutex<Duration>(.zero)

    var now: Instant { Instant(offset: offset.withLock { $0 }) }
    var minimumResolution: Duration { .zero }

    func advance(by duration: Duration) { offset.withLock { $0 += duration } }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        try Task.checkCancellation()
        offset.withLock { $0 = max($0, deadline.offset) }
    }
}

@Suite("Pacing")
struct PacerTests {
    @Test("--speed accepts max and positive numbers only")
    func parsesSpeed() {
        #expect(PacingSpeed(argument: "max") == .unlimited)
        #expect(PacingSpeed(argument: "1") == .realTime)
        #expect(PacingSpeed(argument: "2.5") == .times(2.5))
        for bad in ["0", "-1", "fast", "", "inf", "nan"] { #expect(PacingSpeed(argument: bad) == nil, "\(bad)") }
        #expect(PacingSpeed.times(3).description == "3")
        #expect(PacingSpeed.unlimited.description == "max")
    }

    @Test("each block is due at the first block's time plus its input start divided by the speed")
    func deadlines() {
        let clock = ManualClock()
        clock.advance(by: .seconds(10))
        var pacer = Pacer(speed: .times(2), clock: clock)
        #expect(pacer.deadline(forInputStart: 0)?.offset == .seconds(10))
        clock.advance(by: .seconds(7))  // Late wake-ups do not shift later deadlines.
        #expect(pacer.deadline(forInputStart: 1)?.offset == .seconds(10.5))
        #expect(pacer.deadline(forInputStart: 3)?.offset == .seconds(11.5))
        var unpaced = Pacer(speed: .unlimited, clock: clock)
        #expect(unpaced.deadline(forInputStart: 5) == nil)
    }

    @Test("a reading thread is held until each block's moment, and not at all at speed max")
    func blocksUntilEachMoment() {
        let clock = ManualClock()
        var slept: [Duration] = []
        var pacer = Pacer(speed: .times(4), clock: clock)
        for index in 0..<5 {
            pacer.blockUntilTurn(ofInputStart: Double(index) * 0.5) { duration in
                slept.append(duration)
                clock.advance(by: duration)
            }
        }
        #expect(slept == [.seconds(0.125), .seconds(0.125), .seconds(0.125), .seconds(0.125)])
        clock.advance(by: .seconds(1))  // Late: the next block is due at once.
        pacer.blockUntilTurn(ofInputStart: 2.5) { slept.append($0) }
        #expect(slept.count == 4)
        var unpaced = Pacer(speed: .unlimited, clock: clock)
        unpaced.blockUntilTurn(ofInputStart: 100) { slept.append($0) }
        #expect(slept.count == 4)
    }

    @Test("a real file paced at speed 50 on the real clock arrives whole and in order")
    func realClock() async throws {
        let path = try WAVFixture.temporaryFile(WAVFixture.s16((0..<8000).map { Int16($0 % 300) }), name: "a.pcm")
        let file = try await FileAudioSource.open(
            path: path, rawFormat: AudioFormat(sampleRate: 16000, channels: 1, sampleFormat: .s16le))
        var frames = 0
        for try await block in file.paced(.times(50)).blocks() {
            #expect(block.inputStart == Double(frames) / 16000)
            frames += block.frameCount
        }
        #expect(frames == 8000)
    }
}
