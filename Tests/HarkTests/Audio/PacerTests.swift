import HarkTestSupport
import Synchronization
import Testing

@testable import Hark

/// A clock whose sleeps return at once after moving `now` to the deadline, recording each one.
final class ManualClock: Clock, Sendable {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private let state = Mutex<(now: Duration, sleeps: [Duration])>((.zero, []))

    var now: Instant { Instant(offset: state.withLock { $0.now }) }
    var minimumResolution: Duration { .zero }
    /// Every deadline slept until, as offsets from the clock's zero.
    var sleeps: [Duration] { state.withLock { $0.sleeps } }

    func advance(by duration: Duration) { state.withLock { $0.now += duration } }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        try Task.checkCancellation()
        state.withLock { state in
            state.sleeps.append(deadline.offset)
            state.now = max(state.now, deadline.offset)
        }
    }
}

/// Blocks given in advance, for wrapping.
struct ListAudioSource: AudioSource {
    var list: [AudioBlock]
    var format: AudioFormat { AudioFormat(sampleRate: 100, channels: 1, sampleFormat: .s16le) }
    var name: String { "list" }
    var isLive: Bool { false }
    var duration: Double? { nil }

    func blocks() -> AsyncThrowingStream<AudioBlock, any Error> {
        let list = list
        return AsyncThrowingStream { continuation in
            for block in list { continuation.yield(block) }
            continuation.finish()
        }
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

    @Test("a paced source sleeps until each block's moment and passes blocks through unchanged")
    func pacedSourceSleeps() async throws {
        let blocks = (0..<5).map {
            AudioBlock(samples: [Float($0)], sampleRate: 100, channels: 1, inputStart: Double($0) * 0.5)
        }
        let clock = ManualClock()
        let paced = PacedAudioSource(ListAudioSource(list: blocks), speed: .times(4), clock: clock)
        var received: [AudioBlock] = []
        for try await block in paced.blocks() { received.append(block) }
        #expect(received == blocks)
        #expect(clock.sleeps == [.seconds(0.125), .seconds(0.25), .seconds(0.375), .seconds(0.5)])
    }

    @Test("speed max passes the source's stream through with no sleeping")
    func unlimitedDoesNotSleep() async throws {
        let blocks = (0..<3).map { AudioBlock(samples: [1], sampleRate: 100, channels: 1, inputStart: Double($0)) }
        let clock = ManualClock()
        var count = 0
        for try await _ in PacedAudioSource(ListAudioSource(list: blocks), speed: .unlimited, clock: clock).blocks() {
            count += 1
        }
        #expect(count == 3)
        #expect(clock.sleeps.isEmpty)
    }

    @Test("a real file paced at speed 50 on the real clock arrives whole and in order")
    func realClock() async throws {
        let path = try WAVFixture.temporaryFile(WAVFixture.s16((0..<8000).map { Int16($0 % 300) }), name: "a.pcm")
        let file = try await FileAudioSource.open(
            path: path, rawFormat: AudioFormat(sampleRate: 16000, channels: 1, sampleFormat: .s16le))
        var frames = 0
        for try await block in PacedAudioSource(file, speed: .times(50)).blocks() {
            #expect(block.inputStart == Double(frames) / 16000)
            frames += block.frameCount
        }
        #expect(frames == 8000)
    }
}
