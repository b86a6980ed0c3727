import Foundation
import HarkTestSupport
import Testing

/// The voice-activity gate through the whole binary: silence is not sent, the provider is told
/// when speech ends, and times come back on the input's timeline although the provider heard
/// the speech back to back.
@Suite("hark end to end: voice-activity gate", .serialized)
struct GatedEndToEndTests {
    @Test("long silences are skipped, Finalize follows each utterance, and times map back to the input exactly")
    func silencesSkippedTimesTrue() throws {
        // Speech at 1.0 s and at 9.0 s of the input, with 6+ s of digital silence between.
        let first = try SpeechCorpus.espeak("Testing one two three.").samples
        let second = try SpeechCorpus.espeak("Second sentence after a pause.").samples
        var samples = [Int16](repeating: 0, count: 16000)
        samples += first
        samples += [Int16](repeating: 0, count: 16000 * 9 - samples.count)
        samples += second
        samples += [Int16](repeating: 0, count: 16000 * 3)
        var pcm = Data()
        samples.withUnsafeBytes { pcm.append(contentsOf: $0) }
        let directory = try PackagePaths.temporaryDirectory("hark-gate")
        let wav = directory.appendingPathComponent("gated.wav")
        try DeepgramEndToEndTests.wav(pcm).write(to: wav)

        // No script: the fake finds utterances by energy, on the audio it receives.
        let fake = try FakeServer(script: "deepgram.py", arguments: ["--energy-threshold", "300"])
        defer { fake.stop() }
        let result = try CommandRunner.hark(
            [
                "--provider", "deepgram", "--endpoint", fake.endpoint(), "--speed", "max", "--vad", "--format", "jsonl",
                wav.path,
            ],
            environment: ["DEEPGRAM_API_KEY": "test-key"])
        #expect(result.status == 0, "\(result.stderr)")
        let events = result.stdoutLines.compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let finals = events.filter { $0["type"] as? String == "final" }
        let starts = finals.compactMap { $0["start"] as? Double }
        #expect(finals.count == 2, "\(result.stdout)")
        // The fake heard the second utterance about 1.1 s after the first ended (the gate's
        // hang-over and pre-roll); on the input it starts at 9 s.
        if starts.count == 2 {
            #expect(abs(starts[0] - 1.0) < 0.1, "\(starts)")
            #expect(abs(starts[1] - 9.0) < 0.1, "\(starts)")
        }
        let received = Double(fake.recorded("audio.bin").count) / 32000
        let input = Double(samples.count) / 16000
        #expect(received < input * 0.6, "sent \(received) s of \(input) s")
        let summary = try #require(events.first { $0["status"] as? String == "summary" })
        #expect(abs((summary["seconds_captured"] as? Double ?? 0) - input) < 0.01)
        #expect(abs((summary["seconds_sent"] as? Double ?? 0) - received) < 0.01)
        let texts = fake.recordedEvents().filter { $0["event"] as? String == "text" }.compactMap {
            $0["message"] as? String
        }
        #expect(texts.filter { $0.contains("Finalize") }.count >= 3, "\(texts)")
    }

    @Test("speech from the very first sample reaches the provider: the gate's pre-roll covers the start")
    func firstWordArrives() throws {
        var samples = try SpeechCorpus.espeak("Hello there, first words.").samples
        // espeak-ng leaves a little silence before the voice: cut it so speech starts at sample 0.
        if let onset = samples.firstIndex(where: { abs(Int($0)) > 500 }) { samples.removeFirst(onset) }
        samples += [Int16](repeating: 0, count: 16000 * 2)
        var pcm = Data()
        samples.withUnsafeBytes { pcm.append(contentsOf: $0) }
        let directory = try PackagePaths.temporaryDirectory("hark-first")
        let wav = directory.appendingPathComponent("first.wav")
        try DeepgramEndToEndTests.wav(pcm).write(to: wav)
        let fake = try FakeServer(script: "deepgram.py", arguments: ["--energy-threshold", "300"])
        defer { fake.stop() }
        let result = try CommandRunner.hark(
            ["--provider", "deepgram", "--endpoint", fake.endpoint(), "--speed", "max", "--vad", wav.path],
            environment: ["DEEPGRAM_API_KEY": "test-key"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutLines == ["utterance 1"], "\(result.stderr)")
        let received = fake.recorded("audio.bin")
        // The first 100 ms of speech arrive exactly as captured.
        #expect(received.prefix(3200) == pcm.prefix(3200))
    }
}
