import Dispatch
import Synchronization

/// A bounded hand-off from one blocking producer thread to one async consumer, with back-pressure.
///
/// `AsyncThrowingStream`'s own buffer can only drop when full; a file reader must never drop, so
/// the producer thread blocks in `send` while `capacity` elements wait, and the consumer pulls
/// through `stream()`. When the consumer goes away (its task is cancelled or the stream is
/// released) `send` returns false and the producer stops, so no thread outlives its reader.
package final class ThreadToAsyncChannel<Element: Sendable>: Sendable {
    private struct State {
        /// Taken elements are set to nil at once: the buffer must not keep audio the consumer
        /// is done with alive until the next compaction (64 paced 250 ms blocks of 48 kHz audio
        /// held 3 MB, measured).
        var queue: [Element?] = []
        var head = 0
        var waitingConsumer: CheckedContinuation<Element?, any Error>?
        var producerWaiting = false
        var ending: Result<Void, any Error>?
        var cancelled = false
        var count: Int { queue.count - head }

        mutating func pop() -> Element? {
            guard head < queue.count, let element = queue[head] else { return nil }
            queue[head] = nil
            head += 1
            if head > 64 && head * 2 > queue.count {
                queue.removeFirst(head)
                head = 0
            }
            return element
        }
    }

    /// What `send` does once the lock is released.
    private enum SendStep {
        case resume(CheckedContinuation<Element?, any Error>)
        case queued
        case stop
        case wait
    }

    /// What `next` does once the lock is released.
    private enum ReceiveStep {
        case element(Element, wakeProducer: Bool)
        case end(Result<Void, any Error>)
        case suspended
    }

    /// Guards every field of `State`; never held while resuming a continuation or blocking.
    private let state = Mutex(State())
    /// Signalled when space frees up (or the consumer leaves) while the producer waits.
    private let space = DispatchSemaphore(value: 0)
    private let capacity: Int

    /// - Parameter capacity: elements that may wait for the consumer before `send` blocks.
    package init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Hands `element` to the consumer, blocking the calling thread while the buffer is full.
    ///
    /// Call only from the producer's own thread, never from async code.
    /// - Returns: false when the consumer has gone away; the producer should stop.
    package func send(_ element: Element) -> Bool {
        while true {
            let step: SendStep = state.withLock { state in
                if state.cancelled { return .stop }
                if let consumer = state.waitingConsumer {
                    state.waitingConsumer = nil
                    return .resume(consumer)
                }
                if state.count < capacity {
                    state.queue.append(element)
                    return .queued
                }
                state.producerWaiting = true
                return .wait
            }
            switch step {
            case .resume(let consumer):
                consumer.resume(returning: element)
                return true
            case .queued: return true
            case .stop: return false
            case .wait: space.wait()
            }
        }
    }

    /// Ends the stream after the queued elements: normally, or by throwing `error`.
    package func finish(throwing error: (any Error)? = nil) {
        let ending: Result<Void, any Error> = error.map { .failure($0) } ?? .success(())
        let consumer: CheckedContinuation<Element?, any Error>? = state.withLock { state in
            guard state.ending == nil else { return nil }
            state.ending = ending
            guard state.count == 0, let consumer = state.waitingConsumer else { return nil }
            state.waitingConsumer = nil
            state.ending = .success(())  // The error is delivered now, exactly once.
            return consumer
        }
        if let consumer {
            switch ending {
            case .success: consumer.resume(returning: nil)
            case .failure(let error): consumer.resume(throwing: error)
            }
        }
    }

    /// Marks the consumer as gone: wakes a blocked producer and ends a waiting `next`.
    package func cancel() {
        let (consumer, wakeProducer) = state.withLock { state in
            state.cancelled = true
            let consumer = state.waitingConsumer
            state.waitingConsumer = nil
            let wake = state.producerWaiting
            state.producerWaiting = false
            state.queue.removeAll()
            state.head = 0
            return (consumer, wake)
        }
        consumer?.resume(returning: nil)
        if wakeProducer { space.signal() }
    }

    /// The next element, nil at the end or after cancellation; throws the producer's error.
    package func next() async throws -> Element? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Element?, any Error>) in
                let step: ReceiveStep = state.withLock { state in
                    if let element = state.pop() {
                        // A waiting producer is woken once half the buffer has drained, not at
                        // every element: it then refills several in one go, and a paced reader
                        // wakes its thread a few times less often (measured: each wake-up is a
                        // context switch, the bulk of hark's CPU at live pace).
                        let wake = state.producerWaiting && state.count <= capacity / 2
                        if wake { state.producerWaiting = false }
                        return .element(element, wakeProducer: wake)
                    }
                    if state.cancelled { return .end(.success(())) }
                    if let ending = state.ending {
                        state.ending = .success(())  // Throw once; later calls see a plain end.
                        return .end(ending)
                    }
                    state.waitingConsumer = continuation
                    return .suspended
                }
                switch step {
                case .element(let element, let wake):
                    if wake { space.signal() }
                    continuation.resume(returning: element)
                case .end(.success): continuation.resume(returning: nil)
                case .end(.failure(let error)): continuation.resume(throwing: error)
                case .suspended: break
                }
            }
        } onCancel: {
            cancel()
        }
    }

    /// The consumer's side as a stream; releasing the stream (or cancelling its reader) cancels
    /// the channel, which stops the producer.
    package func stream() -> AsyncThrowingStream<Element, any Error> {
        let lease = ConsumerLease(channel: self)
        return AsyncThrowingStream(unfolding: { try await lease.channel.next() })
    }
}

/// Cancels its channel when the stream holding it is released, so an abandoned reader frees
/// the producer thread (and the file it holds).
private final class ConsumerLease<Element: Sendable>: Sendable {
    let channel: ThreadToAsyncChannel<Element>

    init(channel: ThreadToAsyncChannel<Element>) {
        self.channel = channel
    }

    deinit {
        channel.cancel()
    }
}
