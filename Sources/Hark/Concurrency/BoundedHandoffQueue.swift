import Dispatch
import Synchronization

/// A bounded queue between async code and one dedicated thread, in either direction, with
/// back-pressure and senders served in order of arrival.
///
/// Async senders suspend while the queue is full and are admitted in the order they came; the
/// async receiver suspends while it is empty. The thread's side never touches a continuation:
/// it takes and pushes without blocking (a thread in `poll` is woken through `wakeThread`) or
/// blocks on the queue's own semaphore. Every transport between a blocking thread and the run
/// uses this one type: the WebSocket connection, the gRPC bridge, the local recognizer and the
/// file reader.
///
/// Each element costs `cost(element)` of `capacity` (bytes for frames, 1 for chunks); an empty
/// queue takes any element, so one larger than the capacity still goes through.
package final class BoundedHandoffQueue<Element: Sendable>: Sendable {
    /// What a blocking `take(timeout:)` found.
    package enum Take {
        case element(Element)
        case timedOut
        /// Closed and drained, or discarded: nothing more will come.
        case closed
    }

    private struct Entry {
        var element: Element
        var cost: Int
    }

    private struct Sender {
        var id: UInt64
        var entry: Entry
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        /// Taken entries are set to nil at once: the queue must not keep audio its receiver is
        /// done with alive until the next compaction (64 paced 250 ms blocks of 48 kHz audio held
        /// 3 MB, measured).
        var buffer: [Entry?] = []
        var head = 0
        var load = 0
        var senders: [Sender] = []
        var nextSenderID: UInt64 = 0
        var receiver: CheckedContinuation<Element?, any Error>?
        /// Why sends fail from now on; set by `close` and `discard`.
        var refusal: (any Error)?
        /// What the receiver gets once the buffer is empty: nil, or the error thrown.
        var ending: Result<Void, any Error>?
        /// The thread is blocked on `semaphore` and must be signalled.
        var threadBlocked = false
        /// The producing thread found the queue full and waits for it to drain to `refillLevel`.
        var threadWantsRoom = false

        var count: Int { buffer.count - head }

        mutating func append(_ entry: Entry) {
            buffer.append(entry)
            load += entry.cost
        }

        mutating func pop() -> Element? {
            guard head < buffer.count, let entry = buffer[head] else { return nil }
            buffer[head] = nil
            head += 1
            load -= entry.cost
            if head == buffer.count {
                buffer.removeAll(keepingCapacity: true)
                head = 0
            } else if head > 64 && head * 2 > buffer.count {
                buffer.removeFirst(head)
                head = 0
            }
            return entry.element
        }

        /// True when `entry` may join the buffer now: nobody waits ahead of it and it fits.
        func admits(_ entry: Entry, capacity: Int) -> Bool {
            senders.isEmpty && (load == 0 || load + entry.cost <= capacity)
        }

        /// Moves waiting senders' elements into the buffer while they fit, in order.
        mutating func admitWaitingSenders(capacity: Int) -> [CheckedContinuation<Void, any Error>] {
            var admitted: [CheckedContinuation<Void, any Error>] = []
            while let first = senders.first, load == 0 || load + first.entry.cost <= capacity {
                senders.removeFirst()
                append(first.entry)
                admitted.append(first.continuation)
            }
            return admitted
        }

        /// Whether the thread must be woken; clears the blocked mark so it is signalled once.
        mutating func takeThreadWake() -> Bool {
            defer { threadBlocked = false }
            return threadBlocked
        }
    }

    /// What an async `send` does once the lock is released.
    private enum SendOutcome {
        case queued(wake: Bool)
        case waiting
        case failed(any Error)
    }

    /// What `receive` does once the lock is released.
    private enum ReceiveOutcome {
        case element(Element, wake: Bool?, admitted: [CheckedContinuation<Void, any Error>])
        case end(Result<Void, any Error>)
        case failed(any Error)
        case waiting
    }

    /// What a blocking `take` found under the lock.
    private enum TakeLook {
        case element(Element, admitted: [CheckedContinuation<Void, any Error>])
        case closed
        case wait
    }

    /// What `pushWaiting` found under the lock.
    private enum PushLook {
        case handed(CheckedContinuation<Element?, any Error>)
        case queued
        case refused
        case wait
    }

    private let state = Mutex(State())
    /// Where a blocked thread waits; signalled only while `threadBlocked`, so it never piles up.
    private let semaphore = DispatchSemaphore(value: 0)
    private let capacity: Int
    private let refillLevel: Int
    private let cost: @Sendable (Element) -> Int
    private let wakeThread: (@Sendable () -> Void)?

    /// - Parameters:
    ///   - capacity: the total cost that may wait before senders suspend.
    ///   - refillLevel: a producing thread that found the queue full is woken once the buffer's
    ///     cost is down to this; nil means as soon as one element is taken.
    ///   - cost: what one element counts against `capacity`.
    ///   - wakeThread: called (outside the lock) whenever the thread may have something to do: an
    ///     element arrived, room appeared, the queue closed. For a thread waiting in `poll`; a
    ///     thread blocked in this queue's own blocking calls is woken without it.
    package init(
        capacity: Int, refillLevel: Int? = nil, cost: @escaping @Sendable (Element) -> Int = { _ in 1 },
        wakeThread: (@Sendable () -> Void)? = nil
    ) {
        self.capacity = max(1, capacity)
        self.refillLevel = refillLevel ?? (max(1, capacity) - 1)
        self.cost = cost
        self.wakeThread = wakeThread
    }

    // MARK: Async side

    /// Queues `element`, suspending while the queue is full; senders are admitted in arrival order.
    /// - Throws: the refusal given to `close` or `discard` once the queue took either;
    ///   `CancellationError` when the task is cancelled while waiting (the element is not queued).
    package func send(_ element: Element) async throws {
        let entry = Entry(element: element, cost: cost(element))
        // Fast path: room now, no continuation.
        let (senderID, wake): (UInt64?, Bool) = try state.withLock { state throws in
            if let refusal = state.refusal { throw refusal }
            if state.admits(entry, capacity: capacity) {
                state.append(entry)
                return (nil, state.takeThreadWake())
            }
            state.nextSenderID += 1
            return (state.nextSenderID, false)
        }
        guard let senderID else {
            notifyThread(wake)
            return
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome: SendOutcome = state.withLock { state in
                    if let refusal = state.refusal { return .failed(refusal) }
                    if Task.isCancelled { return .failed(CancellationError()) }
                    // The thread may have drained the queue since the fast path looked, and it
                    // only admits waiting senders when it takes: look again, or this sender could
                    // wait on an idle thread forever.
                    if state.admits(entry, capacity: capacity) {
                        state.append(entry)
                        return .queued(wake: state.takeThreadWake())
                    }
                    state.senders.append(Sender(id: senderID, entry: entry, continuation: continuation))
                    return .waiting
                }
                switch outcome {
                case .queued(let wake):
                    notifyThread(wake)
                    continuation.resume()
                case .waiting:
                    // A polling thread looks at the queue at least once more (it may be idle).
                    wakeThread?()
                case .failed(let error):
                    continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            let sender = state.withLock { state -> Sender? in
                guard let index = state.senders.firstIndex(where: { $0.id == senderID }) else { return nil }
                return state.senders.remove(at: index)
            }
            sender?.continuation.resume(throwing: CancellationError())
        }
    }

    /// The next element; nil once the queue closed and drained.
    ///
    /// One task receives at a time.
    /// - Throws: the error the queue closed with (every call, once drained); `CancellationError`
    ///   when the task is cancelled while waiting (the queue stays as it was).
    package func receive() async throws -> Element? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Element?, any Error>) in
                let outcome: ReceiveOutcome = state.withLock { state in
                    if let element = state.pop() {
                        // A thread waiting for room is woken once the buffer is down to the refill
                        // level, not at every element: it then refills several in one go (measured:
                        // each wake-up is a context switch, the bulk of hark's CPU at live pace).
                        var wake: Bool?
                        if state.threadWantsRoom && state.load <= refillLevel {
                            state.threadWantsRoom = false
                            wake = state.takeThreadWake()
                        }
                        return .element(element, wake: wake, admitted: state.admitWaitingSenders(capacity: capacity))
                    }
                    if let ending = state.ending { return .end(ending) }
                    if Task.isCancelled { return .failed(CancellationError()) }
                    if state.receiver != nil { return .failed(BoundedHandoffQueueError.twoReceivers) }
                    state.receiver = continuation
                    return .waiting
                }
                switch outcome {
                case .element(let element, let wake, let admitted):
                    for sender in admitted { sender.resume() }
                    // nil: nobody asked for room; false: the thread polls; true: it is blocked here.
                    if let blocked = wake { notifyThread(blocked) }
                    continuation.resume(returning: element)
                case .end(.success): continuation.resume(returning: nil)
                case .end(.failure(let error)): continuation.resume(throwing: error)
                case .failed(let error): continuation.resume(throwing: error)
                case .waiting: break
                }
            }
        } onCancel: {
            let receiver = state.withLock { state in
                defer { state.receiver = nil }
                return state.receiver
            }
            receiver?.resume(throwing: CancellationError())
        }
    }

    /// The receiving side as a stream that owns the queue: cancelling its reader ends it (nil)
    /// and releasing it discards the queue, so a producing thread stops instead of outliving
    /// its reader.
    /// - Parameter onEnd: also called then (once or more), for an owner with more to stop.
    package func stream(onEnd: @escaping @Sendable () -> Void = {}) -> AsyncThrowingStream<Element, any Error> {
        let lease = ReceiverLease(queue: self, onEnd: onEnd)
        return AsyncThrowingStream(unfolding: {
            do {
                return try await lease.queue.receive()
            } catch is CancellationError {
                lease.end()
                return nil
            }
        })
    }

    // MARK: Thread side, taking

    /// The next element without blocking, admitting waiting senders into the room it leaves.
    package func take() -> Element? {
        let (element, admitted) = state.withLock { state in
            // Admit before taking too: a queue emptied by a cancelled sender still yields the next.
            var admitted = state.admitWaitingSenders(capacity: capacity)
            let element = state.pop()
            admitted += state.admitWaitingSenders(capacity: capacity)
            return (element, admitted)
        }
        for sender in admitted { sender.resume() }
        return element
    }

    /// Everything queued, without blocking; the room it leaves is refilled from waiting senders.
    package func takeAll() -> [Element] {
        let (elements, admitted) = state.withLock { state in
            var admitted = state.admitWaitingSenders(capacity: capacity)
            var elements: [Element] = []
            elements.reserveCapacity(state.count)
            while let element = state.pop() { elements.append(element) }
            admitted += state.admitWaitingSenders(capacity: capacity)
            return (elements, admitted)
        }
        for sender in admitted { sender.resume() }
        return elements
    }

    /// The next element, blocking the calling thread until one comes, the queue closes, or
    /// `timeout` passes (nil waits for ever).
    ///
    /// Call only from the consuming thread.
    package func take(timeout: Duration?) -> Take {
        let deadline = timeout.map { DispatchTime.now() + .nanoseconds(Self.nanoseconds($0)) }
        while true {
            let look: TakeLook = state.withLock { state in
                var admitted = state.admitWaitingSenders(capacity: capacity)
                if let element = state.pop() {
                    admitted += state.admitWaitingSenders(capacity: capacity)
                    return .element(element, admitted: admitted)
                }
                if state.refusal != nil { return .closed }
                state.threadBlocked = true
                return .wait
            }
            switch look {
            case .element(let element, let admitted):
                for sender in admitted { sender.resume() }
                return .element(element)
            case .closed:
                return .closed
            case .wait:
                if !blockThread(until: deadline) { return .timedOut }
            }
        }
    }

    // MARK: Thread side, producing

    /// Hands `element` to the receiver or buffers it, past the capacity if need be: a socket
    /// reader cannot put bytes back, so it checks `isFull` before reading instead.
    /// - Returns: false once the queue is closed or discarded; the element is dropped.
    @discardableResult
    package func push(_ element: Element) -> Bool {
        let entry = Entry(element: element, cost: cost(element))
        let (accepted, receiver) = state.withLock { state -> (Bool, CheckedContinuation<Element?, any Error>?) in
            if state.refusal != nil { return (false, nil) }
            if let receiver = state.receiver, state.count == 0 {
                state.receiver = nil
                return (true, receiver)
            }
            state.append(entry)
            return (true, nil)
        }
        receiver?.resume(returning: element)
        return accepted
    }

    /// Hands `element` to the receiver or buffers it, blocking the calling thread while the
    /// queue is full.
    ///
    /// Call only from the producing thread, never from async code.
    /// - Returns: false once the queue is closed or discarded (the receiver has gone); stop producing.
    package func pushWaiting(_ element: Element) -> Bool {
        let entry = Entry(element: element, cost: cost(element))
        while true {
            let look: PushLook = state.withLock { state in
                if state.refusal != nil { return .refused }
                if let receiver = state.receiver, state.count == 0 {
                    state.receiver = nil
                    return .handed(receiver)
                }
                if state.load == 0 || state.load + entry.cost <= capacity {
                    state.append(entry)
                    return .queued
                }
                state.threadWantsRoom = true
                state.threadBlocked = true
                return .wait
            }
            switch look {
            case .handed(let receiver):
                receiver.resume(returning: element)
                return true
            case .queued: return true
            case .refused: return false
            case .wait: _ = blockThread(until: nil)
            }
        }
    }

    /// True while the buffer holds `capacity` or more; the receiver then wakes the thread (through
    /// `wakeThread`) once it has taken the queue down to the refill level.
    package var isFull: Bool {
        state.withLock { state in
            guard state.load >= capacity else { return false }
            state.threadWantsRoom = true
            return true
        }
    }

    // MARK: Ending

    /// Ends the queue after what it holds.
    ///
    /// Waiting senders' elements are admitted first (their senders resume normally), then `last`
    /// if given (past the capacity); later sends throw `refusal`. The receiver gets everything buffered, then the end: nil, or `error` thrown.
    /// Only the first `close` or `discard` counts.
    package func close(
        refusingLaterSendsWith refusal: any Error = BoundedHandoffQueueError.closed, after last: Element? = nil,
        throwing error: (any Error)? = nil
    ) {
        let (receiver, admitted, ending, wake):
            (
                CheckedContinuation<Element?, any Error>?, [CheckedContinuation<Void, any Error>],
                Result<Void, any Error>?,
                Bool
            ) = state.withLock { state in
                guard state.refusal == nil else { return (nil, [], nil, false) }
                state.refusal = refusal
                let ending: Result<Void, any Error> = error.map { .failure($0) } ?? .success(())
                state.ending = ending
                let admitted = state.senders.map(\.continuation)
                for sender in state.senders { state.append(sender.entry) }
                state.senders = []
                if let last { state.append(Entry(element: last, cost: 0)) }
                var receiver: CheckedContinuation<Element?, any Error>?
                if state.count == 0 {
                    receiver = state.receiver
                    state.receiver = nil
                }
                return (receiver, admitted, ending, state.takeThreadWake())
            }
        for sender in admitted { sender.resume() }
        if let receiver, let ending {
            switch ending {
            case .success: receiver.resume(returning: nil)
            case .failure(let error): receiver.resume(throwing: error)
            }
        }
        notifyThread(wake)
    }

    /// Ends the queue at once.
    ///
    /// It drops what it holds, waiting and later senders throw `refusal`,
    /// the receiver gets `refusal` thrown (nil for a `CancellationError`), a blocked thread
    /// returns. Discarding after `close` still drops what was left, wakes the thread, and its
    /// refusal replaces the close's (a connection that failed after a close says why).
    /// - Returns: the elements dropped, for an owner that must release something they hold.
    @discardableResult
    package func discard(refusing refusal: any Error) -> [Element] {
        let ending: Result<Void, any Error> = refusal is CancellationError ? .success(()) : .failure(refusal)
        let (dropped, senders, receiver, wake) = state.withLock { state in
            state.refusal = refusal
            state.ending = state.ending ?? ending
            var dropped: [Element] = []
            while let element = state.pop() { dropped.append(element) }
            state.buffer = []
            state.head = 0
            state.load = 0
            dropped += state.senders.map(\.entry.element)
            let senders = state.senders.map(\.continuation)
            state.senders = []
            let receiver = state.receiver
            state.receiver = nil
            state.threadWantsRoom = false
            return (dropped, senders, receiver, state.takeThreadWake())
        }
        for sender in senders { sender.resume(throwing: refusal) }
        switch ending {
        case .success: receiver?.resume(returning: nil)
        case .failure(let error): receiver?.resume(throwing: error)
        }
        notifyThread(wake)
        return dropped
    }

    // MARK: Observing (tests)

    /// Async senders waiting for room: tests wait on it to know a sender is parked.
    package var waitingSenderCount: Int { state.withLock { $0.senders.count } }
    /// Whether an async receiver is parked.
    package var hasWaitingReceiver: Bool { state.withLock { $0.receiver != nil } }
    /// Whether the thread is blocked in `take(timeout:)` or `pushWaiting`.
    package var isThreadBlocked: Bool { state.withLock { $0.threadBlocked } }

    // MARK: Private

    private func notifyThread(_ blocked: Bool) {
        if blocked { semaphore.signal() }
        wakeThread?()
    }

    /// Blocks until signalled or `deadline`; false on timeout.
    private func blockThread(until deadline: DispatchTime?) -> Bool {
        guard let deadline else {
            semaphore.wait()
            return true
        }
        if semaphore.wait(timeout: deadline) == .success { return true }
        // Timed out, but a waker may have cleared the mark and be about to signal: then consume
        // that signal, so the semaphore never keeps a stale one for the next wait.
        let stillMarked = state.withLock { state in
            defer { state.threadBlocked = false }
            return state.threadBlocked
        }
        if !stillMarked { semaphore.wait() }
        return !stillMarked
    }

    private static func nanoseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(clamping: seconds) &* 1_000_000_000 &+ Int(attoseconds / 1_000_000_000)
    }
}

/// Why a queue refused: used against its contract, or closed without a refusal of the owner's.
package enum BoundedHandoffQueueError: Error, Sendable, Equatable {
    /// Two tasks received at once.
    case twoReceivers
    /// A send after `close` when the owner gave no refusal of its own.
    case closed
}

/// Discards its queue when the stream holding it is released, so an abandoned reader frees the
/// producing thread (and the file it holds).
private final class ReceiverLease<Element: Sendable>: Sendable {
    let queue: BoundedHandoffQueue<Element>
    private let onEnd: @Sendable () -> Void

    init(queue: BoundedHandoffQueue<Element>, onEnd: @escaping @Sendable () -> Void) {
        self.queue = queue
        self.onEnd = onEnd
    }

    func end() {
        queue.discard(refusing: CancellationError())
        onEnd()
    }

    deinit {
        end()
    }
}
