import Foundation
import HarkTestSupport
import Testing

/// Faults between hark and AssemblyAI, played by its fake on position-marked audio: every
/// sentence comes out exactly once and in order, and every 10 ms of input reached a server at
/// least once, whatever breaks.
///
/// AssemblyAI refuses audio faster than real time (3007), so these run at `--speed 1` on a few
/// seconds of audio.
@Suite("hark end to end: AssemblyAI faults and session limits", .serialized)
struct AssemblyAIFaultTests {
    /// Sentences every 2 s, 1.2 s long: 0.3-1.5, 2.3-3.5, 4.3-5.5, 6.3-7.5 ...
    static let harness = ProviderFaultHarness(
        fake: "assemblyai.py", provider: "assemblyai", keyVariable: "ASSEMBLYAI_API_KEY", sampleRate: 16000,
        period: 2, sentenceLength: 1.2)
    static let fastRetry = #"{"retry_base": 0.05, "retry_cap": 0.2}"#

    @Test("AssemblyAI dropping TCP mid-utterance: hark reconnects, replays, and loses and repeats nothing")
    func dropMidUtterance() throws {
        // 3.0 s of 16 kHz s16le in: the middle of sentence 2 (2.3-3.5 s).
        let run = try Self.harness.run(
            seconds: 6, scenarios: ["drop-after-bytes=96000", "fault-conn=1"], config: Self.fastRetry, speed: "1")
        run.reportFigures("assemblyai drop")
        #expect(run.result.status == 0, "\(run.diagnosis)")
        #expect(run.result.stdoutLines == run.sentences, "\(run.diagnosis)")
        #expect(run.connections == 2, "\(run.diagnosis)")
        #expect(run.missingFrames.count == 0, "\(run.diagnosis)")
        #expect(run.result.stderr.contains("broke during the stream"), "\(run.diagnosis)")
    }

    @Test("AssemblyAI cancelling the session (Error 3005 and close 3005) is retried and the transcript is complete")
    func serverErrorClose() throws {
        // 2.9 s in: the middle of sentence 2.
        let run = try Self.harness.run(
            seconds: 6, scenarios: ["close-3005-after=2.9", "fault-conn=1"], config: Self.fastRetry, speed: "1")
        run.reportFigures("assemblyai 3005")
        #expect(run.result.status == 0, "\(run.diagnosis)")
        #expect(run.result.stdoutLines == run.sentences, "\(run.diagnosis)")
        #expect(run.closeCodes == [3005, 1000], "\(run.diagnosis)")
        #expect(run.connections == 2, "\(run.diagnosis)")
        #expect(run.missingFrames.count == 0, "\(run.diagnosis)")
    }

    @Test("AssemblyAI closing with 1011 is retried and the transcript is complete")
    func close1011() throws {
        let run = try Self.harness.run(
            seconds: 4, scenarios: ["close-1011-after=2.9", "fault-conn=1"], config: Self.fastRetry, speed: "1")
        run.reportFigures("assemblyai 1011")
        #expect(run.result.status == 0, "\(run.diagnosis)")
        #expect(run.result.stdoutLines == run.sentences, "\(run.diagnosis)")
        #expect(run.connections == 2, "\(run.diagnosis)")
        #expect(run.missingFrames.count == 0, "\(run.diagnosis)")
    }

    @Test("AssemblyAI answering 503 to the next two upgrades: retried with backoff, then the stream succeeds")
    func serviceUnavailableTwice() throws {
        let run = try Self.harness.run(
            seconds: 4, scenarios: ["reject-503", "reject-times=2"], config: Self.fastRetry, speed: "1")
        run.reportFigures("assemblyai 503x2")
        #expect(run.result.status == 0, "\(run.diagnosis)")
        #expect(run.result.stdoutLines == run.sentences, "\(run.diagnosis)")
        #expect(run.rejections == 2, "\(run.diagnosis)")
        #expect(run.connections == 1, "\(run.diagnosis)")
        #expect(run.result.stderr.components(separatedBy: "retrying in").count == 3, "\(run.diagnosis)")
        #expect(run.missingFrames.count == 0, "\(run.diagnosis)")
    }

    @Test("AssemblyAI answering 429 with Retry-After: hark waits that long before the next attempt")
    func rateLimitedHonoursRetryAfter() throws {
        let run = try Self.harness.run(
            seconds: 4, scenarios: ["reject-429", "reject-times=1", "retry-after=1"], config: Self.fastRetry,
            speed: "1")
        run.reportFigures("assemblyai 429")
        #expect(run.result.status == 0, "\(run.diagnosis)")
        #expect(run.result.stdoutLines == run.sentences, "\(run.diagnosis)")
        #expect(run.result.stderr.contains("retrying in 1.0 s"), "\(run.diagnosis)")
        // The fake's own clock: the accepted upgrade came at least the second it asked for later.
        let gap = try #require(run.upgradeGaps.first)
        #expect(gap >= 1, "\(run.diagnosis)")
        #expect(run.missingFrames.count == 0, "\(run.diagnosis)")
    }

    @Test("AssemblyAI answering nothing at all: hark gives up after the attempts allowed, exit 69")
    func silentServer() throws {
        let run = try Self.harness.run(
            seconds: 6, scenarios: ["silent"],
            config:
                #"{"retry_base": 0.05, "retry_cap": 0.1, "retry_attempts": 2, "server_silence_timeout": 1, "finish_timeout": 1}"#,
            speed: "1")
        #expect(run.result.status == 69, "\(run.diagnosis)")
        #expect(run.result.stderr.contains("sent nothing"), "\(run.diagnosis)")
        // The first attempt and two reconnection attempts.
        #expect(run.connections == 3, "\(run.diagnosis)")
        #expect(run.result.stdoutLines.isEmpty, "\(run.diagnosis)")
        // Each silent connection is given up on while audio still flows to it, also while hark
        // replays the backlog at AssemblyAI's real-time pace: none is sent the whole input.
        #expect(run.framesPerConnection.allSatisfy { Set($0).count < run.frames }, "\(run.diagnosis)")
    }

    @Test("AssemblyAI ending each session at its limit (Termination, 3008): the stream continues in new sessions")
    func providerEndsSessionAtLimit() throws {
        let run = try Self.harness.run(
            seconds: 9, fakeArguments: ["--max-session-seconds", "2.5"], config: Self.fastRetry, speed: "1")
        run.reportFigures("assemblyai limit by provider")
        #expect(run.result.status == 0, "\(run.diagnosis)")
        #expect(run.result.stdoutLines == run.sentences, "\(run.diagnosis)")
        #expect(run.closeCodes.filter { $0 == 3008 }.count >= 2, "\(run.diagnosis)")
        #expect(run.missingFrames.count == 0, "\(run.diagnosis)")
    }

    @Test("session_limit: hark rotates AssemblyAI sessions before the limit, without loss or repeats")
    func harkRotatesBeforeLimit() throws {
        // The fake would end sessions at 4 s; hark rotates first (after a final past 2.55 s, or at 2.85 s).
        let run = try Self.harness.run(
            seconds: 9, fakeArguments: ["--max-session-seconds", "4"],
            config: #"{"retry_base": 0.05, "retry_cap": 0.2, "session_limit": 3}"#, speed: "1")
        run.reportFigures("assemblyai rotation by hark")
        #expect(run.result.status == 0, "\(run.diagnosis)")
        #expect(run.result.stdoutLines == run.sentences, "\(run.diagnosis)")
        #expect(run.connections >= 3, "\(run.diagnosis)")
        #expect(!run.closeCodes.contains(3008), "\(run.diagnosis)")
        #expect(run.missingFrames.count == 0, "\(run.diagnosis)")
    }
}
