import Testing

@testable import Hark

@Suite("Silent-server watch: a provider that says nothing while audio flows")
struct SilentServerWatchTests {
    let start = ContinuousClock.now

    @Test("nothing is owed before the first chunk, however long the connection is quiet")
    func quietBeforeAudio() {
        let watch = SilentServerWatch(limit: .seconds(30), start: start)
        #expect(!watch.isSilent(at: start + .seconds(3600)))
        #expect(watch.deadline(at: start + .seconds(3600)) == nil)
    }

    @Test("the limit counts from the first chunk, not from the connection's opening")
    func countsFromFirstAudio() {
        var watch = SilentServerWatch(limit: .seconds(30), start: start)
        watch.audioSent(at: start + .seconds(20))
        watch.audioSent(at: start + .seconds(45))
        #expect(watch.deadline(at: start + .seconds(45)) == start + .seconds(50))
        #expect(!watch.isSilent(at: start + .seconds(49)))
        watch.audioSent(at: start + .seconds(49))
        #expect(watch.isSilent(at: start + .seconds(50)))
    }

    @Test("every message heard moves the limit on")
    func heardMovesLimit() {
        var watch = SilentServerWatch(limit: .seconds(30), start: start)
        watch.audioSent(at: start)
        watch.heard(at: start + .seconds(25))
        watch.audioSent(at: start + .seconds(50))
        #expect(!watch.isSilent(at: start + .seconds(54)))
        #expect(watch.deadline(at: start + .seconds(54)) == start + .seconds(55))
        #expect(watch.isSilent(at: start + .seconds(55)))
    }

    @Test("once audio stops flowing for the limit, silence is no longer a fault")
    func idleIsNotSilent() {
        var watch = SilentServerWatch(limit: .seconds(30), start: start)
        watch.audioSent(at: start)
        #expect(watch.isSilent(at: start + .seconds(29.999)) == false)
        // The last audio is as old as the limit: the provider owes nothing for the silence since.
        #expect(!watch.isSilent(at: start + .seconds(30)))
        #expect(watch.deadline(at: start + .seconds(30)) == nil)
    }

    @Test("without a limit it never trips")
    func noLimit() {
        var watch = SilentServerWatch(limit: nil, start: start)
        watch.audioSent(at: start + .seconds(100))
        #expect(!watch.isSilent(at: start + .seconds(100.5)))
        #expect(watch.deadline(at: start + .seconds(100.5)) == nil)
    }
}
