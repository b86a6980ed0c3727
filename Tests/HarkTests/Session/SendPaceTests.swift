import Testing

@testable import Hark

@Suite("Send pace: providers that refuse audio faster than real time")
struct SendPaceTests {
    let start = ContinuousClock.now

    @Test("within the burst every chunk goes at once: a reconnect replays its backlog and catches up")
    func burstGoesAtOnce() {
        let pace = SendPace(maxSpeed: 1, burst: 120)
        // 60 s of replayed audio in 250 ms chunks: none waits.
        for chunk in 0..<240 {
            #expect(pace.earliestSend(afterSending: Double(chunk) * 0.25, since: start) == start)
        }
    }

    @Test("past the burst the connection is held to the provider's pace")
    func pacedPastBurst() {
        let pace = SendPace(maxSpeed: 1, burst: 120)
        #expect(pace.earliestSend(afterSending: 130, since: start) == start + .seconds(10))
        let double = SendPace(maxSpeed: 2, burst: 0.5)
        #expect(double.earliestSend(afterSending: 10.5, since: start) == start + .seconds(5))
    }

    @Test("AssemblyAI allows a two-minute burst (it measured about 310 s); Google half a second; Deepgram no limit")
    func providersPaces() {
        #expect(SendPace(AssemblyAIAdapter.descriptor.capabilities) == SendPace(maxSpeed: 1, burst: 120))
        #expect(SendPace(GoogleAdapter.descriptor.capabilities) == SendPace(maxSpeed: 1, burst: 0.5))
        #expect(SendPace(DeepgramAdapter.descriptor.capabilities) == nil)
    }
}
