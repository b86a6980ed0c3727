import FoundationEssentials

/// One message as a provider link carries it: a WebSocket text or binary message, or for gRPC
/// one serialized protobuf message (binary).
package enum WireMessage: Sendable, Equatable {
    case text(String)
    case binary([UInt8])
}

/// One HTTP header field, kept in order.
package struct HTTPHeader: Sendable, Equatable {
    package var name: String
    package var value: String

    package init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

extension Array where Element == HTTPHeader {
    /// The first value of a header, compared case-insensitively by name.
    package subscript(header name: String) -> String? {
        let lowered = name.lowercased()
        return first { $0.name.lowercased() == lowered }?.value
    }
}

extension WireMessage {
    /// A text message decoded as the provider's JSON type `T`; nil for a binary message.
    ///
    /// - Throws: `ProviderError.protocolError` naming the provider and quoting the start of the
    ///   text when it is not that JSON.
    package func decodeJSON<T: Decodable>(_ type: T.Type, provider: String) throws -> T? {
        guard case .text(let text) = self else { return nil }
        do {
            return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        } catch {
            throw ProviderError.protocolError(
                provider: provider, hint: "a message that is not the JSON hark expects: \(text.prefix(120))")
        }
    }
}
