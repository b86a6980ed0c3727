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
    private struct Sleeper {
        var id: Int
        var deadline: ContinuousClock.Instant
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct Watcher {
        var within: Duration
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var now: ContinuousClock.Instant
        var nextID = 0
        var sleepers: [Sleeper] = []
        var watchers: [Watcher] = []
    }

    private let state: Mutex<State>

    package init() {
        state = Mutex(State(now: .now))
    }

    package var now: ContinuousClock.Instant { state.withLock { $0.now } }

    /// Moves time on by `duration`, waking every sleeper whose deadline it reaches.
    package func advance(by duration: Duration) {
        let due = state.withLock { state -> [Sleeper] in
            state.now += duration
            let now = state.now
            let due = state.sleepers.filter { $0.deadline <= now }
            state.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Returns once something sleeps until at most `within` from now (at once if something does).
    package func waitForSleeper(dueWithin within: Duration) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let found = state.withLock { state -> Bool in
                if state.sleepers.contains(where: { $0.deadline - state.now <= within }) { return true }
                state.watchers.append(Watcher(within: within, continuation: continuation))
                return false
            }
            if found { continuation.resume() }
        }
    }

    package func sleep(until deadline: ContinuousClock.Instant) async throws {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Step {
                    case resume, cancelled
                    case waiting([CheckedContinuation<Void, Never>])
                }
                let step = state.withLock { state -> Step in
                    if Task.isCancelled { return .cancelled }
                    if deadline <= state.now { return .resume }
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    let now = state.now
                    let satisfied = state.watchers.filter { deadline - now <= $0.within }
                    state.watchers.removeAll { deadline - now <= $0.within }
                    return .waiting(satisfied.map(\.continuation))
                }
                switch step {
                case .resume: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .waiting(let watchers): for watcher in watchers { watcher.resume() }
                }
            }
        } onCancel: {
            let sleeper = state.withLock { state -> Sleeper? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return state.sleepers.remove(at: index)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }
}
