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

    /// Blocks the calling thread until the block starting at `inputStart` is due.
    ///
    /// Returns at once when it is late. For a source's own reading thread, never for async code.
    /// - Parameter sleep: blocks the thread for a duration.
    package mutating func blockUntilTurn(ofInputStart inputStart: Double, sleep: (Duration) -> Void) {
        guard let deadline = deadline(forInputStart: inputStart) else { return }
        let remaining = clock.now.duration(to: deadline)
        if remaining > .zero { sleep(remaining) }
    }
}

extension Pacer where PacingClock == ContinuousClock {
    /// A pacer on the real monotonic clock.
    package init(speed: PacingSpeed) {
        self.init(speed: speed, clock: ContinuousClock())
    }
}
