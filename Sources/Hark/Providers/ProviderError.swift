/// A provider failure phrased for the person running hark: what happened and what to do.
///
/// Adapters produce these from link failures and from the provider's own error messages;
/// `RetryPolicy` decides from the case alone whether the session tries again.
package enum ProviderError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No key in the environment or configuration.
    case missingCredentials(provider: String, hint: String)
    /// The key or token was rejected (401, close 3000/1008 auth, UNAUTHENTICATED).
    case authenticationFailed(provider: String, hint: String)
    /// The account may not do this: payment required, permission denied, model not allowed.
    case permissionDenied(provider: String, hint: String)
    /// Too many requests or concurrent streams; `retryAfter` from the provider when given.
    case rateLimited(provider: String, retryAfter: Double?, hint: String)
    /// The request itself is wrong: a bad parameter, model or language. Retrying cannot help.
    case invalidRequest(provider: String, hint: String)
    /// The provider could not use the audio it got.
    case unsupportedAudio(provider: String, hint: String)
    /// The provider failed on its side (5xx, close 1011/1012/1013, INTERNAL).
    case serverError(provider: String, hint: String)
    /// The provider could not be reached or the connection broke.
    case unavailable(provider: String, hint: String)
    /// The provider ended the session at its length limit; the session rotates.
    case sessionLimitReached(provider: String, hint: String)
    /// The provider sent something hark does not understand.
    case protocolError(provider: String, hint: String)
    /// An option hark refuses before connecting (e.g. a language the provider lacks).
    case invalidOption(provider: String, option: String, hint: String)
    /// A part of hark this provider needs is missing or broken (the gRPC bridge); retrying
    /// cannot help, reinstalling can.
    case notInstalled(provider: String, hint: String)

    /// The provider's name, for messages.
    package var provider: String {
        switch self {
        case .missingCredentials(let provider, _), .authenticationFailed(let provider, _),
            .permissionDenied(let provider, _), .rateLimited(let provider, _, _), .invalidRequest(let provider, _),
            .unsupportedAudio(let provider, _), .serverError(let provider, _), .unavailable(let provider, _),
            .sessionLimitReached(let provider, _), .protocolError(let provider, _),
            .invalidOption(let provider, _, _), .notInstalled(let provider, _):
            provider
        }
    }

    package var description: String {
        switch self {
        case .missingCredentials(let provider, let hint): "no \(provider) credentials: \(hint)"
        case .authenticationFailed(let provider, let hint): "\(provider) rejected the credentials: \(hint)"
        case .permissionDenied(let provider, let hint): "\(provider) refused the request: \(hint)"
        case .rateLimited(let provider, _, let hint): "\(provider) is rate limiting: \(hint)"
        case .invalidRequest(let provider, let hint): "\(provider) rejected the request: \(hint)"
        case .unsupportedAudio(let provider, let hint): "\(provider) cannot use the audio: \(hint)"
        case .serverError(let provider, let hint): "\(provider) failed on its side: \(hint)"
        case .unavailable(let provider, let hint): "\(provider) is unreachable: \(hint)"
        case .sessionLimitReached(let provider, let hint): "\(provider) ended the session at its limit: \(hint)"
        case .protocolError(let provider, let hint): "unexpected message from \(provider): \(hint)"
        case .invalidOption(let provider, let option, let hint): "\(option) is not valid for \(provider): \(hint)"
        case .notInstalled(let provider, let hint): "\(provider) cannot be used: \(hint)"
        }
    }
}
