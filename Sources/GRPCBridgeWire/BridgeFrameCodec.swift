/// Why bytes on the bridge pipe are not a frame.
package enum BridgeWireError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A frame announced more bytes than any frame may have; nothing after it can be trusted.
    case oversized(length: Int, limit: Int)
    /// A frame with no type byte.
    case empty
    /// A type byte this build does not know.
    case unknownType(UInt8)
    /// A payload that ends inside one of its fields.
    case truncated(frame: String)
    /// A payload with bytes left over after its fields.
    case trailingBytes(frame: String)
    /// A string field that is not UTF-8.
    case invalidText(frame: String)
    /// A transport failure kind this build does not know.
    case unknownFailureKind(UInt8)
    /// The pipe ended inside a frame.
    case endedInsideFrame(bufferedBytes: Int)
    /// A call setup from a build that speaks another version of this protocol.
    case versionMismatch(received: UInt8)

    package var description: String {
        switch self {
        case .oversized(let length, let limit): "a frame of \(length) bytes (the limit is \(limit))"
        case .empty: "a frame without a type"
        case .unknownType(let type): "a frame of unknown type \(type)"
        case .truncated(let frame): "a \(frame) frame that ends inside a field"
        case .trailingBytes(let frame): "a \(frame) frame with bytes after its fields"
        case .invalidText(let frame): "a \(frame) frame with text that is not UTF-8"
        case .unknownFailureKind(let kind): "a transport failure of unknown kind \(kind)"
        case .endedInsideFrame(let count): "the pipe ended inside a frame (\(count) bytes of it arrived)"
        case .versionMismatch(let received):
            "hark speaks bridge protocol \(received) and hark-grpc speaks \(bridgeWireVersion): install both from one "
                + "build (make install)"
        }
    }
}

/// Frame bytes: encoding, and an incremental decoder for reads that split frames anywhere.
package enum BridgeFrameCodec {
    /// The largest frame (type byte and payload) either side accepts.
    ///
    /// gRPC's own default message limit is 4 MiB; Google's responses and hark's audio messages
    /// are far smaller.
    package static let maxFrameLength = 16 << 20

    private enum FrameType: UInt8 {
        case callSetup = 1
        case message = 2
        case halfClose = 3
        case status = 16
        case transportFailure = 17
    }

    /// The frame as it goes on the pipe: length, type, payload.
    package static func encode(_ frame: BridgeFrame) -> [UInt8] {
        var payload = PayloadWriter()
        let type: FrameType
        switch frame {
        case .callSetup(let setup):
            type = .callSetup
            payload.byte(bridgeWireVersion)
            payload.string(setup.url)
            payload.metadata(setup.metadata)
            payload.optionalString(setup.caBundle)
            payload.uint32(setup.connectTimeoutMilliseconds)
        case .message(let bytes):
            type = .message
            payload.bytes.append(contentsOf: bytes)
        case .halfClose:
            type = .halfClose
        case .status(let status):
            type = .status
            payload.uint32(status.code)
            payload.string(status.message)
            payload.metadata(status.trailers)
        case .transportFailure(let failure):
            type = .transportFailure
            payload.byte(failure.kind.rawValue)
            payload.string(failure.host)
            payload.string(failure.detail)
        }
        var out = PayloadWriter()
        out.bytes.reserveCapacity(payload.bytes.count + 5)
        out.uint32(UInt32(payload.bytes.count + 1))
        out.byte(type.rawValue)
        out.bytes.append(contentsOf: payload.bytes)
        return out.bytes
    }

    /// One frame's type byte and payload (without the length) as a frame.
    /// - Throws: `BridgeWireError` for an unknown type or a malformed payload.
    static func decodeBody(_ body: ArraySlice<UInt8>) throws(BridgeWireError) -> BridgeFrame {
        guard let first = body.first else { throw .empty }
        guard let type = FrameType(rawValue: first) else { throw .unknownType(first) }
        var reader = PayloadReader(bytes: body.dropFirst(), frame: "\(type)")
        let frame: BridgeFrame
        switch type {
        case .callSetup:
            let version = try reader.byte()
            // A different layout may follow: read no further.
            guard version == bridgeWireVersion else { throw .versionMismatch(received: version) }
            frame = .callSetup(
                BridgeCallSetup(
                    url: try reader.string(), metadata: try reader.metadata(), caBundle: try reader.optionalString(),
                    connectTimeoutMilliseconds: try reader.uint32()))
        case .message:
            return .message(Array(reader.rest()))
        case .halfClose:
            frame = .halfClose
        case .status:
            frame = .status(
                BridgeStatus(code: try reader.uint32(), message: try reader.string(), trailers: try reader.metadata()))
        case .transportFailure:
            let raw = try reader.byte()
            guard let kind = BridgeTransportFailure.Kind(rawValue: raw) else { throw .unknownFailureKind(raw) }
            frame = .transportFailure(
                BridgeTransportFailure(kind: kind, host: try reader.string(), detail: try reader.string()))
        }
        try reader.expectEnd()
        return frame
    }
}

/// Frames out of a byte stream that arrives in arbitrary pieces.
package struct BridgeFrameDecoder: Sendable {
    private var buffer: [UInt8] = []
    private var head = 0
    private let maxFrameLength: Int

    package init(maxFrameLength: Int = BridgeFrameCodec.maxFrameLength) {
        self.maxFrameLength = maxFrameLength
    }

    /// Bytes read but not yet part of a complete frame.
    package var bufferedByteCount: Int { buffer.count - head }

    /// Adds bytes as they were read.
    package mutating func append<Bytes: Sequence<UInt8>>(_ bytes: Bytes) {
        if head > 0 && head * 2 >= buffer.count {
            buffer.removeFirst(head)
            head = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete frame, or nil until more bytes arrive.
    /// - Throws: `BridgeWireError`; the stream cannot be resynchronised after one.
    package mutating func next() throws(BridgeWireError) -> BridgeFrame? {
        guard buffer.count - head >= 4 else { return nil }
        let length =
            Int(buffer[head]) << 24 | Int(buffer[head + 1]) << 16 | Int(buffer[head + 2]) << 8 | Int(buffer[head + 3])
        // Checked before waiting for the body, so a corrupt length cannot make the reader buffer gigabytes.
        guard length <= maxFrameLength else { throw .oversized(length: length, limit: maxFrameLength) }
        guard buffer.count - head - 4 >= length else { return nil }
        let body = buffer[(head + 4)..<(head + 4 + length)]
        head += 4 + length
        return try BridgeFrameCodec.decodeBody(body)
    }

    /// Called at end of file: a partial frame left over is an error.
    package func checkEnd() throws(BridgeWireError) {
        if bufferedByteCount > 0 { throw .endedInsideFrame(bufferedBytes: bufferedByteCount) }
    }
}

private struct PayloadWriter {
    var bytes: [UInt8] = []

    mutating func byte(_ value: UInt8) { bytes.append(value) }

    mutating func uint32(_ value: UInt32) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 24))
        bytes.append(UInt8(truncatingIfNeeded: value >> 16))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    mutating func string(_ value: String) {
        let utf8 = Array(value.utf8)
        uint32(UInt32(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    mutating func optionalString(_ value: String?) {
        if let value {
            byte(1)
            string(value)
        } else {
            byte(0)
        }
    }

    mutating func metadata(_ entries: [BridgeMetadataEntry]) {
        uint32(UInt32(entries.count))
        for entry in entries {
            string(entry.name)
            string(entry.value)
        }
    }
}

private struct PayloadReader {
    var bytes: ArraySlice<UInt8>
    let frame: String

    mutating func byte() throws(BridgeWireError) -> UInt8 {
        guard let value = bytes.popFirst() else { throw .truncated(frame: frame) }
        return value
    }

    mutating func uint32() throws(BridgeWireError) -> UInt32 {
        guard bytes.count >= 4 else { throw .truncated(frame: frame) }
        var value: UInt32 = 0
        for _ in 0..<4 { value = value << 8 | UInt32(bytes.removeFirst()) }
        return value
    }

    mutating func string() throws(BridgeWireError) -> String {
        let count = Int(try uint32())
        guard bytes.count >= count else { throw .truncated(frame: frame) }
        let field = bytes.prefix(count)
        bytes.removeFirst(count)
        guard let text = String(validating: field, as: UTF8.self) else { throw .invalidText(frame: frame) }
        return text
    }

    mutating func optionalString() throws(BridgeWireError) -> String? {
        try byte() == 0 ? nil : try string()
    }

    mutating func metadata() throws(BridgeWireError) -> [BridgeMetadataEntry] {
        let count = Int(try uint32())
        // Each entry takes at least 8 bytes: a bound before reserving anything.
        guard count <= bytes.count / 8 else { throw .truncated(frame: frame) }
        var entries: [BridgeMetadataEntry] = []
        entries.reserveCapacity(count)
        for _ in 0..<count { entries.append(BridgeMetadataEntry(try string(), try string())) }
        return entries
    }

    mutating func rest() -> ArraySlice<UInt8> {
        defer { bytes = [] }
        return bytes
    }

    func expectEnd() throws(BridgeWireError) {
        if !bytes.isEmpty { throw .trailingBytes(frame: frame) }
    }
}
