import Testing

@testable import Hark

@Suite("WebSocketLink failure mapping")
struct WebSocketLinkFailureTests {
    private let refused = CurlCode(rawValue: CurlCode.couldntConnect, message: "Connection refused")
    private let unknownCA = CurlCode(
        rawValue: CurlCode.peerFailedVerification,
        message: "SSL certificate problem: unable to get local issuer certificate")

    @Test("each WebSocket failure becomes the LinkFailure the adapters interpret")
    func mapping() {
        let host = "api.example.com:443"
        let cases: [(WebSocketError, LinkFailure)] = [
            (.connectFailed(host: host, cause: refused), .connectFailed(host: host, detail: "Connection refused")),
            (.tlsFailed(host: host, cause: unknownCA), .tlsFailed(host: host, detail: unknownCA.message)),
            (.timedOut(phase: .handshake), .timedOut(phase: WebSocketPhase.handshake.description)),
            (
                .handshakeRejected(status: 429, headers: [HTTPHeader("Retry-After", "3")], body: "slow down"),
                .handshakeRejected(status: 429, headers: [HTTPHeader("Retry-After", "3")], body: "slow down")
            ),
            (.closed(code: 4001, reason: "bad audio"), .closed(code: 4001, reason: "bad audio")),
            (.connectionLost(detail: "reset"), .connectionLost(detail: "reset")),
            (.invalidHandshake(detail: "bad accept"), .protocolViolation(detail: "bad accept")),
        ]
        for (error, expected) in cases {
            #expect(WebSocketLink.linkFailure(for: error, host: host) == expected)
        }
        let violation = WebSocketProtocolViolation(closeCode: 1009, detail: "too big")
        guard
            case .protocolViolation(let detail) = WebSocketLink.linkFailure(
                for: .protocolViolation(violation), host: host)
        else {
            Issue.record("a protocol violation was not mapped to one")
            return
        }
        #expect(detail.contains("1009"))
        for ended in [WebSocketError.aborted, .notOpen] {
            guard case .connectionLost = WebSocketLink.linkFailure(for: ended, host: host) else {
                Issue.record("\(ended) was not mapped to connectionLost")
                continue
            }
        }
    }

    @Test("an invalid URL's failure never shows its query string (it may hold a token)")
    func invalidURLRedacted() {
        let failure = WebSocketLink.linkFailure(for: .invalidURL("ftp://host/path?token=secret"), host: "host")
        #expect(!failure.description.contains("secret"))
    }

    @Test("TLS failure codes are told apart from connect failures")
    func tlsCodes() {
        #expect(unknownCA.isTLSFailure)
        #expect(CurlCode(rawValue: CurlCode.sslConnectError, message: "").isTLSFailure)
        #expect(!refused.isTLSFailure)
        #expect(!CurlCode(rawValue: CurlCode.couldntResolveHost, message: "").isTLSFailure)
    }
}
