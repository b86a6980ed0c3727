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
}
