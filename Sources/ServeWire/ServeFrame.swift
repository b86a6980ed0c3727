/// One frame of the pipe protocol between `hark serve` and its web server (`hark-serve`).
///
/// On the pipe a frame is a 4-byte big-endian length, then that many bytes: a type byte and the
/// payload. hark writes one `setup`, then `event`s and `ended`s to the server's stdin; end of
/// file on stdin means hark is gone and the server exits. The server writes `listening` (or
/// `startupFailed`) once, then `open`, `audio` and `end` for each browser session. Audio is
/// 16-bit little-endian mono PCM at the rate `open` named.
package enum ServeFrame: Sendable, Equatable {
    /// hark -> server, first and once: where to listen and the limits.
    case setup(ServeSetup)
    /// hark -> server: one transcript event of a session, as hark's JSON Lines object (schema 1).
    case event(session: UInt32, json: String)
    /// hark -> server: the session's transcription has ended; `reason` is empty when it ended
    /// normally, else what went wrong (shown in the page).
    case ended(session: UInt32, reason: String)
    /// server -> hark, once: the server is listening at this address (the page's URL with its token).
    case listening(url: String)
    /// server -> hark, once instead of `listening`: the server could not start.
    case startupFailed(String)
    /// server -> hark: a browser started a new session with PCM at this rate.
    case open(session: UInt32, sampleRate: UInt32)
    /// server -> hark: PCM bytes of a session.
    case audio(session: UInt32, bytes: [UInt8])
    /// server -> hark: no more audio for this session (stop pressed, the page did not come
    /// back, or a limit was reached); its last results still go to the page.
    case end(session: UInt32)
}

/// The version of the pipe protocol, carried in `setup`.
package let serveWireVersion: UInt8 = 1

/// Everything the server needs to start.
package struct ServeSetup: Sendable, Equatable {
    package var host: String
    /// 0 picks a free port (tests); `listening` names the real one.
    package var port: UInt16
    /// PEM files for TLS; both or neither.
    package var certificatePath: String?
    package var keyPath: String?
    /// Required in every request's query (`?token=`).
    package var token: String
    package var limits: ServeLimits

    package init(
        host: String, port: UInt16, certificatePath: String?, keyPath: String?, token: String, limits: ServeLimits
    ) {
        self.host = host
        self.port = port
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        self.token = token
        self.limits = limits
    }
}

/// What one browser may use.
package struct ServeLimits: Sendable, Equatable {
    /// WebSocket connections open at once.
    package var maxConnections: UInt32
    /// Bytes in one WebSocket message (larger: close 1009).
    package var maxMessageBytes: UInt32
    /// Messages per second on one connection (more: close 1008).
    package var maxMessagesPerSecond: UInt32
    /// Seconds one session may last (then its audio ends, close 1008).
    package var maxSessionSeconds: UInt32
    /// Seconds a session waits for its page to come back after the connection dropped.
    package var resumeGraceSeconds: UInt32

    package init(
        maxConnections: UInt32 = 4, maxMessageBytes: UInt32 = 65536, maxMessagesPerSecond: UInt32 = 50,
        maxSessionSeconds: UInt32 = 4 * 3600, resumeGraceSeconds: UInt32 = 30
    ) {
        self.maxConnections = maxConnections
        self.maxMessageBytes = maxMessageBytes
        self.maxMessagesPerSecond = maxMessagesPerSecond
        self.maxSessionSeconds = maxSessionSeconds
        self.resumeGraceSeconds = resumeGraceSeconds
    }
}

/// Why bytes on the serve pipe are not a frame.
package enum ServeWireError: Error, Sendable, Equatable, CustomStringConvertible {
    case oversized(length: Int)
    case empty
    case unknownType(UInt8)
    case truncated(frame: String)
    case invalidText(frame: String)
    case versionMismatch(received: UInt8)

    package var description: String {
        switch self {
        case .oversized(let length): "a frame of \(length) bytes (the limit is \(ServeFrameCodec.maxFrameLength))"
        case .empty: "a frame without a type"
        case .unknownType(let type): "a frame of unknown type \(type)"
        case .truncated(let frame): "a \(frame) frame that ends inside a field"
        case .invalidText(let frame): "a \(frame) frame with text that is not UTF-8"
        case .versionMismatch(let received):
            "hark speaks serve protocol \(received) and hark-serve speaks \(serveWireVersion): install both from one "
                + "build (make install)"
        }
    }
}

/// Frame bytes: encoding, and an incremental decoder for reads that split frames anywhere.
package enum ServeFrameCodec {
    /// The largest frame either side accepts (a WebSocket message is limited far below it).
    package static let maxFrameLength = 16 << 20

    private enum FrameType: UInt8 {
        case setup = 1
        case event = 2
        case ended = 3
        case listening = 16
        case startupFailed = 17
        case open = 18
        case audio = 19
        case end = 20
    }

    package static func encode(_ frame: ServeFrame) -> [UInt8] {
        var payload: [UInt8] = []
        let type: FrameType
        switch frame {
        case .setup(let setup):
            type = .setup
            payload.append(serveWireVersion)
            appendString(setup.host, to: &payload)
            appendUInt32(UInt32(setup.port), to: &payload)
            appendOptional(setup.certificatePath, to: &payload)
            appendOptional(setup.keyPath, to: &payload)
            appendString(setup.token, to: &payload)
            for value in [
                setup.limits.maxConnections, setup.limits.maxMessageBytes, setup.limits.maxMessagesPerSecond,
                setup.limits.maxSessionSeconds, setup.limits.resumeGraceSeconds,
            ] {
                appendUInt32(value, to: &payload)
            }
        case .event(let session, let json):
            type = .event
            appendUInt32(session, to: &payload)
            payload.append(contentsOf: json.utf8)
        case .ended(let session, let reason):
            type = .ended
            appendUInt32(session, to: &payload)
            payload.append(contentsOf: reason.utf8)
        case .listening(let url):
            type = .listening
            payload.append(contentsOf: url.utf8)
        case .startupFailed(let message):
            type = .startupFailed
            payload.append(contentsOf: message.utf8)
        case .open(let session, let rate):
            type = .open
            appendUInt32(session, to: &payload)
            appendUInt32(rate, to: &payload)
        case .audio(let session, let bytes):
            type = .audio
            appendUInt32(session, to: &payload)
            payload.append(contentsOf: bytes)
        case .end(let session):
            type = .end
            appendUInt32(session, to: &payload)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(payload.count + 5)
        appendUInt32(UInt32(payload.count + 1), to: &bytes)
        bytes.append(type.rawValue)
        bytes.append(contentsOf: payload)
        return bytes
    }

    private static func appendUInt32(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 24))
        bytes.append(UInt8(truncatingIfNeeded: value >> 16))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    private static func appendString(_ value: String, to bytes: inout [UInt8]) {
        appendUInt32(UInt32(value.utf8.count), to: &bytes)
        bytes.append(contentsOf: value.utf8)
    }

    private static func appendOptional(_ value: String?, to bytes: inout [UInt8]) {
        if let value {
            bytes.append(1)
            appendString(value, to: &bytes)
        } else {
            bytes.append(0)
        }
    }

    /// Decodes one frame body (type byte and payload, without the length).
    package static func decodeBody(_ body: ArraySlice<UInt8>) throws(ServeWireError) -> ServeFrame {
        guard let typeByte = body.first else { throw .empty }
        guard let type = FrameType(rawValue: typeByte) else { throw .unknownType(typeByte) }
        var reader = Reader(bytes: body.dropFirst(), frame: "\(type)")
        switch type {
        case .setup:
            let version = try reader.byte()
            guard version == serveWireVersion else { throw .versionMismatch(received: version) }
            let host = try reader.string()
            let port = UInt16(truncatingIfNeeded: try reader.uint32())
            let certificate = try reader.optionalString()
            let key = try reader.optionalString()
            let token = try reader.string()
            let limits = ServeLimits(
                maxConnections: try reader.uint32(), maxMessageBytes: try reader.uint32(),
                maxMessagesPerSecond: try reader.uint32(), maxSessionSeconds: try reader.uint32(),
                resumeGraceSeconds: try reader.uint32())
            return .setup(
                ServeSetup(
                    host: host, port: port, certificatePath: certificate, keyPath: key, token: token, limits: limits))
        case .event:
            let session = try reader.uint32()
            return .event(session: session, json: try reader.rest())
        case .ended:
            let session = try reader.uint32()
            return .ended(session: session, reason: try reader.rest())
        case .listening:
            return .listening(url: try reader.rest())
        case .startupFailed:
            return .startupFailed(try reader.rest())
        case .open:
            let session = try reader.uint32()
            return .open(session: session, sampleRate: try reader.uint32())
        case .audio:
            let session = try reader.uint32()
            return .audio(session: session, bytes: Array(reader.bytes))
        case .end:
            return .end(session: try reader.uint32())
        }
    }

    private struct Reader {
        var bytes: ArraySlice<UInt8>
        let frame: String

        mutating func byte() throws(ServeWireError) -> UInt8 {
            guard let first = bytes.first else { throw .truncated(frame: frame) }
            bytes = bytes.dropFirst()
            return first
        }

        mutating func uint32() throws(ServeWireError) -> UInt32 {
            guard bytes.count >= 4 else { throw .truncated(frame: frame) }
            var value: UInt32 = 0
            for byte in bytes.prefix(4) { value = value << 8 | UInt32(byte) }
            bytes = bytes.dropFirst(4)
            return value
        }

        mutating func string() throws(ServeWireError) -> String {
            let count = Int(try uint32())
            guard bytes.count >= count else { throw .truncated(frame: frame) }
            let text = String(validating: bytes.prefix(count), as: UTF8.self)
            bytes = bytes.dropFirst(count)
            guard let text else { throw .invalidText(frame: frame) }
            return text
        }

        mutating func optionalString() throws(ServeWireError) -> String? {
            try byte() == 0 ? nil : try string()
        }

        mutating func rest() throws(ServeWireError) -> String {
            guard let text = String(validating: bytes, as: UTF8.self) else { throw .invalidText(frame: frame) }
            bytes = bytes.suffix(0)
            return text
        }
    }
}

/// Collects pipe bytes and yields whole frames.
package struct ServeFrameDecoder: Sendable {
    private var buffer: [UInt8] = []
    private var start = 0

    package init() {}

    package var bufferedByteCount: Int { buffer.count - start }

    package mutating func append<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next whole frame, or nil when more bytes are needed.
    package mutating func next() throws(ServeWireError) -> ServeFrame? {
        guard buffer.count - start >= 4 else { return nil }
        var length = 0
        for byte in buffer[start..<start + 4] { length = length << 8 | Int(byte) }
        guard length <= ServeFrameCodec.maxFrameLength else { throw .oversized(length: length) }
        guard buffer.count - start - 4 >= length else { return nil }
        let body = buffer[(start + 4)..<(start + 4 + length)]
        start += 4 + length
        let frame = try ServeFrameCodec.decodeBody(body)
        if start > 1 << 16 {
            buffer.removeFirst(start)
            start = 0
        }
        return frame
    }
}
