// What AssemblyAI's failures mean: assemblyai.com/docs/streaming/common-session-errors-and-closures
// (handshake statuses with a `{"error": …}` body; close codes 1008, 3005–3009 and the v2-era 4xxx).

import FoundationEssentials

extension AssemblyAIAdapter {
    /// What an HTTP answer other than 101 to the upgrade means; the body is usually `{"error":"…"}`.
    package func handshakeError(_ rejection: HandshakeRejection) -> ProviderError {
        let mapping = HandshakeErrorMapping(
            after: rejection, unauthorized: "set ASSEMBLYAI_API_KEY to a valid API key",
            noAccess: "check the account's balance and streaming access in the dashboard",
            badRequest: "check --model and --param values",
            notFound: "the endpoint has no /v3/ws, check --endpoint or the region",
            rateLimited: "too many new sessions a minute for this account, try again shortly",
            serverError: "AssemblyAI should recover, try again")
        return mapping.error(for: rejection, provider: Self.descriptor.displayName)
    }

    package func closeError(code: Int, reason: String) -> ProviderError {
        Self.closeError(code: code, reason: reason, inErrorMessage: false)
    }

    /// What a close code (or an `Error` message's `error_code`) means (B7).
    ///
    /// Sources disagree on which family (1008/3xxx or the v2-era 4xxx) v3 uses for a condition,
    /// so both are mapped.
    static func closeError(code: Int, reason: String, inErrorMessage: Bool) -> ProviderError {
        let name = descriptor.displayName
        let said: String
        if inErrorMessage {
            said = code == 0 ? "error: \(reason)" : "error \(code): \(reason)"
        } else {
            said = LinkFailure.closeDescription(code: code, reason: reason)
        }
        let lowered = reason.lowercased()
        switch code {
        case 1008, 4001:
            if lowered.contains("too many concurrent") {
                return .rateLimited(
                    provider: name, retryAfter: nil,
                    hint: "\(said); the account opened too many sessions this minute, try again shortly")
            }
            if lowered.contains("incorrect padding") {
                // Sporadic on connect and gone on retry (assemblyai-node-sdk#97).
                return .serverError(provider: name, hint: "\(said); a transient AssemblyAI fault, try again")
            }
            if lowered.contains("balance") || lowered.contains("insufficient") || lowered.contains("disabled") {
                return .permissionDenied(provider: name, hint: "\(said); check the account in the AssemblyAI dashboard")
            }
            return .authenticationFailed(provider: name, hint: "\(said); set ASSEMBLYAI_API_KEY to a valid API key")
        case 4002, 4003:
            return .permissionDenied(provider: name, hint: "\(said); check the account's balance and plan")
        case 3005, 1011, 1012, 1013:
            return .serverError(provider: name, hint: "\(said); AssemblyAI cancelled the session on its side")
        case 3006, 4100, 4101:
            return .invalidRequest(
                provider: name, hint: "\(said); check --model (a speech_model the endpoint serves) and --param values")
        case 3007 where lowered.contains("rate exceeded"), 4029:
            return .rateLimited(
                provider: name, retryAfter: nil,
                hint: "\(said); audio arrived faster than real time, stream files at real-time speed")
        case 3007, 4032, 4033, 4034:
            return .unsupportedAudio(
                provider: name, hint: "\(said); each audio message must hold 50 to 1000 ms of audio")
        case 4000:
            return .unsupportedAudio(provider: name, hint: "\(said); the sample rate was refused")
        case 3008, 4008:
            return .sessionLimitReached(provider: name, hint: "\(said); a new session continues the stream")
        case 3009, 4102:
            return .rateLimited(
                provider: name, retryAfter: nil, hint: "\(said); too many sessions for this account, try again shortly")
        case 4031:
            return .unavailable(
                provider: name, hint: "\(said); the session was idle longer than its inactivity_timeout")
        default:
            return .unavailable(provider: name, hint: said)
        }
    }
}
