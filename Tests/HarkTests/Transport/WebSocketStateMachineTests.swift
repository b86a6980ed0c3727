import Testing

@testable import Hark

@Suite("WebSocket state machine")
struct WebSocketStateMachineTests {
    private func frame(_ opcode: WebSocketOpcode, _ text: String, fin: Bool = true) -> WebSocketFrame {
        WebSocketFrame(isFinal: fin, opcode: opcode, payload: Array(text.utf8))
    }

    private func closeFrame(_ code: UInt16, _ reason: String = "") -> WebSocketFrame {
        WebSocketFrame(opcode: .close, payload: WebSocketFrameEncoder.closePayload(code: code, reason: reason))
    }

    @Test("a fragmented text message is reassembled with pings answered between fragments")
    func fragmentsWithPings() {
        var machine = WebSocketStateMachine(maxMessageSize: 1024)
        #expect(machine.receive(frame(.text, "Hel", fin: false)) == .none)
        #expect(machine.receive(frame(.ping, "p1")) == .sendPong(Array("p1".utf8)))
        #expect(machine.receive(frame(.continuation, "lo, ", fin: false)) == .none)
        #expect(machine.receive(frame(.pong, "")) == .none)
        #expect(machine.receive(frame(.continuation, "world")) == .deliver(.text("Hello, world")))
        #expect(machine.bufferedMessageBytes == 0)
    }

    @Test("a multi-byte character split across fragments is valid UTF-8 once reassembled")
    func utf8AcrossFragments() {
        var machine = WebSocketStateMachine(maxMessageSize: 1024)
        let bytes = Array("é".utf8)
        #expect(machine.receive(WebSocketFrame(isFinal: false, opcode: .text, payload: [bytes[0]])) == .none)
        #expect(machine.receive(WebSocketFrame(opcode: .continuation, payload: [bytes[1]])) == .deliver(.text("é")))
    }

    @Test("binary messages are delivered as bytes")
    func binary() {
        var machine = WebSocketStateMachine(maxMessageSize: 1024)
        #expect(machine.receive(WebSocketFrame(opcode: .binary, payload: [0, 255])) == .deliver(.binary([0, 255])))
    }

    @Test("invalid UTF-8 in a text message fails with 1007")
    func invalidUTF8() {
        var machine = WebSocketStateMachine(maxMessageSize: 1024)
        let action = machine.receive(WebSocketFrame(opcode: .text, payload: [0xC3, 0x28]))
        guard case .failConnection(let violation) = action else {
            Issue.record("expected a failure, got \(action)")
            return
        }
        #expect(violation.closeCode == WebSocketCloseCode.invalidPayload)
        #expect(machine.state == .closed)
    }

    @Test("a message above the limit fails with 1009 before it is buffered")
    func tooBig() {
        var machine = WebSocketStateMachine(maxMessageSize: 10)
        #expect(
            machine.receive(WebSocketFrame(isFinal: false, opcode: .binary, payload: Array(repeating: 1, count: 8)))
                == .none)
        let action = machine.receive(WebSocketFrame(opcode: .continuation, payload: Array(repeating: 1, count: 8)))
        guard case .failConnection(let violation) = action else {
            Issue.record("expected a failure, got \(action)")
            return
        }
        #expect(violation.closeCode == WebSocketCloseCode.messageTooBig)
        #expect(machine.bufferedMessageBytes == 0)
    }

    @Test("continuation without a message and a new message inside a fragmented one fail with 1002")
    func fragmentOrder() {
        var lone = WebSocketStateMachine(maxMessageSize: 1024)
        #expect(lone.receive(frame(.continuation, "x")) != .none)
        var nested = WebSocketStateMachine(maxMessageSize: 1024)
        _ = nested.receive(frame(.text, "a", fin: false))
        guard case .failConnection(let violation) = nested.receive(frame(.binary, "b")) else {
            Issue.record("a nested message was accepted")
            return
        }
        #expect(violation.closeCode == WebSocketCloseCode.protocolError)
    }

    @Test("a server close is echoed with its code, and the reason is kept")
    func serverCloses() {
        var machine = WebSocketStateMachine(maxMessageSize: 1024)
        #expect(
            machine.receive(closeFrame(4001, "bye now"))
                == .replyToClose(payload: [0x0F, 0xA1], code: 4001, reason: "bye now"))
        #expect(machine.state == .closed)
        #expect(!machine.canSend)
        #expect(machine.receive(frame(.text, "late")) == .none)
    }

    @Test("an empty close is answered with an empty close and reported as 1005")
    func emptyClose() {
        var machine = WebSocketStateMachine(maxMessageSize: 1024)
        #expect(
            machine.receive(WebSocketFrame(opcode: .close, payload: []))
                == .replyToClose(payload: [], code: 1005, reason: ""))
    }

    @Test("hark's close is sent once; messages still arrive; the server's answer completes it")
    func clientCloses() {
        var machine = WebSocketStateMachine(maxMessageSize: 1024)
        #expect(machine.close(code: 1000, reason: "done") == .send([0x03, 0xE8] + Array("done".utf8)))
        #expect(machine.close(code: 1000, reason: "again") == .ignore)
        #expect(!machine.canSend)
        #expect(machine.receive(frame(.text, "last result")) == .deliver(.text("last result")))
        #expect(machine.receive(frame(.ping, "")) == .none)
        #expect(machine.receive(closeFrame(1000)) == .closeCompleted(code: 1000, reason: ""))
        #expect(machine.state == .closed)
    }

    @Test(
        "close frames with a 1-byte payload, a reserved code or a non-UTF-8 reason are refused",
        arguments: [
            ([0x03] as [UInt8], WebSocketCloseCode.protocolError),
            ([0x03, 0xED], WebSocketCloseCode.protocolError),  // 1005 may not be sent
            ([0x03, 0xEE], WebSocketCloseCode.protocolError),  // 1006 may not be sent
            ([0x00, 0x10], WebSocketCloseCode.protocolError),  // 16
            ([0x03, 0xE8, 0xFF], WebSocketCloseCode.invalidPayload),
        ])
    func invalidClose(payload: [UInt8], code: UInt16) {
        var machine = WebSocketStateMachine(maxMessageSize: 1024)
        guard case .failConnection(let violation) = machine.receive(WebSocketFrame(opcode: .close, payload: payload))
        else {
            Issue.record("a bad close was accepted")
            return
        }
        #expect(violation.closeCode == code)
    }
}

@Suite("WebSocket decoder and state machine against malformed input")
struct WebSocketMalformedInputTests {
    /// Random bytes, random frame headers and mutated valid frames: the decoder and state
    /// machine must end in a protocol error or wait for bytes, never crash, and never hold more
    /// than the message limit (plus one read's worth of unparsed bytes).
    @Test("seeded random input never crashes, never over-buffers, and ends in a protocol error")
    func fuzz() {
        let maxMessageSize = 4096
        var generator = TransportFixtures.SeededRandom(state: 0x5EED)
        var violations = 0
        for round in 0..<3000 {
            var decoder = WebSocketFrameDecoder(maxFrameSize: maxMessageSize)
            var machine = WebSocketStateMachine(maxMessageSize: maxMessageSize)
            var input: [UInt8] = []
            // Mostly valid frames with one corrupted byte, sometimes pure noise.
            for _ in 0..<Int.random(in: 1...6, using: &generator) {
                let opcode = [0x0, 0x1, 0x2, 0x8, 0x9, 0xA, 0x3][Int.random(in: 0..<7, using: &generator)] as UInt8
                let length = [0, 1, 125, 126, 3000, 5000][Int.random(in: 0..<6, using: &generator)]
                let payload = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
                input += TransportFixtures.serverFrame(opcode, payload, fin: Bool.random(using: &generator))
            }
            if round % 3 == 0 {
                input = (0..<Int.random(in: 1...600, using: &generator)).map { _ in
                    UInt8.random(in: 0...255, using: &generator)
                }
            } else {
                let index = Int.random(in: 0..<input.count, using: &generator)
                input[index] = UInt8.random(in: 0...255, using: &generator)
            }
            var offset = 0
            var failed = false
            feeding: while offset < input.count {
                let end = min(input.count, offset + Int.random(in: 1...1500, using: &generator))
                decoder.append(input[offset..<end])
                offset = end
                while true {
                    let frame: WebSocketFrame?
                    do {
                        frame = try decoder.nextFrame()
                    } catch {
                        #expect([1002, 1007, 1009].contains(error.closeCode))
                        failed = true
                        break feeding
                    }
                    guard let frame else { break }
                    if case .failConnection(let violation) = machine.receive(frame) {
                        #expect([1002, 1007, 1009].contains(violation.closeCode))
                        failed = true
                        break feeding
                    }
                    #expect(machine.bufferedMessageBytes <= maxMessageSize)
                }
                #expect(decoder.bufferedByteCount <= maxMessageSize + 14 + 1500)
            }
            if failed { violations += 1 }
        }
        // Corrupted streams nearly always break a rule; most rounds must report one.
        #expect(violations > 1500)
    }
}
