import Dispatch
import Synchronization
import Testing

@testable import Hark

/// The one queue every transport between a thread and the run is built on.
///
/// No test sleeps: a
/// waiter is known to be parked through the queue's own counts, a thread through its blocked mark.
@Suite("Bounded hand-off queue")
struct BoundedHandoffQueueTests {
    private struct Failure: Error, Equatable {}
    private struct Refused: Error, Equatable {}

    /// Yields until `condition` holds: evidence, not time, decides when the test goes on.
    private func until(_ condition: () -> Bool) async {
        while !condition() { await Task.yield() }
    }

    /// Starts `body` on its own thread and returns a semaphore signalled when it returns.
    private func onThread(_ body: @escaping @Sendable () -> Void) -> DispatchSemaphore {
        let done = DispatchSemaphore(value: 0)
        DedicatedThread.start(name: "test thread") {
            body()
            done.signal()
        }
        return done
    }

    /// A hang guard, not a timing assertion: the thread has already been seen to finish its work.
    private func joined(_ done: DispatchSemaphore) -> Bool {
        done.wait(timeout: .now() + 60) == .success
    }

    // MARK: Ordering

    @Test("async senders to a blocking thread: everything arrives in order through a queue of two")
    func asyncToThreadOrdered() async throws {
        let queue = BoundedHandoffQueue<Int>(capacity: 2)
        let received = Mutex<[Int]>([])
        let done = onThread {
            while case .element(let value) = queue.take(timeout: nil) { received.withLock { $0.append(value) } }
        }
        for value in 0..<500 { try await queue.send(value) }
        queue.close()
        #expect(joined(done))
        #expect(received.withLock { $0 } == Array(0..<500))
    }

    @Test("a blocking thread to an async receiver: everything arrives in order through a queue of two")
    func threadToAsyncOrdered() async throws {
        let queue = BoundedHandoffQueue<Int>(capacity: 2, refillLevel: 1)
        let done = onThread {
            for value in 0..<500 { _ = queue.pushWaiting(value) }
            queue.close()
        }
        var received: [Int] = []
        while let value = try await queue.receive() {
            received.append(value)
            if value % 7 == 0 { await Task.yield() }
        }
        #expect(received == Array(0..<500))
        #expect(joined(done))
    }

    @Test("many senders parked on a full queue are admitted in the order they arrived")
    func sendersInArrivalOrder() async throws {
        let queue = BoundedHandoffQueue<Int>(capacity: 1)
        try await queue.send(0)
        var senders: [Task<Void, any Error>] = []
        for value in 1...20 {
            senders.append(Task { try await queue.send(value) })
            await until { queue.waitingSenderCount == value }
        }
        var taken: [Int] = []
        while taken.count < 21 {
            if let value = queue.take() { taken.append(value) } else { await Task.yield() }
        }
        for sender in senders { try await sender.value }
        #expect(taken == Array(0...20))
    }

    @Test("many async senders and one async receiver through a thread relay keep each sender's order")
    func manyProducersRelay() async throws {
        let inbound = BoundedHandoffQueue<[Int]>(capacity: 3)
        let outbound = BoundedHandoffQueue<[Int]>(capacity: 3)
        let relay = onThread {
            while case .element(let value) = inbound.take(timeout: nil) {
                guard outbound.pushWaiting(value) else { return }
            }
            outbound.close()
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for producer in 0..<4 {
                group.addTask {
                    for index in 0..<100 { try await inbound.send([producer, index]) }
                }
            }
            var next = [Int](repeating: 0, count: 4)
            for _ in 0..<400 {
                let item = try #require(try await outbound.receive())
                #expect(item[1] == next[item[0]], "producer \(item[0]) out of order")
                next[item[0]] += 1
            }
            try await group.waitForAll()
        }
        inbound.close()
        #expect(try await outbound.receive() == nil)
        #expect(joined(relay))
    }

    // MARK: Back-pressure

    @Test("a sender waits while the queue is full and goes on once the thread takes an element")
    func fullQueueParksSender() async throws {
        let queue = BoundedHandoffQueue<Int>(capacity: 2)
        try await queue.send(1)
        try await queue.send(2)
        let third = Task { try await queue.send(3) }
        await until { queue.waitingSenderCount == 1 }
        #expect(queue.take() == 1)
        try await third.value
        #expect(queue.waitingSenderCount == 0)
        #expect(queue.takeAll() == [2, 3])
    }

    @Test("cost counts against the capacity; an empty queue takes an element larger than all of it")
    func costAgainstCapacity() async throws {
        let queue = BoundedHandoffQueue<[UInt8]>(capacity: 10, cost: \.count)
        try await queue.send([UInt8](repeating: 1, count: 25))
        let small = Task { try await queue.send([2]) }
        await until { queue.waitingSenderCount == 1 }
        #expect(queue.take()?.count == 25)
        try await small.value
        try await queue.send([UInt8](repeating: 3, count: 9))
        let overflow = Task { try await queue.send([4]) }
        await until { queue.waitingSenderCount == 1 }
        // Taking everything refills the room it leaves from the parked sender.
        #expect(queue.takeAll() == [[2], [UInt8](repeating: 3, count: 9)])
        try await overflow.value
        #expect(queue.takeAll() == [[4]])
    }

    @Test("a blocked producing thread is woken at the refill level, not at every element")
    func producerWokenAtRefillLevel() async throws {
        let queue = BoundedHandoffQueue<Int>(capacity: 4, refillLevel: 2)
        for value in 0..<4 { #expect(queue.pushWaiting(value)) }
        let pushed = Mutex(false)
        let done = onThread {
            _ = queue.pushWaiting(4)
            pushed.withLock { $0 = true }
        }
        await until { queue.isThreadBlocked }
        #expect(try await queue.receive() == 0)
        #expect(queue.isThreadBlocked, "woken before the queue drained to the refill level")
        #expect(try await queue.receive() == 1)
        #expect(joined(done))
        #expect(pushed.withLock { $0 })
        queue.close()
        var rest: [Int] = []
        while let value = try await queue.receive() { rest.append(value) }
        #expect(rest == [2, 3, 4])
    }

    @Test("a polling thread that found the queue full is called back once the receiver made room")
    func pollingProducerCalledBack() async throws {
        let wakes = Mutex(0)
        let queue = BoundedHandoffQueue<Int>(capacity: 2, wakeThread: { wakes.withLock { $0 += 1 } })
        #expect(queue.push(1))
        #expect(queue.push(2))
        #expect(queue.push(3), "a socket reader's message is kept past the capacity")
        #expect(queue.isFull)
        #expect(try await queue.receive() == 1)
        #expect(wakes.withLock { $0 } == 0, "still full: no wake-up yet")
        #expect(try await queue.receive() == 2)
        #expect(wakes.withLock { $0 } == 1)
        #expect(!queue.isFull)
    }

    @Test("an element the receiver has taken is no longer kept alive by the queue")
    func takenElementsAreReleased() async throws {
        final class Payload: Sendable {}
        let queue = BoundedHandoffQueue<Payload>(capacity: 4)
        weak var first: Payload?
        do {
            let payload = Payload()
            first = payload
            #expect(queue.push(payload))
            #expect(queue.push(Payload()))
        }
        var taken = try await queue.receive()
        #expect(taken != nil)
        taken = nil
        #expect(first == nil, "the queue still holds the element it handed out")
        #expect(try await queue.receive() != nil)
    }

    // MARK: Cancellation

    @Test("a cancelled waiting sender throws, its element is not queued, and the next waiter still gets in")
    func cancelledSender() async throws {
        let queue = BoundedHandoffQueue<Int>(capacity: 1)
        try await queue.send(1)
        let cancelled = Task { try await queue.send(2) }
        await until { queue.waitingSenderCount == 1 }
        let next = Task { try await queue.send(3) }
        await until { queue.waitingSenderCount == 2 }
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        #expect(queue.take() == 1)
        try await next.value
        #expect(queue.takeAll() == [3])
    }

    @Test("a cancelled waiting receiver throws and leaves the queue working")
    func cancelledReceiver() async throws {
        let queue = BoundedHandoffQueue<Int>(capacity: 1)
        let receiver = Task { try await queue.receive() }
        await until { queue.hasWaitingReceiver }
        receiver.cancel()
        await #expect(throws: CancellationError.self) { try await receiver.value }
        #expect(!queue.hasWaitingReceiver)
        #expect(queue.push(7))
        #expect(try await queue.receive() == 7)
    }

    @Test("a second task receiving at once is refused")
    func twoReceiversRefused() async throws {
        let queue = BoundedHandoffQueue<Int>(capacity: 1)
        let first = Task { try await queue.receive() }
        await until { queue.hasWaitingReceiver }
        await #expect(throws: BoundedHandoffQueueError.twoReceivers) { _ = try await queue.receive() }
        queue.push(1)
        #expect(try await first.value == 1)
    }

    @Test("cancelling the reader of the stream ends it and stops the producing thread")
    func streamCancellationStopsProducer() async throws {
        let queue = BoundedHandoffQueue<Int>(capacity: 1)
        let ended = Mutex(false)
        let stream = queue.stream(onEnd: { ended.withLock { $0 = true } })
        let reader = Task {
            var count = 0
            for try await _ in stream { count += 1 }
            return count
        }
        await until { queue.hasWaitingReceiver }
        reader.cancel()
        #expect(try await reader.value == 0)
        #expect(ended.withLock { $0 })
        #expect(queue.pushWaiting(1) == false)
    }

    @Test("a producing thread blocked on a full queue is released when the stream is dropped")
    func droppedStreamReleasesProducer() async throws {
        let queue = BoundedHandoffQueue<Int>(capacity: 1)
        var stream: AsyncThrowingStream<Int, any Error>? = queue.stream()
        let result = Mutex<Bool?>(nil)
        let done = onThread {
            _ = queue.pushWaiting(0)
            result.withLock { $0 = queue.pushWaiting(1) }  // Blocks: the queue is full.
        }
        await until { queue.isThreadBlocked }
        #expect(stream != nil)
        stream = nil
        #expect(joined(done))
        #expect(result.withLock { $0 } == false)
    }

    // MARK: Closing

    @Test("close admits the parked senders' elements before the last one, then refuses later sends")
    func closeWhileSendersWait() async throws {
        let queue = BoundedHandoffQueue<Int>(capacity: 1)
        try await queue.send(1)
        let waiting = Task { try await queue.send(2) }
        await until { queue.waitingSenderCount == 1 }
        queue.close(refusingLaterSendsWith: Refused(), after: 99)
        try await waiting.value
        await #expect(throws: Refused.self) { try await queue.send(3) }
        var taken: [Int] = []
        while case .element(let value) = queue.take(timeout: nil) { taken.append(value) }
        #expect(taken == [1, 2, 99])
        if case .closed = queue.take(timeout: nil) {} else { Issue.record("a drained, closed queue is not closed") }
    }

    @Test("close with elements buffered: the receiver gets them all, then the error, every time it asks")
    func closeWithBufferedElements() async throws {
        let queue = BoundedHandoffQueue<Int>(capacity: 4)
        queue.push(1)
        queue.push(2)
        queue.close(throwing: Failure())
        #expect(queue.push(3) == false)
        #expect(try await queue.receive() == 1)
        #expect(try await queue.receive() == 2)
        await #expect(throws: Failure.self) { _ = try await queue.receive() }
        await #expect(throws: Failure.self) { _ = try await queue.receive() }
    }

    @Test("close while the receiver waits ends its wait: nil, or the error")
    func closeWhileReceiverWaits() async throws {
        let queue = BoundedHandoffQueue<Int>(capacity: 1)
        let receiver = Task { try await queue.receive() }
        await until { queue.hasWaitingReceiver }
        queue.close()
        #expect(try await receiver.value == nil)

        let failing = BoundedHandoffQueue<Int>(capacity: 1)
        let failed = Task { try await failing.receive() }
        await until { failing.hasWaitingReceiver }
        failing.close(throwing: Failure())
        await #expect(throws: Failure.self) { _ = try await failed.value }
    }

    @Test("close wakes a thread blocked waiting for elements")
    func closeWakesBlockedTaker() async throws {
        let queue = BoundedHandoffQueue<Int>(capacity: 1)
        let closed = Mutex(false)
        let done = onThread {
            if case .closed = queue.take(timeout: nil) { closed.withLock { $0 = true } }
        }
        await until { queue.isThreadBlocked }
        queue.close()
        #expect(joined(done))
        #expect(closed.withLock { $0 })
    }

    @Test("discard drops what is queued, fails parked senders and the receiver, and ends the thread's take")
    func discardWhileWaiting() async throws {
        let queue = BoundedHandoffQueue<Int>(capacity: 1)
        try await queue.send(1)
        let sender = Task { try await queue.send(2) }
        await until { queue.waitingSenderCount == 1 }
        #expect(queue.discard(refusing: Refused()) == [1, 2])
        await #expect(throws: Refused.self) { try await sender.value }
        await #expect(throws: Refused.self) { try await queue.send(3) }
        if case .closed = queue.take(timeout: nil) {} else { Issue.record("a discarded queue still yields") }

        let incoming = BoundedHandoffQueue<Int>(capacity: 1)
        let receiver = Task { try await incoming.receive() }
        await until { incoming.hasWaitingReceiver }
        incoming.discard(refusing: Refused())
        await #expect(throws: Refused.self) { _ = try await receiver.value }
    }

    // MARK: The blocking take

    @Test("a blocking take times out when nothing comes, and a send wakes a blocked take")
    func blockingTake() async throws {
        let queue = BoundedHandoffQueue<Int>(capacity: 1)
        if case .timedOut = queue.take(timeout: .milliseconds(1)) {
        } else {
            Issue.record("an empty take did not time out")
        }
        let taken = Mutex<Int?>(nil)
        let done = onThread {
            if case .element(let value) = queue.take(timeout: .seconds(3600)) { taken.withLock { $0 = value } }
        }
        await until { queue.isThreadBlocked }
        try await queue.send(5)
        #expect(joined(done))
        #expect(taken.withLock { $0 } == 5)
    }

    @Test("a polling consumer thread is called back for each element sent")
    func pollingConsumerCalledBack() async throws {
        let wakes = Mutex(0)
        let queue = BoundedHandoffQueue<Int>(capacity: 8, wakeThread: { wakes.withLock { $0 += 1 } })
        try await queue.send(1)
        try await queue.send(2)
        #expect(wakes.withLock { $0 } == 2)
        queue.close()
        #expect(wakes.withLock { $0 } == 3)
        #expect(queue.takeAll() == [1, 2])
    }
}
