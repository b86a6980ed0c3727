import Testing

@testable import Hark

@Suite("Retry series: whether and when the session connects again")
struct RetrySeriesTests {
    let lost = ProviderError.unavailable(provider: "p", hint: "reset")
    let limit = ProviderError.sessionLimitReached(provider: "p", hint: "3008")

    func series(maxAttempts: Int? = 3) -> RetryPolicy.Series {
        RetryPolicy.Series(backoff: Backoff(base: 1, cap: 4, maxAttempts: maxAttempts), healthyAfter: .seconds(10))
    }

    func decide(
        _ series: inout RetryPolicy.Series, _ failure: ProviderError, lived: Duration = .seconds(1),
        finalsAdvanced: Bool = false, inputHasEnded: Bool = false
    ) -> RetryPolicy.Series.Decision {
        var generator = SystemRandomNumberGenerator()
        return series.decision(
            after: failure, lived: lived, finalsAdvanced: finalsAdvanced, inputHasEnded: inputHasEnded,
            using: &generator)
    }

    func attempt(_ decision: RetryPolicy.Series.Decision) -> Int? {
        if case .retry(let attempt, _) = decision { attempt } else { nil }
    }

    @Test("short-lived failing connections count up to the attempt limit, then the run gives up")
    func countsToLimit() {
        var series = series()
        let attempts = (1...3).map { _ in attempt(decide(&series, lost)) }
        #expect(attempts == [1, 2, 3])
        let fourthFailure = decide(&series, lost)
        #expect(fourthFailure == .giveUp(attempts: 4))
    }

    @Test("the delay stays within the backoff's ceiling and honours Retry-After")
    func delays() {
        var series = series()
        for expected in 1...3 {
            guard case .retry(let attempt, let delay) = decide(&series, lost) else {
                Issue.record("expected a retry")
                return
            }
            #expect(attempt == expected && delay >= 0 && delay <= series.backoff.ceiling(attempt: attempt))
        }
        var limited = self.series()
        let rateLimited = ProviderError.rateLimited(provider: "p", retryAfter: 7, hint: "")
        let rateLimitedDecision = decide(&limited, rateLimited)
        #expect(rateLimitedDecision == .retry(attempt: 1, delay: 7))
    }

    @Test("a connection that lived past healthyAfter, or got words finalized, starts a new series")
    func healthyResets() {
        var series = series()
        _ = decide(&series, lost)
        _ = decide(&series, lost)
        let afterLongConnection = attempt(decide(&series, lost, lived: .seconds(10)))
        #expect(afterLongConnection == 1)
        _ = decide(&series, lost)
        let afterFinals = attempt(decide(&series, lost, finalsAdvanced: true))
        #expect(afterFinals == 1)
    }

    @Test("a healthy session the provider ended at its limit continues at once; an unhealthy one backs off")
    func sessionLimit() {
        var series = series()
        let healthyAtLimit = decide(&series, limit, lived: .seconds(60))
        #expect(healthyAtLimit == .continueAtOnce)
        #expect(series.attempt == 0)
        let unhealthyAtLimit = attempt(decide(&series, limit))
        #expect(unhealthyAtLimit == 1)
    }

    @Test("errors retrying cannot fix fail at once")
    func permanent() {
        var series = series()
        let authenticationDecision = decide(&series, .authenticationFailed(provider: "p", hint: ""))
        #expect(authenticationDecision == .fail)
    }

    @Test("once the input has ended, even an unlimited budget gets five attempts")
    func boundedAfterInput() {
        var series = series(maxAttempts: nil)
        for _ in 1...5 {
            let decision = decide(&series, lost, inputHasEnded: true)
            #expect(attempt(decision) != nil)
        }
        let sixthAfterInput = decide(&series, lost, inputHasEnded: true)
        #expect(sixthAfterInput == .giveUp(attempts: 6))
        var live = self.series(maxAttempts: nil)
        for _ in 1...50 {
            let decision = decide(&live, lost)
            #expect(attempt(decision) != nil)
        }
    }

    @Test("a connection closed while idle starts a new series")
    func idleCloseResets() {
        var series = series()
        _ = decide(&series, lost)
        _ = decide(&series, lost)
        series.connectionEndedCleanly()
        let afterIdleClose = attempt(decide(&series, lost))
        #expect(afterIdleClose == 1)
    }
}
