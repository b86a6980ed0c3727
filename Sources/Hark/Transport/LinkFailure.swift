/// How a link to a provider failed, in transport terms, before the adapter says what it means.
///
/// `WebSocketLink` and the gRPC link turn their own errors into these; each adapter's
/// `error(for:)` turns them into a `ProviderError` the user can act on.
package enum LinkFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server answered the upgrade (or call) with an HTTP status other than 101/200.
    case handshakeRejected(status: Int, headers: [HTTPHeader], body: String)
    /// The server closed the WebSocket with a close frame.
    case closed(code: Int, reason: String)
    /// The host could not be reached: DNS failure, connection refused, no route.
    case connectFailed(host: String, detail: String)
    /// TLS failed: unknown CA, bad certificate, protocol mismatch.
    case tlsFailed(host: String, detail: String)
    /// An established connection broke: reset, EOF without a close frame (1006).
    case connectionLost(detail: String)
    /// Nothing happened within a time limit (connect, handshake, silent server).
    case timedOut(phase: String)
    /// The peer broke the protocol (bad frame, bad accept key).
    case protocolViolation(detail: String)
    /// A gRPC call ended with a non-OK status.
    case grpcStatus(code: Int, message: String)

    package var description: String {
        switch self {
        case .handshakeRejected(let status, _, let body):
            body.isEmpty ? "HTTP \(status)" : "HTTP \(status): \(body)"
        case .closed(let code, let reason):
            reason.isEmpty ? "closed with code \(code)" : "closed with code \(code): \(reason)"
        case .connectFailed(let host, let detail): "cannot connect to \(host): \(detail)"
        case .tlsFailed(let host, let detail): "TLS with \(host) failed: \(detail)"
        case .connectionLost(let detail): "connection lost: \(detail)"
        case .timedOut(let phase): "timed out \(phase)"
        case .protocolViolation(let detail): "protocol error: \(detail)"
        case .grpcStatus(let code, let message): "gRPC status \(code): \(message)"
        }
    }
}
