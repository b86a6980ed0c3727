/// A duplex message channel to a provider, hiding whether it is a WebSocket, a gRPC stream or
/// an in-process recognizer.
///
/// The session owns links; adapters never see one. Sends apply back-pressure. Errors thrown by
/// `send` and by `inbound` are `LinkFailure`s.
package protocol ProviderLink: Sendable {
    /// Sends one message; suspends while the outgoing queue is full.
    func send(_ message: WireMessage) async throws
    /// Messages from the provider. Ends normally when the provider closes cleanly (WebSocket
    /// close 1000, gRPC OK); throws a `LinkFailure` otherwise.
    var inbound: AsyncThrowingStream<WireMessage, any Error> { get }
    /// Starts a clean close (WebSocket close handshake, gRPC half-close) and returns once the
    /// close is sent; `inbound` ends when the provider answers.
    func close() async
    /// Tears the link down at once, without a handshake.
    func abort() async
}

/// How hark reaches a provider; the session picks the link from this.
package enum ProviderTransportKind: Sendable, Equatable {
    /// RFC 6455 over libcurl.
    case webSocket
    /// gRPC over HTTP/2.
    case grpc
    /// No network: the adapter runs the recognizer in-process.
    case inProcess
}

/// Settings every network link shares, from flags and configuration.
package struct LinkOptions: Sendable, Equatable {
    /// `--proxy`; nil means libcurl's environment handling (`https_proxy`, `no_proxy`).
    package var proxy: String?
    /// `--cacert`: a PEM bundle to trust instead of the system's.
    package var caBundle: String?
    /// Limit for TCP + TLS connection.
    package var connectTimeout: Duration
    /// Limit for the upgrade answer once connected.
    package var handshakeTimeout: Duration

    package init(
        proxy: String? = nil, caBundle: String? = nil, connectTimeout: Duration = .seconds(10),
        handshakeTimeout: Duration = .seconds(10)
    ) {
        self.proxy = proxy
        self.caBundle = caBundle
        self.connectTimeout = connectTimeout
        self.handshakeTimeout = handshakeTimeout
    }
}
