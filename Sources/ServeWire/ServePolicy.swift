/// The page's first message on a WebSocket: `{"type":"hello","rate":48000,"session":"…","last":12}`.
///
/// `session` is chosen by the page when the user presses start and sent again when it
/// reconnects, so the server can join the connection to the session that is still running;
/// `last` is the sequence number of the last server message the page has, so nothing it
/// already shows is sent twice.
package struct PageHello: Sendable, Equatable {
    package var sampleRate: Int
    package var session: String
    package var lastSequence: Int

    package init(sampleRate: Int, session: String, lastSequence: Int) {
        self.sampleRate = sampleRate
        self.session = session
        self.lastSequence = lastSequence
    }

    /// Rates browsers capture at; hark resamples from any of them.
    package static let sampleRates = 8000...192_000

    /// Parses a hello, or says what is wrong with it (for the close reason).
    package static func parse(_ text: String) -> Result<PageHello, PageMessageError> {
        guard let fields = FlatJSON.parse(text) else { return .failure(.notJSON) }
        guard fields["type"] == .string("hello") else { return .failure(.expectedHello) }
        guard case .number(let rate)? = fields["rate"], sampleRates.contains(rate) else {
            return .failure(.badRate)
        }
        guard case .string(let session)? = fields["session"], isValidSession(session) else {
            return .failure(.badSession)
        }
        var last = 0
        if case .number(let value)? = fields["last"] { last = max(0, value) }
        return .success(PageHello(sampleRate: rate, session: session, lastSequence: last))
    }

    /// 8 to 64 letters, digits, '-' or '_'.
    static func isValidSession(_ session: String) -> Bool {
        (8...64).contains(session.utf8.count)
            && session.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == 0x2D || byte == 0x5F
            }
    }

    /// Whether a later text message is the page's stop (`{"type":"stop"}`).
    package static func isStop(_ text: String) -> Bool {
        FlatJSON.parse(text)?["type"] == .string("stop")
    }
}

/// What is wrong with a page message; each is a WebSocket close reason (short, no secrets).
package enum PageMessageError: Error, Sendable, Equatable, CustomStringConvertible {
    case notJSON, expectedHello, badRate, badSession

    package var description: String {
        switch self {
        case .notJSON: "the first message must be a JSON hello"
        case .expectedHello: "the first message must be {\"type\":\"hello\",…}"
        case .badRate: "hello: rate must be 8000 to 192000"
        case .badSession: "hello: session must be 8-64 letters, digits, - or _"
        }
    }
}

/// A JSON object of strings, integers and booleans, one level deep: all the page sends.
enum FlatJSON {
    enum Value: Equatable {
        case string(String)
        case number(Int)
        case bool(Bool)
        case null
    }

    static func parse(_ text: String) -> [String: Value]? {
        var scanner = Scanner(bytes: Array(text.utf8))
        return scanner.object()
    }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func expect(_ byte: UInt8) -> Bool {
            skipSpace()
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        mutating func object() -> [String: Value]? {
            guard expect(0x7B) else { return nil }
            var fields: [String: Value] = [:]
            if expect(0x7D) { return atEnd() ? fields : nil }
            while true {
                skipSpace()
                guard let key = string(), expect(0x3A), let value = value() else { return nil }
                fields[key] = value
                if expect(0x2C) { continue }
                guard expect(0x7D) else { return nil }
                return atEnd() ? fields : nil
            }
        }

        mutating func atEnd() -> Bool {
            skipSpace()
            return index == bytes.count
        }

        mutating func value() -> Value? {
            skipSpace()
            guard index < bytes.count else { return nil }
            switch bytes[index] {
            case 0x22: return string().map(Value.string)
            case 0x74: return literal("true", .bool(true))
            case 0x66: return literal("false", .bool(false))
            case 0x6E: return literal("null", .null)
            default: return number()
            }
        }

        mutating func literal(_ word: String, _ value: Value) -> Value? {
            let word = Array(word.utf8)
            guard bytes.count - index >= word.count, Array(bytes[index..<index + word.count]) == word else {
                return nil
            }
            index += word.count
            return value
        }

        mutating func number() -> Value? {
            var negative = false
            if index < bytes.count, bytes[index] == 0x2D {
                negative = true
                index += 1
            }
            var value = 0
            var digits = 0
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                guard digits < 12 else { return nil }
                value = value * 10 + Int(bytes[index] - 0x30)
                digits += 1
                index += 1
            }
            // Fractions and exponents: the page sends none.
            guard digits > 0 else { return nil }
            return .number(negative ? -value : value)
        }

        mutating func string() -> String? {
            guard index < bytes.count, bytes[index] == 0x22 else { return nil }
            index += 1
            var output: [UInt8] = []
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                switch byte {
                case 0x22: return String(validating: output, as: UTF8.self)
                case 0x5C:
                    guard index < bytes.count else { return nil }
                    let escaped = bytes[index]
                    index += 1
                    switch escaped {
                    case 0x22, 0x5C, 0x2F: output.append(escaped)
                    case 0x6E: output.append(0x0A)
                    case 0x74: output.append(0x09)
                    case 0x72: output.append(0x0D)
                    default: return nil  // \u and the rest: nothing the page sends
                    }
                case 0..<0x20: return nil
                default: output.append(byte)
                }
            }
            return nil
        }
    }
}

/// Messages per second on one connection, counted in whole-second windows.
///
/// Time is an input (nanoseconds from any monotonic origin), so the limit is tested without a clock.
package struct MessageRateLimit: Sendable {
    package let perSecond: Int
    private var windowStart: UInt64?
    private var count = 0

    package init(perSecond: Int) { self.perSecond = perSecond }

    /// Counts one message at `now`; false when it is over the limit.
    package mutating func admit(now: UInt64) -> Bool {
        if let start = windowStart, now &- start < 1_000_000_000 {
            count += 1
        } else {
            windowStart = now
            count = 1
        }
        return count <= perSecond
    }
}

/// Who may use the server: the token, the Origin and the Host of each request.
package struct ServeAdmission: Sendable {
    package enum Verdict: Equatable, Sendable {
        case allowed
        /// 401: no token, or the wrong one.
        case missingToken
        /// 403: a page from another site (Origin), or a name that is not this machine (Host).
        case forbiddenOrigin
        case forbiddenHost
    }

    package let token: String
    package let scheme: String
    /// Listening on loopback: the Host must name loopback too (DNS rebinding).
    package let loopbackOnly: Bool

    package init(token: String, secure: Bool, loopbackOnly: Bool) {
        self.token = token
        scheme = secure ? "https" : "http"
        self.loopbackOnly = loopbackOnly
    }

    /// Checks one request.
    ///
    /// `origin` is nil for requests a browser sends without one (the page
    /// itself); WebSocket upgrades from browsers always carry it.
    package func check(uri: String, host: String?, origin: String?, requireOrigin: Bool) -> Verdict {
        guard let host, !host.isEmpty else { return .forbiddenHost }
        if loopbackOnly && !Self.isLoopbackHost(host) { return .forbiddenHost }
        guard let given = Self.queryValue("token", in: uri), Self.equalInConstantTime(given, token) else {
            return .missingToken
        }
        if let origin {
            guard origin == "\(scheme)://\(host)" else { return .forbiddenOrigin }
        } else if requireOrigin {
            return .forbiddenOrigin
        }
        return .allowed
    }

    /// `localhost`, `127.x.x.x` or `[::1]`, with or without a port.
    package static func isLoopbackHost(_ host: String) -> Bool {
        var name = Substring(host)
        if name.hasPrefix("[") {
            guard let close = name.firstIndex(of: "]") else { return false }
            return name[name.index(after: name.startIndex)..<close] == "::1"
        }
        if let colon = name.lastIndex(of: ":") { name = name[..<colon] }
        return name == "localhost" || name.hasPrefix("127.")
    }

    /// The path part of a request URI.
    package static func path(of uri: String) -> Substring {
        uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
    }

    static func queryValue(_ name: String, in uri: String) -> String? {
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        for pair in parts[1].split(separator: "&") {
            let field = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if field.count == 2, field[0] == name { return String(field[1]) }
        }
        return nil
    }

    /// Compares without stopping at the first difference, so timing does not reveal the token.
    static func equalInConstantTime(_ a: String, _ b: String) -> Bool {
        let left = Array(a.utf8)
        let right = Array(b.utf8)
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }
}
