// Text helpers the WebSocket adapters (Deepgram, AssemblyAI, OpenAI) share for their error messages.

extension ProviderError {
    /// The same error with a secret replaced wherever a provider echoed it.
    func replacingSecret(_ secret: String) -> ProviderError {
        guard secret.count >= 4 else { return self }
        func clean(_ text: String) -> String { text.replacing(secret, with: "[redacted]") }
        switch self {
        case .missingCredentials(let provider, let hint):
            return .missingCredentials(provider: provider, hint: clean(hint))
        case .authenticationFailed(let provider, let hint):
            return .authenticationFailed(provider: provider, hint: clean(hint))
        case .permissionDenied(let provider, let hint): return .permissionDenied(provider: provider, hint: clean(hint))
        case .rateLimited(let provider, let retryAfter, let hint):
            return .rateLimited(provider: provider, retryAfter: retryAfter, hint: clean(hint))
        case .invalidRequest(let provider, let hint): return .invalidRequest(provider: provider, hint: clean(hint))
        case .unsupportedAudio(let provider, let hint): return .unsupportedAudio(provider: provider, hint: clean(hint))
        case .serverError(let provider, let hint): return .serverError(provider: provider, hint: clean(hint))
        case .unavailable(let provider, let hint): return .unavailable(provider: provider, hint: clean(hint))
        case .sessionLimitReached(let provider, let hint):
            return .sessionLimitReached(provider: provider, hint: clean(hint))
        case .protocolError(let provider, let hint): return .protocolError(provider: provider, hint: clean(hint))
        case .invalidOption(let provider, let option, let hint):
            return .invalidOption(provider: provider, option: clean(option), hint: clean(hint))
        case .notInstalled(let provider, let hint): return .notInstalled(provider: provider, hint: clean(hint))
        }
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs and newlines (FoundationEssentials has no
    /// `trimmingCharacters(in:)`).
    func trimmedOfWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
