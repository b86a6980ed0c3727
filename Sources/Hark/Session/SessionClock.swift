/// The time a session's timers read and wait on: keep-alive, idle close, the silent-server
/// watch, rotation, the wait for the provider's confirmation and last results, pacing and the
/// backoff between attempts.
///
/// A parameter so tests move time themselves and decide no outcome by sleeping: a loaded
/// machine that stalls a test process for seconds then trips no timer the test did not mean
/// to. Instants stay `ContinuousClock.Instant`, so the pure values the timers use (`FinishWatch`,
/// `SendPace`, `KeepAliveSchedule`) take the same `now` from either clock.
package protocol SessionClock: Sendable {
    /// The current instant.
    var now: ContinuousClock.Instant { get }
    /// Returns at `deadline` (at once when it has passed).
    /// - Throws: `CancellationError` when the task is cancelled first.
    func sleep(until deadline: ContinuousClock.Instant) async throws
}

extension SessionClock {
    /// Returns once `duration` has passed on this clock.
    /// - Throws: `CancellationError` when the task is cancelled first.
    func sleep(for duration: Duration) async throws {
        try await sleep(until: now + duration)
    }
}

/// The real monotonic clock, waiting on the run executor's timers inside a run (one thread
/// wake-up per timer instead of three, see `RunThreadExecutor`) and with `Task.sleep` outside.
package struct RunClock: SessionClock {
    package init() {}

    package var now: ContinuousClock.Instant { .now }

    package func sleep(until deadline: ContinuousClock.Instant) async throws {
        try await RunThreadExecutor.sleep(until: deadline)
    }
}
