/// How a WebSocket connection failed, with the cause kept (libcurl code, HTTP status, close
/// code) so `WebSocketLink` and the CLI can say what to do.
package enum WebSocketError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The URL is not `ws://host[:port]/…` or `wss://…`.
    case invalidURL(String)
    /// DNS, TCP or the proxy failed before any TLS or HTTP.
    case connectFailed(host: String, cause: CurlCode)
    /// TLS failed: unknown CA, bad or mismatched certificate, protocol mismatch.
    case tlsFailed(host: String, cause: CurlCode)
    /// A time limit passed.
    case timedOut(phase: WebSocketPhase)
    /// The server answered the upgrade with another status; headers and body are kept because
    /// providers put request ids and error codes there.
    case handshakeRejected(status: Int, headers: [HTTPHeader], body: String)
    /// The server answered 101 but broke RFC 6455 §4 (bad `Sec-WebSocket-Accept`, not HTTP).
    case invalidHandshake(detail: String)
    /// The server sent frames that break RFC 6455; hark closed with `violation.closeCode`.
    case protocolViolation(WebSocketProtocolViolation)
    /// The server closed the connection with a close frame (any code but 1000 for the stream).
    case closed(code: UInt16, reason: String)
    /// The connection broke without a close frame: reset, EOF (RFC 6455's 1006).
    case connectionLost(detail: String)
    /// A send after the connection started closing or ended.
    case notOpen
    /// hark tore the connection down (`abort()`, a cancelled task).
    case aborted
    /// The machine refused a resource the connection needs (thread wake-up descriptor, curl handle).
    case systemResource(detail: String)

    package var description: String {
        switch self {
        case .invalidURL(let url):
            "'\(url)' is not a WebSocket URL; use ws://host[:port]/path or wss://host[:port]/path"
        case .connectFailed(let host, let cause):
            "cannot connect to \(host): \(cause.message); check the host name, the network and any proxy setting"
        case .tlsFailed(let host, let cause):
            "TLS with \(host) failed: \(cause.message); check the system clock and the CA bundle (--cacert)"
        case .timedOut(let phase): "timed out \(phase); check the network, the proxy and the endpoint, then retry"
        case .handshakeRejected(let status, _, let body):
            body.isEmpty
                ? "the server refused the WebSocket upgrade with HTTP \(status)"
                : "the server refused the WebSocket upgrade with HTTP \(status): \(body.prefix(500))"
        case .invalidHandshake(let detail):
            "the WebSocket upgrade failed: \(detail); check that the endpoint is a WebSocket server"
        case .protocolViolation(let violation): "the server broke the WebSocket protocol: \(violation)"
        case .closed(let code, let reason):
            reason.isEmpty
                ? "the server closed the connection with code \(code)"
                : "the server closed the connection with code \(code): \(reason)"
        case .connectionLost(let detail): "the connection was lost: \(detail); retry, or check the network"
        case .notOpen: "the WebSocket connection is closing or closed; nothing more can be sent"
        case .aborted: "the WebSocket connection was aborted by hark"
        case .systemResource(let detail): "the system refused a resource for the connection: \(detail)"
        }
    }
}

/// Which step a WebSocket connection was in when a time limit passed.
package enum WebSocketPhase: String, Sendable, Equatable, CustomStringConvertible {
    /// DNS, TCP, proxy and TLS (`LinkOptions.connectTimeout`).
    case connecting
    /// Waiting for the answer to the upgrade request (`LinkOptions.handshakeTimeout`).
    case handshake
    /// Waiting for the server to answer hark's close frame.
    case closing

    package var description: String {
        switch self {
        case .connecting: "connecting (DNS, TCP, proxy and TLS)"
        case .handshake: "waiting for the server to answer the WebSocket upgrade"
        case .closing: "waiting for the server to answer the WebSocket close"
        }
    }
}
