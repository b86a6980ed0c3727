/// What to do after a provider failure.
package enum RetryVerdict: Sendable, Equatable {
    /// Try again; wait at least `after` seconds when the provider said so (Retry-After).
    case retry(after: Double?)
    /// Give up and report the error.
    case fail
}

/// The one table that decides whether a failure is retried, shared by every provider:
/// adapters map their own errors into `ProviderError`, and only the case decides.
package enum RetryPolicy {
    package static func verdict(for error: ProviderError) -> RetryVerdict {
        switch error {
        // Transient: the network, the provider's load, its own faults, its session limits.
        case .unavailable, .serverError, .sessionLimitReached, .protocolError:
            .retry(after: nil)
        case .rateLimited(_, let retryAfter, _):
            .retry(after: retryAfter)
        // The user must change something: retrying would fail the same way.
        case .missingCredentials, .authenticationFailed, .permissionDenied, .invalidRequest, .unsupportedAudio,
            .invalidOption, .notInstalled:
            .fail
        }
    }
}

/// Exponential backoff with full jitter: attempt n waits a random time in
/// [0, min(cap, base · 2ⁿ)], so many clients that lost the same server do not return at once.
package struct Backoff: Sendable, Equatable {
    package var base: Double
    package var cap: Double
    /// Attempts allowed before giving up; nil for no limit (a microphone keeps trying).
    package var maxAttempts: Int?

    package init(base: Double = 0.5, cap: Double = 30, maxAttempts: Int? = 5) {
        self.base = base
        self.cap = cap
        self.maxAttempts = maxAttempts
    }

    /// The ceiling of the wait before attempt `attempt` (1-based).
    package func ceiling(attempt: Int) -> Double {
        min(cap, base * Double(1 << min(max(attempt - 1, 0), 30)))
    }

    /// A jittered wait before attempt `attempt`, at least `minimum` (a provider's Retry-After).
    package func delay<Generator: RandomNumberGenerator>(
        attempt: Int, minimum: Double? = nil, using generator: inout Generator
    ) -> Double {
        let jittered = Double.random(in: 0...ceiling(attempt: attempt), using: &generator)
        return max(jittered, minimum ?? 0)
    }

    /// Whether another attempt is allowed after `attempts` failures in a row.
    package func allows(attempt: Int) -> Bool {
        guard let maxAttempts else { return true }
        return attempt <= maxAttempts
    }
}
