import Foundation
import HarkTestSupport
import Testing

@testable import Hark

@Suite("Voice-activity gate on real speech (espeak-ng) through WebRTC's detector")
struct VoiceActivityGateSpeechTests {
    /// `lead` seconds of near-silence, speech, then `tail` seconds of near-silence, at the speech's rate.
    static func paddedSpeech(lead: Double, tail: Double) throws -> (samples: [Float], rate: Int, onset: Int) {
        let speech = try DSPTestAudio.speech("Hello there. The quick brown fox jumps over the lazy dog.")
        let leadCount = Int(lead * Double(speech.rate))
        let tailCount = Int(tail * Double(speech.rate))
        // A faint noise floor, as a real microphone has; digital zero would be too easy.
        var samples = DSPTestAudio.noise(count: leadCount, amplitude: 0.0005, seed: 5) + speech.samples
        samples += DSPTestAudio.noise(count: tailCount, amplitude: 0.0005, seed: 6)
        let onset = leadCount + (try #require(DSPTestAudio.onset(of: speech.samples)))
        return (samples, speech.rate, onset)
    }

    /// Runs `samples` through an `AudioPipeline` with the gate on, in 20 ms blocks.
    static func gate(
        _ samples: [Float], rate: Int, outputRate: Int = 16000, options: AudioProcessingOptions
    ) throws -> (chunks: [AudioChunk], statistics: GateStatistics) {
        var pipeline = AudioPipeline(
            inputRate: rate, inputChannels: 1,
            configuration: .init(outputRate: outputRate, processing: options))
        let block = rate / 50
        var chunks: [AudioChunk] = []
        var position = 0
        while position < samples.count {
            let end = min(samples.count, position + block)
            chunks += try pipeline.process(
                AudioBlock(
                    samples: Array(samples[position..<end]), sampleRate: rate, channels: 1,
                    inputStart: Double(position) / Double(rate)))
            position = end
        }
        chunks += try pipeline.finish()
        return (chunks, try #require(pipeline.gateStatistics))
    }

    /// Joins touching chunks into (start, end) intervals on the input timeline.
    static func segments(_ chunks: [AudioChunk]) -> [(start: Double, end: Double)] {
        var segments: [(start: Double, end: Double)] = []
        for chunk in chunks {
            if let last = segments.last, abs(last.end - chunk.inputStart) < 1e-6 {
                segments[segments.count - 1].end = chunk.inputEnd
            } else {
                segments.append((chunk.inputStart, chunk.inputEnd))
            }
        }
        return segments
    }

    @Test(
        "no word is clipped at speech onset: the pre-roll starts the audio well before the first loud sample",
        arguments: [0, 1, 2, 3])
    func preRollKeepsOnset(level: Int) throws {
        let input = try Self.paddedSpeech(lead: 2, tail: 3)
        let result = try Self.gate(
            input.samples, rate: input.rate, options: AudioProcessingOptions(voiceActivityGate: true, vadLevel: level))
        let onset = Double(input.onset) / Double(input.rate)
        let first = try #require(result.chunks.first).inputStart
        #expect(first <= onset - 0.2, "level \(level): first passed sample at \(first) s, speech onset at \(onset) s")
        // The lead-in silence is still mostly skipped.
        #expect(first >= onset - 0.6, "level \(level): sending starts at \(first) s")
    }

    @Test("every loud sample of the speech lies inside the audio sent, word tails included", arguments: [0, 2, 3])
    func noSpeechIsClipped(level: Int) throws {
        let input = try Self.paddedSpeech(lead: 2, tail: 3)
        let result = try Self.gate(
            input.samples, rate: input.rate, options: AudioProcessingOptions(voiceActivityGate: true, vadLevel: level))
        let segments = Self.segments(result.chunks)
        var clipped: [Double] = []
        for (index, sample) in input.samples.enumerated() where abs(sample) > 0.02 {
            let time = Double(index) / Double(input.rate)
            if !segments.contains(where: { $0.start <= time && time < $0.end }) { clipped.append(time) }
        }
        #expect(
            clipped.isEmpty, "level \(level): \(clipped.count) loud samples not sent, first at \(clipped.first ?? 0) s")
    }

    @Test("silence before and after speech is not sent, and the statistics say how much was saved")
    func silenceIsSkipped() throws {
        let input = try Self.paddedSpeech(lead: 4, tail: 6)
        let result = try Self.gate(
            input.samples, rate: input.rate, options: AudioProcessingOptions(voiceActivityGate: true, vadLevel: 3))
        let lastLoud = try #require(input.samples.lastIndex { abs($0) > 0.02 })
        let speechEnd = Double(lastLoud) / Double(input.rate)
        let segments = Self.segments(result.chunks)
        let first = try #require(segments.first)
        let last = try #require(segments.last)
        #expect(first.start >= 3)
        #expect(last.end <= speechEnd + 0.8 + 0.5, "sending ends at \(last.end) s, speech at \(speechEnd) s")
        let sent = result.chunks.reduce(0.0) { $0 + $1.duration }
        let total = Double(input.samples.count) / Double(input.rate)
        #expect(abs(result.statistics.secondsPassed - sent) < 1e-6)
        #expect(abs(result.statistics.secondsCaptured - total) < 0.001)
        #expect(result.statistics.saving > 0.5, "saving \(result.statistics.saving)")
        #expect(result.statistics.openings >= 1)
    }

    @Test("the gate works at OpenAI's 24 kHz and at 8 kHz as well as at 16 kHz", arguments: [8000, 24000])
    func otherProviderRates(outputRate: Int) throws {
        let input = try Self.paddedSpeech(lead: 2, tail: 3)
        let result = try Self.gate(
            input.samples, rate: input.rate, outputRate: outputRate,
            options: AudioProcessingOptions(voiceActivityGate: true))
        let onset = Double(input.onset) / Double(input.rate)
        let segments = Self.segments(result.chunks)
        let first = try #require(segments.first)
        #expect(first.start <= onset - 0.2 && first.start >= onset - 0.6, "sending starts at \(first.start) s")
        #expect(result.chunks.allSatisfy { $0.sampleRate == outputRate })
        #expect(result.statistics.saving > 0.2, "saving \(result.statistics.saving)")
    }

    @Test("the pipeline says when audio is flowing, so the session knows when to send keep-alives")
    func isSendingFollowsSpeech() throws {
        let input = try Self.paddedSpeech(lead: 2, tail: 3)
        var pipeline = AudioPipeline(
            inputRate: input.rate, inputChannels: 1,
            configuration: .init(outputRate: 16000, processing: AudioProcessingOptions(voiceActivityGate: true)))
        #expect(!pipeline.isSending)
        var states: [Bool] = []
        let block = input.rate / 50
        for start in stride(from: 0, to: input.samples.count, by: block) {
            let samples = Array(input.samples[start..<min(input.samples.count, start + block)])
            _ = try pipeline.process(
                AudioBlock(
                    samples: samples, sampleRate: input.rate, channels: 1,
                    inputStart: Double(start) / Double(input.rate)))
            if states.last != pipeline.isSending { states.append(pipeline.isSending) }
        }
        // Closed through the lead-in, open for the speech, closed again in the trailing silence.
        #expect(states == [false, true, false])
    }

    @Test(
        "on a real recording, the pauses between sentences are skipped with a short hang-over and no loud sample is lost",
        arguments: [1, 3])
    func realSpeech(level: Int) throws {
        let sample = try DSPTestAudio.readWAV(PackagePaths.samples.appendingPathComponent("sample.wav"))
        let lead = DSPTestAudio.noise(count: sample.rate * 3, amplitude: 0.0005, seed: 31)
        let samples = lead + sample.samples + DSPTestAudio.noise(count: sample.rate * 2, amplitude: 0.0005, seed: 32)
        let result = try Self.gate(
            samples, rate: sample.rate,
            options: AudioProcessingOptions(voiceActivityGate: true, vadLevel: level, hangOver: .milliseconds(300)))
        let segments = Self.segments(result.chunks)
        let onset =
            Double(lead.count + (try #require(DSPTestAudio.onset(of: sample.samples, threshold: 0.05))))
            / Double(sample.rate)
        let first = try #require(segments.first)
        #expect(
            first.start <= onset - 0.2 && first.start >= 2, "sending starts at \(first.start) s, speech at \(onset) s")
        var clipped: [Double] = []
        for (index, value) in samples.enumerated() where abs(value) > 0.05 {
            let time = Double(index) / Double(sample.rate)
            if !segments.contains(where: { $0.start <= time && time < $0.end }) { clipped.append(time) }
        }
        #expect(clipped.isEmpty, "\(clipped.count) loud samples not sent, first at \(clipped.first ?? 0) s")
        #expect(segments.count >= 2, "the sentence pauses were not skipped: \(segments)")
    }

    @Test("noise without speech sends nothing after the detector's warm-up")
    func noiseAloneSendsNothing() throws {
        let noise = DSPTestAudio.noise(count: 16000 * 10, amplitude: 0.0005, seed: 11)
        let result = try Self.gate(noise, rate: 16000, options: AudioProcessingOptions(voiceActivityGate: true))
        #expect(result.chunks.isEmpty)
        #expect(result.statistics.saving == 1)
    }

    @Test("audio the gate passes sits at its true input position, sample for sample")
    func passedAudioKeepsInputPositions() throws {
        let input = try Self.paddedSpeech(lead: 2, tail: 2)
        // Resample once up front so the gate's own run has no rate change: input index = time * rate.
        let at16k = try SoxrResamplerTests.resample(input.samples, from: input.rate, to: 16000)
        let twice = at16k + DSPTestAudio.noise(count: 16000 * 2, amplitude: 0.0005, seed: 12) + at16k
        let result = try Self.gate(twice, rate: 16000, options: AudioProcessingOptions(voiceActivityGate: true))
        #expect(Self.segments(result.chunks).count == 2)
        var worst = 0
        for chunk in result.chunks {
            let start = chunk.inputStart * 16000
            #expect(abs(start - start.rounded()) < 1e-6, "inputStart \(chunk.inputStart) is not on a sample")
            let index = Int(start.rounded())
            for (offset, sample) in chunk.samples.enumerated() {
                worst = max(worst, abs(Int(sample) - Int(Chunker.pcm16(twice[index + offset]))))
            }
        }
        // WebRTC's float path converts to 16-bit scale and back: at most one step of rounding.
        #expect(worst <= 1, "largest difference \(worst) steps")
    }
    /// Four sentences with 6 s pauses, over steady white noise at `noiseDBFS` (RMS) throughout,
    /// as in a quiet room; with each sentence's span (first to last loud sample), in seconds.
    static func sentencesInNoise(noiseDBFS: Double) throws -> (
        samples: [Float], rate: Int, sentences: [(start: Double, end: Double)]
    ) {
        let texts = [
            "The first sentence is about the weather.", "A second one follows after a pause.",
            "Then comes the third sentence.", "And the last one ends the recording.",
        ]
        var samples: [Float] = []
        var sentences: [(start: Double, end: Double)] = []
        var rate = 22050
        for (index, text) in texts.enumerated() {
            let speech = try DSPTestAudio.speech(text)
            rate = speech.rate
            let pause = [Float](repeating: 0, count: index == 0 ? rate * 2 : rate * 6)
            samples += pause
            let first = try #require(DSPTestAudio.onset(of: speech.samples))
            let last = try #require(speech.samples.lastIndex { abs($0) > 0.02 })
            sentences.append(
                (Double(samples.count + first) / Double(rate), Double(samples.count + last) / Double(rate)))
            samples += speech.samples
        }
        samples += [Float](repeating: 0, count: rate * 2)
        // Uniform noise in [-a, a] has an RMS of a / sqrt(3).
        let amplitude = Float(pow(10, noiseDBFS / 20) * 3.0.squareRoot())
        let noise = DSPTestAudio.noise(count: samples.count, amplitude: amplitude, seed: 77)
        for index in samples.indices { samples[index] += noise[index] }
        return (samples, rate, sentences)
    }

    @Test(
        "steady room noise between sentences is not sent as speech at the default level (at most 10 % of the pauses at -60 dBFS), and no loud sample is lost",
        arguments: [-69.0, -60.0, -50.0])
    func roomNoiseBetweenSentences(noiseDBFS: Double) throws {
        let input = try Self.sentencesInNoise(noiseDBFS: noiseDBFS)
        let options = AudioProcessingOptions(voiceActivityGate: true)
        let result = try Self.gate(input.samples, rate: input.rate, options: options)
        let segments = Self.segments(result.chunks)
        func sent(from start: Double, to end: Double) -> Double {
            segments.reduce(0) { $0 + max(0, min(end, $1.end) - max(start, $1.start)) }
        }
        var pauses = 0.0
        var pauseSent = 0.0
        var beyondMargins = 0.0
        for (previous, next) in zip(input.sentences, input.sentences.dropFirst()) {
            pauses += next.start - previous.end
            pauseSent += sent(from: previous.end, to: next.start)
            // What the hang-over after a sentence and the pre-roll before the next always send.
            beyondMargins += sent(from: previous.end + 0.8 + 0.1, to: next.start - 0.3 - 0.1)
        }
        print(
            String(
                format:
                    "room noise %.0f dBFS, --vad-level %d: %.2f s of %.2f s of pauses sent (%.1f %%), %.2f s beyond hang-over and pre-roll",
                noiseDBFS, options.vadLevel, pauseSent, pauses, pauseSent / pauses * 100, beyondMargins))
        if noiseDBFS <= -60 {
            #expect(beyondMargins <= 0.1 * pauses, "\(beyondMargins) s of \(pauses) s of noise sent: \(segments)")
        }
        var clipped: [Double] = []
        for sentence in input.sentences {
            let start = Int(sentence.start * Double(input.rate))
            let end = Int(sentence.end * Double(input.rate))
            for index in start...end where abs(input.samples[index]) > 0.05 {
                let time = Double(index) / Double(input.rate)
                if !segments.contains(where: { $0.start <= time && time < $0.end }) { clipped.append(time) }
            }
        }
        #expect(clipped.isEmpty, "\(clipped.count) loud samples not sent, first at \(clipped.first ?? 0) s")
        for sentence in input.sentences {
            #expect(
                segments.contains { $0.start <= sentence.start - 0.2 && sentence.start < $0.end },
                "the onset at \(sentence.start) s is clipped: \(segments)")
        }
    }
    @Test(
        "with turns asked for and the gate off, every sample is sent and each sentence ends a turn at its last word",
        arguments: [false, true])
    func turnsWithOrWithoutGate(gate: Bool) throws {
        let input = try Self.sentencesInNoise(noiseDBFS: -60)
        var pipeline = AudioPipeline(
            inputRate: input.rate, inputChannels: 1,
            configuration: .init(
                outputRate: 24000,
                processing: AudioProcessingOptions(voiceActivityGate: gate, maxTurnLength: .seconds(15))))
        var chunks: [AudioChunk] = []
        let block = input.rate / 50
        for start in stride(from: 0, to: input.samples.count, by: block) {
            chunks += try pipeline.process(
                AudioBlock(
                    samples: Array(input.samples[start..<min(input.samples.count, start + block)]),
                    sampleRate: input.rate, channels: 1, inputStart: Double(start) / Double(input.rate)))
        }
        chunks += try pipeline.finish()
        if !gate {
            let sent = chunks.reduce(0.0) { $0 + $1.duration }
            #expect(abs(sent - Double(input.samples.count) / Double(input.rate)) < 0.01, "sent \(sent) s")
        }
        let starts = chunks.compactMap(\.speechStart)
        let ends = chunks.filter(\.endsSpeech).compactMap(\.speechEnd)
        #expect(starts.count == input.sentences.count, "speech starts \(starts)")
        #expect(ends.count == input.sentences.count, "turn ends \(ends)")
        for (sentence, (start, end)) in zip(input.sentences, zip(starts, ends)) {
            #expect(abs(start - sentence.start) < 0.3, "turn starts at \(start) s, speech at \(sentence.start) s")
            #expect(abs(end - sentence.end) < 0.3, "turn ends at \(end) s, speech at \(sentence.end) s")
        }
        // The chunk that ends a turn ends one hang-over after the speech.
        for chunk in chunks where chunk.endsSpeech {
            let speechEnd = try #require(chunk.speechEnd)
            #expect(
                abs(chunk.inputEnd - speechEnd - 0.8) < 0.02
                    || chunk.inputEnd >= Double(input.samples.count) / Double(input.rate) - 0.02)
        }
    }
}
