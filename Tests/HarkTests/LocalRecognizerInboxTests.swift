import Synchronization
import Testing

@testable import Hark

@Suite("Local recognizer inbox")
struct LocalRecognizerInboxTests {
    @Test("a sender waits while the queue is full and goes on once the recognizer takes a chunk")
    func fullQueueSuspendsSender() async throws {
        let inbox = LocalRecognizerInbox(capacity: 2)
        try await inbox.sendAudio([1])
        try await inbox.sendAudio([2])
        let sent = Mutex(false)
        let third = Task {
            try await inbox.sendAudio([3])
            sent.withLock { $0 = true }
        }
        // Give the third send every chance to (wrongly) complete.
        try await Task.sleep(for: .milliseconds(200))
        #expect(sent.withLock { !$0 })
        #expect(inbox.take(timeout: nil) == .audio([1]))
        try await third.value
        #expect(sent.withLock { $0 })
        #expect(inbox.take(timeout: nil) == .audio([2]))
        #expect(inbox.take(timeout: nil) == .audio([3]))
    }

    @Test("close jumps the capacity limit, releases waiting senders with a failure and refuses more")
    func closeReleasesSenders() async throws {
        let inbox = LocalRecognizerInbox(capacity: 1)
        try await inbox.sendAudio([1])
        let waiting = Task { try await inbox.sendAudio([2]) }
        try await Task.sleep(for: .milliseconds(100))
        inbox.sendControl(.close)
        await #expect(throws: LinkFailure.self) { try await waiting.value }
        await #expect(throws: LinkFailure.self) { try await inbox.sendAudio([3]) }
        #expect(inbox.take(timeout: nil) == .audio([1]))
        #expect(inbox.take(timeout: nil) == .close)
    }

    @Test("a cancelled sender stops waiting")
    func cancelledSenderStops() async throws {
        let inbox = LocalRecognizerInbox(capacity: 1)
        try await inbox.sendAudio([1])
        let waiting = Task { try await inbox.sendAudio([2]) }
        try await Task.sleep(for: .milliseconds(100))
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
    }

    @Test("take returns nil when nothing arrives within the timeout")
    func takeTimesOut() {
        let inbox = LocalRecognizerInbox(capacity: 1)
        #expect(inbox.take(timeout: .milliseconds(10)) == nil)
    }

    @Test("abort drops queued audio and is taken first")
    func abortJumpsQueue() async throws {
        let inbox = LocalRecognizerInbox(capacity: 4)
        try await inbox.sendAudio([1])
        try await inbox.sendAudio([2])
        inbox.sendControl(.abort)
        #expect(inbox.take(timeout: nil) == .abort)
    }
}
