/// Whether a connection has gone silent while audio flows.
///
/// A provider that sends nothing for `limit` while hark keeps sending is treated as a dead
/// connection (replaced, its audio replayed). It only watches while audio flows: a provider
/// owes no answer to silence, and before the first chunk nothing is owed at all.
///
/// A pure value: the connection passes `now` for what it sends and hears, and tests pass any
/// instant they like.
package struct SilentServerWatch: Sendable, Equatable {
    /// Longest silence allowed from the provider while audio flows; nil never trips.
    package let limit: Duration?
    private var lastHeard: ContinuousClock.Instant
    /// When audio last went; nil before the first chunk.
    private var lastAudio: ContinuousClock.Instant?

    /// A watch for a connection opened at `start`.
    package init(limit: Duration?, start: ContinuousClock.Instant) {
        self.limit = limit
        lastHeard = start
    }

    /// The provider sent a message at `now`.
    package mutating func heard(at now: ContinuousClock.Instant) {
        lastHeard = now
    }

    /// Audio went at `now`; the first chunk starts the watch, as if the provider had just spoken.
    package mutating func audioSent(at now: ContinuousClock.Instant) {
        if lastAudio == nil { lastHeard = now }
        lastAudio = now
    }

    /// Whether the provider has been silent for `limit` at `now` while audio flowed.
    package func isSilent(at now: ContinuousClock.Instant) -> Bool {
        guard let limit, audioFlows(at: now) else { return false }
        return now - lastHeard >= limit
    }

    /// When the watch trips if nothing is heard before; nil while it is not watching.
    package func deadline(at now: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        guard let limit, audioFlows(at: now) else { return nil }
        return lastHeard + limit
    }

    private func audioFlows(at now: ContinuousClock.Instant) -> Bool {
        guard let limit, let lastAudio else { return false }
        return now - lastAudio < limit
    }
}
