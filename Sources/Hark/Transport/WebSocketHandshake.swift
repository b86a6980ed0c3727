import FoundationEssentials

/// The HTTP/1.1 upgrade of RFC 6455 §4 as pure functions and a response parser: the request
/// bytes, the expected `Sec-WebSocket-Accept`, and what the server's answer means.
package enum WebSocketHandshake {
    /// The GUID RFC 6455 §1.3 appends to the key before hashing.
    static let acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// The largest response head accepted; a server that sends more is not a WebSocket server.
    package static let maxHeadSize = 64 << 10
    /// The most body bytes kept from a refused upgrade (providers explain refusals in a few lines).
    package static let maxBodySize = 64 << 10

    /// A fresh base64 `Sec-WebSocket-Key` of 16 random bytes.
    package static func randomKey() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString()
    }

    /// The `Sec-WebSocket-Accept` a correct server answers `key` with.
    package static func acceptValue(forKey key: String) -> String {
        Data(SHA1.digest(Array((key + acceptGUID).utf8))).base64EncodedString()
    }

    /// The upgrade request for `url` (already split), with the caller's extra headers (auth).
    package static func request(for url: WebSocketURL, key: String, headers: [HTTPHeader]) -> [UInt8] {
        var text = "GET \(url.requestTarget) HTTP/1.1\r\n"
        text += "Host: \(url.hostHeader)\r\n"
        text += "Upgrade: websocket\r\n"
        text += "Connection: Upgrade\r\n"
        text += "Sec-WebSocket-Key: \(key)\r\n"
        text += "Sec-WebSocket-Version: 13\r\n"
        for header in headers {
            // A header value with a line break would smuggle a header or a second request.
            // Filter scalars, not Characters: "\r\n" is one Character.
            let value = String(
                String.UnicodeScalarView(header.value.unicodeScalars.filter { $0 != "\r" && $0 != "\n" }))
            let name = String(
                String.UnicodeScalarView(header.name.unicodeScalars.filter { $0 != "\r" && $0 != "\n" && $0 != ":" }))
            text += "\(name): \(value)\r\n"
        }
        text += "\r\n"
        return Array(text.utf8)
    }

    /// Checks a complete 101 answer: `Upgrade: websocket`, `Connection: upgrade`, the accept
    /// value for `key`, and no extension or subprotocol hark did not offer (`requestHeaders` may
    /// offer subprotocols).
    /// - Returns: nil when valid, else what is wrong.
    package static func problem(
        with head: HandshakeResponseHead, key: String, requestHeaders: [HTTPHeader] = []
    ) -> String? {
        guard head.status == 101 else { return "the server answered HTTP \(head.status) instead of 101" }
        guard head.headers[header: "Upgrade"]?.lowercased() == "websocket" else {
            return "the server's 101 answer lacks 'Upgrade: websocket'"
        }
        let connection = head.headers[header: "Connection"]?.lowercased() ?? ""
        guard connection.split(separator: ",").contains(where: { $0.trimmingHTTPWhitespace == "upgrade" }) else {
            return "the server's 101 answer lacks 'Connection: Upgrade'"
        }
        guard let accept = head.headers[header: "Sec-WebSocket-Accept"] else {
            return "the server's 101 answer lacks Sec-WebSocket-Accept"
        }
        guard accept.trimmingHTTPWhitespace == acceptValue(forKey: key) else {
            return "the server's Sec-WebSocket-Accept does not match the key hark sent"
        }
        // hark offers no extensions, and subprotocols only when an adapter sends the header
        // (Deepgram's `token, <key>` form); RFC 6455 §4.1 says a server that picks something not
        // offered must be refused (its frames would not mean what hark reads).
        if let extensions = head.headers[header: "Sec-WebSocket-Extensions"],
            !extensions.trimmingHTTPWhitespace.isEmpty
        {
            return "the server chose the extension '\(extensions)' that hark did not offer"
        }
        if let chosen = head.headers[header: "Sec-WebSocket-Protocol"]?.trimmingHTTPWhitespace, !chosen.isEmpty {
            let offered = (requestHeaders[header: "Sec-WebSocket-Protocol"] ?? "").split(separator: ",")
                .map(\.trimmingHTTPWhitespace)
            // The chosen value itself is not printed: with the subprotocol form it could be a key.
            guard offered.contains(chosen) else { return "the server chose a subprotocol that hark did not offer" }
        }
        return nil
    }
}

/// A `ws://` or `wss://` URL split into what the handshake and libcurl need.
package struct WebSocketURL: Sendable, Equatable {
    /// True for `wss` (TLS).
    package var isSecure: Bool
    /// Host as written, with brackets for IPv6.
    package var host: String
    package var port: Int?
    /// Path and query, at least `/`.
    package var requestTarget: String

    /// Parses `ws://host[:port]/path?query` (also accepts `http`/`https` as the same).
    package init?(_ url: String) {
        guard let schemeEnd = url.firstRange(of: "://") else { return nil }
        switch url[..<schemeEnd.lowerBound].lowercased() {
        case "ws", "http": isSecure = false
        case "wss", "https": isSecure = true
        default: return nil
        }
        let rest = url[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        var target = String(rest[authorityEnd...])
        if let fragment = target.firstIndex(of: "#") { target = String(target[..<fragment]) }
        if target.isEmpty || target.first == "?" { target = "/" + target }
        requestTarget = target
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        // The port follows the last colon unless that colon is inside an IPv6 literal.
        if let colon = authority.lastIndex(of: ":"), !authority[colon...].contains("]") {
            guard let port = Int(authority[authority.index(after: colon)...]), (1...65535).contains(port) else {
                return nil
            }
            self.port = port
            host = String(authority[..<colon])
        } else {
            port = nil
            host = String(authority)
        }
        if host.isEmpty { return nil }
    }

    /// The URL libcurl connects to: the same place with an http(s) scheme, since libcurl 7.88.1
    /// refuses `ws://`.
    package var curlURL: String {
        "\(isSecure ? "https" : "http")://\(host)\(port.map { ":\($0)" } ?? "")\(requestTarget)"
    }

    /// The `Host` header: the port only when it is not the scheme's default.
    package var hostHeader: String {
        guard let port, port != (isSecure ? 443 : 80) else { return host }
        return "\(host):\(port)"
    }

    /// `host:port` for messages.
    package var authority: String { "\(host):\(port ?? (isSecure ? 443 : 80))" }
}

/// The status line and headers of the server's answer to the upgrade.
package struct HandshakeResponseHead: Sendable, Equatable {
    package var status: Int
    /// Every header in order, so request ids and error codes a provider puts there survive.
    package var headers: [HTTPHeader]
}

/// Collects the server's answer to the upgrade from pieces of bytes.
///
/// Bytes after the blank line that ends the head belong to the WebSocket (frames the server
/// sent at once) or to the error body; they are returned, never dropped.
package struct HandshakeResponseParser: Sendable {
    /// What the bytes so far amount to.
    package enum Result: Sendable, Equatable {
        case needMoreBytes
        /// The head is complete; `remainder` is what followed it.
        case head(HandshakeResponseHead, remainder: [UInt8])
    }

    private var bytes: [UInt8] = []

    package init() {}

    /// Adds received bytes and says whether the head is complete.
    /// - Throws: `WebSocketHandshakeProblem` when the answer is not HTTP or is too large.
    package mutating func append(_ newBytes: some Sequence<UInt8>) throws(WebSocketHandshakeProblem) -> Result {
        let searchStart = max(0, bytes.count - 3)
        bytes.append(contentsOf: newBytes)
        guard let end = Self.headEnd(in: bytes, from: searchStart) else {
            if bytes.count > WebSocketHandshake.maxHeadSize {
                throw WebSocketHandshakeProblem(detail: "the server's answer head exceeds 64 KiB")
            }
            if bytes.count >= 5 && !bytes.starts(with: Array("HTTP/".utf8)) {
                throw WebSocketHandshakeProblem(detail: "the server did not answer with HTTP")
            }
            return .needMoreBytes
        }
        let head = try Self.parseHead(Array(bytes[..<end]))
        return .head(head, remainder: Array(bytes[(end + 4)...]))
    }

    private static func headEnd(in bytes: [UInt8], from start: Int) -> Int? {
        guard bytes.count >= 4 else { return nil }
        var index = start
        while index + 3 < bytes.count {
            if bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
                return index
            }
            index += 1
        }
        return nil
    }

    private static func parseHead(_ head: [UInt8]) throws(WebSocketHandshakeProblem) -> HandshakeResponseHead {
        let text = String(decoding: head, as: UTF8.self)
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        guard !lines.isEmpty else { throw WebSocketHandshakeProblem(detail: "the server sent an empty answer") }
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]), (100...999).contains(status)
        else {
            throw WebSocketHandshakeProblem(detail: "the server sent a malformed status line: \(statusLine.prefix(80))")
        }
        var headers: [HTTPHeader] = []
        for line in lines where !line.isEmpty {
            if line.first == " " || line.first == "\t", var last = headers.popLast() {
                // Obsolete line folding (RFC 7230 §3.2.4): a continuation of the previous value.
                last.value += " " + line.trimmingHTTPWhitespace
                headers.append(last)
                continue
            }
            guard let colon = line.firstIndex(of: ":") else {
                throw WebSocketHandshakeProblem(detail: "the server sent a malformed header line")
            }
            headers.append(HTTPHeader(String(line[..<colon]), line[line.index(after: colon)...].trimmingHTTPWhitespace))
        }
        return HandshakeResponseHead(status: status, headers: headers)
    }
}

/// The server's answer to the upgrade is not one a WebSocket client can accept.
package struct WebSocketHandshakeProblem: Error, Sendable, Equatable {
    package var detail: String
}

/// The body of a refused upgrade as text: chunked bodies are decoded, lengths respected.
enum HTTPBody {
    static func isChunked(_ headers: [HTTPHeader]) -> Bool {
        headers[header: "Transfer-Encoding"]?.lowercased().contains("chunked") ?? false
    }

    /// True once a chunked body's last chunk arrived.
    static func isComplete(_ body: [UInt8], headers: [HTTPHeader]) -> Bool {
        guard isChunked(headers) else { return false }
        return body.count >= 5 && body.suffix(5).elementsEqual("0\r\n\r\n".utf8)
    }

    static func text(of body: [UInt8], headers: [HTTPHeader], expectedLength: Int?) -> String {
        var bytes = body
        if let expectedLength, bytes.count > expectedLength { bytes = Array(bytes.prefix(expectedLength)) }
        if isChunked(headers) { bytes = dechunk(bytes) }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func dechunk(_ body: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        var index = 0
        while index < body.count {
            guard let lineEnd = body[index...].firstIndex(of: 13), lineEnd + 1 < body.count else { break }
            let sizeText = String(decoding: body[index..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingHTTPWhitespace, radix: 16), size > 0 else { break }
            let start = lineEnd + 2
            let end = min(start + size, body.count)
            result += body[start..<end]
            index = end + 2
        }
        return result
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs (FoundationEssentials has no
    /// `trimmingCharacters(in:)`).
    var trimmingHTTPWhitespace: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
