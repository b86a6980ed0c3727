import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Settings for one WebSocket connection.
package struct WebSocketOptions: Sendable, Equatable {
    /// `--proxy`; nil leaves libcurl's environment handling (`https_proxy`, `no_proxy`) on.
    package var proxy: String?
    /// A PEM bundle to trust instead of the system store (tests, private CAs).
    package var caBundle: String?
    /// DNS + TCP + proxy + TLS.
    package var connectTimeout: Duration
    /// From the request being written to the 101 answer (and a refusal's body).
    package var handshakeTimeout: Duration
    /// How long `close()` waits for the server's close frame before giving up.
    package var closeTimeout: Duration
    /// The largest message (and frame) accepted from the server; larger ones close with 1009.
    package var maxMessageSize: Int
    /// Bytes of encoded frames queued for the socket before `send` suspends.
    package var outgoingCapacity: Int
    /// Messages received but not yet taken before the connection stops reading the socket.
    package var incomingCapacity: Int

    package init(
        proxy: String? = nil, caBundle: String? = nil, connectTimeout: Duration = .seconds(10),
        handshakeTimeout: Duration = .seconds(10), closeTimeout: Duration = .seconds(5),
        maxMessageSize: Int = 16 << 20, outgoingCapacity: Int = 1 << 20, incomingCapacity: Int = 64
    ) {
        self.proxy = proxy
        self.caBundle = caBundle
        self.connectTimeout = connectTimeout
        self.handshakeTimeout = handshakeTimeout
        self.closeTimeout = closeTimeout
        self.maxMessageSize = maxMessageSize
        self.outgoingCapacity = outgoingCapacity
        self.incomingCapacity = incomingCapacity
    }
}

/// An RFC 6455 client connection over libcurl in `CONNECT_ONLY` mode.
///
/// One dedicated thread owns the curl handle for the connection's life (a handle is not safe
/// across threads). It waits in `poll` on the socket and an eventfd; async callers meet it
/// through two bounded queues: `send` suspends while `outgoingCapacity` bytes wait for the
/// socket, and the thread stops reading the socket while `incomingCapacity` messages wait for
/// `receive`, so neither side grows without bound.
///
/// Dropping the connection aborts it.
package final class WebSocketConnection: Sendable {
    /// Where the connection goes, for messages.
    package let url: WebSocketURL
    private let core: WebSocketConnectionCore

    private init(url: WebSocketURL, core: WebSocketConnectionCore) {
        self.url = url
        self.core = core
    }

    deinit {
        core.abort()
    }

    /// Connects, upgrades and returns an open connection.
    /// - Parameters:
    ///   - url: `ws://` or `wss://`.
    ///   - headers: extra upgrade request headers (authorization).
    /// - Throws: `WebSocketError`; `CancellationError` when the task is cancelled, which aborts
    ///   the attempt even inside libcurl's connect.
    package static func connect(
        to url: String, headers: [HTTPHeader] = [], options: WebSocketOptions = WebSocketOptions()
    ) async throws -> WebSocketConnection {
        guard let parsed = WebSocketURL(url) else { throw WebSocketError.invalidURL(url) }
        let wakeup: WakeupEvent
        do {
            wakeup = try WakeupEvent()
        } catch {
            throw WebSocketError.systemResource(detail: "eventfd: \(error.detail)")
        }
        let core = WebSocketConnectionCore(wakeup: wakeup, options: options)
        do {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (opened: CheckedContinuation<Void, any Error>) in
                    DedicatedThread.start(name: "websocket \(parsed.authority)") {
                        WebSocketConnectionLoop.run(url: parsed, headers: headers, core: core, opened: opened)
                    }
                }
            } onCancel: {
                core.abort()
            }
        } catch WebSocketError.aborted where Task.isCancelled {
            throw CancellationError()
        }
        return WebSocketConnection(url: parsed, core: core)
    }

    /// Queues one message; suspends while the outgoing queue is full.
    /// - Throws: `WebSocketError.notOpen` after `close()`, the connection's failure after it
    ///   ended, `CancellationError` when the task is cancelled while waiting.
    package func send(_ message: WebSocketMessage) async throws {
        let frame: [UInt8]
        switch message {
        case .text(let text):
            frame = WebSocketFrameEncoder.encode(
                opcode: .text, payload: text.utf8, mask: WebSocketFrameEncoder.randomMask())
        case .binary(let bytes):
            frame = WebSocketFrameEncoder.encode(
                opcode: .binary, payload: bytes, mask: WebSocketFrameEncoder.randomMask())
        }
        try await core.enqueue(frame)
    }

    /// The next message; nil once the server closed with 1000.
    /// - Throws: `WebSocketError.closed` for any other close code, or how the connection failed.
    package func receive() async throws -> WebSocketMessage? {
        try await core.receive()
    }

    /// Messages as a sequence, ending as `receive()` does.
    ///
    /// Iterate it from one task.
    package var messages: AsyncThrowingStream<WebSocketMessage, any Error> {
        let core = self.core
        return AsyncThrowingStream(unfolding: { try await core.receive() })
    }

    /// The server's close code and reason once its close frame arrived.
    package var closeFrame: (code: UInt16, reason: String)? { core.closeFrame }

    /// Sends a close frame after the messages already queued and returns once it is written;
    /// the message stream ends when the server answers, or fails with `.timedOut(.closing)`
    /// after `closeTimeout`.
    package func close(code: UInt16 = WebSocketCloseCode.normal, reason: String = "") async {
        await core.close(code: code, reason: reason)
    }

    /// Senders parked on a full outgoing queue: tests wait on it instead of on the clock.
    var waitingSenderCount: Int { core.waitingSenderCount }

    /// Tears the connection down at once: no close frame, the message stream fails with
    /// `.aborted`, waiting senders fail.
    package func abort() {
        core.abort()
    }
}

/// The state shared by a connection's async callers and its thread: two `BoundedHandoffQueue`s
/// (frames out, bounded in bytes; messages in, bounded in count) that wake the thread's `poll`
/// through `wakeup`, and the close handshake's own state under a mutex.
final class WebSocketConnectionCore: Sendable {
    /// An encoded frame or a close request, in the order callers queued them.
    enum Outgoing {
        case frame([UInt8])
        case close(code: UInt16, reason: String)

        /// Frames count their bytes against `outgoingCapacity`; the close request nothing.
        var cost: Int {
            if case .frame(let bytes) = self { bytes.count } else { 0 }
        }
    }

    /// How the message stream ends.
    enum Ending {
        case finished
        case failed(WebSocketError)
    }

    struct State {
        var closeQueued = false
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
        var ended = false
        var abortRequested = false
        var closeFrame: (code: UInt16, reason: String)?
    }

    let wakeup: WakeupEvent
    let options: WebSocketOptions
    private let outgoing: BoundedHandoffQueue<Outgoing>
    private let incoming: BoundedHandoffQueue<WebSocketMessage>
    private let state = Mutex(State())

    init(wakeup: WakeupEvent, options: WebSocketOptions) {
        self.wakeup = wakeup
        self.options = options
        outgoing = BoundedHandoffQueue(
            capacity: options.outgoingCapacity, cost: \.cost, wakeThread: { wakeup.signal() })
        incoming = BoundedHandoffQueue(capacity: options.incomingCapacity, wakeThread: { wakeup.signal() })
    }

    var closeFrame: (code: UInt16, reason: String)? { state.withLock { $0.closeFrame } }

    // MARK: Async side

    func enqueue(_ frame: [UInt8]) async throws {
        try await outgoing.send(.frame(frame))
    }

    func receive() async throws -> WebSocketMessage? {
        do {
            return try await incoming.receive()
        } catch BoundedHandoffQueueError.twoReceivers {
            throw WebSocketError.systemResource(detail: "two tasks received from one connection")
        }
    }

    func close(code: UInt16, reason: String) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let queued: Bool = state.withLock { state in
                guard !state.ended, !state.closeQueued else { return false }
                state.closeQueued = true
                state.closeWaiters.append(continuation)
                return true
            }
            guard queued else {
                continuation.resume()
                return
            }
            // Senders already waiting asked before the close: their frames go first.
            outgoing.close(refusingLaterSendsWith: WebSocketError.notOpen, after: .close(code: code, reason: reason))
        }
    }

    var waitingSenderCount: Int { outgoing.waitingSenderCount }

    func abort() {
        state.withLock { $0.abortRequested = true }
        wakeup.signal()
    }

    // MARK: Thread side

    var abortRequested: Bool { state.withLock { $0.abortRequested } }

    /// What the loop checks once per turn.
    struct LoopSignals {
        var abortRequested: Bool
        var incomingIsFull: Bool
        var closeRequested: Bool
    }

    var loopSignals: LoopSignals {
        let (abortRequested, closeRequested) = state.withLock { ($0.abortRequested, $0.closeQueued) }
        return LoopSignals(
            abortRequested: abortRequested, incomingIsFull: incoming.isFull, closeRequested: closeRequested)
    }

    /// True while the incoming queue is full: the thread leaves the socket unread (and is woken
    /// once the receiver has made room).
    var incomingIsFull: Bool { incoming.isFull }

    /// Everything queued so far, freeing the queue for waiting senders (who are resumed).
    func takeOutgoing() -> [Outgoing] {
        outgoing.takeAll()
    }

    /// Hands a received message to the receiver, or queues it.
    func deliver(_ message: WebSocketMessage) {
        incoming.push(message)
    }

    func recordCloseFrame(code: UInt16, reason: String) {
        state.withLock { $0.closeFrame = (code, reason) }
    }

    /// Stops sends from now on (the server closed first) without ending the stream yet.
    func stopSending() {
        state.withLock { $0.closeQueued = true }
        outgoing.discard(refusing: WebSocketError.notOpen)
    }

    /// Resumes everyone waiting for hark's close frame to be written.
    func closeWritten() {
        let waiters = state.withLock { state in
            defer { state.closeWaiters = [] }
            return state.closeWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Ends the connection: the stream ends after the queued messages, everyone waiting resumes.
    func finish(_ ending: Ending) {
        let closers = state.withLock { state in
            state.ended = true
            defer { state.closeWaiters = [] }
            return state.closeWaiters
        }
        switch ending {
        case .finished:
            outgoing.discard(refusing: WebSocketError.notOpen)
            incoming.close(refusingLaterSendsWith: WebSocketError.notOpen)
        case .failed(let error):
            outgoing.discard(refusing: error)
            incoming.close(refusingLaterSendsWith: error, throwing: error)
        }
        for closer in closers { closer.resume() }
    }
}
