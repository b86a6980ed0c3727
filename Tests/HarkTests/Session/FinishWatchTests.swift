import Testing

@testable import Hark

@Suite("Finish watch: the wait for a provider's last results")
struct FinishWatchTests {
    let start = ContinuousClock.now

    @Test("no limit runs before the finish is requested, however long the provider is quiet")
    func noLimitBeforeFinish() {
        var watch = FinishWatch(timeout: .seconds(10))
        watch.heard(at: start)
        #expect(watch.verdict(at: start + .seconds(3600)) == nil)
        #expect(watch.deadline == nil)
    }

    @Test("the limit counts from the finish request when nothing is heard after it")
    func countsFromFinish() {
        var watch = FinishWatch(timeout: .seconds(10))
        watch.heard(at: start)
        watch.finishRequested(at: start + .seconds(5))
        #expect(watch.verdict(at: start + .seconds(14)) == .waiting(until: start + .seconds(15)))
        #expect(watch.verdict(at: start + .seconds(15)) == .unanswered)
    }

    @Test("every message moves the limit on: a provider seconds behind is waited for")
    func progressExtends() {
        var watch = FinishWatch(timeout: .seconds(10))
        watch.finishRequested(at: start)
        // A backlog: one message every 0.4 s for 60 s after the finish, far past the first limit.
        var now = start
        for _ in 0..<150 {
            now += .milliseconds(400)
            #expect(watch.verdict(at: now) == .waiting(until: max(start, now - .milliseconds(400)) + .seconds(10)))
            watch.heard(at: now)
        }
        #expect(watch.verdict(at: now + .seconds(9)) == .waiting(until: now + .seconds(10)))
        #expect(watch.verdict(at: now + .seconds(10)) == .unanswered)
    }

    @Test("a provider that keeps talking but never finishes is given up on at the ceiling, twelve quiet spells")
    func ceiling() {
        var watch = FinishWatch(timeout: .seconds(10))
        watch.finishRequested(at: start)
        var now = start
        while now < start + .seconds(119) {
            now += .seconds(1)
            watch.heard(at: now)
        }
        #expect(watch.verdict(at: start + .seconds(119)) == .waiting(until: start + .seconds(120)))
        #expect(watch.verdict(at: start + .seconds(120)) == .unanswered)
    }

    @Test("a connection that never said anything is silent, not unanswered (its audio goes to a new one)")
    func silentConnection() {
        var watch = FinishWatch(timeout: .seconds(2))
        watch.finishRequested(at: start)
        #expect(!watch.heardAnything)
        #expect(watch.verdict(at: start + .seconds(2)) == .silentConnection)
    }

    @Test("a message heard out of order in time never moves the limit back")
    func neverMovesBack() {
        var watch = FinishWatch(timeout: .seconds(10))
        watch.finishRequested(at: start)
        watch.heard(at: start + .seconds(8))
        watch.heard(at: start + .seconds(2))
        #expect(watch.deadline == start + .seconds(18))
    }
}
