import Testing

@testable import Hark

@Suite("WebSocket handshake")
struct WebSocketHandshakeTests {
    @Test("ws and wss URLs become http and https for libcurl, with the request target and Host")
    func urls() throws {
        let plain = try #require(WebSocketURL("ws://127.0.0.1:8080/v1/listen?model=nova&x=1"))
        #expect(plain.curlURL == "http://127.0.0.1:8080/v1/listen?model=nova&x=1")
        #expect(plain.requestTarget == "/v1/listen?model=nova&x=1")
        #expect(plain.hostHeader == "127.0.0.1:8080")
        let secure = try #require(WebSocketURL("wss://api.deepgram.com?x=1"))
        #expect(secure.curlURL == "https://api.deepgram.com/?x=1")
        #expect(secure.hostHeader == "api.deepgram.com")
        #expect(secure.authority == "api.deepgram.com:443")
        let ipv6 = try #require(WebSocketURL("ws://[::1]:9000/a"))
        #expect(ipv6.host == "[::1]")
        #expect(ipv6.port == 9000)
        #expect(WebSocketURL("ftp://example.com") == nil)
        #expect(WebSocketURL("ws://host:99999/") == nil)
        #expect(WebSocketURL("ws:///path") == nil)
    }

    @Test("the upgrade request carries the key, version 13 and the caller's headers, without line breaks")
    func request() throws {
        let url = try #require(WebSocketURL("ws://example.com/listen?a=b"))
        let bytes = WebSocketHandshake.request(
            for: url, key: "KEY==", headers: [HTTPHeader("Authorization", "Token abc\r\nEvil: 1")])
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix("GET /listen?a=b HTTP/1.1\r\nHost: example.com\r\n"))
        #expect(text.contains("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: KEY==\r\n"))
        #expect(text.contains("Sec-WebSocket-Version: 13\r\n"))
        #expect(text.contains("Authorization: Token abcEvil: 1\r\n"))
        #expect(text.hasSuffix("\r\n\r\n"))
    }

    private let answer = Array(
        ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nX-Request-Id: r-1\r\n\r\n").utf8)

    @Test("the 101 answer parses the same fed at once, byte by byte and in random splits, keeping frames after it")
    func parsesInPieces() throws {
        let frames = TransportFixtures.serverFrame(0x1, Array("first".utf8))
        let stream = answer + frames
        for pieces in TransportFixtures.splittings(of: stream.count, seed: 9) {
            var parser = HandshakeResponseParser()
            var offset = 0
            var result = HandshakeResponseParser.Result.needMoreBytes
            for size in pieces where offset < stream.count {
                let end = min(stream.count, offset + size)
                result = try parser.append(stream[offset..<end])
                offset = end
                if case .head = result { break }
            }
            guard case .head(let head, var remainder) = result else {
                Issue.record("the head never completed")
                return
            }
            remainder += stream[offset...]
            #expect(head.status == 101)
            #expect(head.headers[header: "x-request-id"] == "r-1")
            #expect(remainder == frames)
            #expect(WebSocketHandshake.problem(with: head, key: "dGhlIHNhbXBsZSBub25jZQ==") == nil)
        }
    }

    @Test("a wrong accept value, a missing Upgrade header or another status is refused")
    func problems() throws {
        var parser = HandshakeResponseParser()
        guard case .head(let head, _) = try parser.append(answer) else {
            Issue.record("no head")
            return
        }
        #expect(WebSocketHandshake.problem(with: head, key: "b3RoZXIga2V5IDEyMzQ1Ng==") != nil)
        var noUpgrade = head
        noUpgrade.headers.removeAll { $0.name == "Upgrade" }
        #expect(WebSocketHandshake.problem(with: noUpgrade, key: "dGhlIHNhbXBsZSBub25jZQ==") != nil)
        var notSwitching = head
        notSwitching.status = 200
        #expect(WebSocketHandshake.problem(with: notSwitching, key: "dGhlIHNhbXBsZSBub25jZQ==") != nil)
    }

    @Test("a 101 that picks an extension or subprotocol hark did not offer is refused; an offered one is accepted")
    func unofferedExtension() throws {
        var parser = HandshakeResponseParser()
        guard case .head(let head, _) = try parser.append(answer) else {
            Issue.record("no head")
            return
        }
        var compressed = head
        compressed.headers.append(HTTPHeader("Sec-WebSocket-Extensions", "permessage-deflate"))
        #expect(
            WebSocketHandshake.problem(with: compressed, key: "dGhlIHNhbXBsZSBub25jZQ==")?.contains("extension") == true
        )
        var chat = head
        chat.headers.append(HTTPHeader("Sec-WebSocket-Protocol", "chat"))
        #expect(
            WebSocketHandshake.problem(with: chat, key: "dGhlIHNhbXBsZSBub25jZQ==")?.contains("subprotocol") == true)
        // Deepgram's header-less auth offers `token, <key>` and the server echoes `token`.
        var token = head
        token.headers.append(HTTPHeader("Sec-WebSocket-Protocol", "token"))
        let offer = [HTTPHeader("Sec-WebSocket-Protocol", "token, secret-key")]
        #expect(WebSocketHandshake.problem(with: token, key: "dGhlIHNhbXBsZSBub25jZQ==", requestHeaders: offer) == nil)
    }

    @Test("a refusal keeps every header in order")
    func refusalHeaders() throws {
        var parser = HandshakeResponseParser()
        let text = "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nX-Request-Id: a\r\nX-Request-Id: b\r\n\r\n{}"
        guard case .head(let head, let remainder) = try parser.append(Array(text.utf8)) else {
            Issue.record("no head")
            return
        }
        #expect(head.status == 429)
        #expect(
            head.headers == [
                HTTPHeader("Retry-After", "7"), HTTPHeader("X-Request-Id", "a"), HTTPHeader("X-Request-Id", "b"),
            ])
        #expect(remainder == Array("{}".utf8))
    }

    @Test("an answer that is not HTTP is refused early")
    func notHTTP() {
        var parser = HandshakeResponseParser()
        #expect(throws: WebSocketHandshakeProblem.self) { try parser.append(Array("SSH-2.0-OpenSSH\r\n".utf8)) }
    }

    @Test("a chunked refusal body is decoded")
    func chunkedBody() {
        let headers = [HTTPHeader("Transfer-Encoding", "chunked")]
        let body = Array("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n".utf8)
        #expect(HTTPBody.isComplete(body, headers: headers))
        #expect(HTTPBody.text(of: body, headers: headers, expectedLength: nil) == "hello world")
    }
}
