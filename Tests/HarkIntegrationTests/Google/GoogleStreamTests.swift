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
    #expect(processIsGone(link.bridgeProcessID))
    return result
}

/// True when `pid` is neither running nor a zombie (it was reaped).
func processIsGone(_ pid: Int32) -> Bool {
    kill(pid, 0) == -1 && errno == ESRCH
}

/// Opens a bridge link for `adapter`'s call and sends its opening messages and 1 s of silence.
func openStreaming(_ adapter: GoogleAdapter) async throws -> GRPCBridgeLink {
    let link = try GRPCBridgeLink.connect(adapter.connectionRequest(), options: LinkOptions())
    for message in adapter.openingMessages() { try await link.send(message) }
    for _ in 0..<10 { try await sendSilence(adapter, link) }
    return link
}

/// 100 ms of silence at 16 kHz.
func sendSilence(_ adapter: GoogleAdapter, _ link: GRPCBridgeLink) async throws {
    for message in adapter.audioMessages([UInt8](repeating: 0, count: 3200)) { try await link.send(message) }
}

/// Google's streams through hark's own codec and the hark-grpc bridge against the grpcio fake:
/// the call, its statuses and how the adapter reads them, and the bridge process's life.
@Suite("Google gRPC streams over the hark-grpc bridge against the fake", .serialized)
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
        #expect(events.contains { $0["event"] as? String == "half-close" })
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

    @Test("TLS with a test CA passed as --cacert; without it the certificate is refused as a TLS failure")
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
        guard case .tlsFailed(let host, _) = failure else {
            Issue.record("expected a TLS failure, got \(failure)")
            return
        }
        #expect(host == "127.0.0.1:\(fake.port)")
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
            (1, "unavailable"), (3, "invalidRequest"), (4, "serverError"), (5, "invalidRequest"),
            (7, "permissionDenied"), (8, "rateLimited"), (9, "invalidRequest"), (10, "unavailable"),
            (11, "sessionLimitReached"), (12, "invalidRequest"), (13, "serverError"), (14, "unavailable"),
            (15, "serverError"), (16, "authenticationFailed"),
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
        guard case .grpcStatus(14, _) = failure else {
            Issue.record("expected UNAVAILABLE, got \(failure)")
            return
        }
        #expect(RetryPolicy.verdict(for: adapter.error(for: failure)) != .fail)
    }

    @Test("a server that accepts but never speaks HTTP/2 fails the call with the connect timeout")
    func connectTimeout() async throws {
        let silent = try FakeServer(script: "silent_server.py")
        defer { silent.stop() }
        let result = try await runStream(
            try fakeAdapter(silent), seconds: 0.1, options: LinkOptions(connectTimeout: .milliseconds(300)))
        #expect(result.failure == .timedOut(phase: "connecting (300 ms)"))
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
            openLink: TranscriptionRun.linkOpener(options: LinkOptions()),
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
            openLink: TranscriptionRun.linkOpener(options: LinkOptions()),
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

    @Test("with tiny queues on both sides, 4 MB sent before anything is read all come back, in order")
    func backPressureKeepsEverything() async throws {
        let echo = try FakeServer(script: "grpc_echo.py")
        defer { echo.stop() }
        let link = try GRPCBridgeLink.connect(
            ConnectionRequest(url: "http://127.0.0.1:\(echo.port)/hark.bench.Echo/Stream", headers: []),
            options: LinkOptions(), executable: PackagePaths.grpcBridgeBinary.path, outgoingCapacity: 16 << 10,
            incomingCapacity: 2)
        let count = 256
        // 4 MB: far more than the socket buffers, HTTP/2 windows and queues hold together, so
        // the sender waits on the reader, and the link stops reading the bridge whenever two
        // echoes wait (seen: dozens of pauses per run).
        let sender = Task {
            for index in 0..<count {
                try await link.send(.binary([UInt8](repeating: UInt8(index % 251), count: 16 << 10)))
            }
            await link.close()
        }
        var received: [UInt8] = []
        for try await message in link.inbound {
            guard case .binary(let bytes) = message else { continue }
            #expect(bytes.count == 16 << 10 && Set(bytes).count == 1)
            received.append(bytes[0])
        }
        try await sender.value
        #expect(received == (0..<count).map { UInt8($0 % 251) })
        await link.abort()
        #expect(processIsGone(link.bridgeProcessID))
    }

    @Test("the bridge killed mid-call: inbound fails with connectionLost naming the signal, sends fail")
    func bridgeKilledMidCall() async throws {
        let fake = try FakeServer(script: "google_speech.py", arguments: ["--script", googleScript])
        defer { fake.stop() }
        let adapter = try fakeAdapter(fake)
        let link = try await openStreaming(adapter)
        kill(link.bridgeProcessID, SIGKILL)
        var failure: LinkFailure?
        do {
            for try await _ in link.inbound {}
        } catch let error as LinkFailure {
            failure = error
        }
        guard case .connectionLost(let detail) = try #require(failure) else {
            Issue.record("expected connectionLost, got \(String(describing: failure))")
            return
        }
        #expect(detail.contains("hark-grpc was killed by signal 9"))
        await #expect(throws: LinkFailure.self) { try await sendSilence(adapter, link) }
        await link.abort()
        #expect(processIsGone(link.bridgeProcessID))
    }

    @Test("abort in the middle of a call: inbound fails, the bridge exits and is reaped before abort returns")
    func abortLeavesNoChild() async throws {
        let fake = try FakeServer(script: "google_speech.py", arguments: ["--script", googleScript])
        defer { fake.stop() }
        let adapter = try fakeAdapter(fake)
        let link = try await openStreaming(adapter)
        await link.abort()
        #expect(processIsGone(link.bridgeProcessID))
        await #expect(throws: LinkFailure.self) {
            for try await _ in link.inbound {}
        }
        await #expect(throws: LinkFailure.self) { try await sendSilence(adapter, link) }
    }

    @Test(
        "the bridge runs in its own process group with SIGINT and SIGTERM at their defaults, though hark ignores them")
    func processGroupAndSignals() async throws {
        let fake = try FakeServer(script: "google_speech.py", arguments: ["--script", googleScript])
        defer { fake.stop() }
        let adapter = try fakeAdapter(fake)
        // hark ignores both for its graceful stop; ignored signals would stay ignored across exec.
        let previous = (signal(SIGINT, SIG_IGN), signal(SIGTERM, SIG_IGN))
        let link: GRPCBridgeLink
        do {
            defer {
                signal(SIGINT, previous.0)
                signal(SIGTERM, previous.1)
            }
            link = try GRPCBridgeLink.connect(adapter.connectionRequest(), options: LinkOptions())
        }
        let pid = link.bridgeProcessID
        // A terminal's Ctrl-C goes to the foreground group: hark's, not the bridge's.
        #expect(getpgid(pid) == pid)
        #expect(getpgid(pid) != getpgrp())
        for message in adapter.openingMessages() { try await link.send(message) }
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let ignoredLine = try #require(status.split(separator: "\n").first { $0.hasPrefix("SigIgn:") })
        let ignored = try #require(UInt64(ignoredLine.split(separator: "\t").last ?? "", radix: 16))
        #expect(ignored & (1 << (UInt64(SIGINT) - 1)) == 0)
        #expect(ignored & (1 << (UInt64(SIGTERM) - 1)) == 0)
        await link.close()
        for try await _ in link.inbound {}
        await link.abort()
        #expect(processIsGone(pid))
    }

    @Test("a message sent after close() is refused; a second close() is harmless")
    func sendAfterClose() async throws {
        let fake = try FakeServer(script: "google_speech.py", arguments: ["--script", googleScript])
        defer { fake.stop() }
        let adapter = try fakeAdapter(fake)
        let link = try GRPCBridgeLink.connect(adapter.connectionRequest(), options: LinkOptions())
        for message in adapter.openingMessages() { try await link.send(message) }
        await link.close()
        await link.close()
        await #expect(throws: LinkFailure.protocolViolation(detail: "a message sent after close()")) {
            try await sendSilence(adapter, link)
        }
        for try await _ in link.inbound {}
        await link.abort()
        #expect(processIsGone(link.bridgeProcessID))
    }

    @Test("a URL that names no gRPC method fails the link as a protocol violation, from the bridge")
    func badMethodURL() async throws {
        let link = try GRPCBridgeLink.connect(
            ConnectionRequest(url: "https://127.0.0.1:1/no-method", headers: []), options: LinkOptions())
        var failure: LinkFailure?
        do {
            for try await _ in link.inbound {}
        } catch let error as LinkFailure {
            failure = error
        }
        guard case .protocolViolation(let detail) = try #require(failure) else {
            Issue.record("expected a protocol violation, got \(String(describing: failure))")
            return
        }
        #expect(detail.contains("/package.Service/Method"))
        await link.abort()
    }

    @Test("the locator finds the built hark-grpc beside the running program (here the test binary)")
    func locatorFindsBuiltBridge() throws {
        let located = try GRPCBridgeLocator.locate()
        #expect(located.hasSuffix("/hark-grpc"))
        #expect(FileManager.default.isExecutableFile(atPath: located))
    }

    @Test("a missing bridge executable is reported with where hark looked and how to install it")
    func missingBridge() throws {
        let error = #expect(throws: GRPCBridgeError.self) {
            _ = try GRPCBridgeLocator.locate(
                override: nil, runningExecutable: "/opt/hark/bin/hark", searchPath: "/usr/bin:/bin",
                isExecutable: { _ in false })
        }
        let text = try #require(error).description
        #expect(text.contains("/opt/hark/bin/hark-grpc"))
        #expect(text.contains("PATH"))
        #expect(text.contains("make install"))
    }
}
