import Foundation
import HarkTestSupport
import Testing

@testable import Hark

/// The echo fake and payloads the WebSocket integration tests share.
enum EchoFixtures {
    /// Starts the echo fake for one test and stops it afterwards.
    @discardableResult
    static func withEchoServer<T>(
        _ arguments: [String] = [], _ body: (FakeServer) async throws -> T
    ) async throws -> T {
        let server = try FakeServer(script: "websocket_echo.py", arguments: arguments)
        defer { server.stop() }
        return try await body(server)
    }

    /// The recorded events once one matches `predicate`, waiting up to 5 s for the fake to
    /// record it (the fake writes after its side of a close finishes, which can trail hark's).
    static func events(
        of server: FakeServer, until predicate: ([String: Any]) -> Bool
    ) async throws -> [[String: Any]] {
        _ = await Evidence.wait(limit: .seconds(5)) { server.recordedEvents().contains(where: predicate) }
        return server.recordedEvents()
    }

    /// Bytes the echo fake sends for `cmd:send-binary:N`.
    static func pattern(_ count: Int) -> [UInt8] { (0..<count).map { UInt8($0 % 251) } }

    /// Test options: short timeouts so failures are quick, never timed assertions.
    static func testOptions(caBundle: String? = nil, proxy: String? = nil) -> WebSocketOptions {
        WebSocketOptions(
            proxy: proxy, caBundle: caBundle, connectTimeout: .seconds(5), handshakeTimeout: .seconds(5),
            closeTimeout: .seconds(5), maxMessageSize: 32 << 20)
    }
}

@Suite("WebSocketConnection against python websockets", .serialized)
struct WebSocketConnectionTests {
    static let payloadSizes = [0, 125, 126, 65535, 65536, 5 << 20]

    /// Echoes every size both ways: hark sends it (masked, each length encoding), the server
    /// echoes it back (unmasked), and the server also sends its own of that size.
    private func roundTrips(url: String, options: WebSocketOptions) async throws {
        let connection = try await WebSocketConnection.connect(to: url, options: options)
        for size in Self.payloadSizes {
            let payload = EchoFixtures.pattern(size)
            try await connection.send(.binary(payload))
            #expect(try await connection.receive() == .binary(payload), "binary echo of \(size) bytes")
            let text = String(repeating: "a", count: size)
            try await connection.send(.text(text))
            #expect(try await connection.receive() == .text(text), "text echo of \(size) bytes")
            try await connection.send(.text("cmd:send-binary:\(size)"))
            #expect(try await connection.receive() == .binary(payload), "server binary of \(size) bytes")
        }
        try await connection.send(.text("cmd:send-text:40000"))
        #expect(try await connection.receive() == .text(String(repeating: "é", count: 40000)))
        await connection.close()
        #expect(try await connection.receive() == nil)
        #expect(connection.closeFrame?.code == 1000)
    }

    @Test("messages of 0, 125, 126, 65535, 65536 bytes and 5 MB cross ws:// both ways")
    func plainRoundTrips() async throws {
        try await EchoFixtures.withEchoServer { server in
            try await roundTrips(url: server.endpoint(scheme: "ws") + "/echo", options: EchoFixtures.testOptions())
            let events = try await EchoFixtures.events(of: server) { $0["event"] as? String == "close" }
            #expect(events.contains { $0["event"] as? String == "close" && $0["code"] as? Int == 1000 })
        }
    }

    @Test("messages of every length encoding cross wss:// with a test CA given as CAINFO")
    func tlsRoundTrips() async throws {
        let authority = try TestCertificateAuthority()
        try await EchoFixtures.withEchoServer([
            "--tls-cert", authority.serverCertificate, "--tls-key", authority.serverKey,
        ]) {
            server in
            try await roundTrips(
                url: "wss://localhost:\(server.port)/echo",
                options: EchoFixtures.testOptions(caBundle: authority.caCertificate))
        }
    }

    @Test("a server certificate from an unknown CA fails as a TLS error that says so")
    func unknownCA() async throws {
        let authority = try TestCertificateAuthority()
        try await EchoFixtures.withEchoServer([
            "--tls-cert", authority.serverCertificate, "--tls-key", authority.serverKey,
        ]) {
            server in
            do {
                _ = try await WebSocketConnection.connect(
                    to: "wss://127.0.0.1:\(server.port)/", options: EchoFixtures.testOptions())
                Issue.record("connected to a server signed by an unknown CA")
            } catch let error as WebSocketError {
                guard case .tlsFailed(let host, let cause) = error else {
                    Issue.record("expected a TLS failure, got \(error)")
                    return
                }
                #expect(host == "127.0.0.1:\(server.port)")
                #expect(cause.message.lowercased().contains("certificate"), "\(cause.message)")
                #expect(error.description.contains("TLS"))
            }
        }
    }

    @Test("connections go through an HTTP CONNECT proxy when one is given, and the proxy sees the tunnel")
    func throughProxy() async throws {
        let proxy = try FakeServer(script: "connect_proxy.py")
        defer { proxy.stop() }
        try await EchoFixtures.withEchoServer { server in
            let connection = try await WebSocketConnection.connect(
                to: server.endpoint() + "/via-proxy",
                options: EchoFixtures.testOptions(proxy: "http://127.0.0.1:\(proxy.port)"))
            for size in [0, 126, 65536, 3 << 20] {
                try await connection.send(.binary(EchoFixtures.pattern(size)))
                #expect(try await connection.receive() == .binary(EchoFixtures.pattern(size)))
            }
            await connection.close()
            #expect(try await connection.receive() == nil)
        }
        let tunnels = proxy.recordedEvents().filter { $0["event"] as? String == "connect" }
        #expect(tunnels.count == 1)
        #expect((tunnels.first?["target"] as? String)?.hasPrefix("127.0.0.1:") == true)
    }

    @Test("a fragmented server message with pings between fragments arrives whole, and the pings are answered")
    func fragmentsWithPings() async throws {
        try await EchoFixtures.withEchoServer { server in
            let connection = try await WebSocketConnection.connect(
                to: server.endpoint(), options: EchoFixtures.testOptions())
            try await connection.send(.text("cmd:fragments:5:3000"))
            #expect(try await connection.receive() == .text(String(repeating: "x", count: 15000)))
            // The server records each pong after the message; the echo after that orders it.
            try await connection.send(.text("after"))
            #expect(try await connection.receive() == .text("after"))
            #expect(server.recordedEvents().filter { $0["event"] as? String == "pong" }.count == 4)
            await connection.close()
            #expect(try await connection.receive() == nil)
        }
    }

    @Test("a server close with code and reason ends the stream with both")
    func serverClose() async throws {
        try await EchoFixtures.withEchoServer { server in
            let connection = try await WebSocketConnection.connect(
                to: server.endpoint(), options: EchoFixtures.testOptions())
            try await connection.send(.text("cmd:close:4008:quota exceeded"))
            do {
                _ = try await connection.receive()
                Issue.record("the stream did not fail")
            } catch let error as WebSocketError {
                #expect(error == .closed(code: 4008, reason: "quota exceeded"))
            }
            #expect(connection.closeFrame?.code == 4008)
            await #expect(throws: WebSocketError.self) { try await connection.send(.text("late")) }
            // The server saw hark echo its code.
            let closes = try await EchoFixtures.events(of: server) { $0["event"] as? String == "close" }
                .filter { $0["event"] as? String == "close" }
            #expect(closes.first?["code"] as? Int == 4008)
        }
    }

    @Test("a server close 1000 ends the stream normally")
    func serverCloseNormal() async throws {
        try await EchoFixtures.withEchoServer { server in
            let connection = try await WebSocketConnection.connect(
                to: server.endpoint(), options: EchoFixtures.testOptions())
            try await connection.send(.text("cmd:close:1000:bye"))
            #expect(try await connection.receive() == nil)
            #expect(connection.closeFrame?.reason == "bye")
        }
    }

    @Test("a server that sends its close frame and drops TCP at once still ends with its close code")
    func closeThenDrop() async throws {
        try await EchoFixtures.withEchoServer { server in
            let connection = try await WebSocketConnection.connect(
                to: server.endpoint(), options: EchoFixtures.testOptions())
            // Text "last", then close 4002 "gone" (unmasked server frames), then FIN.
            try await connection.send(.text("cmd:raw-and-drop:81046c61737488060fa2676f6e65"))
            #expect(try await connection.receive() == .text("last"))
            await #expect(throws: WebSocketError.closed(code: 4002, reason: "gone")) {
                _ = try await connection.receive()
            }
        }
    }

    @Test("a TCP reset in the middle of a message is reported as a lost connection")
    func resetMidMessage() async throws {
        try await EchoFixtures.withEchoServer { server in
            let connection = try await WebSocketConnection.connect(
                to: server.endpoint(), options: EchoFixtures.testOptions())
            try await connection.send(.text("cmd:reset-mid-message"))
            do {
                _ = try await connection.receive()
                Issue.record("the stream did not fail")
            } catch let error as WebSocketError {
                guard case .connectionLost(let detail) = error else {
                    Issue.record("expected a lost connection, got \(error)")
                    return
                }
                #expect(!detail.isEmpty)
            }
            await #expect(throws: WebSocketError.self) { try await connection.send(.binary([1])) }
        }
    }

    @Test("a server that accepts TCP but never answers the upgrade times out instead of hanging")
    func silentServer() async throws {
        try await EchoFixtures.withEchoServer(["--scenario", "silent"]) { server in
            var options = EchoFixtures.testOptions()
            options.handshakeTimeout = .milliseconds(500)
            await #expect(throws: WebSocketError.timedOut(phase: .handshake)) {
                _ = try await WebSocketConnection.connect(to: server.endpoint(), options: options)
            }
        }
    }

    @Test("401 and 429 at the upgrade surface status, headers and body", arguments: [401, 429])
    func rejected(status: Int) async throws {
        try await EchoFixtures.withEchoServer(["--scenario", "reject-\(status)"]) { server in
            do {
                _ = try await WebSocketConnection.connect(
                    to: server.endpoint() + "/v1/listen?token=secret",
                    headers: [HTTPHeader("Authorization", "Token k")],
                    options: EchoFixtures.testOptions())
                Issue.record("the upgrade was not refused")
            } catch let error as WebSocketError {
                guard case .handshakeRejected(let got, let headers, let body) = error else {
                    Issue.record("expected a refusal, got \(error)")
                    return
                }
                #expect(got == status)
                #expect(headers[header: "x-request-id"] == "req-\(status)-\(status == 401 ? "abc" : "def")")
                if status == 429 { #expect(headers[header: "Retry-After"] == "7") }
                #expect(body.contains(status == 401 ? "INVALID_AUTH" : "TOO_MANY_REQUESTS"), "\(body)")
                #expect(!error.description.contains("secret"))
            }
            let opened = server.recordedEvents().first { $0["event"] as? String == "open" }
            let headers = opened?["headers"] as? [String: String]
            #expect(headers?["Authorization"] == "Token k")
        }
    }

    @Test("cancelling a connect stuck in a proxy that never answers CONNECT aborts it, not waiting for the timeout")
    func cancelStuckConnect() async throws {
        try await EchoFixtures.withEchoServer(["--scenario", "silent"]) { silentProxy in
            var options = EchoFixtures.testOptions(proxy: "http://127.0.0.1:\(silentProxy.port)")
            options.connectTimeout = .seconds(60)
            let attempt = Task {
                try await WebSocketConnection.connect(to: "ws://127.0.0.1:9/never", options: options)
            }
            // Cancel once libcurl is inside curl_easy_perform, waiting for the proxy's answer.
            _ = try await EchoFixtures.events(of: silentProxy) { $0["event"] as? String == "open-silent" }
            attempt.cancel()
            await #expect(throws: CancellationError.self) { _ = try await attempt.value }
        }
    }

    @Test("a wrong Sec-WebSocket-Accept is refused")
    func badAccept() async throws {
        try await EchoFixtures.withEchoServer(["--scenario", "bad-accept"]) { server in
            do {
                _ = try await WebSocketConnection.connect(to: server.endpoint(), options: EchoFixtures.testOptions())
                Issue.record("a bad accept key was accepted")
            } catch let error as WebSocketError {
                guard case .invalidHandshake(let detail) = error else {
                    Issue.record("expected an invalid handshake, got \(error)")
                    return
                }
                #expect(detail.contains("Sec-WebSocket-Accept"))
            }
        }
    }

    @Test("a refused TCP connection is a connect failure naming the host")
    func refused() async throws {
        // Bind then close a port so nothing listens there.
        let server = try FakeServer(script: "websocket_echo.py")
        let port = server.port
        server.stop()
        do {
            _ = try await WebSocketConnection.connect(
                to: "ws://127.0.0.1:\(port)/", options: EchoFixtures.testOptions())
            Issue.record("connected to a closed port")
        } catch let error as WebSocketError {
            guard case .connectFailed(let host, _) = error else {
                Issue.record("expected a connect failure, got \(error)")
                return
            }
            #expect(host == "127.0.0.1:\(port)")
        }
    }

    @Test(
        "protocol violations close with the right code",
        arguments: [
            ("8181010203" + "04", UInt16(1002)),  // masked frame from the server
            ("8102c328", UInt16(1007)),  // invalid UTF-8 text
            ("827f0000000100000000", UInt16(1009)),  // a 4 GiB frame header
        ])
    func violations(hex: String, code: UInt16) async throws {
        try await EchoFixtures.withEchoServer { server in
            var options = EchoFixtures.testOptions()
            options.maxMessageSize = 1 << 20
            let connection = try await WebSocketConnection.connect(to: server.endpoint(), options: options)
            try await connection.send(.text("cmd:raw:\(hex)"))
            do {
                _ = try await connection.receive()
                Issue.record("the violation was not reported")
            } catch let error as WebSocketError {
                guard case .protocolViolation(let violation) = error else {
                    Issue.record("expected a protocol violation, got \(error)")
                    return
                }
                #expect(violation.closeCode == code)
            }
            let closes = try await EchoFixtures.events(of: server) { $0["event"] as? String == "close" }
                .filter { $0["event"] as? String == "close" }
            #expect(closes.first?["code"] as? Int == Int(code))
        }
    }

    @Test("sends suspend when the outgoing queue is full and all arrive in order")
    func backPressure() async throws {
        try await EchoFixtures.withEchoServer { server in
            var options = EchoFixtures.testOptions()
            options.outgoingCapacity = 64 << 10
            let connection = try await WebSocketConnection.connect(to: server.endpoint(), options: options)
            let receiver = Task {
                var received: [[UInt8]] = []
                while received.count < 200, case .binary(let bytes)? = try await connection.receive() {
                    received.append(bytes)
                }
                return received
            }
            for index in 0..<200 {
                try await connection.send(.binary([UInt8(index)] + Array(repeating: 0, count: 8191)))
            }
            let received = try await receiver.value
            #expect(received.map { $0[0] } == (0..<200).map { UInt8($0) })
            try await connection.send(.text("cmd:stats"))
            #expect(try await connection.receive() == .text("received \(200 * 8192) 0"))
            await connection.close()
        }
    }

    @Test("concurrent senders on a one-frame queue all get through (no sender left waiting on an idle thread)")
    func concurrentSendersOnTinyQueue() async throws {
        try await EchoFixtures.withEchoServer { server in
            var options = EchoFixtures.testOptions()
            options.outgoingCapacity = 1
            let connection = try await WebSocketConnection.connect(to: server.endpoint(), options: options)
            let reader = Task {
                var count = 0
                while count < 1200, try await connection.receive() != nil { count += 1 }
                return count
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for sender in 0..<4 {
                    group.addTask {
                        for index in 0..<300 {
                            try await connection.send(.binary([UInt8(sender), UInt8(index & 0xFF)]))
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await reader.value == 1200)
            try await connection.send(.text("cmd:stats"))
            #expect(try await connection.receive() == .text("received 2400 0"))
            await connection.close()
        }
    }

    @Test("a slow reader holds the server back through a full incoming queue and still gets every message in order")
    func incomingBackPressure() async throws {
        try await EchoFixtures.withEchoServer { server in
            var options = EchoFixtures.testOptions()
            options.incomingCapacity = 2
            let connection = try await WebSocketConnection.connect(to: server.endpoint(), options: options)
            for size in 1...40 { try await connection.send(.text("cmd:send-binary:\(size * 1000)")) }
            for size in 1...40 {
                #expect(try await connection.receive() == .binary(EchoFixtures.pattern(size * 1000)))
                await Task.yield()
            }
            await connection.close()
            #expect(try await connection.receive() == nil)
        }
    }

    @Test("close() gives up after the close timeout when the server stopped reading with data still queued")
    func closeTimesOutBehindStalledServer() async throws {
        try await EchoFixtures.withEchoServer { server in
            var options = EchoFixtures.testOptions()
            options.closeTimeout = .milliseconds(300)
            let connection = try await WebSocketConnection.connect(to: server.endpoint(), options: options)
            // The fake stops reading for longer than any test runs: the close goes unanswered
            // however slowly a loaded machine gets to it (a 2 s stall once ended first on CI).
            try await connection.send(.text("cmd:stall:600"))
            #expect(try await connection.receive() == .text("stalled"))
            // More than the socket buffers hold: the writer blocks and senders queue up.
            let sender = Task {
                for _ in 0..<32 { try await connection.send(.binary([UInt8](repeating: 7, count: 1 << 20))) }
            }
            // Evidence, not time: a sender is parked behind the full queue.
            while connection.waitingSenderCount == 0 { await Task.yield() }
            await connection.close()
            await #expect(throws: WebSocketError.timedOut(phase: .closing)) { _ = try await connection.receive() }
            await #expect(throws: WebSocketError.self) { try await sender.value }
        }
    }

    @Test("abort ends the stream at once with .aborted and later sends fail")
    func abort() async throws {
        try await EchoFixtures.withEchoServer { server in
            let connection = try await WebSocketConnection.connect(
                to: server.endpoint(), options: EchoFixtures.testOptions())
            connection.abort()
            await #expect(throws: WebSocketError.aborted) { _ = try await connection.receive() }
            await #expect(throws: WebSocketError.self) { try await connection.send(.text("x")) }
        }
    }
}
