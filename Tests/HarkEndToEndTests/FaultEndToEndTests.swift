import Foundation
import HarkTestSupport
import Testing

/// Faults between hark and a provider, played by the Deepgram fake on position-marked audio:
/// every sentence must come out exactly once and in order, and every second of input must have
/// reached a server at least once, whatever breaks.
@Suite("hark end to end: faults and reconnection", .serialized)
struct FaultEndToEndTests {
    /// Sentences every 3 s, each 1.6 s long, for `seconds` of audio.
    static func script(seconds: Int) -> (json: String, sentences: [String]) {
        var items: [String] = []
        var sentences: [String] = []
        var start = 0.4
        var number = 1
        while start + 1.6 < Double(seconds) - 0.3 {
            let text = "Sentence number \(number) is here."
            sentences.append(text)
            items.append(#"{"start": \#(start), "end": \#(start + 1.6), "text": "\#(text)"}"#)
            start += 3
            number += 1
        }
        return ("[" + items.joined(separator: ",") + "]", sentences)
    }

    struct Run {
        let result: CommandResult
        let fake: FakeServer
        let sentences: [String]
        let frames: Int

        /// Frames of input that reached the fake, over every connection.
        var framesReceived: Set<Int> {
            var seen = Set<Int>()
            var connection = 1
            while true {
                let audio = fake.recorded("audio-\(connection).bin")
                if audio.isEmpty && connection > 1 && fake.recorded("audio-\(connection + 1).bin").isEmpty { break }
                seen.formUnion(MarkedAudio.frameIndices(in: audio))
                connection += 1
                if connection > 500 { break }
            }
            return seen
        }

        /// Frames of input that never reached the fake.
        var missingFrames: Int { Set(0..<frames).subtracting(framesReceived).count }

        var connections: Int {
            fake.recordedEvents().filter { $0["event"] as? String == "open" }.count
        }
    }

    static func run(seconds: Int, scenarios: [String], config: String = "{}", extra: [String] = []) throws -> Run {
        let directory = try PackagePaths.temporaryDirectory("hark-fault")
        let (json, sentences) = script(seconds: seconds)
        let scriptURL = directory.appendingPathComponent("script.json")
        try json.write(to: scriptURL, atomically: true, encoding: .utf8)
        let configURL = directory.appendingPathComponent("config.json")
        try config.write(to: configURL, atomically: true, encoding: .utf8)
        let wav = directory.appendingPathComponent("marked.wav")
        try DeepgramEndToEndTests.wav(MarkedAudio.pcm(seconds: Double(seconds))).write(to: wav)
        let fake = try FakeServer(
            script: "deepgram.py",
            arguments: ["--script", scriptURL.path, "--marked"] + scenarios.flatMap { ["--scenario", $0] })
        let result = try CommandRunner.hark(
            ["--provider", "deepgram", "--endpoint", fake.endpoint(), "--config", configURL.path, "--speed", "max"]
                + extra + [wav.path],
            environment: ["DEEPGRAM_API_KEY": "test-key"], timeout: 300)
        fake.stop()
        return Run(result: result, fake: fake, sentences: sentences, frames: seconds * 100)
    }

    static let fastRetry = #"{"retry_base": 0.05, "retry_cap": 0.2}"#

    @Test("the server dropping TCP mid-utterance: hark reconnects, replays, and loses and repeats nothing")
    func dropMidUtterance() throws {
        // 5.2 s of audio in: the middle of sentence 2 (3.4-5.0 s).
        let run = try Self.run(seconds: 20, scenarios: ["drop-after-bytes=140000"], config: Self.fastRetry)
        #expect(run.result.status == 0, "\(run.result.stderr)")
        #expect(run.result.stdoutLines == run.sentences, "\(run.result.stderr)")
        #expect(run.connections == 2)
        #expect(run.missingFrames == 0)
        #expect(run.result.stderr.contains("connection lost"))
    }

    @Test("a close with 1011 is retried and the transcript is complete")
    func close1011() throws {
        let run = try Self.run(seconds: 20, scenarios: ["close-1011-after=7.1"], config: Self.fastRetry)
        #expect(run.result.status == 0, "\(run.result.stderr)")
        #expect(run.result.stdoutLines == run.sentences)
        #expect(run.connections == 2)
        #expect(run.missingFrames == 0)
    }

    @Test("two 503 answers at the upgrade are retried with backoff, then the stream succeeds")
    func serviceUnavailableThenAccepted() throws {
        let run = try Self.run(seconds: 8, scenarios: ["reject-503", "reject-times=2"], config: Self.fastRetry)
        #expect(run.result.status == 0, "\(run.result.stderr)")
        #expect(run.result.stdoutLines == run.sentences)
        #expect(run.result.stderr.components(separatedBy: "retrying in").count == 3, "\(run.result.stderr)")
        #expect(run.missingFrames == 0)
    }

    @Test("a 429 with Retry-After is honoured before the next attempt")
    func rateLimitedHonoursRetryAfter() throws {
        let started = Date()
        let run = try Self.run(
            seconds: 6, scenarios: ["reject-429", "reject-times=1", "retry-after=1"], config: Self.fastRetry)
        #expect(run.result.status == 0, "\(run.result.stderr)")
        #expect(run.result.stdoutLines == run.sentences)
        #expect(Date().timeIntervalSince(started) >= 1)
        #expect(run.result.stderr.contains("retrying in 1.0 s"), "\(run.result.stderr)")
    }

    @Test("a server that answers nothing is given up on after the attempts allowed, exit 69")
    func silentServer() throws {
        let run = try Self.run(
            seconds: 6, scenarios: ["silent"],
            config:
                #"{"retry_base": 0.05, "retry_cap": 0.1, "retry_attempts": 2, "server_silence_timeout": 1, "finish_timeout": 1}"#
        )
        #expect(run.result.status == 69, "\(run.result.stderr)")
        #expect(run.result.stderr.contains("sent nothing"), "\(run.result.stderr)")
        // The first attempt and two reconnection attempts.
        #expect(run.connections == 3)
    }

    @Test("a 10-minute stream with a drop every minute ends with the same transcript as without drops")
    func tenMinutesWithDrops() throws {
        // 60 s of 16 kHz s16le audio per connection, every connection.
        let run = try Self.run(
            seconds: 600, scenarios: ["drop-after-bytes=1920000", "drop-every"],
            config: #"{"retry_base": 0.02, "retry_cap": 0.1, "retry_attempts": 3}"#)
        #expect(run.result.status == 0, "\(run.result.stderr.suffix(2000))")
        #expect(run.result.stdoutLines == run.sentences, "\(run.result.stdoutLines.count) lines")
        #expect(run.connections >= 10)
        #expect(run.missingFrames == 0)
    }
}
