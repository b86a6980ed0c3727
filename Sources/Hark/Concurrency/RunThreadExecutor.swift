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
/// `shutdown()` ends the thread once its queue is empty; jobs that arrive later (a
/// continuation resumed by a thread that outlived the run) go to the global executor.
package final class RunThreadExecutor: TaskExecutor {
    private struct State {
        var jobs: [UnownedJob] = []
        /// The thread waits on `wakeup` and must be signalled for the next job.
        var threadIsWaiting = false
        var isShutDown = false
    }

    private let state = Mutex(State())
    private let wakeup = DispatchSemaphore(value: 0)

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

    /// Lets the thread end once the jobs already queued have run.
    package func shutdown() {
        let wake = state.withLock { state in
            state.isShutDown = true
            defer { state.threadIsWaiting = false }
            return state.threadIsWaiting
        }
        if wake { wakeup.signal() }
    }

    /// The thread's body: runs jobs in order, sleeping while there are none.
    private func runJobs() {
        let executor = asUnownedTaskExecutor()
        // Swapped with the queue under the lock, so the two arrays' storage is reused and steady
        // state allocates nothing.
        var batch: [UnownedJob] = []
        while true {
            enum Step {
                case run
                case wait
                case end
            }
            let step: Step = state.withLock { state in
                if !state.jobs.isEmpty {
                    swap(&state.jobs, &batch)
                    return .run
                }
                if state.isShutDown { return .end }
                state.threadIsWaiting = true
                return .wait
            }
            switch step {
            case .run:
                for job in batch { job.runSynchronously(on: executor) }
                batch.removeAll(keepingCapacity: true)
            case .wait:
                wakeup.wait()
            case .end:
                return
            }
        }
    }
}
