import FoundationEssentials

/// Builds a provider URL from its default base, the user's `--endpoint` and the provider's path
/// and query.
///
/// `--endpoint` replaces scheme, host and port only (`wss://api.eu.deepgram.com`,
/// `ws://127.0.0.1:8080`); the provider's path and query stay. `http`/`ws` mean no TLS,
/// `https`/`wss` TLS; for WebSocket providers `http(s)` is read as `ws(s)`.
package enum EndpointURL {
    /// Why an endpoint was refused.
    package struct InvalidEndpoint: Error, Sendable, Equatable, CustomStringConvertible {
        package var endpoint: String
        package var description: String {
            "--endpoint '\(endpoint)' is not a URL like wss://host[:port] or ws://127.0.0.1:8080"
        }
    }

    /// The URL for a connection.
    /// - Parameters:
    ///   - base: the provider's default base, e.g. `wss://api.deepgram.com`.
    ///   - override: the user's endpoint, if any.
    ///   - path: the provider's path, starting with `/`.
    ///   - query: query parameters in order; values are percent-encoded here.
    ///   - webSocket: map `http(s)` to `ws(s)`.
    package static func build(
        base: String, override: String?, path: String, query: [(String, String)], webSocket: Bool = true
    ) throws -> String {
        let chosen = override ?? base
        guard let schemeEnd = chosen.firstRange(of: "://") else { throw InvalidEndpoint(endpoint: chosen) }
        var scheme = String(chosen[..<schemeEnd.lowerBound]).lowercased()
        var authority = String(chosen[schemeEnd.upperBound...])
        // Keep only scheme://host[:port]; a path given with the endpoint is dropped by design.
        if let slash = authority.firstIndex(of: "/") { authority = String(authority[..<slash]) }
        guard !authority.isEmpty, ["ws", "wss", "http", "https"].contains(scheme) else {
            throw InvalidEndpoint(endpoint: chosen)
        }
        if webSocket {
            if scheme == "http" { scheme = "ws" }
            if scheme == "https" { scheme = "wss" }
        } else {
            if scheme == "ws" { scheme = "http" }
            if scheme == "wss" { scheme = "https" }
        }
        var url = "\(scheme)://\(authority)\(path)"
        if !query.isEmpty {
            url += "?" + query.map { "\(percentEncode($0.0))=\(percentEncode($0.1))" }.joined(separator: "&")
        }
        return url
    }

    /// The host (and port) part of a URL, for messages.
    package static func host(of url: String) -> String {
        guard let schemeEnd = url.firstRange(of: "://") else { return url }
        let rest = url[schemeEnd.upperBound...]
        let end = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        return String(rest[..<end])
    }

    /// A URL without its query string, safe to print (query strings may hold tokens).
    package static func redacted(_ url: String) -> String {
        guard let question = url.firstIndex(of: "?") else { return url }
        return String(url[..<question])
    }

    /// RFC 3986 percent-encoding of everything but unreserved characters.
    package static func percentEncode(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                result += "%"
                result.unicodeScalars.append(Unicode.Scalar(hex[Int(byte >> 4)]))
                result.unicodeScalars.append(Unicode.Scalar(hex[Int(byte & 0x0F)]))
            }
        }
        return result
    }
}
