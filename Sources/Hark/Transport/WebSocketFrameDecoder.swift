/// Reads server frames from a byte stream that arrives in arbitrary pieces.
///
/// A pure value: `append` bytes as they come off the socket, then call `nextFrame()` until it
/// returns nil. It checks what one frame alone can break (reserved bits, unknown opcodes,
/// masked server frames, oversize or fragmented control frames) and refuses a frame longer than
/// `maxFrameSize` from its header alone, so a hostile length never makes it buffer more than
/// that. Message-level rules (fragment order, UTF-8, close codes) live in
/// `WebSocketStateMachine`.
package struct WebSocketFrameDecoder: Sendable {
    /// The largest payload accepted in one frame; longer frames fail with 1009.
    package let maxFrameSize: Int
    private var buffer: [UInt8] = []
    private var readIndex = 0

    package init(maxFrameSize: Int) {
        self.maxFrameSize = maxFrameSize
    }

    /// Bytes received but not yet returned as frames.
    package var bufferedByteCount: Int { buffer.count - readIndex }

    /// Adds received bytes.
    package mutating func append(_ bytes: some Sequence<UInt8>) {
        buffer.append(contentsOf: bytes)
    }

    /// Adds received bytes from a raw buffer (the socket read path).
    package mutating func append(_ bytes: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: bytes)
    }

    /// The next complete frame, or nil when more bytes are needed.
    /// - Throws: `WebSocketProtocolViolation` when the bytes cannot be a valid server frame; the
    ///   decoder is then unusable and the connection must close with the violation's code.
    package mutating func nextFrame() throws(WebSocketProtocolViolation) -> WebSocketFrame? {
        let available = buffer.count - readIndex
        guard available >= 2 else { return nil }
        let first = buffer[readIndex]
        let second = buffer[readIndex + 1]
        if first & 0x70 != 0 {
            throw WebSocketProtocolViolation(
                closeCode: WebSocketCloseCode.protocolError,
                detail: "the server set reserved bits without a negotiated extension")
        }
        guard let opcode = WebSocketOpcode(rawValue: first & 0x0F) else {
            throw WebSocketProtocolViolation(
                closeCode: WebSocketCloseCode.protocolError, detail: "the server sent unknown opcode \(first & 0x0F)")
        }
        let isFinal = first & 0x80 != 0
        if second & 0x80 != 0 {
            throw WebSocketProtocolViolation(
                closeCode: WebSocketCloseCode.protocolError, detail: "the server sent a masked frame")
        }
        var headerLength = 2
        var length = UInt64(second & 0x7F)
        if length == 126 {
            guard available >= 4 else { return nil }
            length = UInt64(buffer[readIndex + 2]) << 8 | UInt64(buffer[readIndex + 3])
            headerLength = 4
        } else if length == 127 {
            guard available >= 10 else { return nil }
            length = 0
            for offset in 2..<10 { length = length << 8 | UInt64(buffer[readIndex + offset]) }
            headerLength = 10
            if length >> 63 != 0 {
                throw WebSocketProtocolViolation(
                    closeCode: WebSocketCloseCode.protocolError, detail: "the server sent a frame length above 2^63")
            }
        }
        if opcode.isControl {
            if !isFinal {
                throw WebSocketProtocolViolation(
                    closeCode: WebSocketCloseCode.protocolError, detail: "the server fragmented a control frame")
            }
            if length > 125 {
                throw WebSocketProtocolViolation(
                    closeCode: WebSocketCloseCode.protocolError,
                    detail: "the server sent a control frame of \(length) bytes (limit 125)")
            }
        }
        if length > UInt64(maxFrameSize) {
            throw WebSocketProtocolViolation(
                closeCode: WebSocketCloseCode.messageTooBig,
                detail: "the server sent a frame of \(length) bytes, above the limit of \(maxFrameSize)")
        }
        let payloadLength = Int(length)
        guard available >= headerLength + payloadLength else { return nil }
        let start = readIndex + headerLength
        let payload = Array(buffer[start..<(start + payloadLength)])
        readIndex = start + payloadLength
        compactIfWorthwhile()
        return WebSocketFrame(isFinal: isFinal, opcode: opcode, payload: payload)
    }

    /// Drops consumed bytes once they are most of the buffer, so a long connection does not
    /// keep everything it ever read, without moving bytes after every small frame.
    private mutating func compactIfWorthwhile() {
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 20)
            readIndex = 0
        } else if readIndex >= 1 << 16 && readIndex * 2 >= buffer.count {
            buffer.removeFirst(readIndex)
            readIndex = 0
        }
    }
}
