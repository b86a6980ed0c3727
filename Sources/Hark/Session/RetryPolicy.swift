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

extension RetryPolicy {
    /// The attempts of one run, counted in series: every rule about whether and when the session
    /// connects again after a connection failed.
    package struct Series: Sendable {
        /// What the session does after a connection failed.
        package enum Decision: Sendable, Equatable {
            /// A healthy session the provider ended at its limit: continue in a new one at once,
            /// as a rotation does, so the stream shows no gap.
            case continueAtOnce
            /// Connect again after `delay` seconds; `attempt` counts the failures of this series.
            case retry(attempt: Int, delay: Double)
            /// The provider stayed unreachable through `attempts` attempts: give up.
            case giveUp(attempts: Int)
            /// Retrying would fail the same way: report the error.
            case fail
        }

        package let backoff: Backoff
        /// A connection that lived this long was healthy.
        package let healthyAfter: Duration
        /// Failures since the last healthy connection.
        package private(set) var attempt = 0

        package init(backoff: Backoff, healthyAfter: Duration) {
            self.backoff = backoff
            self.healthyAfter = healthyAfter
        }

        /// A connection ended without failing (closed while idle): the next failure starts a
        /// new series.
        package mutating func connectionEndedCleanly() {
            attempt = 0
        }

        /// The decision after `failure` ended a connection that lived `lived`.
        /// - Parameters:
        ///   - finalsAdvanced: whether the connection got words finalized (healthy, however short).
        ///   - inputHasEnded: once the input has ended (end of file, Ctrl-C), even an unlimited
        ///     budget (a microphone) gets at most five attempts: the user is waiting.
        package mutating func decision<Generator: RandomNumberGenerator>(
            after failure: ProviderError, lived: Duration, finalsAdvanced: Bool, inputHasEnded: Bool,
            using generator: inout Generator
        ) -> Decision {
            // A connection that lived a while, or got words finalized, was healthy: the failure
            // after it starts a new series of attempts.
            let wasHealthy = lived >= healthyAfter || finalsAdvanced
            if wasHealthy { attempt = 0 }
            // An unhealthy one that hit the limit goes through the backoff, so a provider that
            // ends every session at once is not hammered.
            if case .sessionLimitReached = failure, wasHealthy { return .continueAtOnce }
            attempt += 1
            switch RetryPolicy.verdict(for: failure) {
            case .fail:
                return .fail
            case .retry(let after):
                let limit = inputHasEnded ? min(backoff.maxAttempts ?? 5, 5) : backoff.maxAttempts
                guard limit.map({ attempt <= $0 }) ?? true else { return .giveUp(attempts: attempt) }
                return .retry(
                    attempt: attempt, delay: backoff.delay(attempt: attempt, minimum: after, using: &generator))
            }
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
