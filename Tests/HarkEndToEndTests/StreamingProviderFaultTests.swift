import Foundation
import HarkTestSupport
import Testing

/// How each provider plays the faults of `StreamingProviderFaultTests`: its fake, the pace its
/// audio is sent at, and the close code and error text it uses for each.
struct FaultProfile: Sendable, CustomTestStringConvertible {
    let name: String
    let harness: ProviderFaultHarness
    /// `--speed` for the runs that stream a few seconds.
    let speed: String
    /// `--speed` for the longer runs: the drop, the close and the session limits.
    let longRunSpeed: String
    /// Extra configuration every run carries (a JSON fragment ending in a comma, or empty).
    let configuration: String
    /// Input seconds of each run.
    let dropSeconds: Double
    let closeSeconds: Double
    let rejectSeconds: Double
    let retryAfterSeconds: Double
    let limitSeconds: Double
    /// Input bytes after which the drop comes: the middle of sentence 2.
    let dropAfterBytes: Int
    /// Seconds into the stream at which the fake closes with 1011, mid-sentence.
    let closeAfter: Double
    /// Close codes the fake sends in the 1011 run (nil: only that the first is 1011).
    let closeCodesAfter1011: [Int]?
    /// The close code with which the provider ends a session at its limit.
    let limitCloseCode: Int
    /// The fake's session limit (seconds) when the provider ends sessions, and when hark
    /// rotates before it with `session_limit`.
    let providerLimit: Double
    let rotationFakeLimit: Double
    let rotationSessionLimit: Int
    /// Extra configuration of the silent-server run, and what hark says when it gives up.
    let silentConfiguration: String
    let silentMessage: String
    /// True when audio waits for the provider to confirm the session, so a silent server gets none.
    let audioWaitsForConfirmation: Bool

    var testDescription: String { name }

    var fastRetry: String { #"{"retry_base": 0.05, "retry_cap": 0.2"# + configuration + "}" }

    /// Marked audio at AssemblyAI's 16 kHz, sentences every 2 s, 1.2 s long.
    ///
    /// AssemblyAI refuses audio faster than real time (3007), so its runs stream a few seconds
    /// at `--speed 1`. Sentences at 0.3-1.5, 2.3-3.5, 4.3-5.5, 6.3-7.5 ...
    static let assemblyAI = FaultProfile(
        name: "AssemblyAI",
        harness: ProviderFaultHarness(
            fake: "assemblyai.py", provider: "assemblyai", keyVariable: "ASSEMBLYAI_API_KEY", sampleRate: 16000,
            period: 2, sentenceLength: 1.2),
        speed: "1", longRunSpeed: "1", configuration: "",
        dropSeconds: 6, closeSeconds: 4, rejectSeconds: 4, retryAfterSeconds: 4, limitSeconds: 9,
        // 3.0 s of 16 kHz s16le: the middle of sentence 2 (2.3-3.5 s).
        dropAfterBytes: 96000, closeAfter: 2.9, closeCodesAfter1011: nil, limitCloseCode: 3008,
        // The fake would end sessions at 4 s; hark rotates first (after a final past 2.55 s, or at 2.85 s).
        providerLimit: 2.5, rotationFakeLimit: 4, rotationSessionLimit: 3,
        silentConfiguration: "", silentMessage: "sent nothing", audioWaitsForConfirmation: false)

    /// Marked audio at OpenAI's 24 kHz, sentences every 3 s, 1.6 s long.
    ///
    /// hark passes the audio through unresampled and the fake decodes the markers from the
    /// base64 audio. Sentences at 0.3-1.9, 3.3-4.9, 6.3-7.9 ...
    ///
    /// The marked audio is not speech, so hark's own turn detector (gpt-live-transcribe's turns)
    /// finds no turns in it: these runs use a model with server turn detection, whose turns the
    /// fake places from its script.
    static let openAI = FaultProfile(
        name: "OpenAI",
        harness: ProviderFaultHarness(
            fake: "openai.py", provider: "openai", keyVariable: "OPENAI_API_KEY", sampleRate: 24000),
        speed: "max", longRunSpeed: "4", configuration: #", "providers": {"openai": {"model": "gpt-4o-transcribe"}}"#,
        dropSeconds: 20, closeSeconds: 20, rejectSeconds: 8, retryAfterSeconds: 6, limitSeconds: 24,
        // 4.0 s of 24 kHz s16le: the middle of sentence 2 (3.3-4.9 s). At 4x real time, so
        // sentence 1 was final before the drop and the replay overlaps what was printed.
        dropAfterBytes: 192000, closeAfter: 7.1, closeCodesAfter1011: [1011], limitCloseCode: 1001,
        // At 4x real time a 1.5 s session holds about 6 s of audio: four or five sessions. With
        // session_limit 2, hark rotates first (after a final past 1.7 s, or at 1.9 s).
        providerLimit: 1.5, rotationFakeLimit: 3, rotationSessionLimit: 2,
        // connect_timeout also bounds the wait for session.updated, which a silent server never sends.
        silentConfiguration: #", "connect_timeout": 1"#, silentMessage: "confirm the session",
        audioWaitsForConfirmation: true)

    static let all = [assemblyAI, openAI]
}

/// Faults between hark and the providers that stream over one WebSocket with JSON events
/// (AssemblyAI and OpenAI Realtime), played by each one's fake on position-marked audio: every
/// sentence comes out exactly once and in order, and every 10 ms of input reached a server at
/// least once, whatever breaks. (Deepgram's are in `FaultEndToEndTests`, Google's in
/// `GoogleEndToEndTests`, the end of a run in `FinishFaultEndToEndTests`.)
@Suite("hark end to end: AssemblyAI and OpenAI faults and session limits", .serialized)
struct StreamingProviderFaultTests {
    @Test(
        "dropping TCP mid-utterance: hark reconnects, replays, and loses and repeats nothing",
        arguments: FaultProfile.all)
    func dropMidUtterance(profile: FaultProfile) throws {
        let run = try profile.harness.run(
            seconds: profile.dropSeconds, scenarios: ["drop-after-bytes=\(profile.dropAfterBytes)", "fault-conn=1"],
            config: profile.fastRetry, speed: profile.longRunSpeed)
        run.reportFigures("\(profile.name) drop")
        #expect(run.result.status == 0, "\(run.diagnosis)")
        #expect(run.result.stdoutLines == run.sentences, "\(run.diagnosis)")
        #expect(run.connections == 2, "\(run.diagnosis)")
        #expect(run.missingFrames.count == 0, "\(run.diagnosis)")
        #expect(run.result.stderr.contains("broke during the stream"), "\(run.diagnosis)")
    }

    @Test("closing with 1011 mid-utterance is retried and the transcript is complete", arguments: FaultProfile.all)
    func close1011(profile: FaultProfile) throws {
        let run = try profile.harness.run(
            seconds: profile.closeSeconds, scenarios: ["close-1011-after=\(profile.closeAfter)", "fault-conn=1"],
            config: profile.fastRetry, speed: profile.longRunSpeed)
        run.reportFigures("\(profile.name) 1011")
        #expect(run.result.status == 0, "\(run.diagnosis)")
        #expect(run.result.stdoutLines == run.sentences, "\(run.diagnosis)")
        if let codes = profile.closeCodesAfter1011 {
            #expect(run.closeCodes == codes, "\(run.diagnosis)")
        } else {
            #expect(run.closeCodes.first == 1011, "\(run.diagnosis)")
        }
        #expect(run.connections == 2, "\(run.diagnosis)")
        #expect(run.missingFrames.count == 0, "\(run.diagnosis)")
    }

    @Test(
        "answering 503 to the next two upgrades: retried with backoff, then the stream succeeds",
        arguments: FaultProfile.all)
    func serviceUnavailableTwice(profile: FaultProfile) throws {
        let run = try profile.harness.run(
            seconds: profile.rejectSeconds, scenarios: ["reject-503", "reject-times=2"], config: profile.fastRetry,
            speed: profile.speed)
        run.reportFigures("\(profile.name) 503x2")
        #expect(run.result.status == 0, "\(run.diagnosis)")
        #expect(run.result.stdoutLines == run.sentences, "\(run.diagnosis)")
        #expect(run.rejections == 2, "\(run.diagnosis)")
        #expect(run.connections == 1, "\(run.diagnosis)")
        #expect(run.result.stderr.components(separatedBy: "retrying in").count == 3, "\(run.diagnosis)")
        #expect(run.missingFrames.count == 0, "\(run.diagnosis)")
    }

    @Test("answering 429 with Retry-After: hark waits that long before the next attempt", arguments: FaultProfile.all)
    func rateLimitedHonoursRetryAfter(profile: FaultProfile) throws {
        let run = try profile.harness.run(
            seconds: profile.retryAfterSeconds, scenarios: ["reject-429", "reject-times=1", "retry-after=1"],
            config: profile.fastRetry, speed: profile.speed)
        run.reportFigures("\(profile.name) 429")
        #expect(run.result.status == 0, "\(run.diagnosis)")
        #expect(run.result.stdoutLines == run.sentences, "\(run.diagnosis)")
        #expect(run.result.stderr.contains("retrying in 1.0 s"), "\(run.diagnosis)")
        // The fake's own clock: the accepted upgrade came at least the second it asked for later.
        let gap = try #require(run.upgradeGaps.first)
        #expect(gap >= 1, "\(run.diagnosis)")
        #expect(run.missingFrames.count == 0, "\(run.diagnosis)")
    }

    @Test("answering nothing at all: hark gives up after the attempts allowed, exit 69", arguments: FaultProfile.all)
    func silentServer(profile: FaultProfile) throws {
        let run = try profile.harness.run(
            seconds: 6, scenarios: ["silent"],
            config: #"{"retry_base": 0.05, "retry_cap": 0.1, "retry_attempts": 2"# + profile.silentConfiguration
                + #", "server_silence_timeout": 1, "finish_timeout": 1}"#,
            speed: "1")
        #expect(run.result.status == 69, "\(run.diagnosis)")
        #expect(run.result.stderr.contains(profile.silentMessage), "\(run.diagnosis)")
        // The first attempt and two reconnection attempts.
        #expect(run.connections == 3, "\(run.diagnosis)")
        #expect(run.result.stdoutLines.isEmpty, "\(run.diagnosis)")
        if profile.audioWaitsForConfirmation {
            // Audio waits for the confirmation: a silent server is never sent any.
            #expect(run.framesPerConnection.isEmpty, "\(run.diagnosis)")
        } else {
            // Each silent connection is given up on while audio still flows to it, also while
            // hark replays the backlog at the provider's real-time pace: none is sent the whole input.
            #expect(run.framesPerConnection.allSatisfy { Set($0).count < run.frames }, "\(run.diagnosis)")
        }
    }

    @Test(
        "AssemblyAI cancelling the session (Error 3005 and close 3005) is retried and the transcript is complete")
    func assemblyAIServerErrorClose() throws {
        let profile = FaultProfile.assemblyAI
        // 2.9 s in: the middle of sentence 2.
        let run = try profile.harness.run(
            seconds: 6, scenarios: ["close-3005-after=2.9", "fault-conn=1"], config: profile.fastRetry,
            speed: profile.speed)
        run.reportFigures("assemblyai 3005")
        #expect(run.result.status == 0, "\(run.diagnosis)")
        #expect(run.result.stdoutLines == run.sentences, "\(run.diagnosis)")
        #expect(run.closeCodes == [3005, 1000], "\(run.diagnosis)")
        #expect(run.connections == 2, "\(run.diagnosis)")
        #expect(run.missingFrames.count == 0, "\(run.diagnosis)")
    }

    @Test(
        "the provider ending each session at its limit (Termination and 3008, close 1001): new sessions continue",
        arguments: FaultProfile.all)
    func providerEndsSessionAtLimit(profile: FaultProfile) throws {
        let run = try profile.harness.run(
            seconds: profile.limitSeconds, fakeArguments: ["--max-session-seconds", "\(profile.providerLimit)"],
            config: profile.fastRetry, speed: profile.longRunSpeed)
        run.reportFigures("\(profile.name) limit by provider")
        #expect(run.result.status == 0, "\(run.diagnosis)")
        #expect(run.result.stdoutLines == run.sentences, "\(run.diagnosis)")
        #expect(run.closeCodes.filter { $0 == profile.limitCloseCode }.count >= 2, "\(run.diagnosis)")
        #expect(run.missingFrames.count == 0, "\(run.diagnosis)")
    }

    @Test(
        "session_limit: hark rotates sessions before the provider's limit, without loss or repeats",
        arguments: FaultProfile.all)
    func harkRotatesBeforeLimit(profile: FaultProfile) throws {
        let run = try profile.harness.run(
            seconds: profile.limitSeconds, fakeArguments: ["--max-session-seconds", "\(profile.rotationFakeLimit)"],
            config: #"{"retry_base": 0.05, "retry_cap": 0.2, "session_limit": \#(profile.rotationSessionLimit)"#
                + profile.configuration + "}",
            speed: profile.longRunSpeed)
        run.reportFigures("\(profile.name) rotation by hark")
        #expect(run.result.status == 0, "\(run.diagnosis)")
        #expect(run.result.stdoutLines == run.sentences, "\(run.diagnosis)")
        #expect(run.connections >= 3, "\(run.diagnosis)")
        #expect(!run.closeCodes.contains(profile.limitCloseCode), "\(run.diagnosis)")
        #expect(run.missingFrames.count == 0, "\(run.diagnosis)")
    }
}
