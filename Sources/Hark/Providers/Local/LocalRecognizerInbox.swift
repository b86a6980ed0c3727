import Dispatch
import Synchronization

/// The bounded queue from async senders to the recognizer thread.
///
/// Audio waits in at most `capacity` entries; a sender finding it full suspends until the thread
/// takes one (back-pressure instead of growth). Control commands (`finish`, `close`, `abort`)
/// bypass the limit so a close is never stuck behind audio. The thread blocks on a semaphore, so it
/// sleeps while no audio arrives and can time out to notice a gap in the audio.
package final class LocalRecognizerInbox: Sendable {
    /// What the recognizer thread is asked to do.
    package enum Command: Sendable, Equatable {
        /// Little-endian 16-bit PCM bytes.
        case audio([UInt8])
        /// End the open utterance and report `finished`.
        case finish
        /// End the open utterance (speech ended: the gate closed); more audio may follow.
        case endUtterance
        /// Finish, then end the inbound stream and the thread.
        case close
        /// End the thread at once.
        case abort
    }

    private struct State {
        var queue: [Command] = []
        var audioEntries = 0
        /// No more sends are accepted (closed, aborted or the thread stopped).
        var isClosed = false
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
        var nextWaiterID: UInt64 = 0
    }

    private let capacity: Int
    private let state = Mutex(State())
    /// Counts commands in `state.queue`; the thread waits on it.
    private let available = DispatchSemaphore(value: 0)

    /// - Parameter capacity: audio entries (chunks) that may wait; at 250 ms chunks, 8 is 2 s.
    package init(capacity: Int = 8) {
        self.capacity = max(1, capacity)
    }

    /// Queues audio, suspending while `capacity` entries already wait.
    /// - Throws: `LinkFailure.connectionLost` once the link is closed; `CancellationError` if the
    ///   task is cancelled while waiting.
    package func sendAudio(_ bytes: [UInt8]) async throws {
        while true {
            let enqueued = try state.withLock { state throws -> Bool in
                guard !state.isClosed else { throw Self.closedFailure }
                guard state.audioEntries < capacity else { return false }
                state.queue.append(.audio(bytes))
                state.audioEntries += 1
                return true
            }
            if enqueued {
                available.signal()
                return
            }
            try await waitForSpace()
        }
    }

    /// Queues a control command past the capacity limit.
    ///
    /// `close` and `abort` also stop further sends; `abort` drops the queued audio and jumps the
    /// queue.
    package func sendControl(_ command: Command) {
        let (accepted, waiters) = state.withLock { state in
            switch command {
            case .abort:
                state.queue = [.abort]
                state.audioEntries = 0
            case .close:
                guard !state.isClosed else { return (false, [CheckedContinuation<Void, any Error>]()) }
                state.queue.append(.close)
            case .finish, .endUtterance, .audio:
                guard !state.isClosed else { return (false, []) }
                state.queue.append(command)
                if case .audio = command { state.audioEntries += 1 }
            }
            if command == .close || command == .abort {
                state.isClosed = true
                let waiters = state.waiters.map(\.continuation)
                state.waiters = []
                return (true, waiters)
            }
            return (true, [])
        }
        for waiter in waiters { waiter.resume(throwing: Self.closedFailure) }
        if accepted { available.signal() }
    }

    /// The recognizer thread's side: the next command, blocking until one arrives or `timeout`
    /// passes (nil on timeout; a nil timeout waits for ever).
    package func take(timeout: Duration?) -> Command? {
        if let timeout {
            let nanoseconds =
                Int(timeout.components.seconds) * 1_000_000_000
                + Int(timeout.components.attoseconds / 1_000_000_000)
            if available.wait(timeout: .now() + .nanoseconds(nanoseconds)) == .timedOut { return nil }
        } else {
            available.wait()
        }
        let (command, waiter) = state.withLock { state -> (Command?, CheckedContinuation<Void, any Error>?) in
            guard !state.queue.isEmpty else { return (nil, nil) }
            let command = state.queue.removeFirst()
            guard case .audio = command else { return (command, nil) }
            state.audioEntries -= 1
            return (command, state.waiters.isEmpty ? nil : state.waiters.removeFirst().continuation)
        }
        waiter?.resume()
        return command
    }

    /// The thread stopped (a failure or the end): refuse further sends and release waiting senders.
    package func markStopped() {
        let waiters = state.withLock { state in
            state.isClosed = true
            let waiters = state.waiters.map(\.continuation)
            state.waiters = []
            return waiters
        }
        for waiter in waiters { waiter.resume(throwing: Self.closedFailure) }
    }

    private func waitForSpace() async throws {
        let id = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let verdict = state.withLock { state -> Result<Void, any Error>? in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if state.isClosed { return .failure(Self.closedFailure) }
                    if state.audioEntries < capacity { return .success(()) }
                    state.waiters.append((id, continuation))
                    return nil
                }
                if let verdict { continuation.resume(with: verdict) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index).continuation
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    private static let closedFailure = LinkFailure.connectionLost(detail: "the local recognizer is closed")
}
