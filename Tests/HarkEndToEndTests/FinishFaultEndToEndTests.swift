import Foundation
import HarkTestSupport
import Testing

/// Faults against the end of a stream, for every cloud provider (Deepgram, AssemblyAI, OpenAI,
/// Google), on the binary.
///
/// A run either prints every sentence once, or names the seconds it could not transcribe and
/// exits 75: never a silent loss.
///
/// Each fake plays the same four faults (fakekit.FinishFaults): a backlog that grows to many
/// seconds, a finish that is never answered, the session limit striking during the finish, a
/// reset during the finish. Nothing here sleeps: every run waits on hark's exit, and the checks
/// read its output and the fake's record.
@Suite("hark end to end: the finish, against slow, silent, limited and reset providers", .serialized)
struct FinishFaultEndToEndTests {
    /// A provider's fake and how hark streams to it.
    struct Provider: CustomTestStringConvertible, Sendable {
        let harness: ProviderFaultHarness
        /// hark's `--speed` (AssemblyAI refuses audio faster than real time).
        let speed: String
        /// Flags that make the fake hold the last sentence until the finish (Deepgram's
        /// endpointing, OpenAI's server VAD silence, longer than the audio after it).
        let holdLastSentence: [String]
        /// Configuration members for this provider, without braces ("" for none).
        var configuration = ""
        var testDescription: String { harness.provider }

        /// hark's configuration file: `members` and this provider's own.
        func config(_ members: String) -> String {
            "{" + [members, configuration].filter { !$0.isEmpty }.joined(separator: ", ") + "}"
        }
    }

    /// Sentences every 3 s, 1.6 s long; 17.2 s of audio ends 0.3 s after the last one, before
    /// any provider's end of turn, so its words need the finish.
    static let seconds = 17.2

    static let providers = [
        Provider(
            harness: ProviderFaultHarness(
                fake: "deepgram.py", provider: "deepgram", keyVariable: "DEEPGRAM_API_KEY", sampleRate: 16000),
            speed: "max", holdLastSentence: ["--param", "endpointing=500"]),
        Provider(
            harness: ProviderFaultHarness(
                fake: "assemblyai.py", provider: "assemblyai", keyVariable: "ASSEMBLYAI_API_KEY", sampleRate: 16000),
            speed: "1", holdLastSentence: []),
        // The marked audio is not speech, so hark's turn detector (gpt-live-transcribe) finds no
        // turns in it: a model with server turn detection, whose turns the fake places from its
        // script, as in StreamingProviderFaultTests.
        Provider(
            harness: ProviderFaultHarness(
                fake: "openai.py", provider: "openai", keyVariable: "OPENAI_API_KEY", sampleRate: 24000),
            speed: "4", holdLastSentence: ["--param", "silence_duration_ms=500"],
            configuration: #""providers": {"openai": {"model": "gpt-4o-transcribe"}}"#),
    ]

    static let fastRetry = #""retry_base": 0.05, "retry_cap": 0.2"#

    @Test(
        "a provider falling behind, each message 0.4 s later than the one before: waited for, every sentence once",
        arguments: providers)
    func backlog(provider: Provider) throws {
        // --interim: many messages, so the backlog grows to many seconds by the end of the file.
        let run = try provider.harness.run(
            seconds: Self.seconds, scenarios: ["backlog=0.4"], config: provider.config(Self.fastRetry),
            speed: provider.speed,
            extra: ["--interim", "--format", "jsonl"] + provider.holdLastSentence)
        run.reportFigures("\(provider.harness.provider) backlog")
        #expect(run.result.status == 0, "\(run.diagnosis)")
        #expect(Self.finals(run) == run.sentences, "\(run.diagnosis)")
        #expect(run.connections == 1, "\(run.diagnosis)")
        // The backlog really was seconds deep: the fake sent its last message long after the last audio.
        let sent = run.events.filter { $0["event"] as? String == "sent" }.compactMap { $0["at"] as? Double }
        let audio = run.events.filter { ["binary", "append"].contains($0["event"] as? String ?? "") }
            .compactMap { $0["at"] as? Double }
        let behind = (sent.max() ?? 0) - (audio.max() ?? 0)
        #expect(behind > 2, "the fake was only \(behind) s behind: \(run.diagnosis)")
    }

    @Test(
        "a provider that never answers the finish: the seconds not finalized are named, exit 75", arguments: providers)
    func finishNeverAnswered(provider: Provider) throws {
        let run = try provider.harness.run(
            seconds: Self.seconds, scenarios: ["ignore-finish"], config: provider.config(#""finish_timeout": 2"#),
            speed: provider.speed, extra: ["--format", "jsonl"] + provider.holdLastSentence)
        #expect(run.result.status == 75, "\(run.diagnosis)")
        let printed = Self.finals(run)
        // Nothing invented, nothing repeated: what was printed is the sentences' beginning, and the
        // last one (held for the finish) is not among it.
        #expect(printed == Array(run.sentences.prefix(printed.count)), "\(run.diagnosis)")
        #expect(printed.count < run.sentences.count, "\(run.diagnosis)")
        // The missing seconds are named, on stderr and as an audio_lost status covering the last sentence.
        #expect(run.result.stderr.contains("was not transcribed"), "\(run.diagnosis)")
        let lost = Self.statuses(run, "audio_lost")
        #expect(lost.count == 1, "\(run.diagnosis)")
        let start = lost.first?["start"] as? Double ?? .infinity
        let end = lost.first?["end"] as? Double ?? 0
        #expect(start <= 15.3 + 0.05 && end >= 16.9, "lost \(start)-\(end): \(run.diagnosis)")
        let reason = (lost.first?["reason"] as? String) ?? ""
        #expect(reason.contains("did not finish"), "\(run.diagnosis)")
    }

    @Test(
        "the session limit striking as the finish arrives: the rest is replayed, every sentence once",
        arguments: providers)
    func limitAtFinish(provider: Provider) throws {
        let run = try provider.harness.run(
            seconds: Self.seconds, scenarios: ["limit-at-finish"], config: provider.config(Self.fastRetry),
            speed: provider.speed,
            extra: ["--format", "jsonl"] + provider.holdLastSentence)
        #expect(run.result.status == 0, "\(run.diagnosis)")
        #expect(Self.finals(run) == run.sentences, "\(run.diagnosis)")
        #expect(run.connections == 2, "\(run.diagnosis)")
        #expect(Self.statuses(run, "audio_lost").isEmpty, "\(run.diagnosis)")
    }

    @Test("a reset as the finish arrives: the rest is replayed, every sentence once", arguments: providers)
    func resetAtFinish(provider: Provider) throws {
        let run = try provider.harness.run(
            seconds: Self.seconds, scenarios: ["reset-at-finish"], config: provider.config(Self.fastRetry),
            speed: provider.speed,
            extra: ["--format", "jsonl"] + provider.holdLastSentence)
        #expect(run.result.status == 0, "\(run.diagnosis)")
        #expect(Self.finals(run) == run.sentences, "\(run.diagnosis)")
        #expect(run.connections == 2, "\(run.diagnosis)")
        #expect(Self.statuses(run, "audio_lost").isEmpty, "\(run.diagnosis)")
    }

    // MARK: - Google (gRPC through hark-grpc, real time only)

    /// Sentences as for the WebSocket providers; 16.95 s of audio ends before the fake's end of
    /// the last sentence (0.1 s after its words), so its final needs the half-close.
    static let googleSeconds = 16.95
    static let googleSentences = (0..<6).map { "Sentence number \($0 + 1) is here." }
    static var googleScript: String {
        let items = googleSentences.enumerated().map { index, text in
            #"{"start": \#(0.3 + 3 * Double(index)), "end": \#(1.9 + 3 * Double(index)), "text": "\#(text)"}"#
        }
        return "[" + items.joined(separator: ",") + "]"
    }

    /// hark on the Google fake playing `scenario`, with jsonl output.
    static func google(_ scenario: String, config: String = "{\(fastRetry)}") throws -> (
        result: CommandResult, fixture: GoogleEndToEndTests.Fixture
    ) {
        let fixture = try GoogleEndToEndTests.Fixture(
            script: googleScript, seconds: googleSeconds, speechArguments: ["--scenario", scenario])
        let configURL = fixture.directory.appendingPathComponent("config.json")
        try config.write(to: configURL, atomically: true, encoding: .utf8)
        defer { fixture.stop() }
        let result = try fixture.hark(
            ["--format", "jsonl", "--config", configURL.path],
            environment: ["GOOGLE_APPLICATION_CREDENTIALS": fixture.accountPath])
        return (result, fixture)
    }

    @Test("Google answering each response 0.4 s later than the one before: waited for, every sentence once")
    func googleBacklog() throws {
        let (result, fixture) = try Self.google("backlog=0.4")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(Self.finals(result) == Self.googleSentences, "\(result.stderr)")
        #expect(fixture.speechEvents("open").count == 1, "\(result.stderr)")
    }

    @Test("Google never answering the half-close: the last sentence's seconds are named, exit 75")
    func googleFinishNeverAnswered() throws {
        let (result, _) = try Self.google("ignore-finish", config: #"{"finish_timeout": 2}"#)
        #expect(result.status == 75, "\(result.stderr)")
        #expect(Self.finals(result) == Array(Self.googleSentences.prefix(5)), "\(result.stderr)")
        #expect(result.stderr.contains("was not transcribed"), "\(result.stderr)")
        let lost = Self.statuses(result, "audio_lost")
        #expect(lost.count == 1, "\(result.stderr)")
        let start = lost.first?["start"] as? Double ?? .infinity
        let end = lost.first?["end"] as? Double ?? 0
        #expect(start <= 15.3 && end >= 16.9, "lost \(start)-\(end): \(result.stderr)")
    }

    @Test("Google's stream limit (OUT_OF_RANGE) at the half-close: the rest is replayed, every sentence once")
    func googleLimitAtFinish() throws {
        let (result, fixture) = try Self.google("limit-at-finish")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(Self.finals(result) == Self.googleSentences, "\(result.stderr)")
        #expect(fixture.speechEvents("open").count == 2, "\(result.stderr)")
        #expect(Self.statuses(result, "audio_lost").isEmpty, "\(result.stderr)")
    }

    @Test("Google's connection lost (UNAVAILABLE) at the half-close: the rest is replayed, every sentence once")
    func googleResetAtFinish() throws {
        let (result, fixture) = try Self.google("reset-at-finish")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(Self.finals(result) == Self.googleSentences, "\(result.stderr)")
        #expect(fixture.speechEvents("open").count == 2, "\(result.stderr)")
        #expect(Self.statuses(result, "audio_lost").isEmpty, "\(result.stderr)")
    }

    /// The final lines of a jsonl run, in order.
    static func finals(_ run: ProviderFaultHarness.Run) -> [String] { finals(run.result) }

    static func finals(_ result: CommandResult) -> [String] {
        objects(result).filter { $0["type"] as? String == "final" }.compactMap { $0["text"] as? String }
    }

    /// The status objects of one kind.
    static func statuses(_ run: ProviderFaultHarness.Run, _ status: String) -> [[String: Any]] {
        statuses(run.result, status)
    }

    static func statuses(_ result: CommandResult, _ status: String) -> [[String: Any]] {
        objects(result).filter { $0["type"] as? String == "status" && $0["status"] as? String == status }
    }

    static func objects(_ result: CommandResult) -> [[String: Any]] {
        result.stdoutLines.compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }
}
