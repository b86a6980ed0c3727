import Foundation
import GRPCBridgeWire
import GoogleSpeechProto
import HarkTestSupport
import SwiftProtobuf
import Testing

@testable import Hark

/// Two utterances in the first three seconds of input.
private let bridgeScript =
    #"[{"start":0.5,"end":1.5,"text":"hello there world"},{"start":2.2,"end":2.9,"text":"bye now"}]"#

private let recognizer = "projects/my-proj/locations/us/recognizers/_"

/// The call to the fake's StreamingRecognize with the metadata Google wants.
private func bridgeRequest(
    _ fake: FakeServer, scheme: String = "http", token: String = "test-token", routing: Bool = true
) -> ConnectionRequest {
    var headers = [HTTPHeader("authorization", "Bearer \(token)")]
    if routing {
        headers.append(
            HTTPHeader("x-goog-request-params", "recognizer=projects%2Fmy-proj%2Flocations%2Fus%2Frecognizers%2F_"))
    }
    return ConnectionRequest(
        url: "\(scheme)://127.0.0.1:\(fake.port)/google.cloud.speech.v2.Speech/StreamingRecognize", headers: headers)
}

/// The first request: recognizer and streaming config (LINEAR16 16 kHz, interims, events), no audio.
private func configMessage() throws -> [UInt8] {
    var decoding = Google_Cloud_Speech_V2_ExplicitDecodingConfig()
    decoding.encoding = .linear16
    decoding.sampleRateHertz = 16_000
    decoding.audioChannelCount = 1
    var config = Google_Cloud_Speech_V2_RecognitionConfig()
    config.explicitDecodingConfig = decoding
    config.model = "chirp_3"
    config.languageCodes = ["en-US"]
    config.features.enableWordTimeOffsets = true
    var streaming = Google_Cloud_Speech_V2_StreamingRecognitionConfig()
    streaming.config = config
    streaming.streamingFeatures.interimResults = true
    streaming.streamingFeatures.enableVoiceActivityEvents = true
    var request = Google_Cloud_Speech_V2_StreamingRecognizeRequest()
    request.recognizer = recognizer
    request.streamingConfig = streaming
    return try request.serializedBytes()
}

/// 100 ms of silence at 16 kHz as one audio request.
private func audioMessage() throws -> [UInt8] {
    var request = Google_Cloud_Speech_V2_StreamingRecognizeRequest()
    request.audio = Data(count: 3200)
    return try request.serializedBytes()
}

/// What one call produced: the responses until `inbound` ended, and how it ended.
private struct BridgeStreamResult {
    var responses: [Google_Cloud_Speech_V2_StreamingRecognizeResponse] = []
    var failure: LinkFailure?

    var finals: [String] {
        responses.flatMap { $0.results }.filter(\.isFinal).compactMap { $0.alternatives.first?.transcript }
    }
    var interims: Int { responses.flatMap { $0.results }.filter { !$0.isFinal }.count }
    var speechEvents: [Google_Cloud_Speech_V2_StreamingRecognizeResponse.SpeechEventType] {
        responses.map(\.speechEventType).filter { $0 != .unspecified }
    }
}

/// Opens a bridge link to the built `hark-grpc`.
private func openLink(_ request: ConnectionRequest, options: LinkOptions = LinkOptions()) throws -> GRPCBridgeLink {
    try GRPCBridgeLink.connect(request, options: options, executable: PackagePaths.grpcBridgeBinary.path)
}

/// Runs one call: the config, `seconds` of silence in 100 ms messages, half-close, then reads to
/// the end; the link is aborted afterwards, as the session does.
private func runStream(
    _ request: ConnectionRequest, seconds: Double, options: LinkOptions = LinkOptions()
) async throws -> BridgeStreamResult {
    let link = try openLink(request, options: options)
    let reader = Task {
        var result = BridgeStreamResult()
        do {
            for try await message in link.inbound {
                guard case .binary(let bytes) = message else {
                    Issue.record("a text message from a gRPC link")
                    continue
                }
                result.responses.append(try Google_Cloud_Speech_V2_StreamingRecognizeResponse(serializedBytes: bytes))
            }
        } catch let failure as LinkFailure {
            result.failure = failure
        }
        return result
    }
    do {
        try await link.send(.binary(configMessage()))
        let audio = try audioMessage()
        for _ in 0..<Int(seconds * 10) { try await link.send(.binary(audio)) }
        await link.close()
    } catch is LinkFailure {
        // The server ended the call while we were sending; its status arrives on inbound.
    }
    let result = try await reader.value
    await link.abort()
    #expect(processIsGone(link.bridgeProcessID))
    return result
}

/// True when `pid` is neither running nor a zombie (it was reaped).
private func processIsGone(_ pid: Int32) -> Bool {
    kill(pid, 0) == -1 && errno == ESRCH
}

@Suite("gRPC bridge link (hark-grpc) against the grpcio Google fake", .serialized)
struct GRPCBridgeLinkTests {
    @Test("plaintext h2c: config, audio, half-close; interims, finals, speech events, then a clean end")
    func plaintextStream() async throws {
        let fake = try FakeServer(
            script: "google_speech.py", arguments: ["--script", bridgeScript, "--location", "us"])
        defer { fake.stop() }
        let result = try await runStream(bridgeRequest(fake), seconds: 3)
        #expect(result.failure == nil)
        #expect(result.finals == ["hello there world", "bye now"])
        #expect(result.interims > 0)
        #expect(result.speechEvents.first == .speechActivityBegin)
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
        let result = try await runStream(bridgeRequest(fake), seconds: 1)
        #expect(result.failure == nil)
        #expect(result.finals == ["final words"])
    }

    @Test("TLS with a test CA passed as --cacert; without it the certificate is refused as a TLS failure")
    func tls() async throws {
        let authority = try TestCertificateAuthority()
        let fake = try FakeServer(
            script: "google_speech.py",
            arguments: [
                "--script", bridgeScript, "--tls-cert", authority.serverCertificate, "--tls-key", authority.serverKey,
            ])
        defer { fake.stop() }
        let request = bridgeRequest(fake, scheme: "https")
        let result = try await runStream(request, seconds: 3, options: LinkOptions(caBundle: authority.caCertificate))
        #expect(result.failure == nil)
        #expect(result.finals == ["hello there world", "bye now"])

        let refused = try await runStream(request, seconds: 0.2)
        guard case .tlsFailed(let host, _) = try #require(refused.failure) else {
            Issue.record("expected a TLS failure, got \(String(describing: refused.failure))")
            return
        }
        #expect(host == "127.0.0.1:\(fake.port)")
    }

    @Test("a wrong token ends the call with UNAUTHENTICATED and the server's message")
    func wrongToken() async throws {
        let fake = try FakeServer(script: "google_speech.py", arguments: ["--script", bridgeScript])
        defer { fake.stop() }
        let result = try await runStream(bridgeRequest(fake, token: "wrong"), seconds: 0.5)
        guard case .grpcStatus(16, let message) = try #require(result.failure) else {
            Issue.record("expected UNAUTHENTICATED, got \(String(describing: result.failure))")
            return
        }
        #expect(message.contains("invalid authentication credentials"))
    }

    @Test("a status sent while the client is still sending arrives intact (the case libcurl loses)")
    func statusWhileSending() async throws {
        let fake = try FakeServer(
            script: "google_speech.py",
            arguments: [
                "--script", bridgeScript, "--scenario",
                "fail-after-bytes=16000:11:Exceeded maximum allowed stream duration of 305 seconds.",
            ])
        defer { fake.stop() }
        let result = try await runStream(bridgeRequest(fake), seconds: 5)
        #expect(
            result.failure == .grpcStatus(code: 11, message: "Exceeded maximum allowed stream duration of 305 seconds.")
        )
    }

    @Test(
        "every status the server ends a call with reaches hark with its code and message",
        arguments: [1, 3, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16])
    func statuses(code: Int) async throws {
        let fake = try FakeServer(
            script: "google_speech.py", arguments: ["--scenario", "fail=\(code):scripted failure \(code)"])
        defer { fake.stop() }
        let result = try await runStream(bridgeRequest(fake), seconds: 0.3)
        #expect(result.failure == .grpcStatus(code: code, message: "scripted failure \(code)"))
    }

    @Test("without the routing header the fake answers like Google: INVALID_ARGUMENT RESOURCE_PROJECT_INVALID")
    func routingHeaderChecked() async throws {
        let fake = try FakeServer(script: "google_speech.py", arguments: ["--script", bridgeScript])
        defer { fake.stop() }
        let result = try await runStream(bridgeRequest(fake, routing: false), seconds: 0.3)
        guard case .grpcStatus(3, let message) = try #require(result.failure) else {
            Issue.record("expected INVALID_ARGUMENT, got \(String(describing: result.failure))")
            return
        }
        #expect(message.contains("RESOURCE_PROJECT_INVALID"))
    }

    @Test("nothing listening: the call fails at once as UNAVAILABLE, which the session retries")
    func nothingListening() async throws {
        let fake = try FakeServer(script: "google_speech.py")
        let request = bridgeRequest(fake)
        fake.stop()
        let result = try await runStream(request, seconds: 0.1)
        guard case .grpcStatus(14, _) = try #require(result.failure) else {
            Issue.record("expected UNAVAILABLE, got \(String(describing: result.failure))")
            return
        }
    }

    @Test("a server that accepts but never speaks HTTP/2 fails the call with the connect timeout")
    func connectTimeout() async throws {
        let silent = try FakeServer(script: "silent_server.py")
        defer { silent.stop() }
        let request = ConnectionRequest(
            url: "http://127.0.0.1:\(silent.port)/google.cloud.speech.v2.Speech/StreamingRecognize", headers: [])
        let result = try await runStream(
            request, seconds: 0.1, options: LinkOptions(connectTimeout: .milliseconds(300)))
        #expect(result.failure == .timedOut(phase: "connecting (300 ms)"))
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
        let fake = try FakeServer(script: "google_speech.py", arguments: ["--script", bridgeScript])
        defer { fake.stop() }
        let link = try openLink(bridgeRequest(fake))
        try await link.send(.binary(configMessage()))
        let audio = try audioMessage()
        for _ in 0..<10 { try await link.send(.binary(audio)) }
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
        await #expect(throws: LinkFailure.self) { try await link.send(.binary(audio)) }
        await link.abort()
        #expect(processIsGone(link.bridgeProcessID))
    }

    @Test("abort in the middle of a call: inbound fails, the bridge exits and is reaped before abort returns")
    func abortLeavesNoChild() async throws {
        let fake = try FakeServer(script: "google_speech.py", arguments: ["--script", bridgeScript])
        defer { fake.stop() }
        let link = try openLink(bridgeRequest(fake))
        try await link.send(.binary(configMessage()))
        let audio = try audioMessage()
        for _ in 0..<10 { try await link.send(.binary(audio)) }
        await link.abort()
        #expect(processIsGone(link.bridgeProcessID))
        await #expect(throws: LinkFailure.self) {
            for try await _ in link.inbound {}
        }
        await #expect(throws: LinkFailure.self) { try await link.send(.binary(audio)) }
    }

    @Test(
        "the bridge runs in its own process group with SIGINT and SIGTERM at their defaults, though hark ignores them")
    func processGroupAndSignals() async throws {
        let fake = try FakeServer(script: "google_speech.py", arguments: ["--script", bridgeScript])
        defer { fake.stop() }
        // hark ignores both for its graceful stop; ignored signals would stay ignored across exec.
        let previous = (signal(SIGINT, SIG_IGN), signal(SIGTERM, SIG_IGN))
        let link: GRPCBridgeLink
        do {
            defer {
                signal(SIGINT, previous.0)
                signal(SIGTERM, previous.1)
            }
            link = try openLink(bridgeRequest(fake))
        }
        let pid = link.bridgeProcessID
        // A terminal's Ctrl-C goes to the foreground group: hark's, not the bridge's.
        #expect(getpgid(pid) == pid)
        #expect(getpgid(pid) != getpgrp())
        try await link.send(.binary(configMessage()))
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
        let fake = try FakeServer(script: "google_speech.py", arguments: ["--script", bridgeScript])
        defer { fake.stop() }
        let link = try openLink(bridgeRequest(fake))
        try await link.send(.binary(configMessage()))
        await link.close()
        await link.close()
        await #expect(throws: LinkFailure.protocolViolation(detail: "a message sent after close()")) {
            try await link.send(.binary(try audioMessage()))
        }
        for try await _ in link.inbound {}
        await link.abort()
        #expect(processIsGone(link.bridgeProcessID))
    }

    @Test("a URL that names no gRPC method fails the link as a protocol violation, from the bridge")
    func badMethodURL() async throws {
        let link = try openLink(ConnectionRequest(url: "https://127.0.0.1:1/no-method", headers: []))
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

@Suite("hark-grpc on its own: the pipe protocol from the bridge's side")
struct GRPCBridgeProcessTests {
    /// Starts the bridge, writes `input`, and reads its stdout to the end (the bridge answers
    /// these inputs with a terminal frame and exits).
    private func exchange(_ input: [UInt8]) throws -> (frames: [BridgeFrame], exit: GRPCBridgeExit) {
        let process = try GRPCBridgeProcess.spawn(executable: PackagePaths.grpcBridgeBinary.path)
        _ = input.withUnsafeBytes { write(process.stdinDescriptor, $0.baseAddress, $0.count) }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(process.stdoutDescriptor, &buffer, buffer.count)
            if count <= 0 { break }
            output += buffer[..<count]
        }
        close(process.stdinDescriptor)
        close(process.stdoutDescriptor)
        close(process.stderrDescriptor)
        var decoder = BridgeFrameDecoder()
        decoder.append(output)
        var frames: [BridgeFrame] = []
        while let frame = try decoder.next() { frames.append(frame) }
        try decoder.checkEnd()
        return (frames, process.waitForExit())
    }

    private func isProtocolViolation(_ frame: BridgeFrame?, containing text: String) -> Bool {
        guard case .transportFailure(let failure)? = frame else { return false }
        return failure.kind == .protocolViolation && failure.detail.contains(text)
    }

    @Test("a frame that is not a call setup first is refused with a protocol violation")
    func messageBeforeSetup() throws {
        let (frames, exit) = try exchange(BridgeFrameCodec.encode(.message([1, 2, 3])))
        #expect(exit == .exited(status: 0))
        #expect(frames.count == 1)
        #expect(isProtocolViolation(frames.first, containing: "before the call setup"))
    }

    @Test("bytes that are not a frame are refused with a protocol violation")
    func garbage() throws {
        let (frames, _) = try exchange([0, 0, 0, 2, 99, 0])
        #expect(isProtocolViolation(frames.first, containing: "unknown type 99"))
    }

    @Test("end of file on stdin is hark's abort: the bridge exits at once and writes nothing")
    func endOfFileAborts() throws {
        let process = try GRPCBridgeProcess.spawn(executable: PackagePaths.grpcBridgeBinary.path)
        close(process.stdinDescriptor)
        var buffer = [UInt8](repeating: 0, count: 16)
        #expect(read(process.stdoutDescriptor, &buffer, buffer.count) == 0)
        close(process.stdoutDescriptor)
        close(process.stderrDescriptor)
        #expect(process.waitForExit() == .exited(status: 0))
    }
}
