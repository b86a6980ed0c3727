import Foundation
import HarkTestSupport
import Testing

/// OpenAI runs where hark decides the turns.
///
/// `gpt-live-transcribe` (hark's default OpenAI model) takes no server turn detection: hark
/// decides the turns with its own voice detector and commits each one. The fake refuses server
/// VAD for it, as the service does, and transcribes by turn (`--speech-turns`): the n-th committed
/// item holding speech gets the n-th sentence, so the fake needs no timeline and every way of
/// feeding hark (file, gate on or off, stdin, microphone) is checked against where the sentences
/// really are in the input.
@Suite("hark end to end: OpenAI turns decided by hark", .serialized)
struct OpenAITurnsEndToEndTests {
    static let sentences = [
        "The first sentence is about the weather.", "A second one follows after a pause.",
        "Then comes the third sentence.", "And the last one ends the recording.",
    ]

    /// Speech with pauses over steady -60 dBFS noise, at `rate`, and each sentence's span.
    struct Recording {
        var samples: [Int16]
        var rate: Int
        var spans: [(start: Double, end: Double)]

        /// `texts` spoken by espeak-ng with `pause` seconds of room noise before, between and after them.
        init(_ texts: [String], pause: Double = 1.5, rate: Int = 16000) throws {
            var samples: [Int16] = []
            var spans: [(start: Double, end: Double)] = []
            for text in texts {
                samples += [Int16](repeating: 0, count: Int(pause * 16000))
                let speech = try SpeechCorpus.espeak(text).samples
                let first = try #require(speech.firstIndex { abs(Int($0)) > 655 })
                let last = try #require(speech.lastIndex { abs(Int($0)) > 655 })
                spans.append(
                    (Double(samples.count + first) / 16000, Double(samples.count + last + 1) / 16000))
                samples += speech
            }
            samples += [Int16](repeating: 0, count: Int(pause * 16000))
            var state: UInt64 = 99
            // Uniform noise of amplitude 57 / 32768 is -60 dBFS RMS.
            for index in samples.indices {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let noise = Int(Int64(state >> 33) % 115) - 57
                samples[index] = Int16(clamping: Int(samples[index]) + noise)
            }
            if rate != 16000 { samples = try Self.resample(samples, to: rate) }
            self.samples = samples
            self.rate = rate
            self.spans = spans
        }

        static func resample(_ samples: [Int16], to rate: Int) throws -> [Int16] {
            let directory = try PackagePaths.temporaryDirectory("hark-resample")
            defer { try? FileManager.default.removeItem(at: directory) }
            let input = directory.appendingPathComponent("in.raw")
            let output = directory.appendingPathComponent("out.raw")
            try ALSATestDevice.rawBytes(samples).write(to: input)
            let sox = try CommandRunner.run(
                "/usr/bin/sox",
                [
                    "-D", "-t", "raw", "-r", "16000", "-e", "signed-integer", "-b", "16", "-c", "1", input.path,
                    "-t", "raw", "-r", String(rate), "-e", "signed-integer", "-b", "16", "-c", "1", output.path,
                ])
            try #require(sox.status == 0, "sox failed: \(sox.stderr)")
            return try SpeechCorpus.raw(output)
        }

        var pcm: Data { ALSATestDevice.rawBytes(samples) }
        var wav: Data { DeepgramEndToEndTests.wav(pcm, rate: rate) }
    }

    struct Fixture {
        let fake: FakeServer
        let directory: URL

        init(_ texts: [String]) throws {
            directory = try PackagePaths.temporaryDirectory("hark-openai-turns")
            let turns = directory.appendingPathComponent("turns.json")
            try JSONSerialization.data(withJSONObject: texts).write(to: turns)
            fake = try FakeServer(script: "openai.py", arguments: ["--speech-turns", turns.path])
        }

        func write(_ data: Data, _ name: String) throws -> String {
            let url = directory.appendingPathComponent(name)
            try data.write(to: url)
            return url.path
        }

        func hark(_ arguments: [String], stdin: Data? = nil) throws -> CommandResult {
            try CommandRunner.hark(
                ["--provider", "openai", "--endpoint", fake.endpoint()] + arguments,
                environment: ["OPENAI_API_KEY": "test-key"], stdin: stdin, timeout: 180)
        }

        /// The client's `session.update`s and commits, as the fake recorded them.
        var clientEvents: [String] {
            fake.recordedEvents().filter { $0["event"] as? String == "text" }.compactMap { $0["text"] as? String }
        }
    }

    /// Finals of JSON Lines output as (text, start, end).
    static func finals(_ result: CommandResult) -> [(text: String, start: Double, end: Double)] {
        result.stdoutLines.compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                object["type"] as? String == "final", let text = object["text"] as? String,
                let start = object["start"] as? Double, let end = object["end"] as? Double
            else { return nil }
            return (text, start, end)
        }
    }

    /// Each sentence once, in order, within 0.3 s of where it is in the input.
    static func expectTrueTimes(
        _ result: CommandResult, _ recording: Recording, _ texts: [String] = sentences,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let finals = Self.finals(result)
        #expect(finals.map(\.text) == texts, "\(result.stderr)", sourceLocation: sourceLocation)
        let errors = zip(finals, recording.spans).map { max(abs($0.start - $1.start), abs($0.end - $1.end)) }
        print(String(format: "openai turns: largest time error %.3f s over %d finals", errors.max() ?? 0, errors.count))
        for (final, span) in zip(finals, recording.spans) {
            #expect(
                abs(final.start - span.start) <= 0.3 && abs(final.end - span.end) <= 0.3,
                "\(final.text): \(final.start)-\(final.end) s, spoken \(span.start)-\(span.end) s",
                sourceLocation: sourceLocation)
        }
    }

    @Test("hark --provider openai FILE, no other flag: each sentence once; turn_detection null and a commit per turn")
    func plainFile() throws {
        let recording = try Recording(Self.sentences)
        let fixture = try Fixture(Self.sentences)
        defer { fixture.fake.stop() }
        let result = try fixture.hark([try fixture.write(recording.wav, "talk.wav")])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutLines == Self.sentences, "\(result.stderr)")
        let events = fixture.clientEvents
        #expect(events.first?.contains(#""turn_detection":null"#) == true, "\(events.prefix(1))")
        #expect(events.filter { $0.contains("input_audio_buffer.commit") }.count >= Self.sentences.count)
    }

    @Test(
        "a file with the gate off, on, or as given: finals at their true times (JSON Lines)",
        arguments: [[], ["--no-vad"], ["--vad"]])
    func fileTimes(flags: [String]) throws {
        let recording = try Recording(Self.sentences)
        let fixture = try Fixture(Self.sentences)
        defer { fixture.fake.stop() }
        let result = try fixture.hark(
            flags + ["--speed", "max", "--format", "jsonl", try fixture.write(recording.wav, "talk.wav")])
        #expect(result.status == 0, "\(result.stderr)")
        Self.expectTrueTimes(result, recording)
    }

    @Test("standard input: finals at their true times, interim text while a sentence is spoken")
    func standardInput() throws {
        let recording = try Recording(Self.sentences)
        let fixture = try Fixture(Self.sentences)
        defer { fixture.fake.stop() }
        let result = try fixture.hark(["--speed", "max", "--format", "jsonl", "--interim", "-"], stdin: recording.wav)
        #expect(result.status == 0, "\(result.stderr)")
        Self.expectTrueTimes(result, recording)
        let interims = result.stdoutLines.filter { $0.contains(#""type":"interim""#) }
        #expect(interims.contains { $0.contains(#""text":"The""#) }, "\(interims)")
    }

    @Test("the ALSA test device (gate on, as for a microphone): the sentence once at its true time")
    func microphone() async throws {
        // hark asks the device for OpenAI's 24 kHz, which the file plugin grants, so the raw file
        // is written at 24 kHz. The plugin is not paced: it delivers far faster than hark processes,
        // and capture keeps at most 2 s queued (dropping the rest, as for a stalled consumer), so
        // the recording is one sentence in under 2 s; the silence after it ends the turn.
        let texts = ["Testing the microphone."]
        let recording = try Recording(texts, pause: 0.3, rate: 24000)
        let fixture = try Fixture(texts)
        defer { fixture.fake.stop() }
        let device = try ALSATestDevice(samples: recording.samples)
        let config = fixture.directory.appendingPathComponent("config.json")
        try #"{"replay_seconds": 3600}"#.write(to: config, atomically: true, encoding: .utf8)
        let hark = try RunningCommand(
            harkArguments: [
                "--provider", "openai", "--endpoint", fixture.fake.endpoint(), "--device", device.deviceName,
                "--format", "jsonl", "--config", config.path,
            ],
            environment: device.environment.merging(["OPENAI_API_KEY": "test-key"]) { $1 })
        // Stopped once the fake has completed every sentence (the device then plays silence forever).
        _ = await Evidence.wait(limit: .seconds(60)) {
            let completed = fixture.fake.recordedEvents().filter { $0["event"] as? String == "completed" }
            return completed.filter({ !(($0["transcript"] as? String) ?? "").isEmpty }).count >= texts.count
        }
        hark.send(SIGINT)
        let result = hark.wait(timeout: 60)
        #expect(result.status == 0, "\(result.stderr)")
        Self.expectTrueTimes(result, recording, texts)
    }

    @Test("a 40-second monologue without pauses is committed in turns of at most 15 s: finals before it ends")
    func monologue() throws {
        let parts = [
            "This monologue goes on and on, with commas, but without the long pauses that end a turn,",
            "because the speaker, who has a great deal to say about many things, never stops to breathe,",
            "and so it continues, clause after clause, about rivers and mountains and the weather in the valley,",
            "and about the trains, the roads, the bridges and the people who cross them every morning,",
            "and about the market square, the fountain, the old church and the school beside the river,",
            "until at last, after forty seconds or so of talking, the speaker comes to the very end of it.",
        ]
        let speech = try SpeechCorpus.espeak(parts.joined(separator: " "), wordsPerMinute: 135).samples
        let seconds = Double(speech.count) / 16000
        try #require(seconds >= 40, "the monologue is only \(seconds) s")
        let texts = (1...10).map { "Part \($0) of the monologue." }
        let fixture = try Fixture(texts)
        defer { fixture.fake.stop() }
        let wav = DeepgramEndToEndTests.wav(ALSATestDevice.rawBytes(speech))
        let result = try fixture.hark(["--speed", "max", "--format", "jsonl", try fixture.write(wav, "monologue.wav")])
        #expect(result.status == 0, "\(result.stderr)")
        let finals = Self.finals(result)
        #expect(finals.count >= 3, "\(finals.map(\.text)); \(result.stderr)")
        // Committed while the monologue was still streaming: a commit before the last append.
        let events = fixture.fake.recordedEvents()
        let lastAppend = try #require(events.lastIndex { $0["event"] as? String == "append" })
        let commitsBefore = events[..<lastAppend].filter {
            ($0["text"] as? String)?.contains("input_audio_buffer.commit") == true
        }
        #expect(commitsBefore.count >= 2, "\(commitsBefore.count) commits before the end of the audio")
        print(
            String(
                format: "openai monologue: %.1f s, %d finals, %d commits before the end of the audio: ", seconds,
                finals.count, commitsBefore.count)
                + finals.map { String(format: "%.2f-%.2f", $0.start, $0.end) }.joined(separator: ", "))
        for (final, next) in zip(finals, finals.dropFirst()) {
            #expect(final.end - final.start <= 15.01, "\(final)")
            #expect(final.end <= next.start + 0.001, "\(final) then \(next)")
        }
        #expect((finals.last?.end ?? 0) <= seconds + 0.3)
    }
}
