/// How fast a non-live source is fed to the provider: `--speed 1` (real time, as if it were
/// live, the default), `--speed N` (N times real time) or `--speed max` (as fast as it is read).
package enum PacingSpeed: Sendable, Equatable, CustomStringConvertible {
    /// `multiplier` seconds of audio per second of wall-clock time; must be positive.
    case times(Double)
    /// No pacing at all.
    case unlimited

    /// Real time: what a live capture would deliver.
    package static let realTime = PacingSpeed.times(1)

    /// Parses a `--speed` argument, `max` or a positive number; nil for anything else.
    package init?(argument: String) {
        if argument.lowercased() == "max" {
            self = .unlimited
        } else if let value = Double(argument), value.isFinite, value > 0 {
            self = .times(value)
        } else {
            return nil
        }
    }

    package var description: String {
        switch self {
        case .times(let multiplier): multiplier == multiplier.rounded() ? "\(Int(multiplier))" : "\(multiplier)"
        case .unlimited: "max"
        }
    }
}

/// Holds each block back until its moment: `start + inputStart / speed` on `clock`, where
/// `start` is when the first block came.
///
/// Deadlines come from the block's own `inputStart`, never from the sum of earlier sleeps, so
/// late wake-ups do not accumulate into drift. The clock is a parameter so tests advance time
/// instead of sleeping.
package struct Pacer<PacingClock: Clock>: Sendable where PacingClock.Duration == Duration {
    package let clock: PacingClock
    package let speed: PacingSpeed
    private var start: PacingClock.Instant?

    package init(speed: PacingSpeed, clock: PacingClock) {
        self.speed = speed
        self.clock = clock
    }

    /// The instant a block starting `inputStart` seconds into the input is due; nil when unpaced.
    package mutating func deadline(forInputStart inputStart: Double) -> PacingClock.Instant? {
        guard case .times(let multiplier) = speed else { return nil }
        let start = self.start ?? clock.now
        self.start = start
        return start.advanced(by: .seconds(inputStart / multiplier))
    }

    /// Sleeps until the block starting at `inputStart` is due (returns at once when it is late).
    /// - Throws: `CancellationError` when the task is cancelled while waiting.
    package mutating func waitForTurn(ofInputStart inputStart: Double) async throws {
        guard let deadline = deadline(forInputStart: inputStart) else { return }
        if deadline > clock.now {
            try await clock.sleep(until: deadline, tolerance: nil)
        }
    }
}

extension Pacer where PacingClock == ContinuousClock {
    /// A pacer on the real monotonic clock.
    package init(speed: PacingSpeed) {
        self.init(speed: speed, clock: ContinuousClock())
    }
}

/// Any source, delivered no faster than `speed` times real time.
///
/// The pacing pulls from the wrapped source only when its consumer asks for the next block,
/// so back-pressure reaches the source unchanged.
package struct PacedAudioSource<Source: AudioSource, PacingClock: Clock>: AudioSource
where PacingClock.Duration == Duration {
    /// Waits until an instant of the clock.
    package typealias Sleep = @Sendable (PacingClock.Instant) async throws -> Void

    package let source: Source
    package let speed: PacingSpeed
    package let clock: PacingClock
    private let sleep: Sleep

    /// - Parameter sleep: how to wait for a block's moment (the clock's own sleep unless given).
    package init(_ source: Source, speed: PacingSpeed, clock: PacingClock, sleep: Sleep? = nil) {
        self.source = source
        self.speed = speed
        self.clock = clock
        self.sleep = sleep ?? { try await clock.sleep(until: $0, tolerance: nil) }
    }

    package var format: AudioFormat { source.format }
    package var name: String { source.name }
    package var isLive: Bool { source.isLive }
    package var duration: Double? { source.duration }

    package func blocks() -> AsyncThrowingStream<AudioBlock, any Error> {
        let inner = source.blocks()
        guard case .times = speed else { return inner }
        let paced = PacedIterator(
            inner: inner.makeAsyncIterator(), pacer: Pacer(speed: speed, clock: clock), sleep: sleep)
        return AsyncThrowingStream(unfolding: { try await paced.next() })
    }
}

extension PacedAudioSource where PacingClock == ContinuousClock {
    /// Paced on the real monotonic clock, by the timers of the run's executor when there is one
    /// (`RunThreadExecutor.sleep`: one thread wake-up per block instead of three).
    package init(_ source: Source, speed: PacingSpeed) {
        self.init(source, speed: speed, clock: ContinuousClock()) { try await RunThreadExecutor.sleep(until: $0) }
    }
}

/// Owns the wrapped iterator and the pacer; the actor serialises the pulls.
private actor PacedIterator<PacingClock: Clock> where PacingClock.Duration == Duration {
    private var inner: AsyncThrowingStream<AudioBlock, any Error>.Iterator
    private var pacer: Pacer<PacingClock>
    private let sleep: @Sendable (PacingClock.Instant) async throws -> Void

    init(
        inner: sending AsyncThrowingStream<AudioBlock, any Error>.Iterator, pacer: Pacer<PacingClock>,
        sleep: @escaping @Sendable (PacingClock.Instant) async throws -> Void
    ) {
        self.inner = inner
        self.pacer = pacer
        self.sleep = sleep
    }

    func next() async throws -> AudioBlock? {
        // A copy shares the stream's storage; the property cannot be mutated across the await.
        var iterator = inner
        let next = try await iterator.next(isolation: self)
        inner = iterator
        guard let block = next else { return nil }
        // The deadline is computed here and slept on apart, so no actor state is held across the wait.
        guard let deadline = pacer.deadline(forInputStart: block.inputStart) else { return block }
        let clock = pacer.clock
        do {
            if deadline > clock.now { try await sleep(deadline) }
        } catch is CancellationError {
            // A cancelled consumer ends the stream quietly, as the wrapped sources do.
            return nil
        }
        return block
    }
}
