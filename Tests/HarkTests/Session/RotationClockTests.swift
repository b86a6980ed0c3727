import Testing

@testable import Hark

@Suite("Rotation clock: a fresh provider session before the provider's limit")
struct RotationClockTests {
    let start = ContinuousClock.now

    @Test("a final past 85 % of the limit makes rotation due, once")
    func finalPastSoftLimit() {
        var clock = RotationClock(limit: .seconds(100), start: start)
        let result1 = clock.finalArrived(at: start + .seconds(84))
        #expect(!result1)
        #expect(!clock.isDue(at: start + .seconds(84)))
        let result2 = clock.finalArrived(at: start + .seconds(85))
        #expect(result2)
        #expect(clock.isDue(at: start + .seconds(85)))
        // The next final reports nothing new.
        let result3 = clock.finalArrived(at: start + .seconds(86))
        #expect(!result3)
    }

    @Test("at 95 % rotation is due whatever happens")
    func hardLimit() {
        let clock = RotationClock(limit: .seconds(100), start: start)
        #expect(clock.hardDeadline == start + .seconds(95))
        #expect(!clock.isDue(at: start + .seconds(94.9)))
        #expect(clock.isDue(at: start + .seconds(95)))
    }

    @Test("without a session limit nothing is ever due")
    func noLimit() {
        var clock = RotationClock(limit: nil, start: start)
        let result4 = clock.finalArrived(at: start + .seconds(100_000))
        #expect(!result4)
        #expect(!clock.isDue(at: start + .seconds(100_000)))
        #expect(clock.hardDeadline == nil)
    }
}
