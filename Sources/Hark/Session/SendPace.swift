/// How fast one connection may be fed, for providers that refuse audio faster than some pace
/// (AssemblyAI's 3007 "Audio Transmission Rate Exceeded", Google's OUT_OF_RANGE "streamed too
/// fast").
///
/// A connection may run `burst` seconds of audio ahead of `maxSpeed` times the time it has been
/// open; past that, each chunk waits. The burst is what lets a reconnect replay its backlog at
/// once and catch up with live audio instead of lagging by the re-sent audio for the rest of the
/// run. A pure value: the session passes the connection's start and the audio sent so far.
package struct SendPace: Sendable, Equatable {
    /// Times real time the provider accepts.
    package let maxSpeed: Double
    /// Seconds of audio a connection may be ahead of that pace.
    package let burst: Double

    package init(maxSpeed: Double, burst: Double) {
        self.maxSpeed = maxSpeed
        self.burst = burst
    }

    /// The pace of a provider, nil when it accepts audio at any speed.
    package init?(_ capabilities: ProviderCapabilities) {
        guard let maxSpeed = capabilities.maxSpeed else { return nil }
        self.init(maxSpeed: maxSpeed, burst: capabilities.speedBurstSeconds)
    }

    /// The earliest moment the next chunk may go, once `secondsSent` of audio went on a
    /// connection opened at `start`: at once while within the burst.
    package func earliestSend(
        afterSending secondsSent: Double, since start: ContinuousClock.Instant
    ) -> ContinuousClock.Instant {
        let ahead = max(0, secondsSent - burst)
        return start + .milliseconds(Int((ahead / maxSpeed * 1000).rounded(.up)))
    }
}
