import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A task executor with one thread of its own, preferred by every task of a transcription run.
///
/// The run's tasks hand each chunk and message to one another several times (pipeline →
/// backlog → sender, socket → decoder → renderer). On Swift's global pool each of those
/// hand-offs wakes another pool thread — a futex wake and two context switches, measured as
/// the bulk of hark's CPU at live pace. On one thread a hand-off is a push onto a queue that
/// the same thread pops when the current job ends; only the dedicated threads (file reader,
/// socket, capture) and timers wake it from outside. The run's work is far below one core
/// (a few ms per second of audio), so serial execution costs no throughput that matters.
///
/// Blocking calls stay on their dedicated threads as before: nothing here may block, or the
/// whole run stalls.
///
/// It also keeps the run's timers (`sleep(until:)`): the thread waits for its next job with
/// the earliest deadline as timeout, so a paced chunk costs one wake-up of this thread, where
/// `Task.sleep` costs three (dispatch's timer thread arming and firing it, then this thread).
///
/// `shutdown()` ends the thread once its queue is empty; jobs that arrive later (a
/// continuation resumed by a thread that outlived the run) go to the global executor.
package final class RunThreadExecutor: TaskExecutor {
    /// A `sleep(until:)` waiting for its deadline.
    private struct Timer {
        var id: UInt64
        var deadline: ContinuousClock.Instant
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var jobs: [UnownedJob] = []
        /// Few at a time (the pacer, a session timer): a plain array is the right structure.
        var timers: [Timer] = []
        var nextTimerID: UInt64 = 0
        /// The thread waits on `wakeup` and must be signalled for the next job or an earlier timer.
        var threadIsWaiting = false
        var isShutDown = false
    }

    private let state = Mutex(State())
    private let wakeup = DispatchSemaphore(value: 0)

    /// The executor of the run the current task belongs to, if any.
    @TaskLocal package static var current: RunThreadExecutor?

    /// Starts the executor's thread.
    package init(name: String) {
        DedicatedThread.start(name: name) { [self] in
            runJobs()
        }
    }

    package func enqueue(_ job: consuming ExecutorJob) {
        let unownedJob = UnownedJob(job)
        enum Step {
            case queued
            case wake
            case forward
        }
        let step: Step = state.withLock { state in
            if state.isShutDown { return .forward }
            state.jobs.append(unownedJob)
            guard state.threadIsWaiting else { return .queued }
            state.threadIsWaiting = false
            return .wake
        }
        switch step {
        case .queued: break
        case .wake: wakeup.signal()
        case .forward:
            // The run is over; whatever still resumes (a late continuation) runs on the pool.
            globalConcurrentExecutor.enqueue(ExecutorJob(unownedJob))
        }
    }

    /// Sleeps until `deadline` on the current run's executor, or with `Task.sleep` outside a run.
    /// - Throws: `CancellationError` when the task is cancelled first.
    package static func sleep(until deadline: ContinuousClock.Instant) async throws {
        if let current {
            try await current.sleep(until: deadline)
        } else {
            try await Task.sleep(until: deadline, clock: .continuous)
        }
    }

    /// Sleeps until `deadline` on this executor's thread.
    /// - Throws: `CancellationError` when the task is cancelled first.
    package func sleep(until deadline: ContinuousClock.Instant) async throws {
        let id = state.withLock { state in
            state.nextTimerID += 1
            return state.nextTimerID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Step {
                    case added(wake: Bool)
                    case cancelled
                }
                let step: Step = state.withLock { state in
                    if Task.isCancelled || state.isShutDown { return .cancelled }
                    state.timers.append(Timer(id: id, deadline: deadline, continuation: continuation))
                    // A thread already waiting must look at its timeout again.
                    guard state.threadIsWaiting else { return .added(wake: false) }
                    state.threadIsWaiting = false
                    return .added(wake: true)
                }
                switch step {
                case .added(let wake): if wake { wakeup.signal() }
                case .cancelled: continuation.resume(throwing: CancellationError())
                }
            }
        } onCancel: {
            let timer: Timer? = state.withLock { state in
                guard let index = state.timers.firstIndex(where: { $0.id == id }) else { return nil }
                return state.timers.remove(at: index)
            }
            timer?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Lets the thread end once the jobs already queued have run.
    package func shutdown() {
        let wake = state.withLock { state in
            state.isShutDown = true
            defer { state.threadIsWaiting = false }
            return state.threadIsWaiting
        }
        if wake { wakeup.signal() }
    }

    /// The thread's body: runs jobs in order and fires timers, sleeping while neither is due.
    private func runJobs() {
        let executor = asUnownedTaskExecutor()
        // Swapped with the queue under the lock, so the two arrays' storage is reused and steady
        // state allocates nothing.
        var batch: [UnownedJob] = []
        var due: [Timer] = []
        while true {
            enum Step {
                case run
                case wait(until: ContinuousClock.Instant?)
                case end
            }
            let now = ContinuousClock.now
            let step: Step = state.withLock { state in
                if !state.timers.isEmpty {
                    for timer in state.timers where timer.deadline <= now { due.append(timer) }
                    if !due.isEmpty { state.timers.removeAll { $0.deadline <= now } }
                }
                if !state.jobs.isEmpty {
                    swap(&state.jobs, &batch)
                    return .run
                }
                if !due.isEmpty { return .run }
                if state.isShutDown {
                    due = state.timers
                    state.timers = []
                    return .end
                }
                state.threadIsWaiting = true
                return .wait(until: state.timers.map(\.deadline).min())
            }
            switch step {
            case .run:
                // Resuming enqueues the sleepers' jobs here, behind the batch.
                for timer in due { timer.continuation.resume() }
                due.removeAll(keepingCapacity: true)
                for job in batch { job.runSynchronously(on: executor) }
                batch.removeAll(keepingCapacity: true)
            case .wait(let deadline):
                guard let deadline else {
                    wakeup.wait()
                    continue
                }
                let remaining = now.duration(to: deadline)
                let (seconds, attoseconds) = remaining.components
                let nanoseconds = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
                if wakeup.wait(timeout: .now() + .nanoseconds(Int(nanoseconds))) == .timedOut {
                    // No signal consumed: stop advertising the wait, or a signal meant for the
                    // next wait would be counted now and make it return at once.
                    let signalled = state.withLock { state in
                        defer { state.threadIsWaiting = false }
                        return !state.threadIsWaiting
                    }
                    if signalled { wakeup.wait() }
                }
            case .end:
                for timer in due { timer.continuation.resume(throwing: CancellationError()) }
                return
            }
        }
    }
}
