import Foundation
import HarkTestSupport
import Testing

/// Faults between hark and OpenAI Realtime, played by its fake on position-marked audio: every
/// sentence comes out exactly once and in order, and every 10 ms of input reached a server at
/// least once, whatever breaks.
///
/// The marked audio is written at OpenAI's 24 kHz, so hark passes it
/// through unresampled and the fake decodes the markers from the base64 audio.
@Suite("hark end to end: OpenAI faults and session limits", .serialized)
struct OpenAIFaultTests {
    /// Sentences every 3 s, 1.6 s long: 0.3-1.9, 3.3-4.9, 6.3-7.9 ...
    static let harness = ProviderFaultHarness(
        fake: "openai.py", provider: "openai", keyVariable: "OPENAI_API_KEY", sampleRate: 24000)
    /// The marked audio is not speech, so hark's own turn detector (gpt-live-transcribe's turns)
    /// finds no turns in it: these runs use a model with server turn detection, whose turns the
    /// fake places from its script.
    static let serverTurns = #""providers": {"openai": {"model": "gpt-4o-transcribe"}}"#
    static let fastRetry = #"{"retry_base": 0.05, "retry_cap": 0.2, "# + serverTurns + "}"

    @Test("OpenAI dropping TCP mid-utterance: hark reconnects, replays, and loses and repeats nothing")
    func dropMidUtterance() throws {
        // 4.0 s of 24 kHz s16le in: the middle of sentence 2 (3.3-4.9 s). At 4x real time, so
        // sentence 1 was final before the drop and the replay overlaps what was printed.
        let run = try Self.harness.run(
            seconds: 20, scenarios: ["drop-after-bytes=192000", "fault-conn=1"], config: Self.fastRetry, speed: "4")
        run.reportFigures("openai drop")
        #expect(run.result.status == 0, "\(run.diagnosis)")
        #expect(run.result.stdoutLines == run.sentences, "\(run.diagnosis)")
        #expect(run.connections == 2, "\(run.diagnosis)")
        #expect(run.missingFrames.count == 0, "\(run.diagnosis)")
        #expect(run.result.stderr.contains("broke during the stream"), "\(run.diagnosis)")
    }

    @Test("OpenAI closing with 1011 mid-utterance is retried and the transcript is complete")
    func close1011() throws {
        let run = try Self.harness.run(
            seconds: 20, scenarios: ["close-1011-after=7.1", "fault-conn=1"], config: Self.fastRetry, speed: "4")
        run.reportFigures("openai 1011")
        #expect(run.result.status == 0, "\(run.diagnosis)")
        #expect(run.result.stdoutLines == run.sentences, "\(run.diagnosis)")
        #expect(run.closeCodes == [1011], "\(run.diagnosis)")
        #expect(run.connections == 2, "\(run.diagnosis)")
        #expect(run.missingFrames.count == 0, "\(run.diagnosis)")
    }

    @Test("OpenAI answering 503 to the next two upgrades: retried with backoff, then the stream succeeds")
    func serviceUnavailableTwice() throws {
        let run = try Self.harness.run(seconds: 8, scenarios: ["reject-503", "reject-times=2"], config: Self.fastRetry)
        run.reportFigures("openai 503x2")
        #expect(run.result.status == 0, "\(run.diagnosis)")
        #expect(run.result.stdoutLines == run.sentences, "\(run.diagnosis)")
        #expect(run.rejections == 2, "\(run.diagnosis)")
        #expect(run.connections == 1, "\(run.diagnosis)")
        #expect(run.result.stderr.components(separatedBy: "retrying in").count == 3, "\(run.diagnosis)")
        #expect(run.missingFrames.count == 0, "\(run.diagnosis)")
    }

    @Test("OpenAI answering 429 with Retry-After: hark waits that long before the next attempt")
    func rateLimitedHonoursRetryAfter() throws {
        let run = try Self.harness.run(
            seconds: 6, scenarios: ["reject-429", "reject-times=1", "retry-after=1"], config: Self.fastRetry)
        run.reportFigures("openai 429")
        #expect(run.result.status == 0, "\(run.diagnosis)")
        #expect(run.result.stdoutLines == run.sentences, "\(run.diagnosis)")
        #expect(run.result.stderr.contains("retrying in 1.0 s"), "\(run.diagnosis)")
        // The fake's own clock: the accepted upgrade came at least the second it asked for later.
        let gap = try #require(run.upgradeGaps.first)
        #expect(gap >= 1, "\(run.diagnosis)")
        #expect(run.missingFrames.count == 0, "\(run.diagnosis)")
    }

    @Test("OpenAI answering nothing at all (no session.created, no session.updated): exit 69 after the attempts")
    func silentServer() throws {
        // connect_timeout also bounds the wait for session.updated, which a silent server never sends.
        let run = try Self.harness.run(
            seconds: 6, scenarios: ["silent"],
            config:
                #"{"retry_base": 0.05, "retry_cap": 0.1, "retry_attempts": 2, "connect_timeout": 1, "server_silence_timeout": 1, "finish_timeout": 1}"#,
            speed: "1")
        #expect(run.result.status == 69, "\(run.diagnosis)")
        #expect(run.result.stderr.contains("confirm the session"), "\(run.diagnosis)")
        // The first attempt and two reconnection attempts.
        #expect(run.connections == 3, "\(run.diagnosis)")
        #expect(run.result.stdoutLines.isEmpty, "\(run.diagnosis)")
        // Audio waits for the confirmation: a silent server is never sent any.
        #expect(run.framesPerConnection.isEmpty, "\(run.diagnosis)")
    }

    @Test("OpenAI ending each session at its maximum duration (close 1001): the stream continues in new sessions")
    func providerEndsSessionAtLimit() throws {
        // At 4x real time a 1.5 s session holds about 6 s of audio: four or five sessions.
        let run = try Self.harness.run(
            seconds: 24, fakeArguments: ["--max-session-seconds", "1.5"], config: Self.fastRetry, speed: "4")
        run.reportFigures("openai limit by provider")
        #expect(run.result.status == 0, "\(run.diagnosis)")
        #expect(run.result.stdoutLines == run.sentences, "\(run.diagnosis)")
        #expect(run.closeCodes.filter { $0 == 1001 }.count >= 2, "\(run.diagnosis)")
        #expect(run.missingFrames.count == 0, "\(run.diagnosis)")
    }

    @Test("session_limit: hark rotates OpenAI sessions before the limit, without loss or repeats")
    func harkRotatesBeforeLimit() throws {
        // The fake would end sessions at 3 s; hark rotates first (after a final past 1.7 s, or at 1.9 s).
        let run = try Self.harness.run(
            seconds: 24, fakeArguments: ["--max-session-seconds", "3"],
            config: #"{"retry_base": 0.05, "retry_cap": 0.2, "session_limit": 2, "# + Self.serverTurns + "}", speed: "4"
        )
        run.reportFigures("openai rotation by hark")
        #expect(run.result.status == 0, "\(run.diagnosis)")
        #expect(run.result.stdoutLines == run.sentences, "\(run.diagnosis)")
        #expect(run.connections >= 3, "\(run.diagnosis)")
        #expect(!run.closeCodes.contains(1001), "\(run.diagnosis)")
        #expect(run.missingFrames.count == 0, "\(run.diagnosis)")
    }
}
