/// How long a connection may take to deliver its last results once hark asked it to finish.
///
/// The end of a run waits on evidence (the decoder's `isFinished`: Deepgram's closing
/// `Metadata`, AssemblyAI's `Termination`, every OpenAI commit answered, Google's status after
/// the half-close), not on a fixed delay: a provider that is seconds behind (a loaded service, a
/// slow link) is still delivering. So the limit counts from the later of the finish request and
/// the last message heard, and every message moves it on, up to `ceiling` after the finish
/// request (a provider that keeps talking but never finishes must not hold the run forever). A
/// pure value: the session passes `now`, and tests pass any instant they like.
package struct FinishWatch: Sendable, Equatable {
    /// What the watch says at a moment.
    package enum Verdict: Sendable, Equatable {
        /// Still waiting for the evidence; look again at `until` if nothing arrives before.
        case waiting(until: ContinuousClock.Instant)
        /// The limit ran out without a single message on this connection: the provider is not
        /// there (a dead connection), so its audio goes to a new one.
        case silentConnection
        /// The limit ran out after the provider had answered on this connection: it is not going
        /// to finish, and what it never finalized is reported as not transcribed.
        case unanswered
    }

    /// Longest quiet spell allowed between the finish request (or the last message) and the next.
    package let timeout: Duration
    /// Longest wait after the finish request however much the provider sends: twelve quiet
    /// spells (two minutes by default), far beyond any backlog a working provider builds.
    package var ceiling: Duration { timeout * 12 }
    private var finishRequested: ContinuousClock.Instant?
    private var lastHeard: ContinuousClock.Instant?

    package init(timeout: Duration) {
        self.timeout = timeout
    }

    /// The finish messages went out (or the half-close) at `now`.
    package mutating func finishRequested(at now: ContinuousClock.Instant) {
        finishRequested = now
    }

    /// The provider sent a message at `now`: progress, so the limit moves on.
    package mutating func heard(at now: ContinuousClock.Instant) {
        lastHeard = max(lastHeard ?? now, now)
    }

    /// Whether anything was heard on this connection at all.
    package var heardAnything: Bool { lastHeard != nil }

    /// The moment the limit runs out, once the finish was requested; nil before.
    package var deadline: ContinuousClock.Instant? {
        guard let finishRequested else { return nil }
        return min(max(finishRequested, lastHeard ?? finishRequested) + timeout, finishRequested + ceiling)
    }

    /// What to do at `now`; nil before the finish was requested (no limit runs yet).
    package func verdict(at now: ContinuousClock.Instant) -> Verdict? {
        guard let deadline else { return nil }
        if now < deadline { return .waiting(until: deadline) }
        return heardAnything ? .unanswered : .silentConnection
    }
}
