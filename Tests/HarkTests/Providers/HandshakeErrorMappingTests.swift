import Testing

@testable import Hark

@Suite("A refused upgrade, read once for every WebSocket provider")
struct HandshakeErrorMappingTests {
    typealias Kind = AdapterFixtures.ErrorKind

    @Test(
        "each provider's JSON error body gives its text; Deepgram's gives its request id",
        arguments: [
            (#"{"error":"Invalid API key"}"#, "Invalid API key", nil),
            (
                #"{"error":{"message":"Incorrect API key provided","code":"invalid_api_key"}}"#,
                "Incorrect API key provided", nil
            ),
            (
                #"{"err_code":"INVALID_AUTH","err_msg":"Invalid credentials.","request_id":"req-1"}"#,
                "INVALID_AUTH: Invalid credentials.", "req-1"
            ),
            (#"{"err_msg":"Bad model"}"#, "Bad model", nil),
        ] as [(String, String, String?)])
    func bodyShapes(body: String, text: String, requestID: String?) {
        let rejection = HandshakeRejection(status: 400, headers: [], body: body)
        #expect(rejection.bodyErrorText == text)
        #expect(rejection.errorText == text)
        #expect(rejection.bodyRequestID == requestID)
    }

    @Test("a body that is not an error object is quoted trimmed, cut at 200 characters; a blank one is nothing")
    func bodyExcerpt() {
        let plain = HandshakeRejection(status: 502, headers: [], body: "  Bad Gateway\n")
        #expect(plain.bodyErrorText == nil)
        #expect(plain.errorText == "Bad Gateway")
        let long = HandshakeRejection(status: 502, headers: [], body: String(repeating: "x", count: 300))
        #expect(long.errorText == String(repeating: "x", count: 200) + "…")
        let otherJSON = HandshakeRejection(status: 400, headers: [], body: #"{"detail":"nope"}"#)
        #expect(otherJSON.bodyErrorText == nil)
        #expect(otherJSON.errorText == #"{"detail":"nope"}"#)
        #expect(HandshakeRejection(status: 500, headers: [], body: " \n").errorText == nil)
    }

    @Test(
        "Retry-After is read in seconds, whatever the header's case; the HTTP-date form is none",
        arguments: [
            (HTTPHeader("Retry-After", "7"), 7.0), (HTTPHeader("retry-after", " 2.5 "), 2.5),
            (HTTPHeader("Retry-After", "Wed, 21 Oct 2026 07:28:00 GMT"), nil),
            (HTTPHeader("X-Other", "3"), nil),
        ] as [(HTTPHeader, Double?)])
    func retryAfter(header: HTTPHeader, seconds: Double?) {
        #expect(HandshakeRejection(status: 429, headers: [header], body: "").retryAfter == seconds)
    }

    static let mapping = HandshakeErrorMapping(
        unauthorized: "401", paymentRequired: "402", forbidden: "403", badRequest: "400", notFound: "404",
        rateLimited: "429", serverError: "5xx")

    @Test(
        "each status class gives its kind and the provider's hint for it; any other status is a bad request",
        arguments: [
            (401, Kind.authenticationFailed, "401"), (402, .permissionDenied, "402"), (403, .permissionDenied, "403"),
            (400, .invalidRequest, "400"), (404, .invalidRequest, "404"), (429, .rateLimited, "429"),
            (500, .serverError, "5xx"), (503, .serverError, "5xx"), (599, .serverError, "5xx"),
            (418, .invalidRequest, "400"), (302, .invalidRequest, "400"),
        ])
    func statusClasses(status: Int, kind: Kind, hint: String) {
        let error = Self.mapping.error(
            for: HandshakeRejection(status: status, headers: [HTTPHeader("Retry-After", "4")], body: ""),
            provider: "Example")
        #expect(Kind(error) == kind)
        #expect(error.provider == "Example")
        #expect(error.description.hasSuffix(": \(hint)"))
        if case .rateLimited(_, let retryAfter, _) = error { #expect(retryAfter == 4) }
    }

    @Test("a provider can give any other status its own meaning")
    func otherStatus() {
        var mapping = Self.mapping
        mapping.otherStatus = .protocolError(provider: "Example", hint: "unexpected")
        let error = mapping.error(for: HandshakeRejection(status: 302, headers: [], body: ""), provider: "Example")
        #expect(error == .protocolError(provider: "Example", hint: "unexpected"))
        #expect(
            Kind(mapping.error(for: HandshakeRejection(status: 400, headers: [], body: ""), provider: "E"))
                == .invalidRequest)
    }

    @Test(
        "Deepgram, AssemblyAI and OpenAI give a status the same meaning",
        arguments: [400, 401, 402, 403, 404, 429, 500, 503])
    func providersAgree(status: Int) throws {
        let adapters: [any ProviderAdapter] = [
            try DeepgramAdapter(options: ProviderOptions(credential: "key")),
            try AssemblyAIAdapter(options: ProviderOptions(credential: "key")),
            try OpenAIAdapter(options: ProviderOptions(credential: "key")),
        ]
        let kinds = adapters.map {
            Kind($0.error(for: .handshakeRejected(status: status, headers: [], body: #"{"error":"said"}"#)))
        }
        #expect(Set(kinds).count == 1, "\(kinds)")
        for adapter in adapters {
            let error = adapter.error(for: .handshakeRejected(status: status, headers: [], body: #"{"error":"said"}"#))
            #expect(error.description.contains("said"), "\(error)")
        }
    }

    @Test("hints after the summary: 402 and 403 share theirs, and with no 400 hint the summary stands alone")
    func hintsAfterSummary() {
        let rejection = HandshakeRejection(status: 400, headers: [], body: #"{"error":"Bad model"}"#)
        let mapping = HandshakeErrorMapping(
            after: rejection, unauthorized: "set the key", noAccess: "check the plan", notFound: "check the path",
            rateLimited: "wait", serverError: "try again")
        let summary = "HTTP 400: Bad model while connecting"
        #expect(mapping.badRequest == summary)
        #expect(mapping.unauthorized == "\(summary); set the key")
        #expect(mapping.paymentRequired == "\(summary); check the plan")
        #expect(mapping.forbidden == mapping.paymentRequired)
        #expect(mapping.serverError == "\(summary); try again")
        let hinted = HandshakeErrorMapping(
            after: rejection, unauthorized: "", noAccess: "", badRequest: "check --model", notFound: "",
            rateLimited: "", serverError: "")
        #expect(hinted.badRequest == "\(summary); check --model")
    }

    @Test(
        "a key the provider echoes back is never shown, whichever WebSocket provider and however it fails",
        arguments: [
            LinkFailure.handshakeRejected(status: 401, headers: [], body: #"{"error":"bad key sk-test-echoed-1234"}"#),
            .handshakeRejected(status: 403, headers: [], body: "key sk-test-echoed-1234 may not stream"),
            .closed(code: 1008, reason: "key sk-test-echoed-1234 refused"),
            .connectionLost(detail: "reset after sk-test-echoed-1234"),
        ])
    func keyRedacted(failure: LinkFailure) throws {
        let options = ProviderOptions(credential: "sk-test-echoed-1234")
        let adapters: [any ProviderAdapter] = [
            try DeepgramAdapter(options: options), try AssemblyAIAdapter(options: options),
            try OpenAIAdapter(options: options),
        ]
        for adapter in adapters {
            let error = adapter.error(for: failure)
            #expect(!error.description.contains("sk-test-echoed-1234"), "\(error)")
            #expect(error.description.contains("[redacted]"), "\(error)")
        }
    }
}
