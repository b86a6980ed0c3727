/// The `ProviderLink` for every WebSocket provider: a `WebSocketConnection` whose messages are
/// `WireMessage`s and whose failures are `LinkFailure`s.
///
/// `inbound` ends normally when the server closes with 1000 and throws
/// `LinkFailure.closed(code:reason:)` for any other close code; `close()` sends close 1000 and
/// returns once it is written, after which `inbound` ends when the server answers (or throws
/// `.timedOut` after the close timeout); `abort()` tears the connection down at once.
package final class WebSocketLink: ProviderLink {
    package let inbound: AsyncThrowingStream<WireMessage, any Error>
    private let connection: WebSocketConnection

    private init(connection: WebSocketConnection) {
        self.connection = connection
        let host = connection.url.authority
        inbound = AsyncThrowingStream(unfolding: {
            do {
                switch try await connection.receive() {
                case .text(let text)?: return .text(text)
                case .binary(let bytes)?: return .binary(bytes)
                case nil: return nil
                }
            } catch let error as WebSocketError {
                throw Self.linkFailure(for: error, host: host)
            }
        })
    }

    /// Connects to `request.url` with its headers.
    /// - Parameters:
    ///   - maxMessageSize: the largest message accepted from the provider (close 1009 above it).
    ///   - closeTimeout: how long `close()` lets `inbound` wait for the server's close answer.
    /// - Throws: `LinkFailure` (or `CancellationError` when the task is cancelled).
    package static func connect(
        _ request: ConnectionRequest, options: LinkOptions, maxMessageSize: Int = 16 << 20,
        closeTimeout: Duration = .seconds(5)
    ) async throws -> WebSocketLink {
        let connectionOptions = WebSocketOptions(
            proxy: options.proxy, caBundle: options.caBundle, connectTimeout: options.connectTimeout,
            handshakeTimeout: options.handshakeTimeout, closeTimeout: closeTimeout, maxMessageSize: maxMessageSize)
        do {
            let connection = try await WebSocketConnection.connect(
                to: request.url, headers: request.headers, options: connectionOptions)
            return WebSocketLink(connection: connection)
        } catch let error as WebSocketError {
            throw linkFailure(
                for: error, host: WebSocketURL(request.url)?.authority ?? EndpointURL.host(of: request.url))
        }
    }

    package func send(_ message: WireMessage) async throws {
        do {
            switch message {
            case .text(let text): try await connection.send(.text(text))
            case .binary(let bytes): try await connection.send(.binary(bytes))
            }
        } catch let error as WebSocketError {
            throw Self.linkFailure(for: error, host: connection.url.authority)
        }
    }

    package func close() async {
        await connection.close(code: WebSocketCloseCode.normal, reason: "")
    }

    package func abort() async {
        connection.abort()
    }

    /// The transport-level meaning of a WebSocket failure, for the provider's adapter.
    package static func linkFailure(for error: WebSocketError, host: String) -> LinkFailure {
        switch error {
        case .invalidURL(let url):
            .connectFailed(host: EndpointURL.redacted(url), detail: "not a ws:// or wss:// URL")
        case .connectFailed(let host, let cause): .connectFailed(host: host, detail: cause.message)
        case .tlsFailed(let host, let cause): .tlsFailed(host: host, detail: cause.message)
        case .timedOut(let phase): .timedOut(phase: phase.description)
        case .handshakeRejected(let status, let headers, let body):
            .handshakeRejected(status: status, headers: headers, body: body)
        case .invalidHandshake(let detail): .protocolViolation(detail: detail)
        case .protocolViolation(let violation): .protocolViolation(detail: violation.description)
        case .closed(let code, let reason): .closed(code: Int(code), reason: reason)
        case .connectionLost(let detail): .connectionLost(detail: detail)
        case .notOpen: .connectionLost(detail: "the link to \(host) is closing or closed")
        case .aborted: .connectionLost(detail: "hark aborted the link to \(host)")
        case .systemResource(let detail): .connectFailed(host: host, detail: detail)
        }
    }
}
