/// One RFC 6455 frame as it travels on the wire, after unmasking.
package struct WebSocketFrame: Sendable, Equatable {
    /// True for the last frame of a message (and for every control frame).
    package var isFinal: Bool
    package var opcode: WebSocketOpcode
    package var payload: [UInt8]

    package init(isFinal: Bool = true, opcode: WebSocketOpcode, payload: [UInt8]) {
        self.isFinal = isFinal
        self.opcode = opcode
        self.payload = payload
    }
}

/// The frame types RFC 6455 §5.2 defines; any other value is a protocol error (1002).
package enum WebSocketOpcode: UInt8, Sendable, Equatable {
    case continuation = 0x0
    case text = 0x1
    case binary = 0x2
    case close = 0x8
    case ping = 0x9
    case pong = 0xA

    /// Control frames (close, ping, pong) may interleave with a fragmented message.
    package var isControl: Bool { rawValue & 0x8 != 0 }
}

/// A whole WebSocket message, after reassembly of its fragments.
package enum WebSocketMessage: Sendable, Equatable {
    case text(String)
    case binary([UInt8])
}

/// RFC 6455 §7.4.1 status codes hark sends or checks.
package enum WebSocketCloseCode {
    package static let normal: UInt16 = 1000
    package static let goingAway: UInt16 = 1001
    package static let protocolError: UInt16 = 1002
    package static let noStatus: UInt16 = 1005
    package static let abnormal: UInt16 = 1006
    package static let invalidPayload: UInt16 = 1007
    package static let messageTooBig: UInt16 = 1009

    /// Whether a peer may put `code` in a close frame (RFC 6455 §7.4; 1005, 1006 and 1015 are
    /// reserved for reporting and never sent).
    package static func isSendable(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014: true
        case 3000...4999: true
        default: false
        }
    }
}

/// What the peer did wrong, with the close code hark answers it with.
package struct WebSocketProtocolViolation: Error, Sendable, Equatable, CustomStringConvertible {
    /// 1002 (protocol error), 1007 (invalid UTF-8) or 1009 (message too big).
    package var closeCode: UInt16
    package var detail: String

    package init(closeCode: UInt16, detail: String) {
        self.closeCode = closeCode
        self.detail = detail
    }

    package var description: String { "\(detail) (close code \(closeCode))" }
}
