import Foundation
import GoogleSpeechProto
import HarkTestSupport
import SwiftProtobuf
import Synchronization
import Testing

@testable import Hark

/// A stand-in for the Google adapter, built on the generated reference messages.
///
/// It lets the session, `TranscriptionRun.linkOpener` and the bridge be tested together before
/// hark's own codec lands, and knows only what these tests need: the config, audio, finals.
private struct ReferenceGoogleAdapter: ProviderAdapter {
    static let descriptor = ProviderDescriptor(
        name: "google-reference", displayName: "Google (reference)", summary: "test adapter", credentialVariables: [],
        defaultEndpoint: "http://127.0.0.1", defaultModel: "chirp_3", transport: .grpc,
        capabilities: ProviderCapabilities(
            interimResults: true, wordTimings: false, diarization: false, encodings: [.linear16]))

    var endpoint = ""
    /// `closeWhenIdle` after this long without audio (nil: no keep-alive), shorter than
    /// Google's so the test is quick.
    var idleClose: Duration?

    init(options: ProviderOptions) {}

    init(endpoint: String, idleClose: Duration? = nil) {
        self.endpoint = endpoint
        self.idleClose = idleClose
    }

    var audio: AudioRequirements { AudioRequirements(sampleRate: 16_000, encoding: .linear16) }
    var keepAlive: KeepAlivePolicy { idleClose.map { .closeWhenIdle(after: $0) } ?? .none }
    var finishesByHalfClose: Bool { true }

    func connectionRequest() -> ConnectionRequest {
        ConnectionRequest(
            url: "\(endpoint)/google.cloud.speech.v2.Speech/StreamingRecognize",
            headers: [
                HTTPHeader("Authorization", "Bearer test-token"),
                HTTPHeader("x-goog-request-params", "recognizer=projects%2Fmy-proj%2Flocations%2Fus%2Frecognizers%2F_"),
            ])
    }

    func openingMessages() -> [WireMessage] {
        var request = Google_Cloud_Speech_V2_StreamingRecognizeRequest()
        request.recognizer = "projects/my-proj/locations/us/recognizers/_"
        var config = Google_Cloud_Speech_V2_StreamingRecognitionConfig()
        config.config.model = "chirp_3"
        config.config.languageCodes = ["en-US"]
        config.config.explicitDecodingConfig.encoding = .linear16
        config.config.explicitDecodingConfig.sampleRateHertz = 16_000
        config.config.explicitDecodingConfig.audioChannelCount = 1
        request.streamingConfig = config
        return [(try? request.serializedBytes()).map(WireMessage.binary)].compactMap { $0 }
    }

    func audioMessages(_ payload: [UInt8]) -> [WireMessage] {
        var request = Google_Cloud_Speech_V2_StreamingRecognizeRequest()
        request.audio = Data(payload)
        return [(try? request.serializedBytes()).map(WireMessage.binary)].compactMap { $0 }
    }

    func finishMessages() -> [WireMessage] { [] }

    func makeDecoder() -> any TranscriptDecoder { Decoder() }

    func error(for failure: LinkFailure) -> ProviderError {
        let name = Self.descriptor.displayName
        switch failure {
        case .grpcStatus(11, let message): return .sessionLimitReached(provider: name, hint: message)
        case .grpcStatus(14, let message): return .unavailable(provider: name, hint: message)
        case .grpcStatus(_, let message): return .invalidRequest(provider: name, hint: message)
        default: return .unavailable(provider: name, hint: failure.description)
        }
    }

    struct Decoder: TranscriptDecoder {
        var isFinished: Bool { false }

        mutating func decode(_ message: WireMessage) throws -> [TranscriptEvent] {
            guard case .binary(let bytes) = message else { return [] }
            let response = try Google_Cloud_Speech_V2_StreamingRecognizeResponse(serializedBytes: bytes)
            return response.results.filter(\.isFinal).compactMap { result in
                guard let text = result.alternatives.first?.transcript else { return nil }
                let end = Double(result.resultEndOffset.seconds) + Double(result.resultEndOffset.nanos) / 1e9
                return .final(TranscriptSegment(text: text, start: max(0, end - 0.5), end: end, words: []))
            }
        }
    }
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
                        for _ in 0..<1200 {
                            if fake.recordedEvents().contains(where: { $0["event"] as? String == "status" }) { return }
                            try? await Task.sleep(for: .milliseconds(50))
                        }
                    }),
            ], pauseAtEnd: .seconds(3))
        let events = Mutex<[TranscriptEvent]>([])
        let session = TranscriptionSession(
            adapter: ReferenceGoogleAdapter(endpoint: fake.endpoint(scheme: "http"), idleClose: .seconds(1)),
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
            adapter: ReferenceGoogleAdapter(endpoint: fake.endpoint(scheme: "http"), idleClose: .seconds(1)),
            options: SessionOptions(backoff: Backoff(base: 0.01, cap: 0.05, maxAttempts: 1)),
            openLink: TranscriptionRun.linkOpener(options: LinkOptions()),
            makeEncoder: { _ in Linear16Encoder() })
        let stopper = Task {
            // Once the fake has ended the first stream (hark's idle close), as Ctrl-C would.
            while !fake.recordedEvents().contains(where: { $0["event"] as? String == "status" }) {
                try await Task.sleep(for: .milliseconds(50))
            }
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
        let adapter = ReferenceGoogleAdapter(endpoint: "http://127.0.0.1:1")
        do {
            _ = try await opener(adapter, adapter.connectionRequest())
            Issue.record("a gRPC link opened through a proxy")
        } catch ProviderError.invalidOption(_, let option, let hint) {
            #expect(option == "--proxy")
            #expect(hint.contains("Remove --proxy"))
        }
    }
}
