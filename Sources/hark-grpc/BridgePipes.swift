import Dispatch
import GRPCBridgeWire
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// How the bridge process ends.
enum BridgeProcess {
    /// Ends the process at once, without running Swift's or NIO's clean-up: the bridge owns
    /// nothing that needs it (hark holds the only state worth keeping).
    static func exit(_ status: Int32) -> Never {
        _exit(status)
    }
}

/// A flag set once, readable from any task (an `Atomic` cannot be captured by a closure).
final class OnceFlag: Sendable {
    private let value = Atomic(false)

    init() {}

    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

/// Frames to stdout, in order, written by a serial queue so that a slow reader in hark blocks
/// that queue and not Swift's cooperative pool; a writer suspends until its frame is written,
/// which passes hark's back-pressure on to the call (and through HTTP/2 flow control to the
/// server).
final class BridgeOutput: Sendable {
    private let queue = DispatchQueue(label: "hark-grpc.stdout")
    private let descriptor: Int32
    /// Set once a terminal frame is out: nothing may follow it.
    private let ended = Atomic(false)

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// Writes `frame` and returns once it is in the pipe (or dropped after a terminal frame).
    func write(_ frame: BridgeFrame) async {
        await withCheckedContinuation { (written: CheckedContinuation<Void, Never>) in
            queue.async {
                self.writeOnQueue(frame)
                written.resume()
            }
        }
    }

    /// The same, from a thread that may block.
    func writeBlocking(_ frame: BridgeFrame) {
        queue.sync { writeOnQueue(frame) }
    }

    private func writeOnQueue(_ frame: BridgeFrame) {
        guard !ended.load(ordering: .acquiring) else { return }
        if frame.isTerminal { ended.store(true, ordering: .releasing) }
        let bytes = BridgeFrameCodec.encode(frame)
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                // hark closed its end (EPIPE; SIGPIPE is ignored): nobody is listening any more.
                BridgeProcess.exit(0)
            }
            offset += count
        }
    }
}

/// Request messages from the stdin reader thread to the call's request producer.
///
/// Holds at most `capacity` messages: the reader blocks when it is full, stops reading stdin,
/// and hark's writes then wait on the full pipe. That is the back-pressure from the server to
/// hark's `send`.
final class RequestHandoff: Sendable {
    private struct State {
        var queue: [[UInt8]] = []
        var consumer: CheckedContinuation<[UInt8]?, Never>?
        var halfClosed = false
        var ended = false
    }

    private let state = Mutex(State())
    private let space: DispatchSemaphore

    init(capacity: Int = 16) {
        space = DispatchSemaphore(value: capacity)
    }

    /// From the reader thread: queues `bytes`, blocking while the queue is full.
    /// - Returns: false once the call is over (the message is dropped).
    func offer(_ bytes: [UInt8]) -> Bool {
        if state.withLock({ $0.ended }) { return false }
        space.wait()
        let action = state.withLock { state -> (CheckedContinuation<[UInt8]?, Never>?, Bool) in
            if state.ended { return (nil, false) }
            if let consumer = state.consumer {
                state.consumer = nil
                return (consumer, true)
            }
            state.queue.append(bytes)
            return (nil, true)
        }
        if let consumer = action.0 {
            space.signal()
            consumer.resume(returning: bytes)
        }
        if !action.1 { space.signal() }
        return action.1
    }

    /// No more messages after the queued ones.
    func halfClose() {
        let consumer = state.withLock { state -> CheckedContinuation<[UInt8]?, Never>? in
            state.halfClosed = true
            guard state.queue.isEmpty else { return nil }
            defer { state.consumer = nil }
            return state.consumer
        }
        consumer?.resume(returning: nil)
    }

    /// The call is over: queued messages are dropped and the reader never blocks again.
    func end() {
        let consumer = state.withLock { state -> CheckedContinuation<[UInt8]?, Never>? in
            state.ended = true
            state.queue = []
            defer { state.consumer = nil }
            return state.consumer
        }
        consumer?.resume(returning: nil)
        // Wake a reader waiting for room; it sees `ended`.
        space.signal()
    }

    /// For the request producer: the next message, nil after the half-close or the end.
    func next() async -> [UInt8]? {
        await withCheckedContinuation { (consumer: CheckedContinuation<[UInt8]?, Never>) in
            let ready: [UInt8]?? = state.withLock { state in
                if state.ended { return .some(nil) }
                if !state.queue.isEmpty { return .some(state.queue.removeFirst()) }
                if state.halfClosed { return .some(nil) }
                state.consumer = consumer
                return .none
            }
            if let ready {
                if ready != nil { space.signal() }
                consumer.resume(returning: ready)
            }
        }
    }
}

/// Reads frames from stdin on its own thread.
///
/// The call setup comes first, then messages into the hand-off and the half-close. End of file
/// is hark's abort: the bridge exits at once.
enum BridgeInput {
    /// Starts the reader; `setup` receives the first frame's call setup.
    /// - Parameter fail: writes a terminal protocol violation and ends the bridge.
    static func start(
        descriptor: Int32, requests: RequestHandoff, output: BridgeOutput,
        setup: @escaping @Sendable (BridgeCallSetup) -> Void
    ) {
        let thread = DispatchQueue(label: "hark-grpc.stdin")
        thread.async {
            var decoder = BridgeFrameDecoder()
            var buffer = [UInt8](repeating: 0, count: 64 << 10)
            var sawSetup = false
            var halfClosed = false
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                // End of file (or a broken pipe): hark aborted the call or went away.
                if count <= 0 { BridgeProcess.exit(0) }
                decoder.append(buffer[..<count])
                do throws(BridgeWireError) {
                    while let frame = try decoder.next() {
                        switch frame {
                        case .callSetup(let callSetup) where !sawSetup:
                            sawSetup = true
                            setup(callSetup)
                        case .message(let bytes) where sawSetup && !halfClosed:
                            _ = requests.offer(bytes)
                        case .halfClose where sawSetup && !halfClosed:
                            halfClosed = true
                            requests.halfClose()
                        default:
                            refuse("hark sent \(frame.kindName) \(sawSetup ? "out of order" : "before the call setup")")
                        }
                    }
                } catch {
                    refuse(error.description)
                }
            }
        }

        @Sendable func refuse(_ detail: String) -> Never {
            output.writeBlocking(
                .transportFailure(BridgeTransportFailure(kind: .protocolViolation, host: "", detail: detail)))
            BridgeProcess.exit(0)
        }
    }
}
