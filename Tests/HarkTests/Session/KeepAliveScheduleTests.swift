import Testing

@testable import Hark

@Suite("Keep-alive schedule: what an idle connection sends, or whether it closes")
struct KeepAliveScheduleTests {
    let start = ContinuousClock.now
    let ping = WireMessage.text(#"{"type":"KeepAlive"}"#)

    /// What the schedule says at each of `seconds` after the start, asked in order.
    func actions(
        _ schedule: inout KeepAliveSchedule, at seconds: [Double], inputHasEnded: Bool = false
    ) -> [KeepAliveSchedule.Action?] {
        seconds.map { schedule.action(at: start + .seconds($0), inputHasEnded: inputHasEnded) }
    }

    @Test("a keep-alive message goes once the interval passes with no audio, then once per interval")
    func messageEveryInterval() {
        var schedule = KeepAliveSchedule(policy: .message(ping, interval: .seconds(5)), start: start)
        #expect(schedule.deadline == start + .seconds(5))
        let early = actions(&schedule, at: [4.9, 5])
        #expect(early == [nil, .sendMessage(ping)])
        // Sent at 5 s: the next is due at 10 s, not at once.
        #expect(schedule.deadline == start + .seconds(10))
        let later = actions(&schedule, at: [6, 10])
        #expect(later == [nil, .sendMessage(ping)])
    }

    @Test("audio restarts the interval: no keep-alive while audio flows")
    func audioRestartsInterval() {
        var schedule = KeepAliveSchedule(policy: .message(ping, interval: .seconds(5)), start: start)
        schedule.audioSent(at: start + .seconds(4))
        #expect(schedule.deadline == start + .seconds(9))
        let said = actions(&schedule, at: [8, 9])
        #expect(said == [nil, .sendMessage(ping)])
    }

    @Test("a silence policy asks for silent audio on the same schedule")
    func silence() {
        var schedule = KeepAliveSchedule(policy: .silence(interval: .seconds(2)), start: start)
        let said = actions(&schedule, at: [1, 2, 3, 4])
        #expect(said == [nil, .sendSilence, nil, .sendSilence])
    }

    @Test("an idle close comes after the interval without audio, and never once the input has ended")
    func idleClose() {
        var schedule = KeepAliveSchedule(policy: .closeWhenIdle(after: .seconds(3)), start: start)
        schedule.audioSent(at: start + .seconds(1))
        #expect(schedule.deadline == start + .seconds(4))
        let said = actions(&schedule, at: [3.9, 4])
        #expect(said == [nil, .closeIdle])
        // At the end of the input the sender finishes instead.
        let afterInput = actions(&schedule, at: [60], inputHasEnded: true)
        #expect(afterInput == [nil])
    }

    @Test("without a policy nothing is ever due")
    func none() {
        var schedule = KeepAliveSchedule(policy: .none, start: start)
        #expect(schedule.deadline == nil)
        let said = actions(&schedule, at: [3600])
        #expect(said == [nil])
    }
}
