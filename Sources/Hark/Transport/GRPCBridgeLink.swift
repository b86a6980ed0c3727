import Dispatch
import GRPCBridgeWire
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A `ProviderLink` over one bidirectional-streaming gRPC call, made by the `hark-grpc` bridge
/// process and carried over its pipes (`GRPCBridgeWire` frames).
///
/// gRPC runs in a separate process because its TLS stack links all of Foundation and ICU (hark
/// would grow from 9.9 to 98.8 MB, +10 MB resident for every provider). Every `WireMessage.binary`
/// is one gRPC message, every response message arrives as one; the adapter does the protobuf.
///
/// Two dedicated threads own the pipes: a writer that blocks in `write` on the bridge's stdin,
/// fed through a queue of at most `outgoingCapacity` bytes (`send` suspends while it is full),
/// and a reader that polls the bridge's stdout and stderr, stops reading stdout while
/// `incomingCapacity` messages wait for `inbound`, and reaps the process at the end.
///
/// `close()` half-closes; the remaining responses and the status still arrive on `inbound`,
/// which ends normally on status OK and throws `LinkFailure` otherwise (`.grpcStatus` for a
/// non-OK status, `.connectFailed`/`.tlsFailed`/`.timedOut` when the connection did not come up,
/// `.connectionLost` when it broke or the bridge died). `abort()` closes the bridge's stdin,
/// which makes it exit at once, kills it if it does not, and returns once it is reaped.
package final class GRPCBridgeLink: ProviderLink {
    package let inbound: AsyncThrowingStream<WireMessage, any Error>
    /// The bridge's process id (tests kill it and check it is reaped).
    package let bridgeProcessID: Int32
    private let core: GRPCBridgeLinkCore

    private init(core: GRPCBridgeLinkCore, processID: Int32) {
        self.core = core
        bridgeProcessID = processID
        inbound = AsyncThrowingStream(unfolding: { try await core.receive() })
    }

    deinit {
        core.requestAbort()
    }

    /// Starts the bridge and the call `request.url` names (`https://host[:port]/package.Service/Method`,
    /// or `http://` for plaintext HTTP/2), with `request.headers` as its metadata.
    ///
    /// Returns once the bridge runs: the connection is made while the first messages wait, and
    /// its failure ends `inbound`. gRPC takes no proxy: `options.proxy` must be nil (the caller
    /// refuses `--proxy` for gRPC providers).
    /// - Parameter executable: the bridge to start; nil finds it with `GRPCBridgeLocator`.
    /// - Throws: `GRPCBridgeError` when the bridge cannot be found or started.
    package static func connect(
        _ request: ConnectionRequest, options: LinkOptions, executable: String? = nil,
        outgoingCapacity: Int = 256 << 10, incomingCapacity: Int = 64
    ) throws(GRPCBridgeError) -> GRPCBridgeLink {
        let path: String
        if let executable {
            path = executable
        } else {
            path = try GRPCBridgeLocator.locate()
        }
        let wakeup: WakeupEvent
        do {
            wakeup = try WakeupEvent()
        } catch {
            throw .cannotStart(path: path, detail: "socketpair: \(error.detail)")
        }
        let process = try GRPCBridgeProcess.spawn(executable: path)
        let core = GRPCBridgeLinkCore(
            process: process, wakeup: wakeup, host: EndpointURL.host(of: request.url),
            outgoingCapacity: outgoingCapacity, incomingCapacity: incomingCapacity)
        let timeout = options.connectTimeout.components
        let milliseconds = timeout.seconds * 1000 + timeout.attoseconds / 1_000_000_000_000_000
        let setup = BridgeCallSetup(
            url: request.url,
            metadata: request.headers.map { BridgeMetadataEntry($0.name.lowercased(), $0.value) },
            caBundle: options.caBundle, connectTimeoutMilliseconds: UInt32(clamping: max(milliseconds, 1)))
        core.queueSetup(BridgeFrameCodec.encode(.callSetup(setup)))
        DedicatedThread.start(name: "hark-grpc writer") { core.runWriter() }
        DedicatedThread.start(name: "hark-grpc reader") { core.runReader() }
        return GRPCBridgeLink(core: core, processID: process.processID)
    }

    package func send(_ message: WireMessage) async throws {
        switch message {
        case .binary(let bytes): try await core.send(BridgeFrameCodec.encode(.message(bytes)))
        case .text(let text): try await core.send(BridgeFrameCodec.encode(.message(Array(text.utf8))))
        }
    }

    /// Half-closes the request stream after the messages already sent; returns once the
    /// half-close is in the bridge's pipe.
    package func close() async {
        await core.halfClose()
    }

    /// Ends the call at once and returns once the bridge process is gone.
    package func abort() async {
        await core.abort()
    }
}

/// The state shared by the link's async callers and its two threads, under one mutex.
final class GRPCBridgeLinkCore: Sendable {
    /// A frame waiting for room in the outgoing queue; the half-close waits without a sender.
    fileprivate struct SendWaiter {
        var id: UInt64
        var frame: [UInt8]
        var continuation: CheckedContinuation<Void, any Error>?
    }

    /// How `inbound` ends.
    fileprivate enum Ending {
        case finished
        case failed(LinkFailure)
    }

    fileprivate struct State {
        var outgoing: [[UInt8]] = []
        var outgoingBytes = 0
        var sendWaiters: [SendWaiter] = []
        var nextWaiterID: UInt64 = 0
        /// Frames ever queued and ever written: `close()` waits until its frame's number is written.
        var framesQueued: UInt64 = 0
        var framesWritten: UInt64 = 0
        var flushWaiters: [(frame: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
        var halfCloseQueued = false
        /// Why sends fail now: the writer hit a closed pipe, the call ended, or hark aborted.
        var sendFailure: LinkFailure?
        /// Tells the writer to close the bridge's stdin (end of file makes the bridge exit).
        var closeInput = false
        var aborted = false

        var incoming: [WireMessage] = []
        var incomingHead = 0
        var receiver: CheckedContinuation<WireMessage?, any Error>?
        var ending: Ending?
        /// The reader stopped reading stdout because `incoming` was full.
        var readerPaused = false

        var reaped = false
        var reapWaiters: [CheckedContinuation<Void, Never>] = []

        var incomingCount: Int { incoming.count - incomingHead }
    }

    private let state = Mutex(State())
    private let process: GRPCBridgeProcess
    private let wakeup: WakeupEvent
    /// Signalled for each queued frame and for a close request; the writer waits on it when idle.
    private let writerSignal = DispatchSemaphore(value: 0)
    private let host: String
    private let outgoingCapacity: Int
    private let incomingCapacity: Int

    /// How long the bridge has to exit after its stdin closed before it is killed.
    private static let exitGrace: Duration = .milliseconds(500)
    /// How long it has after its terminal frame (it exits right after writing it).
    private static let exitAfterTerminal: Duration = .seconds(2)

    init(
        process: GRPCBridgeProcess, wakeup: WakeupEvent, host: String, outgoingCapacity: Int, incomingCapacity: Int
    ) {
        self.process = process
        self.wakeup = wakeup
        self.host = host
        self.outgoingCapacity = outgoingCapacity
        self.incomingCapacity = max(1, incomingCapacity)
    }

    // MARK: Async side

    /// Queues the call setup before the threads start; it fits whatever the capacity.
    func queueSetup(_ frame: [UInt8]) {
        state.withLock { state in
            state.outgoing.append(frame)
            state.outgoingBytes += frame.count
            state.framesQueued += 1
        }
        writerSignal.signal()
    }

    func send(_ frame: [UInt8]) async throws {
        let waiterID: UInt64? = try state.withLock { state throws(LinkFailure) in
            // A send after close() is the caller's mistake whatever happened since: say so first.
            if state.halfCloseQueued { throw .protocolViolation(detail: "a message sent after close()") }
            if let failure = state.sendFailure { throw failure }
            if state.queueIfRoom(frame, capacity: outgoingCapacity) { return nil }
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        guard let waiterID else {
            writerSignal.signal()
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
                    if let failure = state.sendFailure { return .failed(failure) }
                    if Task.isCancelled { return .failed(CancellationError()) }
                    // The writer may have drained the queue since the first look, and it only
                    // promotes waiters when it takes a frame: look again, or this sender could
                    // wait on an idle writer forever.
                    if state.queueIfRoom(frame, capacity: outgoingCapacity) { return .queued }
                    state.sendWaiters.append(SendWaiter(id: waiterID, frame: frame, continuation: continuation))
                    return .waiting
                }
                switch outcome {
                case .queued:
                    writerSignal.signal()
                    continuation.resume()
                case .waiting:
                    writerSignal.signal()
                case .failed(let error):
                    continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            let waiter: SendWaiter? = state.withLock { state in
                guard let index = state.sendWaiters.firstIndex(where: { $0.id == waiterID }) else { return nil }
                return state.sendWaiters.remove(at: index)
            }
            waiter?.continuation?.resume(throwing: CancellationError())
        }
    }

    func halfClose() async {
        let frame = BridgeFrameCodec.encode(.halfClose)
        await withCheckedContinuation { (written: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                if state.halfCloseQueued || state.sendFailure != nil { return true }
                state.halfCloseQueued = true
                if state.sendWaiters.isEmpty {
                    state.outgoing.append(frame)
                    state.outgoingBytes += frame.count
                    state.framesQueued += 1
                    state.flushWaiters.append((state.framesQueued, written))
                } else {
                    // Behind the senders already waiting, whatever the room.
                    state.nextWaiterID += 1
                    state.sendWaiters.append(SendWaiter(id: state.nextWaiterID, frame: frame, continuation: nil))
                    let position = state.framesQueued + UInt64(state.sendWaiters.count)
                    state.flushWaiters.append((position, written))
                }
                return false
            }
            if resumeNow { written.resume() } else { writerSignal.signal() }
        }
    }

    func abort() async {
        requestAbort()
        await withCheckedContinuation { (gone: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                if state.reaped { return true }
                state.reapWaiters.append(gone)
                return false
            }
            if resumeNow { gone.resume() }
        }
    }

    /// Starts the abort without waiting for the bridge to go (also from `deinit`).
    func requestAbort() {
        let aborted = LinkFailure.connectionLost(detail: "hark aborted the call to \(host)")
        let (waiters, receiver) = state.withLock { state in
            state.aborted = true
            state.closeInput = true
            if state.sendFailure == nil { state.sendFailure = aborted }
            if state.ending == nil { state.ending = .failed(aborted) }
            let receiver = state.incomingCount == 0 ? state.receiver : nil
            if receiver != nil { state.receiver = nil }
            return (state.takeWaiters(sendFailure: state.sendFailure ?? aborted), receiver)
        }
        waiters.resume()
        receiver?.resume(throwing: aborted)
        writerSignal.signal()
        wakeup.signal()
    }

    func receive() async throws -> WireMessage? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<WireMessage?, any Error>) in
                enum Outcome {
                    case message(WireMessage, wakeReader: Bool)
                    case end(Ending)
                    case cancelled
                    case waiting
                }
                let outcome: Outcome = state.withLock { state in
                    if let message = state.popIncoming() {
                        let wake = state.readerPaused && state.incomingCount < incomingCapacity
                        if wake { state.readerPaused = false }
                        return .message(message, wakeReader: wake)
                    }
                    if let ending = state.ending { return .end(ending) }
                    if Task.isCancelled { return .cancelled }
                    state.receiver = continuation
                    return .waiting
                }
                switch outcome {
                case .message(let message, let wake):
                    if wake { wakeup.signal() }
                    continuation.resume(returning: message)
                case .end(.finished): continuation.resume(returning: nil)
                case .end(.failed(let failure)): continuation.resume(throwing: failure)
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .waiting: break
                }
            }
        } onCancel: {
            let receiver = state.withLock { state -> CheckedContinuation<WireMessage?, any Error>? in
                defer { state.receiver = nil }
                return state.receiver
            }
            receiver?.resume(throwing: CancellationError())
        }
    }

    // MARK: Writer thread

    /// Writes queued frames to the bridge's stdin until asked to close it or the pipe breaks.
    func runWriter() {
        let descriptor = process.stdinDescriptor
        defer { Glibc.close(descriptor) }
        while true {
            enum Step {
                case write([UInt8])
                case close
                case idle
            }
            let step: Step = state.withLock { state in
                if state.closeInput { return .close }
                guard !state.outgoing.isEmpty else { return .idle }
                let frame = state.outgoing.removeFirst()
                state.outgoingBytes -= frame.count
                return .write(frame)
            }
            switch step {
            case .close:
                return
            case .idle:
                writerSignal.wait()
            case .write(let frame):
                if let failure = Self.writeAll(frame, to: descriptor) {
                    // The bridge stopped reading: it exited or is exiting; the reader reports why.
                    let waiters = state.withLock { state -> Waiters in
                        if state.sendFailure == nil { state.sendFailure = failure }
                        return state.takeWaiters(sendFailure: state.sendFailure ?? failure)
                    }
                    waiters.resume()
                    return
                }
                let (senders, flushed) = state.withLock { state in
                    state.framesWritten += 1
                    return (state.promoteWaiters(capacity: outgoingCapacity), state.takeFlushed())
                }
                for sender in senders { sender?.resume() }
                for waiter in flushed { waiter.resume() }
            }
        }
    }

    private static func writeAll(_ frame: [UInt8], to descriptor: Int32) -> LinkFailure? {
        var offset = 0
        while offset < frame.count {
            let count = frame[offset...].withUnsafeBytes {
                Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if count < 0 {
                if errno == EINTR { continue }
                // EPIPE (MSG_NOSIGNAL: no SIGPIPE): the bridge has gone.
                return .connectionLost(detail: "hark-grpc stopped reading: \(String(cString: strerror(errno)))")
            }
            offset += count
        }
        return nil
    }

    // MARK: Reader thread

    /// Reads frames from the bridge's stdout and its stderr until both end, kills the bridge
    /// when it overstays an abort or its terminal frame, reaps it, and ends `inbound`.
    func runReader() {
        var decoder = BridgeFrameDecoder()
        var stderrTail = StderrTail()
        var stdoutOpen = true
        var stderrOpen = true
        var terminal: Ending?
        var killDeadline: ContinuousClock.Instant?
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        let stdout = process.stdoutDescriptor
        let stderr = process.stderrDescriptor
        defer {
            Glibc.close(stdout)
            Glibc.close(stderr)
        }

        func finish(_ ending: Ending) {
            if terminal == nil { terminal = ending }
            let (receiver, waiters) = state.withLock {
                state -> (CheckedContinuation<WireMessage?, any Error>?, Waiters) in
                if state.ending == nil { state.ending = ending }
                // After the call ends, hark's messages go nowhere: fail them, close the bridge's stdin.
                let sendFailure: LinkFailure =
                    switch ending {
                    case .finished: .connectionLost(detail: "the call to \(host) has ended")
                    case .failed(let failure): failure
                    }
                if state.sendFailure == nil { state.sendFailure = sendFailure }
                state.closeInput = true
                let waiters = state.takeWaiters(sendFailure: state.sendFailure ?? sendFailure)
                guard state.incomingCount == 0, let receiver = state.receiver else { return (nil, waiters) }
                state.receiver = nil
                return (receiver, waiters)
            }
            waiters.resume()
            writerSignal.signal()
            let final: Ending? = state.withLock { $0.ending }
            switch final {
            case .finished?: receiver?.resume(returning: nil)
            case .failed(let failure)?: receiver?.resume(throwing: failure)
            case nil: break
            }
        }

        while stdoutOpen || stderrOpen {
            let (paused, aborted) = state.withLock { state in
                if state.incomingCount >= incomingCapacity { state.readerPaused = true }
                return (state.readerPaused, state.aborted)
            }
            if aborted && killDeadline == nil { killDeadline = .now + Self.exitGrace }
            if let deadline = killDeadline, deadline <= .now {
                process.kill()
                killDeadline = .now + .seconds(3600)
            }
            var descriptors = [
                pollfd(fd: stdoutOpen && !paused ? stdout : -1, events: Int16(POLLIN), revents: 0),
                pollfd(fd: stderrOpen ? stderr : -1, events: Int16(POLLIN), revents: 0),
                pollfd(fd: wakeup.descriptor, events: Int16(POLLIN), revents: 0),
            ]
            let timeout = killDeadline.map { deadline -> Int32 in
                let remaining = (deadline - .now).components
                return Int32(
                    clamping: max(0, remaining.seconds * 1000 + remaining.attoseconds / 1_000_000_000_000_000 + 1))
            }
            let ready = poll(&descriptors, nfds_t(descriptors.count), timeout ?? -1)
            if ready < 0 && errno != EINTR { break }
            if descriptors[2].revents != 0 { wakeup.drain() }
            if descriptors[1].revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(stderr, $0.baseAddress, $0.count) }
                if count > 0 {
                    stderrTail.append(buffer[..<count])
                } else if count == 0 || errno != EINTR {
                    stderrOpen = false
                }
            }
            if descriptors[0].revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(stdout, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 {
                    stdoutOpen = false
                    if terminal == nil {
                        do throws(BridgeWireError) {
                            try decoder.checkEnd()
                        } catch {
                            finish(.failed(.protocolViolation(detail: "hark-grpc sent \(error)")))
                        }
                    }
                    continue
                }
                decoder.append(buffer[..<count])
                do throws(BridgeWireError) {
                    while let frame = try decoder.next() {
                        guard terminal == nil else { continue }
                        switch frame {
                        case .message(let bytes): deliver(.binary(bytes))
                        case .status(let status) where status.code == 0: finish(.finished)
                        case .status(let status):
                            finish(.failed(.grpcStatus(code: Int(status.code), message: status.message)))
                        case .transportFailure(let failure): finish(.failed(Self.linkFailure(for: failure, host: host)))
                        case .callSetup, .halfClose:
                            finish(.failed(.protocolViolation(detail: "hark-grpc sent \(frame.kindName)")))
                        }
                        if terminal != nil && killDeadline == nil { killDeadline = .now + Self.exitAfterTerminal }
                    }
                } catch {
                    if terminal == nil { finish(.failed(.protocolViolation(detail: "hark-grpc sent \(error)"))) }
                    process.kill()
                }
            }
        }
        let exit = process.waitForExit()
        if terminal == nil {
            let detail = stderrTail.text.isEmpty ? "" : "; its last words: \(stderrTail.text)"
            finish(.failed(.connectionLost(detail: "hark-grpc \(exit) before the call to \(host) ended\(detail)")))
        }
        let waiters = state.withLock { state in
            state.reaped = true
            defer { state.reapWaiters = [] }
            return state.reapWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Hands one message to `inbound`.
    private func deliver(_ message: WireMessage) {
        let receiver = state.withLock { state -> CheckedContinuation<WireMessage?, any Error>? in
            if let receiver = state.receiver {
                state.receiver = nil
                return receiver
            }
            state.incoming.append(message)
            return nil
        }
        receiver?.resume(returning: message)
    }

    /// A bridge transport failure as the `LinkFailure` the adapters know.
    static func linkFailure(for failure: BridgeTransportFailure, host: String) -> LinkFailure {
        let failedHost = failure.host.isEmpty ? host : failure.host
        switch failure.kind {
        case .connectFailed: return .connectFailed(host: failedHost, detail: failure.detail)
        case .tlsFailed: return .tlsFailed(host: failedHost, detail: failure.detail)
        case .connectionLost: return .connectionLost(detail: failure.detail)
        case .timedOut: return .timedOut(phase: failure.detail)
        case .protocolViolation: return .protocolViolation(detail: failure.detail)
        }
    }
}

/// Continuations to resume once the lock is released.
private struct Waiters {
    var senders: [CheckedContinuation<Void, any Error>] = []
    var flushed: [CheckedContinuation<Void, Never>] = []
    var failure: LinkFailure

    func resume() {
        for sender in senders { sender.resume(throwing: failure) }
        for waiter in flushed { waiter.resume() }
    }
}

extension GRPCBridgeLinkCore.State {
    /// Queues `frame` when no sender waits ahead and it fits (an empty queue takes any frame).
    fileprivate mutating func queueIfRoom(_ frame: [UInt8], capacity: Int) -> Bool {
        guard sendWaiters.isEmpty, outgoingBytes == 0 || outgoingBytes + frame.count <= capacity else { return false }
        outgoing.append(frame)
        outgoingBytes += frame.count
        framesQueued += 1
        return true
    }

    /// Moves waiting frames into the queue while they fit; their senders resume.
    fileprivate mutating func promoteWaiters(capacity: Int) -> [CheckedContinuation<Void, any Error>?] {
        var resumed: [CheckedContinuation<Void, any Error>?] = []
        while let waiter = sendWaiters.first,
            outgoingBytes == 0 || outgoingBytes + waiter.frame.count <= capacity || waiter.continuation == nil
        {
            sendWaiters.removeFirst()
            outgoing.append(waiter.frame)
            outgoingBytes += waiter.frame.count
            framesQueued += 1
            resumed.append(waiter.continuation)
        }
        return resumed
    }

    /// The `close()` callers whose half-close is written.
    fileprivate mutating func takeFlushed() -> [CheckedContinuation<Void, Never>] {
        let written = framesWritten
        let done = flushWaiters.filter { $0.frame <= written }.map(\.continuation)
        flushWaiters.removeAll { $0.frame <= written }
        return done
    }

    /// Every waiting sender and closer, with the queue dropped: the bridge will take no more.
    fileprivate mutating func takeWaiters(sendFailure: LinkFailure) -> Waiters {
        defer {
            sendWaiters = []
            flushWaiters = []
            outgoing = []
            outgoingBytes = 0
        }
        return Waiters(
            senders: sendWaiters.compactMap(\.continuation), flushed: flushWaiters.map(\.continuation),
            failure: sendFailure)
    }

    fileprivate mutating func popIncoming() -> WireMessage? {
        guard incomingHead < incoming.count else { return nil }
        let message = incoming[incomingHead]
        incomingHead += 1
        if incomingHead > 64 && incomingHead * 2 > incoming.count {
            incoming.removeFirst(incomingHead)
            incomingHead = 0
        }
        return message
    }
}

/// The last bytes the bridge wrote on stderr, for the message when it dies without a status.
private struct StderrTail {
    private var bytes: [UInt8] = []
    private let limit = 2048

    mutating func append(_ chunk: ArraySlice<UInt8>) {
        bytes.append(contentsOf: chunk)
        if bytes.count > limit { bytes.removeFirst(bytes.count - limit) }
    }

    /// The tail as one line.
    var text: String {
        String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline).joined(separator: " | ")
    }
}

extension BridgeFrame {
    /// The frame's kind, for messages.
    fileprivate var kindName: String {
        switch self {
        case .callSetup: "a call setup"
        case .message: "a message"
        case .halfClose: "a half-close"
        case .status: "a status"
        case .transportFailure: "a transport failure"
        }
    }
}
