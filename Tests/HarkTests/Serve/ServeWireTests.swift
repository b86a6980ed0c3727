import ServeWire
import Testing

@Suite("hark serve: pipe frames and page rules")
struct ServeWireTests {
    @Test("every frame survives encoding and a decoder fed one byte at a time")
    func framesRoundTrip() throws {
        let frames: [ServeFrame] = [
            .setup(
                ServeSetup(
                    host: "127.0.0.1", port: 8765, certificatePath: "/c.pem", keyPath: nil, token: "abc",
                    limits: ServeLimits(maxConnections: 3))),
            .event(session: 7, json: #"{"schema":1,"type":"final","text":"é"}"#), .ended(session: 7, reason: ""),
            .listening(url: "http://127.0.0.1:1/?token=abc"), .startupFailed("in use"),
            .open(session: 1, sampleRate: 48000), .audio(session: 1, bytes: [1, 2, 3, 4]), .end(session: 1),
        ]
        var decoder = ServeFrameDecoder()
        var decoded: [ServeFrame] = []
        for byte in frames.flatMap(ServeFrameCodec.encode) {
            decoder.append([byte])
            while let frame = try decoder.next() { decoded.append(frame) }
        }
        #expect(decoded == frames)
    }

    @Test("the page's hello: rate, session and last sequence, or why not")
    func hello() {
        #expect(
            PageHello.parse(#"{"type":"hello","rate":48000,"session":"abcdef123456","last":4}"#)
                == .success(PageHello(sampleRate: 48000, session: "abcdef123456", lastSequence: 4)))
        #expect(PageHello.parse("not json") == .failure(.notJSON))
        #expect(PageHello.parse(#"{"type":"stop"}"#) == .failure(.expectedHello))
        #expect(PageHello.parse(#"{"type":"hello","rate":1,"session":"abcdef123456"}"#) == .failure(.badRate))
        #expect(PageHello.parse(#"{"type":"hello","rate":16000,"session":"../x"}"#) == .failure(.badSession))
        #expect(PageHello.isStop(#"{ "type" : "stop" }"#))
    }

    @Test("message rate: a second's allowance, then refusal, then a new second")
    func rate() {
        var limit = MessageRateLimit(perSecond: 3)
        let second: UInt64 = 1_000_000_000
        var admitted: [Bool] = []
        for offset in [0, 1, 2, 500] as [UInt64] { admitted.append(limit.admit(now: 10 * second + offset)) }
        admitted.append(limit.admit(now: 11 * second + 1))
        #expect(admitted == [true, true, true, false, true])
    }

    @Test("admission: token (401), Origin and Host (403)")
    func admission() {
        let rules = ServeAdmission(token: "secret", secure: false, loopbackOnly: true)
        let host = "127.0.0.1:8765"
        let origin = "http://127.0.0.1:8765"
        #expect(rules.check(uri: "/ws?token=secret", host: host, origin: origin, requireOrigin: true) == .allowed)
        #expect(rules.check(uri: "/ws", host: host, origin: origin, requireOrigin: true) == .missingToken)
        #expect(rules.check(uri: "/ws?token=secreT", host: host, origin: origin, requireOrigin: true) == .missingToken)
        #expect(
            rules.check(uri: "/ws?token=secret", host: host, origin: "http://evil.example", requireOrigin: true)
                == .forbiddenOrigin)
        #expect(rules.check(uri: "/ws?token=secret", host: host, origin: nil, requireOrigin: true) == .forbiddenOrigin)
        #expect(rules.check(uri: "/?token=secret", host: host, origin: nil, requireOrigin: false) == .allowed)
        #expect(
            rules.check(uri: "/ws?token=secret", host: "evil.example:8765", origin: origin, requireOrigin: true)
                == .forbiddenHost)
        #expect(ServeAdmission.isLoopbackHost("[::1]:8765") && ServeAdmission.isLoopbackHost("localhost"))
        #expect(!ServeAdmission.isLoopbackHost("192.168.1.2:8765"))
    }
}
