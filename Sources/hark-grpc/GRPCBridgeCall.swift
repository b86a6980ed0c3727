import GRPCBridgeWire
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Synchronization

/// One bidirectional-streaming gRPC call (grpc-swift-2 on its HTTP/2 NIO transport) carrying
/// serialized protobuf bytes both ways: hark's adapter encodes and decodes the messages, so the
/// bridge needs no generated client and knows nothing about Google.
enum GRPCBridgeCall {
    /// Makes the call `setup` describes: request messages come from `requests`, every response
    /// message goes to `output` as it arrives.
    /// - Returns: the terminal frame: the call's status (OK included) or how the transport failed.
    static func run(_ setup: BridgeCallSetup, requests: RequestHandoff, output: BridgeOutput) async -> BridgeFrame {
        let target: GRPCMethodURL
        do {
            target = try GRPCMethodURL(setup.url)
        } catch {
            return .transportFailure(error)
        }
        let security: HTTP2ClientTransport.Posix.TransportSecurity
        if target.secure {
            security = .tls { tls in
                if let bundle = setup.caBundle {
                    tls.trustRoots = .certificates([.file(path: bundle, format: .pem)])
                }
            }
        } else {
            security = .plaintext
        }
        let transport: HTTP2ClientTransport.Posix
        do {
            // An IP literal must not become the TLS server name (SNI forbids it); the
            // certificate is then checked against the address.
            let isIPv4 = target.host.allSatisfy { $0.isNumber || $0 == "." }
            let resolvable: any ResolvableTarget =
                isIPv4
                ? ResolvableTargets.IPv4.ipv4(address: target.host, port: target.port)
                : ResolvableTargets.DNS.dns(host: target.host, port: target.port)
            transport = try HTTP2ClientTransport.Posix(target: resolvable, transportSecurity: security)
        } catch {
            return .transportFailure(
                BridgeTransportFailure(kind: .connectFailed, host: target.authority, detail: String(describing: error)))
        }
        var metadata = Metadata()
        for entry in setup.metadata { metadata.addString(entry.value, forKey: entry.name.lowercased()) }
        var callOptions = CallOptions.defaults
        // Fail at once when the host cannot be reached: hark's session owns retry and backoff.
        callOptions.waitForReady = false
        let descriptor = MethodDescriptor(fullyQualifiedService: target.service, method: target.method)
        let streamOpened = OnceFlag()
        // grpc-swift has no connect timeout of its own: the request producer runs once the stream
        // is open on a ready connection, so a producer that has not started in time means the
        // connection (TCP, TLS, HTTP/2 settings) did not come up.
        let timeout = Task {
            try await Task.sleep(for: .milliseconds(Int(setup.connectTimeoutMilliseconds)))
            if !streamOpened.isSet {
                await output.write(
                    .transportFailure(
                        BridgeTransportFailure(
                            kind: .timedOut, host: target.authority,
                            detail: "connecting (\(setup.connectTimeoutMilliseconds) ms)")))
                BridgeProcess.exit(0)
            }
        }
        defer { timeout.cancel() }
        do {
            var trailers: [BridgeMetadataEntry] = []
            try await withGRPCClient(transport: transport) { client in
                let streamRequest = StreamingClientRequest<[UInt8]>(metadata: metadata) { writer in
                    streamOpened.set()
                    while let bytes = await requests.next() {
                        try await writer.write(bytes)
                    }
                }
                trailers = try await client.bidirectionalStreaming(
                    request: streamRequest, descriptor: descriptor, serializer: BytesPassthrough(),
                    deserializer: BytesPassthrough(), options: callOptions
                ) { response in
                    // The call is over (whatever its status): a message hark sends now goes nowhere.
                    defer { requests.end() }
                    var trailers: [BridgeMetadataEntry] = []
                    for try await part in try response.accepted.get().bodyParts {
                        switch part {
                        case .message(let message): await output.write(.message(message))
                        case .trailingMetadata(let metadata): trailers = keptTrailers(metadata)
                        }
                    }
                    return trailers
                }
            }
            return .status(BridgeStatus(code: 0, message: "", trailers: trailers))
        } catch {
            return terminalFrame(for: error, host: target.authority)
        }
    }

    /// A gRPC error as the terminal frame: the status when the server sent one (or grpc-swift
    /// made one up for an unreachable server), a TLS failure when the handshake failed.
    private static func terminalFrame(for error: any Error, host: String) -> BridgeFrame {
        guard let error = error as? RPCError else {
            return .transportFailure(
                BridgeTransportFailure(kind: .connectionLost, host: host, detail: String(describing: error)))
        }
        if error.code == .unavailable, let cause = error.cause {
            let detail = String(describing: cause)
            if detail.contains("SSL") || detail.contains("certificate") || detail.contains("TLS") {
                return .transportFailure(BridgeTransportFailure(kind: .tlsFailed, host: host, detail: detail))
            }
        }
        return .status(
            BridgeStatus(
                code: UInt32(error.code.rawValue), message: error.message, trailers: keptTrailers(error.metadata)))
    }

    /// Trailers worth passing on: everything but the status itself, binary values in base64 as
    /// on the HTTP/2 wire.
    private static func keptTrailers(_ metadata: Metadata) -> [BridgeMetadataEntry] {
        metadata.compactMap { entry -> BridgeMetadataEntry? in
            guard entry.key != "grpc-status", entry.key != "grpc-message" else { return nil }
            switch entry.value {
            case .string(let text): return BridgeMetadataEntry(entry.key, text)
            case .binary(let bytes): return BridgeMetadataEntry(entry.key, Base64.encode(bytes))
            }
        }
    }
}

/// Scheme, host, port and method of a gRPC method URL.
struct GRPCMethodURL: Sendable, Equatable {
    var secure: Bool
    var host: String
    var port: Int
    var service: String
    var method: String

    /// `host:port`, for messages.
    var authority: String { "\(host):\(port)" }

    init(_ url: String) throws(BridgeTransportFailure) {
        func refuse(_ detail: String) -> BridgeTransportFailure {
            BridgeTransportFailure(kind: .protocolViolation, host: "", detail: detail)
        }
        guard let schemeEnd = url.firstRange(of: "://") else {
            throw refuse("'\(url)' is not a gRPC URL (https://host/package.Service/Method)")
        }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "https" || scheme == "http" else {
            throw refuse("gRPC needs an http or https URL, not '\(scheme)'")
        }
        secure = scheme == "https"
        let rest = url[schemeEnd.upperBound...]
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        let path = rest[slash...].split(separator: "/")
        guard path.count == 2 else { throw refuse("'\(url)' does not name a method as /package.Service/Method") }
        service = String(path[0])
        method = String(path[1])
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]"),
            let port = Int(authority[authority.index(after: colon)...])
        {
            host = String(authority[..<colon])
            self.port = port
        } else {
            host = String(authority)
            port = secure ? 443 : 80
        }
        guard !host.isEmpty else { throw refuse("'\(url)' names no host") }
    }
}

/// Serialized protobuf in, serialized protobuf out: hark's adapter does its own encoding.
private struct BytesPassthrough: MessageSerializer, MessageDeserializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ message: [UInt8]) throws -> Bytes {
        Bytes(message)
    }

    func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> [UInt8] {
        serializedMessageBytes.withUnsafeBytes { [UInt8]($0) }
    }
}

/// Standard base64 with padding, for binary trailers (the bridge imports no Foundation of its own).
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let count = min(3, bytes.count - index)
            var group = UInt32(bytes[index]) << 16
            if count > 1 { group |= UInt32(bytes[index + 1]) << 8 }
            if count > 2 { group |= UInt32(bytes[index + 2]) }
            for position in 0..<4 {
                out.append(
                    position <= count ? alphabet[Int(group >> UInt32(18 - 6 * position)) & 63] : UInt8(ascii: "="))
            }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
