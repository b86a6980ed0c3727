import Hark
import Synchronization

/// A `SessionClock` whose time moves only when a test moves it, so a test of the session's
/// timers decides nothing by sleeping and a stalled test process trips no timer.
///
/// `now` starts at the real instant the clock is made and then moves only by `advance(by:)`.
/// A `sleep(until:)` returns at once when its deadline has passed and otherwise waits until an
/// advance reaches it; `waitForSleeper(dueWithin:)` lets a test wait, on evidence, until the
/// session is waiting on a timer before it moves time past it.
package final class ManualSessionClock: SessionClock {
    private struct State {
        var now: ContinuousClock.Instant
        /// Sleeps waiting for their deadline, each woken by its own signal.
        var sleepers: [(deadline: ContinuousClock.Instant, wake: AsyncSignal)] = []
        /// Tests in `waitForSleeper(dueWithin:)`.
        var watchers: [(within: Duration, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state: Mutex<State>

    package init() {
        state = Mutex(State(now: .now))
    }

    package var now: ContinuousClock.Instant { state.withLock { $0.now } }

    /// Moves time on by `duration`, waking every sleeper whose deadline it reaches.
    package func advance(by duration: Duration) {
        let due = state.withLock { state in
            state.now += duration
            let now = state.now
            return state.sleepers.filter { $0.deadline <= now }.map(\.wake)
        }
        for wake in due { wake.signal() }
    }

    /// Returns once something sleeps until at most `within` from now (at once if something does).
    package func waitForSleeper(dueWithin within: Duration) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let found = state.withLock { state -> Bool in
                if state.sleepers.contains(where: { $0.deadline - state.now <= within }) { return true }
                state.watchers.append((within, continuation))
                return false
            }
            if found { continuation.resume() }
        }
    }

    package func sleep(until deadline: ContinuousClock.Instant) async throws {
        let wake = AsyncSignal()
        let watchers = state.withLock { state -> [CheckedContinuation<Void, Never>]? in
            guard deadline > state.now else { return nil }
            state.sleepers.append((deadline, wake))
            let now = state.now
            let satisfied = state.watchers.filter { deadline - now <= $0.within }
            state.watchers.removeAll { deadline - now <= $0.within }
            return satisfied.map(\.continuation)
        }
        guard let watchers else { return try Task.checkCancellation() }
        for watcher in watchers { watcher.resume() }
        // Returns when an advance reaches the deadline, or when the task is cancelled.
        await wake.wait()
        state.withLock { $0.sleepers.removeAll { $0.wake === wake } }
        try Task.checkCancellation()
    }
}
