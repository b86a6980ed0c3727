/// When the sender of a connection next has a timer to check, shared with the task that wakes
/// it then.
final class SenderTimerDeadline: Sendable {
    private let deadline = LockedValue<ContinuousClock.Instant?>(nil)
    /// Signalled when a deadline appears or moves earlier, so a longer sleep is cut short.
    let movedEarlier = AsyncSignal()

    var current: ContinuousClock.Instant? { deadline.value }

    /// Replaces the deadline (nil: no timer).
    func set(_ instant: ContinuousClock.Instant?) {
        let earlier = deadline.withLock { deadline -> Bool in
            defer { deadline = instant }
            guard let instant else { return false }
            return deadline.map { instant < $0 } ?? true
        }
        if earlier { movedEarlier.signal() }
    }

    /// Forgets a deadline that has been acted on, unless the sender already set a new one.
    func clear(ifStill instant: ContinuousClock.Instant) {
        deadline.withLock { if $0 == instant { $0 = nil } }
    }
}
