import Dispatch
import Synchronization
import Testing

@testable import Hark

@Suite("Thread-to-async channel")
struct ThreadToAsyncChannelTests {
    private struct Failure: Error, Equatable {}

    /// Starts `body` on its own thread and returns a semaphore signalled when it returns.
    private func onThread(_ body: @escaping @Sendable () -> Void) -> DispatchSemaphore {
        let done = DispatchSemaphore(value: 0)
        DedicatedThread.start(name: "test producer") {
            body()
            done.signal()
        }
        return done
    }

    @Test("everything sent arrives in order although the buffer holds only two")
    func ordered() async throws {
        let channel = ThreadToAsyncChannel<Int>(capacity: 2)
        let done = onThread {
            for value in 0..<500 { _ = channel.send(value) }
            channel.finish()
        }
        var received: [Int] = []
        for try await value in channel.stream() {
            received.append(value)
            if value % 7 == 0 { await Task.yield() }
        }
        #expect(received == Array(0..<500))
        // A hang guard, not a timing assertion: the producer has already finished.
        #expect(done.wait(timeout: .now() + 30) == .success)
    }

    private final class Payload: Sendable {}

    @Test("an element the consumer has taken is no longer kept alive by the channel")
    func takenElementsAreReleased() async throws {
        let channel = ThreadToAsyncChannel<Payload>(capacity: 4)
        weak var first: Payload?
        do {
            let payload = Payload()
            first = payload
            // Two elements into room for four: `send` cannot block, so it may run here.
            #expect(channel.send(payload))
            #expect(channel.send(Payload()))
        }
        var taken = try await channel.next()
        #expect(taken != nil)
        taken = nil
        #expect(first == nil, "the channel still holds the element it handed out")
        #expect(try await channel.next() != nil)
    }

    @Test("the producer's error arrives after the queued elements, once")
    func errorAfterElements() async throws {
        let channel = ThreadToAsyncChannel<Int>(capacity: 4)
        _ = channel.send(1)
        _ = channel.send(2)
        channel.finish(throwing: Failure())
        var received: [Int] = []
        await #expect(throws: Failure.self) {
            for try await value in channel.stream() { received.append(value) }
        }
        #expect(received == [1, 2])
        #expect(try await channel.next() == nil)
    }

    @Test("a producer blocked on a full buffer is released when the stream is dropped")
    func releasedStreamStopsProducer() async throws {
        let channel = ThreadToAsyncChannel<Int>(capacity: 1)
        let result = Mutex<Bool?>(nil)
        let blocked = DispatchSemaphore(value: 0)
        var stream: AsyncThrowingStream<Int, any Error>? = channel.stream()
        let done = onThread {
            _ = channel.send(0)
            blocked.signal()
            let accepted = channel.send(1)  // Blocks: the buffer is full.
            result.withLock { $0 = accepted }
        }
        #expect(blocked.wait(timeout: .now() + 30) == .success)
        #expect(stream != nil)
        stream = nil
        #expect(done.wait(timeout: .now() + 30) == .success)
        #expect(result.withLock { $0 } == false)
        #expect(channel.send(2) == false)
    }

    @Test("cancelling the consuming task ends its wait and stops the producer")
    func cancellation() async throws {
        let channel = ThreadToAsyncChannel<Int>(capacity: 1)
        let consumer = Task {
            var count = 0
            for try await _ in channel.stream() { count += 1 }
            return count
        }
        consumer.cancel()
        #expect(try await consumer.value == 0)
        #expect(channel.send(1) == false)
    }
}
