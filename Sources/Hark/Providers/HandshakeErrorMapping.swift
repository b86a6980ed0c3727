// What a WebSocket provider's refusal of the upgrade means, written once for Deepgram (Nova and
// Flux), AssemblyAI and OpenAI: each answers with an HTTP status, perhaps `Retry-After`, and a
// JSON error body whose shape differs by provider; only the words of the hints are theirs.

import FoundationEssentials

/// A refused WebSocket upgrade, read the same way for every provider.
package struct HandshakeRejection: Sendable {
    package let status: Int
    package let headers: [HTTPHeader]
    package let body: String
    /// The error text of a JSON body: `error` as a string (AssemblyAI), `error.message` (OpenAI)
    /// or `err_code: err_msg` (Deepgram); nil when the body is none of these.
    package let bodyErrorText: String?
    /// `request_id` of a JSON body (Deepgram's), for support.
    package let bodyRequestID: String?

    package init(status: Int, headers: [HTTPHeader], body: String) {
        self.status = status
        self.headers = headers
        self.body = body
        let parsed = try? JSONDecoder().decode(ErrorBody.self, from: Data(body.utf8))
        bodyErrorText = parsed?.text
        bodyRequestID = parsed?.requestID
    }

    /// "HTTP 401: Invalid API key while connecting": the status and `errorText`, as AssemblyAI's
    /// and OpenAI's hints begin.
    package var summary: String {
        "HTTP \(status)\(errorText.map { ": \($0)" } ?? "") while connecting"
    }

    /// `Retry-After` in seconds; the HTTP-date form reads as nil (no provider hark speaks sends it).
    package var retryAfter: Double? {
        headers[header: "retry-after"].flatMap { value in Double(value.filter { !$0.isWhitespace }) }
    }

    /// `bodyErrorText`, else the body itself when not blank, cut at 200 characters.
    package var errorText: String? {
        if let bodyErrorText { return bodyErrorText }
        let trimmed = body.trimmedOfWhitespace()
        guard !trimmed.isEmpty else { return nil }
        return trimmed.count > 200 ? String(trimmed.prefix(200)) + "…" : trimmed
    }

    /// The error bodies the providers send; a field of another shape reads as absent.
    private struct ErrorBody: Decodable {
        var text: String?
        var requestID: String?

        private struct Detail: Decodable { var message: String? }

        private enum CodingKeys: String, CodingKey {
            case error
            case errCode = "err_code"
            case errMsg = "err_msg"
            case requestID = "request_id"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            requestID = try? container.decodeIfPresent(String.self, forKey: .requestID)
            if let error = try? container.decodeIfPresent(String.self, forKey: .error) {
                text = error
            } else if let message = (try? container.decodeIfPresent(Detail.self, forKey: .error))?.message {
                text = message
            } else {
                let parts = [
                    try? container.decodeIfPresent(String.self, forKey: .errCode),
                    try? container.decodeIfPresent(String.self, forKey: .errMsg),
                ].compactMap { $0 }
                text = parts.isEmpty ? nil : parts.joined(separator: ": ")
            }
        }
    }
}

/// How one provider words each kind of refused upgrade; `error(for:provider:)` picks the kind.
///
/// The statuses mean the same for every WebSocket provider: 401 the key, 402 the account's
/// credit, 403 its access, 404 the path, 429 a limit (with `Retry-After`), 5xx the provider's
/// own failure; 400 and anything else a request the provider would not take.
package struct HandshakeErrorMapping: Sendable {
    /// 401: `authenticationFailed`.
    var unauthorized: String
    /// 402: `permissionDenied`.
    var paymentRequired: String
    /// 403: `permissionDenied`.
    var forbidden: String
    /// 400: `invalidRequest`; also any other status unless `otherStatus` is given.
    var badRequest: String
    /// 404: `invalidRequest`.
    var notFound: String
    /// 429: `rateLimited`, with the rejection's `Retry-After`.
    var rateLimited: String
    /// 500–599: `serverError`.
    var serverError: String
    /// Any status not named above, when it means something other than `badRequest`.
    var otherStatus: ProviderError?

    package func error(for rejection: HandshakeRejection, provider: String) -> ProviderError {
        switch rejection.status {
        case 401: .authenticationFailed(provider: provider, hint: unauthorized)
        case 402: .permissionDenied(provider: provider, hint: paymentRequired)
        case 403: .permissionDenied(provider: provider, hint: forbidden)
        case 400: .invalidRequest(provider: provider, hint: badRequest)
        case 404: .invalidRequest(provider: provider, hint: notFound)
        case 429: .rateLimited(provider: provider, retryAfter: rejection.retryAfter, hint: rateLimited)
        case 500...599: .serverError(provider: provider, hint: serverError)
        default: otherStatus ?? .invalidRequest(provider: provider, hint: badRequest)
        }
    }
}

extension HandshakeErrorMapping {
    /// Hints that follow the rejection's own `summary`, as AssemblyAI's and OpenAI's messages read
    /// ("HTTP 401: Invalid API key while connecting; set …"); 402 and 403 both mean the account
    /// may not stream (`noAccess`), and a nil `badRequest` leaves the summary to speak for itself.
    init(
        after rejection: HandshakeRejection, unauthorized: String, noAccess: String, badRequest: String? = nil,
        notFound: String, rateLimited: String, serverError: String
    ) {
        let summary = rejection.summary
        func hinted(_ hint: String) -> String { "\(summary); \(hint)" }
        self.init(
            unauthorized: hinted(unauthorized), paymentRequired: hinted(noAccess), forbidden: hinted(noAccess),
            badRequest: badRequest.map(hinted) ?? summary, notFound: hinted(notFound),
            rateLimited: hinted(rateLimited), serverError: hinted(serverError))
    }
}
