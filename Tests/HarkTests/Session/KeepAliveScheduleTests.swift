import Testing

@testable import Hark

@Suite("Keep-alive schedule: what an idle connection sends, or whether it closes")
struct KeepAliveScheduleTests {
    let start = ContinuousClock.now
    let ping = WireMessage.text(#"{"type":"KeepAlive"}"#)

    @Test("a keep-alive message goes once the interval passes with no audio, then once per interval")
    func messageEveryInterval() {
        var schedule = KeepAliveSchedule(policy: .message(ping, interval: .seconds(5)), start: start)
        #expect(schedule.deadline == start + .seconds(5))
        let result1 = schedule.action(at: start + .seconds(4.9), inputHasEnded: false)
        #expect(result1 == nil)
        let result2 = schedule.action(at: start + .seconds(5), inputHasEnded: false)
        #expect(result2 == .sendMessage(ping))
        // Sent at 5 s: the next is due at 10 s, not at once.
        #expect(schedule.deadline == start + .seconds(10))
        let result3 = schedule.action(at: start + .seconds(6), inputHasEnded: false)
        #expect(result3 == nil)
        let result4 = schedule.action(at: start + .seconds(10), inputHasEnded: false)
        #expect(result4 == .sendMessage(ping))
    }

    @Test("audio restarts the interval: no keep-alive while audio flows")
    func audioRestartsInterval() {
        var schedule = KeepAliveSchedule(policy: .message(ping, interval: .seconds(5)), start: start)
        schedule.audioSent(at: start + .seconds(4))
        let result5 = schedule.action(at: start + .seconds(8), inputHasEnded: false)
        #expect(result5 == nil)
        #expect(schedule.deadline == start + .seconds(9))
        let result6 = schedule.action(at: start + .seconds(9), inputHasEnded: false)
        #expect(result6 == .sendMessage(ping))
    }

    @Test("a silence policy asks for silent audio on the same schedule")
    func silence() {
        var schedule = KeepAliveSchedule(policy: .silence(interval: .seconds(2)), start: start)
        let result7 = schedule.action(at: start + .seconds(1), inputHasEnded: false)
        #expect(result7 == nil)
        let result8 = schedule.action(at: start + .seconds(2), inputHasEnded: false)
        #expect(result8 == .sendSilence)
        let result9 = schedule.action(at: start + .seconds(3), inputHasEnded: false)
        #expect(result9 == nil)
        let result10 = schedule.action(at: start + .seconds(4), inputHasEnded: false)
        #expect(result10 == .sendSilence)
    }

    @Test("an idle close comes after the interval without audio, and never once the input has ended")
    func idleClose() {
        var schedule = KeepAliveSchedule(policy: .closeWhenIdle(after: .seconds(3)), start: start)
        schedule.audioSent(at: start + .seconds(1))
        #expect(schedule.deadline == start + .seconds(4))
        let result11 = schedule.action(at: start + .seconds(3.9), inputHasEnded: false)
        #expect(result11 == nil)
        let result12 = schedule.action(at: start + .seconds(4), inputHasEnded: false)
        #expect(result12 == .closeIdle)
        // At the end of the input the sender finishes instead.
        let result13 = schedule.action(at: start + .seconds(60), inputHasEnded: true)
        #expect(result13 == nil)
    }

    @Test("without a policy nothing is ever due")
    func none() {
        var schedule = KeepAliveSchedule(policy: .none, start: start)
        #expect(schedule.deadline == nil)
        let result14 = schedule.action(at: start + .seconds(3600), inputHasEnded: false)
        #expect(result14 == nil)
    }
}
