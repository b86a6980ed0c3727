import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Synchronization

/// A `ProviderLink` over one bidirectional-streaming gRPC call (grpc-swift-2 on its HTTP/2 NIO
/// transport), carrying serialized protobuf bytes both ways.
///
/// Adapters serialize their own messages, so the link needs no generated client: every
/// `WireMessage.binary` is one gRPC message, every response message arrives as one. `close()`
/// half-closes the request stream and the server's remaining responses and final status still
/// arrive on `inbound`; a non-OK status ends `inbound` with `LinkFailure.grpcStatus`.
package final class GRPCStreamLink: ProviderLink {
    package let inbound: AsyncThrowingStream<WireMessage, any Error>
    private let outgoing: OutgoingHandoff
    private let call: Task<Void, Never>

    private init(
        inbound: AsyncThrowingStream<WireMessage, any Error>, outgoing: OutgoingHandoff, call: Task<Void, Never>
    ) {
        self.inbound = inbound
        self.outgoing = outgoing
        self.call = call
    }

    /// Starts the call `request.url` names (`https://host[:port]/package.Service/Method`, or
    /// `http://` for plaintext HTTP/2), with `request.headers` as its metadata.
    ///
    /// The connection is made while the first messages wait; its failure ends `inbound`.
    /// - Throws: `LinkFailure` when the URL is not a gRPC method URL or the transport cannot be set up.
    package static func connect(_ request: ConnectionRequest, options: LinkOptions) async throws(LinkFailure)
        -> GRPCStreamLink
    {
        let target = try GRPCMethodURL(request.url)
        let security: HTTP2ClientTransport.Posix.TransportSecurity
        if target.secure {
            security = .tls { tls in
                if let bundle = options.caBundle {
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
            throw .connectFailed(host: target.host, detail: String(describing: error))
        }
        var metadata = Metadata()
        for header in request.headers { metadata.addString(header.value, forKey: header.name.lowercased()) }
        var callOptions = CallOptions.defaults
        // Fail at once when the host cannot be reached: the session owns retry and backoff.
        callOptions.waitForReady = false
        let descriptor = MethodDescriptor(fullyQualifiedService: target.service, method: target.method)
        let outgoing = OutgoingHandoff()
        let (inbound, continuation) = AsyncThrowingStream<WireMessage, any Error>.makeStream()
        let host = target.host
        let call = Task {
            do {
                try await withGRPCClient(transport: transport) { client in
                    let streamRequest = StreamingClientRequest<[UInt8]>(metadata: metadata) { writer in
                        while let (bytes, sent) = await outgoing.next() {
                            do {
                                try await writer.write(bytes)
                                sent.resume()
                            } catch {
                                sent.resume(throwing: LinkFailure.connectionLost(detail: "\(error)"))
                                throw error
                            }
                        }
                    }
                    try await client.bidirectionalStreaming(
                        request: streamRequest, descriptor: descriptor, serializer: BytesPassthrough(),
                        deserializer: BytesPassthrough(), options: callOptions
                    ) { response in
                        defer { outgoing.end(LinkFailure.connectionLost(detail: "the call has ended")) }
                        for try await message in response.messages {
                            continuation.yield(.binary(message))
                        }
                    }
                }
                continuation.finish()
            } catch {
                let failure = Self.failure(for: error, host: host)
                outgoing.end(failure)
                continuation.finish(throwing: failure)
            }
        }
        continuation.onTermination = { _ in outgoing.end(LinkFailure.connectionLost(detail: "the link was dropped")) }
        return GRPCStreamLink(inbound: inbound, outgoing: outgoing, call: call)
    }

    package func send(_ message: WireMessage) async throws {
        switch message {
        case .binary(let bytes): try await outgoing.send(bytes)
        case .text(let text): try await outgoing.send(Array(text.utf8))
        }
    }

    /// Half-closes the request stream once every sent message is written.
    package func close() async {
        outgoing.halfClose()
    }

    package func abort() async {
        outgoing.end(LinkFailure.connectionLost(detail: "aborted"))
        call.cancel()
    }

    /// A gRPC error as a link failure: the status when the server sent one, the connection's
    /// failure otherwise.
    private static func failure(for error: any Error, host: String) -> LinkFailure {
        guard let error = error as? RPCError else {
            return .connectionLost(detail: String(describing: error))
        }
        if error.code == .unavailable, let cause = error.cause {
            let detail = String(describing: cause)
            if detail.contains("SSL") || detail.contains("certificate") || detail.contains("TLS") {
                return .tlsFailed(host: host, detail: detail)
            }
        }
        return .grpcStatus(code: Int(error.code.rawValue), message: error.message)
    }
}

/// Scheme, host, port and method of a gRPC method URL.
package struct GRPCMethodURL: Sendable, Equatable {
    package var secure: Bool
    package var host: String
    package var port: Int
    package var service: String
    package var method: String

    package init(_ url: String) throws(LinkFailure) {
        guard let schemeEnd = url.firstRange(of: "://") else {
            throw .protocolViolation(detail: "'\(url)' is not a gRPC URL (https://host/package.Service/Method)")
        }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "https" || scheme == "http" else {
            throw .protocolViolation(detail: "gRPC needs an http or https URL, not '\(scheme)'")
        }
        secure = scheme == "https"
        let rest = url[schemeEnd.upperBound...]
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        let path = rest[slash...].split(separator: "/")
        guard path.count == 2 else {
            throw .protocolViolation(detail: "'\(url)' does not name a method as /package.Service/Method")
        }
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
        guard !host.isEmpty else { throw .protocolViolation(detail: "'\(url)' names no host") }
    }
}

/// Serialized protobuf in, serialized protobuf out: adapters do their own encoding.
private struct BytesPassthrough: MessageSerializer, MessageDeserializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ message: [UInt8]) throws -> Bytes {
        Bytes(message)
    }

    func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> [UInt8] {
        serializedMessageBytes.withUnsafeBytes { [UInt8]($0) }
    }
}

/// Hands messages from `send` to the call's request producer one at a time; `send` returns once
/// its message is written to the call, which is the link's back-pressure (nothing queues up).
private final class OutgoingHandoff: Sendable {
    typealias Item = (bytes: [UInt8], sent: CheckedContinuation<Void, any Error>)

    private struct State {
        var pending: [Item] = []
        var consumer: CheckedContinuation<Item?, Never>?
        var halfClosed = false
        var ended: LinkFailure?
    }

    private let state = Mutex(State())

    /// Waits until the producer has written `bytes`.
    func send(_ bytes: [UInt8]) async throws {
        try await withCheckedThrowingContinuation { (sent: CheckedContinuation<Void, any Error>) in
            enum Action {
                case fail(LinkFailure)
                case deliver(CheckedContinuation<Item?, Never>)
                case wait
            }
            let action = state.withLock { state -> Action in
                if let ended = state.ended { return .fail(ended) }
                if state.halfClosed { return .fail(.protocolViolation(detail: "a message sent after close()")) }
                if let consumer = state.consumer {
                    state.consumer = nil
                    return .deliver(consumer)
                }
                state.pending.append((bytes, sent))
                return .wait
            }
            switch action {
            case .fail(let failure): sent.resume(throwing: failure)
            case .deliver(let consumer): consumer.resume(returning: (bytes, sent))
            case .wait: break
            }
        }
    }

    /// The next message to write; nil once half-closed (after the queue drained) or ended.
    func next() async -> Item? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (consumer: CheckedContinuation<Item?, Never>) in
                let ready: Item?? = state.withLock { state in
                    if state.ended != nil { return .some(nil) }
                    if !state.pending.isEmpty { return .some(state.pending.removeFirst()) }
                    if state.halfClosed { return .some(nil) }
                    state.consumer = consumer
                    return .none
                }
                if let ready { consumer.resume(returning: ready) }
            }
        } onCancel: {
            end(LinkFailure.connectionLost(detail: "the call was cancelled"))
        }
    }

    /// No more messages: the producer returns after the queued ones, which half-closes the call.
    func halfClose() {
        let consumer = state.withLock { state -> CheckedContinuation<Item?, Never>? in
            state.halfClosed = true
            guard state.pending.isEmpty else { return nil }
            defer { state.consumer = nil }
            return state.consumer
        }
        consumer?.resume(returning: nil)
    }

    /// The call is over: every waiting sender fails with `failure`, the producer stops.
    func end(_ failure: LinkFailure) {
        let (pending, consumer) = state.withLock { state -> ([Item], CheckedContinuation<Item?, Never>?) in
            if state.ended == nil { state.ended = failure }
            defer {
                state.pending = []
                state.consumer = nil
            }
            return (state.pending, state.consumer)
        }
        for item in pending { item.sent.resume(throwing: failure) }
        consumer?.resume(returning: nil)
    }
}
