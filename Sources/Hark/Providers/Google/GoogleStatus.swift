/// What Google's gRPC statuses mean for the person running hark.
package enum GoogleStatus {
    /// gRPC status codes Google uses (grpc/grpc doc/statuscodes.md).
    package enum Code: Int, Sendable {
        case ok = 0
        case cancelled = 1
        case unknown = 2
        case invalidArgument = 3
        case deadlineExceeded = 4
        case notFound = 5
        case alreadyExists = 6
        case permissionDenied = 7
        case resourceExhausted = 8
        case failedPrecondition = 9
        case aborted = 10
        case outOfRange = 11
        case unimplemented = 12
        case internalError = 13
        case unavailable = 14
        case dataLoss = 15
        case unauthenticated = 16
    }

    /// The `ProviderError` for a link failure; `RetryPolicy` decides from its case alone.
    package static func error(for failure: LinkFailure) -> ProviderError {
        let name = "Google"
        switch failure {
        case .grpcStatus(let raw, let message):
            let said = message.isEmpty ? "status \(raw)" : message
            switch Code(rawValue: raw) ?? .unknown {
            case .unauthenticated:
                return .authenticationFailed(
                    provider: name,
                    hint: "\(said); check GOOGLE_APPLICATION_CREDENTIALS (or refresh GOOGLE_ACCESS_TOKEN with "
                        + "'gcloud auth print-access-token')")
            case .permissionDenied:
                return .permissionDenied(
                    provider: name,
                    hint: "\(said); enable the Speech-to-Text API (speech.googleapis.com) in the project, grant the "
                        + "account roles/speech.client, and for gcloud user credentials set a quota project "
                        + "('gcloud auth application-default set-quota-project PROJECT')")
            case .resourceExhausted:
                return .rateLimited(
                    provider: name, retryAfter: nil, hint: "\(said); wait, or raise the Speech-to-Text quota")
            case .invalidArgument, .failedPrecondition:
                return .invalidRequest(
                    provider: name,
                    hint: "\(said); check --model, --language and --region (model and language "
                        + "availability differs by location)")
            case .notFound:
                return .invalidRequest(
                    provider: name, hint: "\(said); the recognizer or project does not exist in this region")
            case .unimplemented:
                return .invalidRequest(
                    provider: name, hint: "\(said); the endpoint does not serve Speech-to-Text v2 streaming")
            case .outOfRange:
                return .sessionLimitReached(provider: name, hint: said)
            case .unavailable, .cancelled, .aborted:
                return .unavailable(provider: name, hint: said)
            case .deadlineExceeded, .internalError, .unknown, .dataLoss, .alreadyExists, .ok:
                return .serverError(provider: name, hint: said)
            }
        case .connectFailed, .connectionLost, .timedOut, .closed:
            return .unavailable(provider: name, hint: failure.description)
        case .tlsFailed:
            return .unavailable(
                provider: name, hint: "\(failure.description); pass --cacert if a proxy re-signs TLS")
        case .handshakeRejected(let status, _, _):
            switch status {
            case 401: return .authenticationFailed(provider: name, hint: failure.description)
            case 403: return .permissionDenied(provider: name, hint: failure.description)
            case 429: return .rateLimited(provider: name, retryAfter: nil, hint: failure.description)
            case 500...: return .unavailable(provider: name, hint: failure.description)
            default:
                return .invalidRequest(
                    provider: name, hint: "\(failure.description); is --endpoint a Google Speech gRPC endpoint?")
            }
        case .protocolViolation:
            return .protocolError(provider: name, hint: failure.description)
        }
    }
}
