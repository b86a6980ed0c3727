import Testing

@testable import Hark

@Suite("Rotation clock: a fresh provider session before the provider's limit")
struct RotationClockTests {
    let opened = ContinuousClock.now

    @Test("a final past 85 % of the limit makes rotation due, once")
    func finalPastSoftLimit() {
        var rotation = RotationClock(limit: .seconds(100), start: opened)
        let finalBeforeSoftLimit = rotation.finalArrived(at: opened + .seconds(84))
        #expect(!finalBeforeSoftLimit)
        #expect(!rotation.isDue(at: opened + .seconds(84)))
        let finalPastSoftLimit = rotation.finalArrived(at: opened + .seconds(85))
        #expect(finalPastSoftLimit)
        #expect(rotation.isDue(at: opened + .seconds(85)))
        // The next final reports nothing new.
        let nextFinal = rotation.finalArrived(at: opened + .seconds(86))
        #expect(!nextFinal)
    }

    @Test("at 95 % rotation is due whatever happens")
    func hardLimit() {
        let rotation = RotationClock(limit: .seconds(100), start: opened)
        #expect(rotation.hardDeadline == opened + .seconds(95))
        #expect(!rotation.isDue(at: opened + .seconds(94.9)))
        #expect(rotation.isDue(at: opened + .seconds(95)))
    }

    @Test("without a session limit nothing is ever due")
    func noLimit() {
        var rotation = RotationClock(limit: nil, start: opened)
        let final = rotation.finalArrived(at: opened + .seconds(100_000))
        #expect(!final)
        #expect(!rotation.isDue(at: opened + .seconds(100_000)))
        #expect(rotation.hardDeadline == nil)
    }
}
