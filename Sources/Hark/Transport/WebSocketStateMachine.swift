/// The message and close-handshake rules of RFC 6455 for a client, as a pure value.
///
/// The connection's thread feeds it every decoded frame and every close it wants to send; each
/// event returns a small action enum saying what to deliver or write. It reassembles fragmented
/// messages (control frames may arrive between fragments), checks UTF-8 on text, enforces the
/// maximum message size, answers pings, and tracks who closed first.
package struct WebSocketStateMachine: Sendable {
    /// Where the connection is in its life.
    package enum State: Sendable, Equatable {
        /// Messages flow both ways.
        case open
        /// hark sent a close frame and waits for the server's.
        case closeSent
        /// Both close frames were exchanged (or the peer broke the protocol): nothing more to read.
        case closed
    }

    /// What to do with a received frame.
    package enum ReceiveAction: Sendable, Equatable {
        /// Nothing yet (a fragment, a pong, a frame after close).
        case none
        /// A whole message arrived.
        case deliver(WebSocketMessage)
        /// Answer a ping with this pong payload.
        case sendPong([UInt8])
        /// The server closed first: send this close payload back, then the connection is over
        /// with the server's code and reason.
        case replyToClose(payload: [UInt8], code: UInt16, reason: String)
        /// The server answered hark's close: the connection is over.
        case closeCompleted(code: UInt16, reason: String)
        /// The server broke the protocol: send a close with the violation's code and stop.
        case failConnection(WebSocketProtocolViolation)
    }

    /// What to do with a close hark wants to send.
    package enum CloseAction: Sendable, Equatable {
        /// Write this close frame payload.
        case send([UInt8])
        /// A close is already under way; send nothing.
        case ignore
    }

    package private(set) var state: State = .open
    /// The largest reassembled message accepted; larger ones fail with 1009.
    package let maxMessageSize: Int
    private var fragments: [UInt8] = []
    private var fragmentedOpcode: WebSocketOpcode?

    package init(maxMessageSize: Int) {
        self.maxMessageSize = maxMessageSize
    }

    /// True while application messages may be sent.
    package var canSend: Bool { state == .open }

    /// Bytes of a fragmented message held so far (never above `maxMessageSize`).
    package var bufferedMessageBytes: Int { fragments.count }

    /// Handles one frame from the server.
    ///
    /// Messages that arrive after hark's close are still delivered (RFC 6455 §5.5.1 lets the
    /// server finish sending): a provider's last results often come then.
    package mutating func receive(_ frame: WebSocketFrame) -> ReceiveAction {
        guard state != .closed else { return .none }
        switch frame.opcode {
        case .ping:
            return state == .open ? .sendPong(frame.payload) : .none
        case .pong:
            return .none
        case .close:
            return receiveClose(frame.payload)
        case .text, .binary:
            if fragmentedOpcode != nil {
                return fail(
                    WebSocketCloseCode.protocolError, "the server started a new message inside a fragmented one")
            }
            if frame.isFinal { return complete(opcode: frame.opcode, payload: frame.payload) }
            fragmentedOpcode = frame.opcode
            fragments = frame.payload
            return .none
        case .continuation:
            guard let opcode = fragmentedOpcode else {
                return fail(WebSocketCloseCode.protocolError, "the server sent a continuation frame with no message")
            }
            if fragments.count + frame.payload.count > maxMessageSize {
                return fail(
                    WebSocketCloseCode.messageTooBig,
                    "the server sent a message above the limit of \(maxMessageSize) bytes")
            }
            fragments += frame.payload
            guard frame.isFinal else { return .none }
            let payload = fragments
            fragments = []
            fragmentedOpcode = nil
            return complete(opcode: opcode, payload: payload)
        }
    }

    /// Handles hark's wish to close with `code` and `reason`.
    package mutating func close(code: UInt16, reason: String) -> CloseAction {
        guard state == .open else { return .ignore }
        state = .closeSent
        return .send(WebSocketFrameEncoder.closePayload(code: code, reason: reason))
    }

    /// Records that the connection ended some other way (EOF, reset, abort).
    package mutating func connectionEnded() {
        state = .closed
        fragments = []
        fragmentedOpcode = nil
    }

    private mutating func complete(opcode: WebSocketOpcode, payload: [UInt8]) -> ReceiveAction {
        if payload.count > maxMessageSize {
            return fail(
                WebSocketCloseCode.messageTooBig, "the server sent a message above the limit of \(maxMessageSize) bytes"
            )
        }
        if opcode == .text {
            guard let text = String(validating: payload, as: UTF8.self) else {
                return fail(WebSocketCloseCode.invalidPayload, "the server sent a text message that is not UTF-8")
            }
            return .deliver(.text(text))
        }
        return .deliver(.binary(payload))
    }

    private mutating func receiveClose(_ payload: [UInt8]) -> ReceiveAction {
        var code = WebSocketCloseCode.noStatus
        var reason = ""
        if payload.count == 1 {
            return fail(WebSocketCloseCode.protocolError, "the server sent a close frame with a 1-byte payload")
        }
        if payload.count >= 2 {
            code = UInt16(payload[0]) << 8 | UInt16(payload[1])
            guard WebSocketCloseCode.isSendable(code) else {
                return fail(WebSocketCloseCode.protocolError, "the server sent invalid close code \(code)")
            }
            guard let text = String(validating: payload[2...], as: UTF8.self) else {
                return fail(WebSocketCloseCode.invalidPayload, "the server sent a close reason that is not UTF-8")
            }
            reason = text
        }
        let wasOpen = state == .open
        connectionEnded()
        if wasOpen {
            // Echo the status code (RFC 6455 §5.5.1); a close without a code is answered with none.
            let reply = payload.count >= 2 ? [payload[0], payload[1]] : []
            return .replyToClose(payload: reply, code: code, reason: reason)
        }
        return .closeCompleted(code: code, reason: reason)
    }

    private mutating func fail(_ code: UInt16, _ detail: String) -> ReceiveAction {
        connectionEnded()
        return .failConnection(WebSocketProtocolViolation(closeCode: code, detail: detail))
    }
}
