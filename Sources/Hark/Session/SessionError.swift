/// Why a run ended without a complete transcript.
package enum SessionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A failure retrying cannot fix (credentials, a bad request): reported at once.
    case providerFailed(ProviderError)
    /// The provider stayed unreachable through every retry.
    case providerUnavailable(ProviderError, attempts: Int)

    package var description: String {
        switch self {
        case .providerFailed(let error):
            error.description
        case .providerUnavailable(let error, let attempts):
            "\(error.description) (gave up after \(attempts) attempt\(attempts == 1 ? "" : "s"))"
        }
    }

    /// The provider error underneath.
    package var providerError: ProviderError {
        switch self {
        case .providerFailed(let error), .providerUnavailable(let error, _): error
        }
    }
}

/// How a run ended when it did not throw: its totals, and a source error to report after the
/// audio read before it was transcribed (a truncated file, an unplugged microphone).
package struct SessionOutcome: Sendable {
    package var summary: SessionSummary
    package var sourceError: AudioSourceError?
    /// Input ranges that were never transcribed.
    package var lostRanges: [ClosedRange<Double>]
}

/// A timer of the session ran out (no confirmation, a silent server).
package struct SessionTimeout: Error, Sendable, CustomStringConvertible {
    package var phase: String
    package var description: String { "timed out \(phase)" }
}
