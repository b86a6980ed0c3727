import Foundation
import HarkTestSupport
import Testing

@testable import Hark

@Suite("WebSocketLink as a ProviderLink", .serialized)
struct WebSocketLinkTests {
    private let options = LinkOptions(connectTimeout: .seconds(5), handshakeTimeout: .seconds(5))

    private func request(_ server: FakeServer, path: String = "/v1/listen") -> ConnectionRequest {
        ConnectionRequest(url: server.endpoint() + path, headers: [HTTPHeader("Authorization", "Token test-key")])
    }

    @Test("text and binary travel as WireMessages, and close() ends inbound normally when the server answers")
    func messagesAndClose() async throws {
        try await EchoFixtures.withEchoServer { server in
            let link = try await WebSocketLink.connect(request(server), options: options)
            try await link.send(.text("{\"type\":\"hello\"}"))
            try await link.send(.binary(EchoFixtures.pattern(70000)))
            var iterator = link.inbound.makeAsyncIterator()
            #expect(try await iterator.next() == .text("{\"type\":\"hello\"}"))
            #expect(try await iterator.next() == .binary(EchoFixtures.pattern(70000)))
            await link.close()
            #expect(try await iterator.next() == nil)
            await #expect(throws: LinkFailure.self) { try await link.send(.text("late")) }
            let opened = server.recordedEvents().first { $0["event"] as? String == "open" }
            #expect((opened?["headers"] as? [String: String])?["Authorization"] == "Token test-key")
            #expect(opened?["path"] as? String == "/v1/listen")
        }
    }

    @Test("a server close with another code throws LinkFailure.closed with code and reason")
    func closedWithCode() async throws {
        try await EchoFixtures.withEchoServer { server in
            let link = try await WebSocketLink.connect(request(server), options: options)
            try await link.send(.text("cmd:close:4001:invalid audio"))
            do {
                for try await _ in link.inbound {}
                Issue.record("inbound ended normally")
            } catch let failure as LinkFailure {
                #expect(failure == .closed(code: 4001, reason: "invalid audio"))
            }
        }
    }

    @Test("a server close 1000 ends inbound normally")
    func closedNormally() async throws {
        try await EchoFixtures.withEchoServer { server in
            let link = try await WebSocketLink.connect(request(server), options: options)
            try await link.send(.text("first"))
            try await link.send(.text("cmd:close:1000:done"))
            var received: [WireMessage] = []
            for try await message in link.inbound { received.append(message) }
            #expect(received == [.text("first")])
        }
    }

    @Test("a refused upgrade throws handshakeRejected with status, headers and body")
    func rejected() async throws {
        try await EchoFixtures.withEchoServer(["--scenario", "reject-401"]) { server in
            do {
                _ = try await WebSocketLink.connect(request(server), options: options)
                Issue.record("the upgrade was not refused")
            } catch let failure as LinkFailure {
                guard case .handshakeRejected(let status, let headers, let body) = failure else {
                    Issue.record("expected a refusal, got \(failure)")
                    return
                }
                #expect(status == 401)
                #expect(headers[header: "X-Request-Id"] == "req-401-abc")
                #expect(body == "{\"err_code\":\"INVALID_AUTH\",\"err_msg\":\"Invalid credentials.\"}")
            }
        }
    }

    @Test("a refused TCP connection throws connectFailed naming the host")
    func connectFailed() async throws {
        let server = try FakeServer(script: "websocket_echo.py")
        let port = server.port
        server.stop()
        do {
            _ = try await WebSocketLink.connect(
                ConnectionRequest(url: "ws://127.0.0.1:\(port)/x?token=secret", headers: []), options: options)
            Issue.record("connected to a closed port")
        } catch let failure as LinkFailure {
            guard case .connectFailed(let host, _) = failure else {
                Issue.record("expected connectFailed, got \(failure)")
                return
            }
            #expect(host == "127.0.0.1:\(port)")
            #expect(!failure.description.contains("secret"))
        }
    }

    @Test("an unresolvable host throws connectFailed naming it (timedOut where no DNS server answers at all)")
    func unresolvableHost() async throws {
        let quick = LinkOptions(connectTimeout: .seconds(3), handshakeTimeout: .seconds(3))
        await #expect {
            _ = try await WebSocketLink.connect(
                ConnectionRequest(url: "wss://hark-test.invalid/v1/listen", headers: []), options: quick)
        } throws: { error in
            switch error as? LinkFailure {
            case .connectFailed(let host, let detail)?: host == "hark-test.invalid:443" && detail.contains("resolve")
            case .timedOut(let phase)?: phase.contains("connecting")
            default: false
            }
        }
    }

    @Test("an unknown CA throws tlsFailed")
    func tlsFailed() async throws {
        let authority = try TestCertificateAuthority()
        try await EchoFixtures.withEchoServer([
            "--tls-cert", authority.serverCertificate, "--tls-key", authority.serverKey,
        ]) {
            server in
            let request = ConnectionRequest(url: "wss://localhost:\(server.port)/", headers: [])
            await #expect {
                _ = try await WebSocketLink.connect(request, options: options)
            } throws: { error in
                guard case .tlsFailed = error as? LinkFailure else { return false }
                return true
            }
            // The same server is reachable once its CA is given.
            let trusted = LinkOptions(caBundle: authority.caCertificate)
            let link = try await WebSocketLink.connect(request, options: trusted)
            await link.close()
        }
    }

    @Test("a reset throws connectionLost; a silent server throws timedOut")
    func lostAndTimedOut() async throws {
        try await EchoFixtures.withEchoServer { server in
            let link = try await WebSocketLink.connect(request(server), options: options)
            try await link.send(.text("cmd:reset-mid-message"))
            await #expect {
                for try await _ in link.inbound {}
            } throws: { error in
                guard case .connectionLost = error as? LinkFailure else { return false }
                return true
            }
        }
        try await EchoFixtures.withEchoServer(["--scenario", "silent"]) { server in
            let quick = LinkOptions(connectTimeout: .seconds(5), handshakeTimeout: .milliseconds(400))
            await #expect {
                _ = try await WebSocketLink.connect(request(server), options: quick)
            } throws: { error in
                guard case .timedOut(let phase) = error as? LinkFailure else { return false }
                return phase.contains("upgrade")
            }
        }
    }

    @Test("a bad accept key and a 1009-sized message are protocol violations")
    func protocolViolations() async throws {
        try await EchoFixtures.withEchoServer(["--scenario", "bad-accept"]) { server in
            await #expect {
                _ = try await WebSocketLink.connect(request(server), options: options)
            } throws: { error in
                guard case .protocolViolation = error as? LinkFailure else { return false }
                return true
            }
        }
        try await EchoFixtures.withEchoServer { server in
            let link = try await WebSocketLink.connect(request(server), options: options, maxMessageSize: 1000)
            try await link.send(.text("cmd:send-binary:1001"))
            await #expect {
                for try await _ in link.inbound {}
            } throws: { error in
                guard case .protocolViolation(let detail) = error as? LinkFailure else { return false }
                return detail.contains("1009")
            }
        }
    }

    @Test("abort() ends inbound at once and sends fail")
    func abort() async throws {
        try await EchoFixtures.withEchoServer { server in
            let link = try await WebSocketLink.connect(request(server), options: options)
            await link.abort()
            await #expect(throws: LinkFailure.self) {
                for try await _ in link.inbound {}
            }
            await #expect(throws: LinkFailure.self) { try await link.send(.binary([1, 2, 3])) }
        }
    }

    @Test("close() waits a bounded time for a server that never answers the close")
    func closeTimeout() async throws {
        try await EchoFixtures.withEchoServer { server in
            let link = try await WebSocketLink.connect(
                request(server), options: options, closeTimeout: .milliseconds(300))
            // The fake stops reading for longer than any test runs: the close goes unanswered
            // however slowly a loaded machine gets to it (a 2 s stall once ended first on CI).
            try await link.send(.text("cmd:stall:600"))
            var iterator = link.inbound.makeAsyncIterator()
            #expect(try await iterator.next() == .text("stalled"))
            await link.close()
            await #expect {
                _ = try await iterator.next()
            } throws: { error in
                guard case .timedOut(let phase) = error as? LinkFailure else { return false }
                return phase.contains("close")
            }
        }
    }
}
