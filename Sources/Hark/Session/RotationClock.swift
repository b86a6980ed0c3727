/// When a connection should be replaced by a fresh provider session before the provider's own
/// limit ends it: after a final once it is past 85 % of the limit (a clean cut between
/// utterances), or at 95 % whatever is happening.
///
/// A pure value: the connection passes `now`, and tests pass any instant they like.
package struct RotationClock: Sendable, Equatable {
    private let started: ContinuousClock.Instant
    private let soft: Duration?
    private let hard: Duration?
    private var finalPastSoft = false

    /// The clock of a connection opened at `start` to a provider whose sessions last at most
    /// `limit` (nil: never rotated).
    package init(limit: Duration?, start: ContinuousClock.Instant) {
        started = start
        soft = limit.map { $0 * 0.85 }
        hard = limit.map { $0 * 0.95 }
    }

    /// Called for every final, heard at `now`: one past the soft limit makes rotation due.
    /// - Returns: true when this final made rotation due.
    @discardableResult
    package mutating func finalArrived(at now: ContinuousClock.Instant) -> Bool {
        guard let soft, now - started >= soft, !finalPastSoft else { return false }
        finalPastSoft = true
        return true
    }

    /// When rotation becomes due whatever happens; nil without a session limit.
    package var hardDeadline: ContinuousClock.Instant? { hard.map { started + $0 } }

    /// Whether the connection should be replaced at `now`.
    package func isDue(at now: ContinuousClock.Instant) -> Bool {
        guard let hard else { return false }
        return finalPastSoft || now - started >= hard
    }
}
