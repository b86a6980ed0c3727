#if canImport(Glibc)
    import Glibc
#endif

/// The body of a connection's dedicated thread: connect, upgrade, then move frames until the end.
///
/// Everything here blocks, so it never runs on Swift's cooperative pool.
///
/// The loop always reads with `curl_easy_recv` until CURLE_AGAIN before it polls, because TLS
/// may hold decrypted bytes the socket no longer shows; it retries partial and CURLE_AGAIN
/// sends with the same bytes; a receive of 0 bytes is EOF (all measured on libcurl 7.88.1).
enum WebSocketConnectionLoop {
    /// Sockets to a peer that reset deliver SIGPIPE on write; libcurl's `NOSIGNAL` does not cover
    /// every path (OpenSSL writes), so the process ignores it once and reads EPIPE instead.
    private static let ignoreBrokenPipe: Void = {
        _ = signal(SIGPIPE, SIG_IGN)
    }()

    /// Bytes asked of `curl_easy_recv` at a time.
    static let readChunkSize = 64 << 10

    static func run(
        url: WebSocketURL, headers: [HTTPHeader], core: WebSocketConnectionCore,
        opened: CheckedContinuation<Void, any Error>
    ) {
        ignoreBrokenPipe
        let session: SocketSession
        let remainder: [UInt8]
        do throws(WebSocketError) {
            (session, remainder) = try connectAndUpgrade(url: url, headers: headers, core: core)
        } catch {
            core.finish(.failed(error))
            opened.resume(throwing: error)
            return
        }
        opened.resume()
        var loop = FrameLoop(session: session, core: core, remainder: remainder)
        core.finish(loop.run())
    }

    // MARK: Connect and upgrade

    private static func connectAndUpgrade(
        url: WebSocketURL, headers: [HTTPHeader], core: WebSocketConnectionCore
    ) throws(WebSocketError) -> (SocketSession, [UInt8]) {
        let options = core.options
        let handle: CurlEasyHandle
        do {
            handle = try CurlEasyHandle()
            try handle.configureConnectOnly(
                url: url.curlURL, proxy: options.proxy, caBundle: options.caBundle,
                connectTimeoutMilliseconds: max(1, Int(options.connectTimeout.roundedUpMilliseconds)))
        } catch {
            throw .systemResource(detail: "libcurl: \(error.message)")
        }
        do {
            try handle.connect { core.abortRequested }
        } catch {
            if CurlEasyHandle.isAbortedByCallback(error) { throw .aborted }
            if error.rawValue == CurlCode.operationTimedOut { throw .timedOut(phase: .connecting) }
            if error.isTLSFailure { throw .tlsFailed(host: url.authority, cause: error) }
            throw .connectFailed(host: url.authority, cause: error)
        }
        let socket: Int32
        do {
            socket = try handle.activeSocket()
        } catch {
            throw .connectFailed(host: url.authority, cause: error)
        }
        let session = SocketSession(handle: handle, socket: socket, core: core)
        let deadline = ContinuousClock.now + options.handshakeTimeout
        let key = WebSocketHandshake.randomKey()
        try session.writeAll(WebSocketHandshake.request(for: url, key: key, headers: headers), deadline: deadline)

        var parser = HandshakeResponseParser()
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        while true {
            guard let count = try session.readSome(into: &buffer, deadline: deadline) else {
                throw .connectionLost(
                    detail: "the server closed the connection without answering the WebSocket upgrade")
            }
            let result: HandshakeResponseParser.Result
            do {
                result = try parser.append(buffer[0..<count])
            } catch {
                throw .invalidHandshake(detail: error.detail)
            }
            guard case .head(let head, let remainder) = result else { continue }
            if head.status != 101 {
                // A refusal's body says why (providers put error codes and messages there).
                // Read it briefly: a server may keep the connection open without a length.
                let bodyDeadline = min(deadline, ContinuousClock.now + .seconds(2))
                let body = readBody(session: session, head: head, start: remainder, deadline: bodyDeadline)
                throw .handshakeRejected(status: head.status, headers: head.headers, body: body)
            }
            if let problem = WebSocketHandshake.problem(with: head, key: key, requestHeaders: headers) {
                throw .invalidHandshake(detail: problem)
            }
            return (session, remainder)
        }
    }

    private static func readBody(
        session: SocketSession, head: HandshakeResponseHead, start: [UInt8], deadline: ContinuousClock.Instant
    ) -> String {
        var body = start
        let limit = WebSocketHandshake.maxBodySize
        let expected = head.headers[header: "Content-Length"].flatMap { Int($0.trimmingHTTPWhitespace) }
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        while body.count < min(expected ?? limit, limit) && !HTTPBody.isComplete(body, headers: head.headers) {
            guard let count = try? session.readSome(into: &buffer, deadline: deadline) else { break }
            body += buffer[0..<count]
        }
        return HTTPBody.text(of: Array(body.prefix(limit)), headers: head.headers, expectedLength: expected)
    }
}

extension Duration {
    /// Whole milliseconds, rounded up so a poll never wakes just before its deadline.
    fileprivate var roundedUpMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
    }
}

/// The curl handle and its socket on the connection's thread, with the blocking waits.
final class SocketSession {
    let handle: CurlEasyHandle
    let socket: Int32
    let core: WebSocketConnectionCore

    init(handle: CurlEasyHandle, socket: Int32, core: WebSocketConnectionCore) {
        self.handle = handle
        self.socket = socket
        self.core = core
    }

    /// What ended a `wait`.
    enum WaitResult {
        case ready
        case woken
        case timedOut
    }

    /// Blocks in `poll` on the socket (for `events`) and the wake-up eventfd until one is ready or
    /// `deadline` passes.
    func wait(for events: Int16, deadline: ContinuousClock.Instant?) -> WaitResult {
        // With no socket events wanted (the incoming queue is full) the socket is left out:
        // a hung-up socket reports POLLHUP even when not asked and would make this loop spin.
        var descriptors = [
            pollfd(fd: events == 0 ? -1 : socket, events: events, revents: 0),
            pollfd(fd: core.wakeup.descriptor, events: Int16(POLLIN), revents: 0),
        ]
        var timeout: Int32 = -1
        if let deadline {
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero { return .timedOut }
            timeout = Int32(clamping: remaining.roundedUpMilliseconds)
        }
        let result = poll(&descriptors, 2, timeout)
        if result == 0 { return .timedOut }
        if result < 0 { return .woken }  // EINTR: look again
        if descriptors[1].revents != 0 { core.wakeup.drain() }
        return descriptors[0].revents != 0 ? .ready : .woken
    }

    /// Writes all of `bytes` during the handshake, waiting on the socket as needed.
    func writeAll(_ bytes: [UInt8], deadline: ContinuousClock.Instant) throws(WebSocketError) {
        var offset = 0
        while offset < bytes.count {
            if core.abortRequested { throw .aborted }
            let result: CurlEasyHandle.TransferResult
            do {
                result = try handle.send(bytes, from: offset)
            } catch {
                throw .connectionLost(detail: "\(error.message) while sending the WebSocket upgrade")
            }
            switch result {
            case .transferred(let count): offset += count
            case .wouldBlock:
                if wait(for: Int16(POLLOUT), deadline: deadline) == .timedOut { throw .timedOut(phase: .handshake) }
            }
        }
    }

    /// Reads what is available during the handshake, waiting up to `deadline`; nil on EOF.
    func readSome(into buffer: inout [UInt8], deadline: ContinuousClock.Instant) throws(WebSocketError) -> Int? {
        while true {
            if core.abortRequested { throw .aborted }
            let result: CurlEasyHandle.TransferResult
            do {
                result = try handle.receive(into: &buffer)
            } catch {
                throw .connectionLost(detail: "\(error.message) while reading the WebSocket upgrade answer")
            }
            switch result {
            case .transferred(0): return nil
            case .transferred(let count): return count
            case .wouldBlock:
                if wait(for: Int16(POLLIN), deadline: deadline) == .timedOut { throw .timedOut(phase: .handshake) }
            }
        }
    }
}

@available(*, unavailable)
extension SocketSession: Sendable {}

/// The open connection's loop: frames in, frames out, close handshake, until the end.
struct FrameLoop {
    private let session: SocketSession
    private let core: WebSocketConnectionCore
    private var decoder: WebSocketFrameDecoder
    private var machine: WebSocketStateMachine
    /// The frame being written and how far; a partial write is retried with the same bytes.
    private var writing: [UInt8] = []
    private var writeOffset = 0
    private var writingIsClose = false
    /// Pongs and close replies: written before queued data, never inside another frame.
    private var control: [(frame: [UInt8], isClose: Bool)] = []
    private var data: [WebSocketConnectionCore.Outgoing] = []
    private var dataIndex = 0
    /// True once hark's close frame is chosen for writing (only one is ever sent).
    private var closeStarted = false
    private var closeDeadline: ContinuousClock.Instant?
    /// Set when the connection is over but frames (a close reply) must still be written.
    private var endAfterWrites: WebSocketConnectionCore.Ending?

    init(session: SocketSession, core: WebSocketConnectionCore, remainder: [UInt8]) {
        self.session = session
        self.core = core
        decoder = WebSocketFrameDecoder(maxFrameSize: core.options.maxMessageSize)
        machine = WebSocketStateMachine(maxMessageSize: core.options.maxMessageSize)
        decoder.append(remainder)
    }

    /// Runs until the connection ends and says how.
    mutating func run() -> WebSocketConnectionCore.Ending {
        let buffer = UnsafeMutableRawBufferPointer.allocate(
            byteCount: WebSocketConnectionLoop.readChunkSize, alignment: 8)
        defer { buffer.deallocate() }
        // Frames that came with the 101 answer.
        if let ending = processFrames() { return ending }
        while true {
            let signals = core.loopSignals
            if signals.abortRequested { return .failed(.aborted) }
            // The close wait starts when close() is called, not when its frame is written: a
            // server that stopped reading must not keep close() (or its queued data) forever.
            if signals.closeRequested { startCloseTimer() }
            let reading = endAfterWrites == nil && !signals.incomingIsFull
            if reading, let ending = readAvailable(into: buffer) { return ending }
            let wantsWrite: Bool
            switch writeAvailable() {
            // A server that closes first may drop TCP before hark's echo of its close is
            // written; the close it sent is still how the connection ended.
            case .failed(let error): return endAfterWrites ?? .failed(error)
            case .blocked: wantsWrite = true
            case .idle: wantsWrite = false
            }
            if let ending = endAfterWrites, !wantsWrite { return ending }
            if let closeDeadline, ContinuousClock.now >= closeDeadline {
                return endAfterWrites ?? .failed(.timedOut(phase: .closing))
            }
            let events = Int16(reading ? POLLIN : 0) | Int16(wantsWrite ? POLLOUT : 0)
            _ = session.wait(for: events, deadline: closeDeadline)
        }
    }

    /// Receives until CURLE_AGAIN (or until the incoming queue fills) and handles the frames.
    private mutating func readAvailable(into buffer: UnsafeMutableRawBufferPointer) -> WebSocketConnectionCore.Ending? {
        while true {
            let result: CurlEasyHandle.TransferResult
            do {
                result = try session.handle.receive(into: buffer)
            } catch {
                machine.connectionEnded()
                return .failed(.connectionLost(detail: "\(error.message) while reading WebSocket frames"))
            }
            switch result {
            case .wouldBlock: return nil
            case .transferred(0):
                machine.connectionEnded()
                return .failed(
                    .connectionLost(detail: "the server closed the TCP connection without a WebSocket close frame"))
            case .transferred(let count):
                decoder.append(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
                if let ending = processFrames() { return ending }
                if endAfterWrites != nil || core.incomingIsFull { return nil }
            }
        }
    }

    /// Decodes and handles every complete frame; returns an ending when the connection is over.
    private mutating func processFrames() -> WebSocketConnectionCore.Ending? {
        while endAfterWrites == nil {
            let action: WebSocketStateMachine.ReceiveAction
            do {
                guard let frame = try decoder.nextFrame() else { return nil }
                action = machine.receive(frame)
            } catch {
                machine.connectionEnded()
                action = .failConnection(error)
            }
            switch action {
            case .none: break
            case .deliver(let message):
                PerformanceTrace.record("message_received")
                core.deliver(message)
            case .sendPong(let payload):
                control.append((Self.frame(.pong, payload), false))
            case .replyToClose(let payload, let code, let reason):
                core.recordCloseFrame(code: code, reason: reason)
                core.stopSending()
                control.append((Self.frame(.close, payload), true))
                closeStarted = true
                endAfterWrites = Self.ending(code: code, reason: reason)
                startCloseTimer()
            case .closeCompleted(let code, let reason):
                core.recordCloseFrame(code: code, reason: reason)
                return Self.ending(code: code, reason: reason)
            case .failConnection(let violation):
                core.stopSending()
                if !closeStarted {
                    let payload = WebSocketFrameEncoder.closePayload(
                        code: violation.closeCode, reason: violation.detail)
                    control.append((Self.frame(.close, payload), true))
                    closeStarted = true
                }
                endAfterWrites = .failed(.protocolViolation(violation))
                startCloseTimer()
            }
        }
        return nil
    }

    private enum WriteOutcome {
        case idle
        case blocked
        case failed(WebSocketError)
    }

    /// Writes queued frames until the socket would block or nothing is left.
    private mutating func writeAvailable() -> WriteOutcome {
        while true {
            if writeOffset == writing.count && !selectNextFrame() { return .idle }
            let result: CurlEasyHandle.TransferResult
            do {
                result = try session.handle.send(writing, from: writeOffset)
            } catch {
                machine.connectionEnded()
                return .failed(.connectionLost(detail: "\(error.message) while sending WebSocket frames"))
            }
            switch result {
            case .wouldBlock: return .blocked
            case .transferred(let count):
                writeOffset += count
                // Opcode 2 in the first byte: a binary (audio) frame is now wholly on the socket.
                if PerformanceTrace.isEnabled, writeOffset == writing.count, writing.first.map({ $0 & 0x0F }) == 2 {
                    PerformanceTrace.record("audio_frame_written")
                }
                if writeOffset == writing.count && writingIsClose {
                    writingIsClose = false
                    core.closeWritten()
                }
            }
        }
    }

    /// Picks the next frame to write: control frames first, then callers' frames in order.
    private mutating func selectNextFrame() -> Bool {
        writing = []
        writeOffset = 0
        if !control.isEmpty {
            let next = control.removeFirst()
            writing = next.frame
            writingIsClose = next.isClose
            return true
        }
        while endAfterWrites == nil {
            if dataIndex == data.count {
                data = core.takeOutgoing()
                dataIndex = 0
                if data.isEmpty { return false }
            }
            let item = data[dataIndex]
            dataIndex += 1
            switch item {
            case .frame(let frame):
                // Frames queued behind a close are dropped: RFC 6455 allows no data after it.
                guard machine.canSend else { continue }
                writing = frame
                writingIsClose = false
                return true
            case .close(let code, let reason):
                switch machine.close(code: code, reason: reason) {
                case .ignore:
                    core.closeWritten()
                case .send(let payload):
                    closeStarted = true
                    writing = Self.frame(.close, payload)
                    writingIsClose = true
                    return true
                }
            }
        }
        return false
    }

    private mutating func startCloseTimer() {
        if closeDeadline == nil { closeDeadline = ContinuousClock.now + core.options.closeTimeout }
    }

    private static func frame(_ opcode: WebSocketOpcode, _ payload: [UInt8]) -> [UInt8] {
        WebSocketFrameEncoder.encode(opcode: opcode, payload: payload, mask: WebSocketFrameEncoder.randomMask())
    }

    /// A close 1000 ends the stream normally; any other code is an error carrying it.
    private static func ending(code: UInt16, reason: String) -> WebSocketConnectionCore.Ending {
        code == WebSocketCloseCode.normal ? .finished : .failed(.closed(code: code, reason: reason))
    }
}
