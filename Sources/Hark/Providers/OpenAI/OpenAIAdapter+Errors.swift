// What OpenAI's failures mean: the Realtime API's handshake statuses (`{"error":{"message":…}}`
// bodies), its close codes (A.9 of the protocol notes) and its `error` events.

import FoundationEssentials

extension OpenAIAdapter {
    /// What an HTTP answer other than 101 means; bodies look like `{"error":{"message":…,"code":…}}`.
    package func handshakeError(_ rejection: HandshakeRejection) -> ProviderError {
        let mapping = HandshakeErrorMapping(
            after: rejection, unauthorized: "set OPENAI_API_KEY to a valid key",
            noAccess: "the key's project needs Realtime access and billing",
            notFound: "no /v1/realtime there, check --endpoint", rateLimited: "try again shortly",
            serverError: "OpenAI should recover, try again")
        return mapping.error(for: rejection, provider: Self.descriptor.displayName)
    }

    /// What a server close means (A.9): 3000 authentication, 4000 a request shape problem named in
    /// the reason (`invalid_request_error.<code>`), 1001 the 60-minute limit.
    package func closeError(code: Int, reason: String) -> ProviderError {
        let name = Self.descriptor.displayName
        let said = LinkFailure.closeDescription(code: code, reason: reason)
        switch code {
        case 3000:
            return .authenticationFailed(provider: name, hint: "\(said); set OPENAI_API_KEY to a valid key")
        case 4000:
            let errorCode = reason.split(separator: ".").dropFirst().first.map(String.init)
            return Self.requestError(
                type: "invalid_request_error", code: errorCode, message: said, model: model, setup: true)
        case 1001 where reason.lowercased().contains("maximum duration"):
            return .sessionLimitReached(provider: name, hint: "\(said); a new session continues the stream")
        case 1011, 1012, 1013:
            return .serverError(provider: name, hint: "\(said); OpenAI failed on its side, try again")
        case 1008:
            return .permissionDenied(provider: name, hint: said)
        case 1009:
            return .invalidRequest(provider: name, hint: "\(said); a message was too large")
        default:
            return .unavailable(provider: name, hint: said)
        }
    }

    /// What an `error` event (or the code in a 4000 close) means.
    ///
    /// `setup`: it came before the session was confirmed, so the session would never transcribe.
    static func requestError(type: String?, code: String?, message: String, model: String, setup: Bool)
        -> ProviderError
    {
        let name = descriptor.displayName
        switch (type, code) {
        case (_, "invalid_api_key"):
            return .authenticationFailed(provider: name, hint: "\(message); set OPENAI_API_KEY to a valid key")
        case (_, "beta_api_shape_disabled"):
            return .invalidRequest(
                provider: name,
                hint: "\(message); the beta Realtime API is gone and hark speaks only the GA shape, so something "
                    + "between hark and OpenAI (a proxy or --endpoint) added the OpenAI-Beta header")
        case (_, "invalid_model"), (_, "missing_model"), (_, "model_not_found"):
            return .invalidRequest(
                provider: name, hint: "\(message); --model \(model) is not a realtime transcription model")
        case (_, "integer_below_min_value"), (_, "integer_above_max_value"):
            return .unsupportedAudio(provider: name, hint: "\(message); OpenAI takes 24 kHz PCM only")
        case (_, "insufficient_quota"):
            return .permissionDenied(provider: name, hint: "\(message); check the account's billing")
        case ("rate_limit_error", _), (_, "rate_limit_exceeded"):
            return .rateLimited(provider: name, retryAfter: nil, hint: "\(message); try again shortly")
        case ("server_error", _):
            return .serverError(provider: name, hint: "\(message); OpenAI failed on its side, try again")
        default:
            let consequence = setup ? "the session setup was refused, so nothing would be transcribed; " : ""
            return .invalidRequest(provider: name, hint: "\(message); \(consequence)check --model and --param values")
        }
    }
}
