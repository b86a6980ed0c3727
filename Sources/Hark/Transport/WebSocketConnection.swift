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

    /// Tears the connection down at once: no close frame, the message stream fails with
    /// `.aborted`, waiting senders fail.
    package func abort() {
        core.abort()
    }
}

/// The state shared by a connection's async callers and its thread, under one mutex.
final class WebSocketConnectionCore: Sendable {
    /// An encoded frame or a close request, in the order callers queued them.
    enum Outgoing {
        case frame([UInt8])
        case close(code: UInt16, reason: String)
    }

    /// A sender waiting for room, holding its frame so order is kept.
    struct SendWaiter {
        var id: UInt64
        var frame: [UInt8]
        var continuation: CheckedContinuation<Void, any Error>
    }

    /// How the message stream ends.
    enum Ending {
        case finished
        case failed(WebSocketError)
    }

    struct State {
        var outgoing: [Outgoing] = []
        var outgoingBytes = 0
        var sendWaiters: [SendWaiter] = []
        var nextWaiterID: UInt64 = 0
        var closeQueued = false
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
        var incoming: [WebSocketMessage] = []
        var incomingHead = 0
        var receiver: CheckedContinuation<WebSocketMessage?, any Error>?
        var ending: Ending?
        var abortRequested = false
        var closeFrame: (code: UInt16, reason: String)?

        var incomingCount: Int { incoming.count - incomingHead }
    }

    let wakeup: WakeupEvent
    let options: WebSocketOptions
    private let state = Mutex(State())

    init(wakeup: WakeupEvent, options: WebSocketOptions) {
        self.wakeup = wakeup
        self.options = options
    }

    var closeFrame: (code: UInt16, reason: String)? { state.withLock { $0.closeFrame } }

    // MARK: Async side

    func enqueue(_ frame: [UInt8]) async throws {
        // Fast path: room in the queue, no continuation needed.
        let waiterID: UInt64? = try state.withLock { state throws(WebSocketError) in
            if let error = state.sendError { throw error }
            if state.queueIfRoom(frame, capacity: options.outgoingCapacity) { return nil }
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        guard let waiterID else {
            wakeup.signal()
            return
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Outcome {
                    case queued
                    case waiting
                    case failed(any Error)
                }
                let outcome: Outcome = state.withLock { state in
                    if let error = state.sendError { return .failed(error) }
                    if Task.isCancelled { return .failed(CancellationError()) }
                    // The thread may have emptied the queue since the fast path looked, and it
                    // only promotes waiters when it takes frames: check for room again here,
                    // or this sender could wait on an idle thread forever.
                    if state.queueIfRoom(frame, capacity: options.outgoingCapacity) { return .queued }
                    state.sendWaiters.append(SendWaiter(id: waiterID, frame: frame, continuation: continuation))
                    return .waiting
                }
                switch outcome {
                case .queued:
                    wakeup.signal()
                    continuation.resume()
                case .waiting:
                    // Make sure the thread looks at the queue (and promotes waiters) at least once more.
                    wakeup.signal()
                case .failed(let error):
                    continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            let waiter: SendWaiter? = state.withLock { state in
                guard let index = state.sendWaiters.firstIndex(where: { $0.id == waiterID }) else { return nil }
                return state.sendWaiters.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    func receive() async throws -> WebSocketMessage? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation {
                (continuation: CheckedContinuation<WebSocketMessage?, any Error>) in
                let capacity = options.incomingCapacity
                enum Outcome {
                    case message(WebSocketMessage, wake: Bool)
                    case end(Ending)
                    case fail(any Error)
                    case wait
                }
                let outcome: Outcome = state.withLock { state in
                    if state.incomingCount > 0 {
                        let wasFull = state.incomingCount >= capacity
                        let message = state.incoming[state.incomingHead]
                        state.incomingHead += 1
                        if state.incomingHead == state.incoming.count {
                            state.incoming.removeAll(keepingCapacity: true)
                            state.incomingHead = 0
                        }
                        return .message(message, wake: wasFull)
                    }
                    if let ending = state.ending { return .end(ending) }
                    if Task.isCancelled { return .fail(CancellationError()) }
                    if state.receiver != nil {
                        return .fail(WebSocketError.systemResource(detail: "two tasks received from one connection"))
                    }
                    state.receiver = continuation
                    return .wait
                }
                switch outcome {
                case .message(let message, let wake):
                    if wake { wakeup.signal() }
                    continuation.resume(returning: message)
                case .end(.finished): continuation.resume(returning: nil)
                case .end(.failed(let error)): continuation.resume(throwing: error)
                case .fail(let error): continuation.resume(throwing: error)
                case .wait: break
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

    func close(code: UInt16, reason: String) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let (queued, waiters): (Bool, [SendWaiter]) = state.withLock { state in
                guard state.ending == nil, !state.closeQueued else { return (false, []) }
                state.closeQueued = true
                // Senders already waiting asked before the close: their frames go first.
                for waiter in state.sendWaiters {
                    state.outgoing.append(.frame(waiter.frame))
                    state.outgoingBytes += waiter.frame.count
                }
                state.outgoing.append(.close(code: code, reason: reason))
                state.closeWaiters.append(continuation)
                defer { state.sendWaiters = [] }
                return (true, state.sendWaiters)
            }
            guard queued else {
                continuation.resume()
                return
            }
            for waiter in waiters { waiter.continuation.resume() }
            wakeup.signal()
        }
    }

    func abort() {
        state.withLock { $0.abortRequested = true }
        wakeup.signal()
    }

    // MARK: Thread side

    var abortRequested: Bool { state.withLock { $0.abortRequested } }

    /// What the loop checks once per turn, under one lock.
    struct LoopSignals {
        var abortRequested: Bool
        var incomingIsFull: Bool
        var closeRequested: Bool
    }

    var loopSignals: LoopSignals {
        let capacity = options.incomingCapacity
        return state.withLock {
            LoopSignals(
                abortRequested: $0.abortRequested, incomingIsFull: $0.incomingCount >= capacity,
                closeRequested: $0.closeQueued)
        }
    }

    /// True while the incoming queue is full: the thread leaves the socket unread.
    var incomingIsFull: Bool {
        let capacity = options.incomingCapacity
        return state.withLock { $0.incomingCount >= capacity }
    }

    /// Everything queued so far, freeing the queue for waiting senders (who are resumed).
    func takeOutgoing() -> [Outgoing] {
        let capacity = options.outgoingCapacity
        let (taken, resumed): ([Outgoing], [SendWaiter]) = state.withLock { state in
            var resumed: [SendWaiter] = []
            // Waiters move into the queue in order while they fit; before taking (so a queue
            // emptied by a cancelled sender still yields the next one) and after (refilling it).
            func promoteWaiters() {
                while let first = state.sendWaiters.first,
                    state.outgoingBytes == 0 || state.outgoingBytes + first.frame.count <= capacity
                {
                    state.sendWaiters.removeFirst()
                    state.outgoing.append(.frame(first.frame))
                    state.outgoingBytes += first.frame.count
                    resumed.append(first)
                }
            }
            promoteWaiters()
            let taken = state.outgoing
            state.outgoing = []
            state.outgoingBytes = 0
            promoteWaiters()
            return (taken, resumed)
        }
        for waiter in resumed { waiter.continuation.resume() }
        return taken
    }

    /// Hands a received message to the receiver, or queues it.
    func deliver(_ message: WebSocketMessage) {
        let receiver: CheckedContinuation<WebSocketMessage?, any Error>? = state.withLock { state in
            if let receiver = state.receiver {
                state.receiver = nil
                return receiver
            }
            state.incoming.append(message)
            return nil
        }
        receiver?.resume(returning: message)
    }

    func recordCloseFrame(code: UInt16, reason: String) {
        state.withLock { $0.closeFrame = (code, reason) }
    }

    /// Stops sends from now on (the server closed first) without ending the stream yet.
    func stopSending() {
        let waiters = state.withLock { state in
            state.closeQueued = true
            state.outgoing = []
            defer { state.sendWaiters = [] }
            return state.sendWaiters
        }
        for waiter in waiters { waiter.continuation.resume(throwing: WebSocketError.notOpen) }
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
        let (receiver, senders, closers) = state.withLock { state in
            if state.ending == nil { state.ending = ending }
            let receiver = state.incomingCount == 0 ? state.receiver : nil
            if receiver != nil { state.receiver = nil }
            defer {
                state.sendWaiters = []
                state.closeWaiters = []
                state.outgoing = []
            }
            return (receiver, state.sendWaiters, state.closeWaiters)
        }
        let sendError: WebSocketError =
            switch ending {
            case .finished: .notOpen
            case .failed(let error): error
            }
        for sender in senders { sender.continuation.resume(throwing: sendError) }
        for closer in closers { closer.resume() }
        switch ending {
        case .finished: receiver?.resume(returning: nil)
        case .failed(let error): receiver?.resume(throwing: error)
        }
    }
}

extension WebSocketConnectionCore.State {
    /// Queues `frame` when no sender waits ahead and it fits (an empty queue takes any frame).
    mutating func queueIfRoom(_ frame: [UInt8], capacity: Int) -> Bool {
        guard sendWaiters.isEmpty, outgoingBytes == 0 || outgoingBytes + frame.count <= capacity else { return false }
        outgoing.append(.frame(frame))
        outgoingBytes += frame.count
        return true
    }

    /// Why a send fails now, if it does.
    var sendError: WebSocketError? {
        switch ending {
        case .failed(let error)?: return error
        case .finished?: return .notOpen
        case nil: return closeQueued ? .notOpen : nil
        }
    }
}
