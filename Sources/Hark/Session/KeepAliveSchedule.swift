/// What the sender does for a connection that has no audio to send.
///
/// From the adapter's `KeepAlivePolicy`: a keep-alive message, a stretch of silence, or a clean
/// close once the connection has been idle long enough (Google). The one place the policy is read.
///
/// A pure value: the sender passes `now`, and tests pass any instant they like.
package struct KeepAliveSchedule: Sendable, Equatable {
    /// What to do while nothing waits to be sent.
    package enum Action: Sendable, Equatable {
        /// Send this message (Deepgram's `KeepAlive`).
        case sendMessage(WireMessage)
        /// Send a tenth of a second of silence.
        case sendSilence
        /// Finish the connection as at the end of the input; audio that comes later goes to a
        /// new one.
        case closeIdle
    }

    package let policy: KeepAlivePolicy
    private var lastAudio: ContinuousClock.Instant
    private var lastKeepAlive: ContinuousClock.Instant

    /// A schedule for a connection whose sending starts at `start`.
    package init(policy: KeepAlivePolicy, start: ContinuousClock.Instant) {
        self.policy = policy
        lastAudio = start
        lastKeepAlive = start
    }

    /// Audio went at `now`: the idle interval starts again.
    package mutating func audioSent(at now: ContinuousClock.Instant) {
        lastAudio = now
    }

    /// The earliest moment `action(at:inputHasEnded:)` can return an action if no audio goes
    /// before it; nil when the policy never acts.
    package var deadline: ContinuousClock.Instant? {
        switch policy {
        case .none: nil
        case .message(_, let interval), .silence(let interval): max(lastAudio, lastKeepAlive) + interval
        case .closeWhenIdle(let after): lastAudio + after
        }
    }

    /// What to do at `now` while nothing waits to be sent.
    ///
    /// A keep-alive returned here counts as sent at `now`. No idle close once the input has
    /// ended: the sender finishes instead.
    package mutating func action(at now: ContinuousClock.Instant, inputHasEnded: Bool) -> Action? {
        switch policy {
        case .none:
            return nil
        case .message(let message, let interval):
            guard now - lastAudio >= interval, now - lastKeepAlive >= interval else { return nil }
            lastKeepAlive = now
            return .sendMessage(message)
        case .silence(let interval):
            guard now - lastAudio >= interval, now - lastKeepAlive >= interval else { return nil }
            lastKeepAlive = now
            return .sendSilence
        case .closeWhenIdle(let after):
            guard now - lastAudio >= after, !inputHasEnded else { return nil }
            return .closeIdle
        }
    }
}
