import Foundation
import HarkTestSupport
import Synchronization
import Testing

@testable import Hark

/// Two utterances in the first three seconds of input.
let googleScript = #"[{"start":0.5,"end":1.5,"text":"hello there world"},{"start":2.2,"end":2.9,"text":"bye now"}]"#

/// An adapter pointed at a fake, with the token the fake accepts.
func fakeAdapter(
    _ fake: FakeServer, scheme: String = "http", token: String = "test-token", settings: [String: String] = [:]
) throws -> GoogleAdapter {
    var all = ["project": "my-proj"]
    all.merge(settings) { $1 }
    return try GoogleAdapter(
        options: ProviderOptions(endpoint: fake.endpoint(scheme: scheme), settings: all),
        environment: ["GOOGLE_ACCESS_TOKEN": token], tokenClient: CurlTokenEndpointClient(),
        readFile: { _ in nil })
}

/// What one stream produced: events until `inbound` ended, and how it ended.
struct StreamResult {
    var events: [TranscriptEvent] = []
    var failure: LinkFailure?
    var finals: [String] {
        events.compactMap { if case .final(let segment) = $0 { segment.text } else { nil } }
    }
}

/// Runs one stream: the opening message, `seconds` of silence in 100 ms messages, half-close,
/// then reads to the end.
func runStream(
    _ adapter: GoogleAdapter, seconds: Double, options: LinkOptions = LinkOptions(), request: ConnectionRequest? = nil
) async throws -> StreamResult {
    let link = try GRPCBridgeLink.connect(request ?? adapter.connectionRequest(), options: options)
    let reader = Task {
        var result = StreamResult()
        var decoder = adapter.makeDecoder()
        do {
            for try await message in link.inbound { result.events += try decoder.decode(message) }
        } catch let failure as LinkFailure {
            result.failure = failure
        }
        return result
    }
    do {
        for message in adapter.openingMessages() { try await link.send(message) }
        for _ in 0..<Int(seconds * 10) {
            for message in adapter.audioMessages([UInt8](repeating: 0, count: 3200)) { try await link.send(message) }
        }
        await link.close()
    } catch {
        // The server ended the call while we were sending; its status arrives on inbound.
    }
    let result = try await reader.value
    await link.abort()
    return result
}

@Suite("Google gRPC stream against the fake", .serialized)
struct GoogleStreamTests {
    @Test("plaintext h2c: config, audio, half-close; interims, finals, speech events, then a clean end")
    func plaintextStream() async throws {
        let fake = try FakeServer(
            script: "google_speech.py", arguments: ["--script", googleScript, "--location", "us"])
        defer { fake.stop() }
        let result = try await runStream(try fakeAdapter(fake), seconds: 3)
        #expect(result.failure == nil)
        #expect(result.finals == ["hello there world", "bye now"])
        #expect(result.events.contains(.speechStarted(at: 0.5)))
        #expect(result.events.contains { if case .interim = $0 { true } else { false } })
        let events = fake.recordedEvents()
        let open = try #require(events.first { $0["event"] as? String == "open" })
        let metadata = try #require(open["metadata"] as? [String: String])
        #expect(metadata["authorization"] == "Bearer test-token")
        #expect(metadata["x-goog-request-params"] == "recognizer=projects%2Fmy-proj%2Flocations%2Fus%2Frecognizers%2F_")
        #expect(fake.recorded("audio.bin").count == 30 * 3200)
        #expect(events.last?["event"] as? String == "status")
    }

    @Test("the last words arrive after the half-close: the link reads until the status")
    func lastWordsAfterHalfClose() async throws {
        // The utterance ends exactly where the audio ends, so only the half-close flush finalizes it.
        let script = #"[{"start":0.2,"end":1.0,"text":"final words"}]"#
        let fake = try FakeServer(script: "google_speech.py", arguments: ["--script", script])
        defer { fake.stop() }
        let result = try await runStream(try fakeAdapter(fake), seconds: 1)
        #expect(result.failure == nil)
        #expect(result.finals == ["final words"])
    }

    @Test("TLS with a test CA passed as --cacert; without it the certificate is refused")
    func tls() async throws {
        let authority = try TestCertificateAuthority()
        let fake = try FakeServer(
            script: "google_speech.py",
            arguments: [
                "--script", googleScript, "--tls-cert", authority.serverCertificate, "--tls-key", authority.serverKey,
            ])
        defer { fake.stop() }
        let adapter = try fakeAdapter(fake, scheme: "https")
        let result = try await runStream(adapter, seconds: 3, options: LinkOptions(caBundle: authority.caCertificate))
        #expect(result.failure == nil)
        #expect(result.finals == ["hello there world", "bye now"])

        let refused = try await runStream(adapter, seconds: 0.2)
        let failure = try #require(refused.failure)
        #expect(caseName(adapter.error(for: failure)) == "unavailable")
    }

    @Test("a wrong token ends the call with UNAUTHENTICATED, reported as an authentication failure")
    func wrongToken() async throws {
        let fake = try FakeServer(script: "google_speech.py", arguments: ["--script", googleScript])
        defer { fake.stop() }
        let adapter = try fakeAdapter(fake, token: "wrong")
        let result = try await runStream(adapter, seconds: 0.5)
        let failure = try #require(result.failure)
        guard case .grpcStatus(16, let message) = failure else {
            Issue.record("expected UNAUTHENTICATED, got \(failure)")
            return
        }
        #expect(message.contains("invalid authentication credentials"))
        #expect(caseName(adapter.error(for: failure)) == "authenticationFailed")
    }

    @Test("a status sent while the client is still sending arrives intact (the case libcurl loses)")
    func statusWhileSending() async throws {
        let fake = try FakeServer(
            script: "google_speech.py",
            arguments: [
                "--script", googleScript, "--scenario",
                "fail-after-bytes=16000:11:Exceeded maximum allowed stream duration of 305 seconds.",
            ])
        defer { fake.stop() }
        let adapter = try fakeAdapter(fake)
        let result = try await runStream(adapter, seconds: 5)
        #expect(
            result.failure == .grpcStatus(code: 11, message: "Exceeded maximum allowed stream duration of 305 seconds.")
        )
        #expect(caseName(adapter.error(for: try #require(result.failure))) == "sessionLimitReached")
    }

    @Test(
        "every status the server ends a call with reaches the adapter with its message",
        arguments: [
            (3, "invalidRequest"), (7, "permissionDenied"), (8, "rateLimited"), (13, "serverError"),
            (14, "unavailable"), (4, "serverError"), (16, "authenticationFailed"), (11, "sessionLimitReached"),
        ])
    func statuses(code: Int, expected: String) async throws {
        let fake = try FakeServer(
            script: "google_speech.py", arguments: ["--scenario", "fail=\(code):scripted failure \(code)"])
        defer { fake.stop() }
        let adapter = try fakeAdapter(fake)
        let result = try await runStream(adapter, seconds: 0.3)
        #expect(result.failure == .grpcStatus(code: code, message: "scripted failure \(code)"))
        #expect(caseName(adapter.error(for: try #require(result.failure))) == expected)
    }

    @Test("without the routing header the fake answers like Google: INVALID_ARGUMENT RESOURCE_PROJECT_INVALID")
    func routingHeaderChecked() async throws {
        let fake = try FakeServer(script: "google_speech.py", arguments: ["--script", googleScript])
        defer { fake.stop() }
        let adapter = try fakeAdapter(fake)
        var request = try adapter.connectionRequest()
        request.headers.removeAll { $0.name == "x-goog-request-params" }
        let result = try await runStream(adapter, seconds: 0.3, request: request)
        guard case .grpcStatus(3, let message) = try #require(result.failure) else {
            Issue.record("expected INVALID_ARGUMENT, got \(String(describing: result.failure))")
            return
        }
        #expect(message.contains("RESOURCE_PROJECT_INVALID"))
    }

    @Test("a recognizer in another location than the host's is refused by the fake, as by Google")
    func locationChecked() async throws {
        let fake = try FakeServer(script: "google_speech.py", arguments: ["--location", "eu"])
        defer { fake.stop() }
        let result = try await runStream(try fakeAdapter(fake), seconds: 0.3)
        guard case .grpcStatus(3, _) = try #require(result.failure) else {
            Issue.record("expected INVALID_ARGUMENT")
            return
        }
    }

    @Test("nothing listening: the call fails fast as unavailable, which the session retries")
    func nothingListening() async throws {
        let fake = try FakeServer(script: "google_speech.py")
        let adapter = try fakeAdapter(fake)
        fake.stop()
        let result = try await runStream(adapter, seconds: 0.1)
        let failure = try #require(result.failure)
        #expect(RetryPolicy.verdict(for: adapter.error(for: failure)) != .fail)
    }

    @Test("audio sent much faster than real time ends the stream with OUT_OF_RANGE, a session limit")
    func tooFast() async throws {
        let fake = try FakeServer(
            script: "google_speech.py", arguments: ["--script", googleScript, "--scenario", "max-speed=2"])
        defer { fake.stop() }
        let adapter = try fakeAdapter(fake)
        let result = try await runStream(adapter, seconds: 5)
        guard case .grpcStatus(11, let message) = try #require(result.failure) else {
            Issue.record("expected OUT_OF_RANGE, got \(String(describing: result.failure))")
            return
        }
        #expect(message.contains("too fast"))
        #expect(caseName(adapter.error(for: try #require(result.failure))) == "sessionLimitReached")
    }

    @Test("a session half-closes at the end of the input, so words Google finalizes only then are delivered")
    func sessionHalfCloses() async throws {
        // The utterance runs to the very end of the input: only the half-close flush finalizes it.
        let script = #"[{"start":0.5,"end":2.0,"text":"the very last words"}]"#
        let fake = try FakeServer(script: "google_speech.py", arguments: ["--script", script])
        defer { fake.stop() }
        let events = Mutex<[TranscriptEvent]>([])
        let session = TranscriptionSession(
            adapter: try fakeAdapter(fake),
            options: SessionOptions(
                backoff: Backoff(base: 0.01, cap: 0.05, maxAttempts: 2), finishTimeout: .seconds(30)),
            openLink: { _, request in try GRPCBridgeLink.connect(request, options: LinkOptions()) },
            makeEncoder: { _ in Linear16Encoder() })
        let outcome = try await session.run(
            source: MemoryAudioSource(samples: [Float](repeating: 0, count: 2 * 16_000), sampleRate: 16_000),
            makePipeline: {
                AudioPipeline(inputRate: 16_000, inputChannels: 1, configuration: .init(outputRate: 16_000))
            },
            stop: StopRequest(), emit: { event in events.withLock { $0.append(event) } })
        let finals = events.withLock { $0 }.compactMap { if case .final(let s) = $0 { s.text } else { nil } }
        #expect(finals == ["the very last words"])
        #expect(outcome.summary.reconnects == 0)
        #expect(fake.recordedEvents().contains { $0["event"] as? String == "half-close" })
    }

    @Test("a session rotates at the stream limit (OUT_OF_RANGE) and replays without losing or repeating words")
    func sessionRotation() async throws {
        let script =
            #"[{"start":0.3,"end":1.0,"text":"first part"},{"start":1.9,"end":2.5,"text":"second part"},"#
            + #"{"start":3.2,"end":3.75,"text":"third part"}]"#
        let fake = try FakeServer(
            script: "google_speech.py", arguments: ["--script", script, "--stream-limit", "2.0"])
        defer { fake.stop() }
        let adapter = try fakeAdapter(fake)
        let events = Mutex<[TranscriptEvent]>([])
        let session = TranscriptionSession(
            adapter: adapter, options: SessionOptions(backoff: Backoff(base: 0.01, cap: 0.05, maxAttempts: 6)),
            openLink: { _, request in try GRPCBridgeLink.connect(request, options: LinkOptions()) },
            makeEncoder: { _ in Linear16Encoder() })
        let outcome = try await session.run(
            source: MemoryAudioSource(samples: [Float](repeating: 0, count: 4 * 16_000), sampleRate: 16_000),
            makePipeline: {
                AudioPipeline(inputRate: 16_000, inputChannels: 1, configuration: .init(outputRate: 16_000))
            },
            stop: StopRequest(), emit: { event in events.withLock { $0.append(event) } })
        let finals = events.withLock { $0 }.compactMap { if case .final(let s) = $0 { s } else { nil } }
        #expect(finals.map(\.text) == ["first part", "second part", "third part"])
        #expect(outcome.summary.reconnects >= 1)
        // Times are on the input timeline across streams. (Utterances end on 250 ms chunk
        // boundaries, so the fake's guess of where a replay starts is exact.)
        #expect(finals.map(\.end).map { ($0 * 100).rounded() / 100 } == [1.0, 2.5, 3.75])
    }
}
