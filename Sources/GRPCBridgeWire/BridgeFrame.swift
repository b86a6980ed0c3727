/// One frame of the pipe protocol between hark and its gRPC bridge (`hark-grpc`).
///
/// On the pipe a frame is a 4-byte big-endian length, then that many bytes: a type byte and the
/// payload. hark writes one `callSetup`, then `message`s and at most one `halfClose` to the
/// bridge's stdin; end of file on stdin means abort, and the bridge exits at once. The bridge
/// writes `message`s, then exactly one terminal frame (`status` or `transportFailure`) to its
/// stdout and exits. Message bytes are opaque: the adapter in hark serializes its own protobuf.
package enum BridgeFrame: Sendable, Equatable {
    /// hark -> bridge, first and once: which call to make and how.
    case callSetup(BridgeCallSetup)
    /// Either way: one serialized gRPC message.
    case message([UInt8])
    /// hark -> bridge: no more messages; the responses and the status still come.
    case halfClose
    /// bridge -> hark, terminal: the call ended with this gRPC status (0 is OK).
    case status(BridgeStatus)
    /// bridge -> hark, terminal: the call failed below gRPC (connect, TLS, a broken connection).
    case transportFailure(BridgeTransportFailure)

    /// Whether the bridge sends nothing after this frame.
    package var isTerminal: Bool {
        switch self {
        case .status, .transportFailure: true
        case .callSetup, .message, .halfClose: false
        }
    }

    /// The frame's kind with its article ("a half-close"), for the message that refuses a frame
    /// out of order on either side.
    package var kindName: String {
        switch self {
        case .callSetup: "a call setup"
        case .message: "a message"
        case .halfClose: "a half-close"
        case .status: "a status"
        case .transportFailure: "a transport failure"
        }
    }
}

/// The version of the pipe protocol, carried in `callSetup` so that a bridge from another
/// build refuses clearly instead of misreading frames.
package let bridgeWireVersion: UInt8 = 1

/// One metadata entry (a header or trailer), in order; names are lowercase on the wire.
package struct BridgeMetadataEntry: Sendable, Equatable {
    package var name: String
    package var value: String

    package init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// Everything the bridge needs to make the call.
package struct BridgeCallSetup: Sendable, Equatable {
    /// `https://host[:port]/package.Service/Method`, or `http://` for plaintext HTTP/2 (h2c).
    package var url: String
    /// Request metadata (authorization, routing headers).
    package var metadata: [BridgeMetadataEntry]
    /// A PEM bundle to trust instead of the system's (`--cacert`); nil for the system's.
    package var caBundle: String?
    /// Limit for TCP + TLS + HTTP/2 set-up, in milliseconds.
    package var connectTimeoutMilliseconds: UInt32

    package init(url: String, metadata: [BridgeMetadataEntry], caBundle: String?, connectTimeoutMilliseconds: UInt32) {
        self.url = url
        self.metadata = metadata
        self.caBundle = caBundle
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
    }
}

/// The gRPC status a call ended with.
package struct BridgeStatus: Sendable, Equatable {
    /// The gRPC status code (0 OK, 3 INVALID_ARGUMENT, 16 UNAUTHENTICATED, ...).
    package var code: UInt32
    package var message: String
    /// Trailing metadata the server sent beside the status (for example Google's
    /// `grpc-status-details-bin`), without `grpc-status` and `grpc-message`.
    package var trailers: [BridgeMetadataEntry]

    package init(code: UInt32, message: String, trailers: [BridgeMetadataEntry] = []) {
        self.code = code
        self.message = message
        self.trailers = trailers
    }
}

/// How a call failed below gRPC; the kinds are hark's `LinkFailure` cases.
package struct BridgeTransportFailure: Error, Sendable, Equatable {
    package enum Kind: UInt8, Sendable, Equatable {
        /// DNS, refused, unreachable.
        case connectFailed = 1
        /// Handshake or certificate failure.
        case tlsFailed = 2
        /// An established connection broke.
        case connectionLost = 3
        /// The connect timeout passed.
        case timedOut = 4
        /// A frame or a setup the bridge cannot use (also a wire version mismatch).
        case protocolViolation = 5
    }

    package var kind: Kind
    /// The host (and port) the bridge connects to; empty when it never got that far.
    package var host: String
    package var detail: String

    package init(kind: Kind, host: String, detail: String) {
        self.kind = kind
        self.host = host
        self.detail = detail
    }
}
