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
/// fed through a `BoundedHandoffQueue` of at most `outgoingCapacity` bytes (`send` suspends while
/// it is full), and a reader that polls the bridge's stdout and stderr, stops reading stdout while
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

/// The state shared by the link's async callers and its two threads: two `BoundedHandoffQueue`s
/// (frames to the writer, bounded in bytes; messages from the reader, bounded in count) and the
/// call's own state under a mutex.
final class GRPCBridgeLinkCore: Sendable {
    /// A frame for the bridge's stdin; the half-close tells `close()` when it is written.
    fileprivate enum Outgoing {
        case frame([UInt8])
        case halfClose([UInt8])

        var bytes: [UInt8] {
            switch self {
            case .frame(let bytes), .halfClose(let bytes): bytes
            }
        }

        /// Frames count their bytes against `outgoingCapacity`; the half-close goes behind the
        /// senders already waiting, whatever the room.
        var cost: Int {
            if case .frame(let bytes) = self { bytes.count } else { 0 }
        }
    }

    /// How `inbound` ends.
    fileprivate enum Ending {
        case finished
        case failed(LinkFailure)
    }

    fileprivate struct State {
        var halfCloseQueued = false
        var halfCloseWritten = false
        /// `close()` callers waiting for the half-close to be in the pipe.
        var halfCloseWaiters: [CheckedContinuation<Void, Never>] = []
        /// Why sends fail now: the writer hit a closed pipe, the call ended, or hark aborted.
        var sendFailure: LinkFailure?
        var aborted = false
        var ending: Ending?
        var reaped = false
        var reapWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())
    /// The writer thread blocks in `take`; discarding it makes the writer close the bridge's
    /// stdin (end of file makes the bridge exit).
    private let outgoing: BoundedHandoffQueue<Outgoing>
    /// The reader stops reading stdout while it is full; the receiver wakes it through `wakeup`.
    private let incoming: BoundedHandoffQueue<WireMessage>
    private let process: GRPCBridgeProcess
    private let wakeup: WakeupEvent
    private let host: String

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
        outgoing = BoundedHandoffQueue(capacity: outgoingCapacity, cost: \.cost)
        incoming = BoundedHandoffQueue(capacity: incomingCapacity, wakeThread: { wakeup.signal() })
    }

    // MARK: Async side

    /// Queues the call setup before the threads start; it fits whatever the capacity.
    func queueSetup(_ frame: [UInt8]) {
        outgoing.push(.frame(frame))
    }

    func send(_ frame: [UInt8]) async throws {
        try state.withLock { state throws(LinkFailure) in
            // A send after close() is the caller's mistake whatever happened since: say so first.
            if state.halfCloseQueued { throw .protocolViolation(detail: "a message sent after close()") }
            if let failure = state.sendFailure { throw failure }
        }
        try await outgoing.send(.frame(frame))
    }

    func halfClose() async {
        let queued = state.withLock { state -> Bool in
            if state.halfCloseQueued || state.sendFailure != nil { return false }
            state.halfCloseQueued = true
            return true
        }
        guard queued else { return }
        // Behind the senders already waiting, whatever the room; refused only when the call ended
        // (or this task was cancelled while senders waited ahead), and then there is nothing to wait for.
        do {
            try await outgoing.send(.halfClose(BridgeFrameCodec.encode(.halfClose)))
        } catch {
            return
        }
        await withCheckedContinuation { (written: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                if state.halfCloseWritten || state.sendFailure != nil { return true }
                state.halfCloseWaiters.append(written)
                return false
            }
            if resumeNow { written.resume() }
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
        state.withLock { state in
            state.aborted = true
            if state.ending == nil { state.ending = .failed(aborted) }
        }
        failSends(aborted)
        incoming.close(refusingLaterSendsWith: aborted, throwing: aborted)
        wakeup.signal()
    }

    /// Fails waiting and later sends with the first failure, drops the frames not yet written
    /// (which makes the writer close the bridge's stdin) and releases `close()` callers.
    private func failSends(_ failure: LinkFailure) {
        let (sendFailure, halfCloseWaiters) = state.withLock { state in
            if state.sendFailure == nil { state.sendFailure = failure }
            defer { state.halfCloseWaiters = [] }
            return (state.sendFailure ?? failure, state.halfCloseWaiters)
        }
        outgoing.discard(refusing: sendFailure)
        for waiter in halfCloseWaiters { waiter.resume() }
    }

    func receive() async throws -> WireMessage? {
        try await incoming.receive()
    }

    // MARK: Writer thread

    /// Writes queued frames to the bridge's stdin until the queue is discarded (the call ended
    /// or hark aborted) or the pipe breaks.
    func runWriter() {
        let descriptor = process.stdinDescriptor
        defer { Glibc.close(descriptor) }
        while case .element(let item) = outgoing.take(timeout: nil) {
            if let failure = Self.writeAll(item.bytes, to: descriptor) {
                // The bridge stopped reading: it exited or is exiting; the reader reports why.
                failSends(failure)
                return
            }
            if case .halfClose = item {
                let waiters = state.withLock { state in
                    state.halfCloseWritten = true
                    defer { state.halfCloseWaiters = [] }
                    return state.halfCloseWaiters
                }
                for waiter in waiters { waiter.resume() }
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
            let final = state.withLock { state -> Ending in
                if state.ending == nil { state.ending = ending }
                return state.ending ?? ending
            }
            // After the call ends, hark's messages go nowhere: fail them, close the bridge's stdin.
            switch ending {
            case .finished: failSends(.connectionLost(detail: "the call to \(host) has ended"))
            case .failed(let failure): failSends(failure)
            }
            switch final {
            case .finished: incoming.close()
            case .failed(let failure): incoming.close(refusingLaterSendsWith: failure, throwing: failure)
            }
        }

        while stdoutOpen || stderrOpen {
            let aborted = state.withLock { $0.aborted }
            let paused = incoming.isFull
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
        incoming.push(message)
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
