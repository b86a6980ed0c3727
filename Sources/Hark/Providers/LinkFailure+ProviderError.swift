extension LinkFailure {
    /// What a link failure means for a WebSocket provider.
    ///
    /// A failure of the connection itself (DNS, refused, TLS, a reset, a timeout, a broken frame)
    /// means the same for every provider; only the provider's HTTP answer to the upgrade and its
    /// close codes need the adapter, through `handshake` and `close`.
    /// - Parameters:
    ///   - provider: the provider's display name.
    ///   - host: the host (and port) hark connects to, for messages.
    package func providerError(
        provider: String, host: String,
        handshake: (HandshakeRejection) -> ProviderError,
        close: (_ code: Int, _ reason: String) -> ProviderError
    ) -> ProviderError {
        switch self {
        case .handshakeRejected(let status, let headers, let body):
            return handshake(HandshakeRejection(status: status, headers: headers, body: body))
        case .closed(let code, let reason):
            return close(code, reason)
        case .connectFailed(let failedHost, let detail):
            return .unavailable(
                provider: provider,
                hint:
                    "cannot connect to \(failedHost) (\(detail)). Check the network connection, --endpoint and --proxy")
        case .tlsFailed(let failedHost, let detail):
            return .unavailable(
                provider: provider,
                hint: "TLS with \(failedHost) failed (\(detail)). Check the system clock, --cacert and any "
                    + "intercepting proxy")
        case .connectionLost(let detail):
            return .unavailable(
                provider: provider,
                hint: "the connection to \(host) broke during the stream (\(detail)). If this repeats, check the "
                    + "network connection and --proxy")
        case .timedOut(let phase):
            return .unavailable(
                provider: provider, hint: "timed out \(phase) with \(host). Check the network connection and --proxy")
        case .protocolViolation(let detail):
            return .protocolError(
                provider: provider,
                hint: "\(detail) from \(host). Check that --endpoint points at a \(provider) server")
        case .grpcStatus(let code, let message):
            return .protocolError(
                provider: provider,
                hint:
                    "gRPC status \(code) (\(message)) from a WebSocket provider; this is a bug in hark, please report it"
            )
        }
    }
}

extension LinkFailure {
    /// A close frame as AssemblyAI's and OpenAI's messages name it: "closed with code 1008: reason".
    static func closeDescription(code: Int, reason: String) -> String {
        reason.isEmpty ? "closed with code \(code)" : "closed with code \(code): \(reason)"
    }
}

/// A provider reached over a WebSocket (Deepgram, AssemblyAI, OpenAI).
///
/// It words only what is its own, a refused upgrade and its close codes; `error(for:)` is then
/// the same for each: the connection's failures through `LinkFailure.providerError`, and the
/// key removed from whatever the provider echoed back.
package protocol WebSocketProviderAdapter: ProviderAdapter {
    /// The key hark sends, never shown in an error.
    var credential: String { get }
    /// What the provider's HTTP answer other than 101 to the upgrade means.
    func handshakeError(_ rejection: HandshakeRejection) -> ProviderError
    /// What a close frame from the provider during the stream means.
    func closeError(code: Int, reason: String) -> ProviderError
}

extension WebSocketProviderAdapter {
    package func error(for failure: LinkFailure) -> ProviderError {
        failure.providerError(
            provider: Self.descriptor.displayName, host: connectionHost, handshake: handshakeError, close: closeError
        )
        .replacingSecret(credential)
    }

    /// The host (and port) the adapter connects to, for messages; the provider's default endpoint
    /// when no connection request can be built (a bad `--endpoint`).
    var connectionHost: String {
        (try? connectionRequest()).map { EndpointURL.host(of: $0.url) } ?? Self.descriptor.defaultEndpoint
    }
}
