import Foundation
import HarkTestSupport
import Synchronization
import Testing

@testable import Hark

/// Google's adapter pointed at `fake`, closing a stream after 1 s without audio (Google's
/// 8 s would make these tests slow).
private func quicklyIdleAdapter(_ fake: FakeServer) throws -> GoogleAdapter {
    var adapter = try fakeAdapter(fake)
    adapter.idleCloseAfter = .seconds(1)
    return adapter
}

/// Stretches of audio with real-time pauses before them, and one after the last: the session
/// gets no chunks during a pause, as while a voice-activity gate holds silence back. (The
/// pipeline places the stretches back to back on the input timeline.)
private struct GappedAudioSource: AudioSource {
    struct Stretch: Sendable {
        var pauseBefore: Duration
        var seconds: Double
        /// Awaited after the pause, before the stretch: ties it to an event rather than to the
        /// wall clock, which a loaded test process cannot keep.
        var waitFor: (@Sendable () async -> Void)? = nil
    }

    let stretches: [Stretch]
    let pauseAtEnd: Duration
    /// Wall-clock time each stretch began to be delivered, in order.
    let delivered = LockedValue<[Date]>([])

    var format: AudioFormat { AudioFormat(sampleRate: 16_000, channels: 1, sampleFormat: .f32le) }
    var name: String { "gapped" }
    var isLive: Bool { false }
    var duration: Double? { stretches.reduce(0) { $0 + $1.seconds } }

    func blocks() -> AsyncThrowingStream<AudioBlock, any Error> {
        let stretches = stretches
        let pauseAtEnd = pauseAtEnd
        let delivered = delivered
        return AsyncThrowingStream { continuation in
            let task = Task {
                var inputStart = 0.0
                for stretch in stretches {
                    try await Task.sleep(for: stretch.pauseBefore)
                    if let waitFor = stretch.waitFor { await waitFor() }
                    delivered.withLock { $0.append(Date()) }
                    let blocks = Int((stretch.seconds * 50).rounded())
                    for index in 0..<blocks {
                        continuation.yield(
                            AudioBlock(
                                samples: [Float](repeating: 0, count: 320), sampleRate: 16_000, channels: 1,
                                inputStart: inputStart + Double(index) * 0.02))
                    }
                    inputStart += stretch.seconds
                }
                try await Task.sleep(for: pauseAtEnd)
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

@Suite("A transcription session over the gRPC bridge", .serialized)
struct GRPCBridgeSessionTests {
    @Test("an idle stream is half-closed, not fed, and the next stream opens only when audio comes")
    func idleStreamClosedThenReopened() async throws {
        // Input 0-2 s, then nothing (the gate holding silence back) until hark has closed the
        // idle stream, input 2-4 s, then 3 s with nothing before the input ends; the adapter
        // closes after 1 s. The pause is tied to the fake's record, not to the wall clock: in a
        // full test run this process's tasks can stall for seconds (seen: 7.7 s between a
        // stream's opening and its first audio), and neither has an audio timeout here (the
        // end-to-end test has Google's real one).
        // The fake starts each stream where the last final ended (1.5): "second words" is at
        // 0.8-1.8 s of the second stream.
        let script =
            #"[{"start":0.5,"end":1.5,"text":"first words"},{"start":2.3,"end":3.3,"text":"second words"}]"#
        let fake = try FakeServer(
            script: "google_speech.py", arguments: ["--script", script])
        defer { fake.stop() }
        let source = GappedAudioSource(
            stretches: [
                .init(pauseBefore: .zero, seconds: 2),
                .init(
                    pauseBefore: .seconds(2), seconds: 2,
                    waitFor: {
                        // Until the first stream has ended (or a minute passed: the checks
                        // below then say what went wrong).
                        _ = await Evidence.wait(limit: .seconds(60)) {
                            fake.recordedEvents().contains(where: { $0["event"] as? String == "status" })
                        }
                    }),
            ], pauseAtEnd: .seconds(3))
        let events = Mutex<[TranscriptEvent]>([])
        let session = TranscriptionSession(
            adapter: try quicklyIdleAdapter(fake),
            options: SessionOptions(backoff: Backoff(base: 0.01, cap: 0.05, maxAttempts: 1)),
            openLink: TranscriptionRun.linkOpener(options: LinkOptions()),
            makeEncoder: { _ in Linear16Encoder() })
        let outcome = try await session.run(
            source: source,
            makePipeline: {
                AudioPipeline(inputRate: 16_000, inputChannels: 1, configuration: .init(outputRate: 16_000))
            },
            stop: StopRequest(), emit: { event in events.withLock { $0.append(event) } })

        let finals = events.withLock { $0 }.compactMap { if case .final(let s) = $0 { s } else { nil } }
        #expect(finals.map(\.text) == ["first words", "second words"])
        // On the input timeline: the second stream's 1.8 s is the input's 3.8 s.
        #expect(finals.map { ($0.end * 100).rounded() / 100 } == [1.5, 3.8])
        #expect(outcome.summary.reconnects == 0)
        #expect(abs(outcome.summary.secondsSent - 4) < 0.001)
        let statuses = events.withLock { $0 }.compactMap { if case .status(let s) = $0 { s } else { nil } }
        #expect(!statuses.contains { if case .reconnecting = $0 { true } else { false } })

        let recorded = fake.recordedEvents()
        func of(_ conn: Int, _ type: String) -> [[String: Any]] {
            recorded.filter { $0["conn"] as? Int == conn && $0["event"] as? String == type }
        }
        // Two streams, each ended by hark's half-close with status OK; no third for the
        // trailing pause.
        #expect(recorded.filter { $0["event"] as? String == "open" }.count == 2, "\(recorded)")
        for conn in [1, 2] {
            #expect(of(conn, "half-close").count == 1, "\(recorded)")
            #expect(of(conn, "status").map { $0["code"] as? Int } == [0], "\(recorded)")
        }
        // Each stretch went once, to its own stream: the first was closed while nothing came
        // (the second stretch is not in it), and nothing finalized was replayed.
        #expect(fake.recorded("audio-1.bin").count == 64_000)
        #expect(fake.recorded("audio-2.bin").count == 64_000)
        // The second stream opened only after audio came again. (When the first one's
        // half-close reached the fake is not compared: under load it can trail the decision.)
        let resumed = try #require(source.delivered.value.last).timeIntervalSince1970
        let reopened = try #require(of(2, "open").first?["at"] as? Double)
        #expect(reopened >= resumed, "resumed \(resumed), reopened \(reopened)")
    }

    @Test("a stop request while the stream is closed for idleness ends the run: nothing lost, no new stream")
    func stopWhileIdleClosed() async throws {
        let script = #"[{"start":0.5,"end":1.5,"text":"first words"}]"#
        let fake = try FakeServer(
            script: "google_speech.py", arguments: ["--script", script])
        defer { fake.stop() }
        // 2 s of input, then nothing for a minute: the stop comes first.
        let source = GappedAudioSource(stretches: [.init(pauseBefore: .zero, seconds: 2)], pauseAtEnd: .seconds(60))
        let stop = StopRequest()
        let events = Mutex<[TranscriptEvent]>([])
        let session = TranscriptionSession(
            adapter: try quicklyIdleAdapter(fake),
            options: SessionOptions(backoff: Backoff(base: 0.01, cap: 0.05, maxAttempts: 1)),
            openLink: TranscriptionRun.linkOpener(options: LinkOptions()),
            makeEncoder: { _ in Linear16Encoder() })
        let stopper = Task {
            // Once the fake has ended the first stream (hark's idle close), as Ctrl-C would; if it
            // never does, the stop still comes and the checks below say what went wrong.
            _ = await Evidence.wait { fake.recordedEvents().contains(where: { $0["event"] as? String == "status" }) }
            _ = stop.request()
        }
        defer { stopper.cancel() }
        let outcome = try await session.run(
            source: source,
            makePipeline: {
                AudioPipeline(inputRate: 16_000, inputChannels: 1, configuration: .init(outputRate: 16_000))
            },
            stop: stop, emit: { event in events.withLock { $0.append(event) } })

        let finals = events.withLock { $0 }.compactMap { if case .final(let s) = $0 { s.text } else { nil } }
        #expect(finals == ["first words"])
        #expect(outcome.lostRanges.isEmpty)
        #expect(abs(outcome.summary.secondsSent - 2) < 1e-6)
        #expect(abs(outcome.summary.secondsCaptured - 2) < 1e-6)
        let recorded = fake.recordedEvents()
        #expect(recorded.filter { $0["event"] as? String == "open" }.count == 1, "\(recorded)")
        #expect(recorded.filter { $0["event"] as? String == "status" }.compactMap { $0["code"] as? Int } == [0])
    }

    @Test("--proxy is refused for a gRPC provider, naming the option, before any bridge starts")
    func proxyRefused() async throws {
        let opener = TranscriptionRun.linkOpener(options: LinkOptions(proxy: "http://127.0.0.1:3128"))
        let adapter = try GoogleAdapter(
            options: ProviderOptions(endpoint: "http://127.0.0.1:1", settings: ["project": "my-proj"]),
            environment: ["GOOGLE_ACCESS_TOKEN": "test-token"], tokenClient: CurlTokenEndpointClient(),
            readFile: { _ in nil })
        do {
            _ = try await opener(adapter, adapter.connectionRequest())
            Issue.record("a gRPC link opened through a proxy")
        } catch ProviderError.invalidOption(_, let option, let hint) {
            #expect(option == "--proxy")
            #expect(hint.contains("Remove --proxy"))
        }
    }
}
