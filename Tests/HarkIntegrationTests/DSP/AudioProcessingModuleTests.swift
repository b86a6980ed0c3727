import Testing

@testable import Hark

@Suite("WebRTC audio processing: rates, frame lengths and enhancement")
struct AudioProcessingModuleTests {
    /// Runs `samples` through a module in 10 ms frames, returning the processed audio.
    static func process(_ samples: [Float], rate: Int, options: AudioProcessingOptions) throws -> [Float] {
        let module = try AudioProcessingModule(sampleRate: rate, options: options)
        var output: [Float] = []
        var start = 0
        while start + module.frameLength <= samples.count {
            var frame = Array(samples[start..<start + module.frameLength])
            _ = try module.process(&frame)
            output += frame
            start += module.frameLength
        }
        return output
    }

    @Test(
        "the float path takes 10 ms frames at any rate hark resamples to",
        arguments: [8000, 16000, 22050, 24000, 44100, 48000])
    func acceptsRates(rate: Int) throws {
        let module = try AudioProcessingModule(
            sampleRate: rate, options: AudioProcessingOptions(voiceActivityGate: true, noiseSuppression: .moderate))
        #expect(module.frameLength == rate / 100)
        var frame = [Float](repeating: 0.01, count: module.frameLength)
        _ = try module.process(&frame)
    }

    @Test("a frame that is not 10 ms long is refused with the library's reason")
    func wrongFrameLength() throws {
        let module = try AudioProcessingModule(
            sampleRate: 16000, options: AudioProcessingOptions(voiceActivityGate: true))
        var frame = [Float](repeating: 0, count: 100)
        #expect(
            throws: DSPError.audioProcessingFailed(
                code: -8, reason: "frame is not 10 ms long", while: "processing a 100-sample frame at 16000 Hz")
        ) {
            try module.process(&frame)
        }
    }

    @Test("rates outside 8-96 kHz are refused before the library sees them")
    func refusesRates() {
        #expect(throws: DSPError.self) {
            try AudioProcessingModule(sampleRate: 192_000, options: .init(gainControl: true))
        }
    }

    @Test("--denoise lowers steady background noise by more than 10 dB")
    func denoiseLowersNoise() throws {
        let noise = DSPTestAudio.noise(count: 16000 * 4, amplitude: 0.05, seed: 21)
        let output = try Self.process(noise, rate: 16000, options: AudioProcessingOptions(noiseSuppression: .high))
        // Judge the last second, after the noise estimate has settled.
        let before = DSPTestAudio.rms(Array(noise[48000..<64000]))
        let after = DSPTestAudio.rms(Array(output[48000..<64000]))
        let reduction = DSPTestAudio.decibels(after / before)
        #expect(reduction < -10, "noise changed by \(reduction) dB")
    }

    @Test("--agc raises quiet speech")
    func gainControlRaisesQuietSpeech() throws {
        let speech = try DSPTestAudio.speech(
            "A quiet voice that the gain control should make louder, one two three four.")
        let at16k = try SoxrResamplerTests.resample(speech.samples, from: speech.rate, to: 16000)
        let quiet = at16k.map { $0 * 0.03 }
        let output = try Self.process(quiet, rate: 16000, options: AudioProcessingOptions(gainControl: true))
        let gain = DSPTestAudio.decibels(
            DSPTestAudio.rms(Array(output.suffix(output.count / 2)))
                / DSPTestAudio.rms(Array(quiet.suffix(output.count / 2))))
        #expect(gain > 6, "gain \(gain) dB")
    }

    @Test("the high-pass filter removes a DC offset and keeps speech-band tones")
    func highPassRemovesDC() throws {
        let tone = DSPTestAudio.tone(frequency: 1000, amplitude: 0.3, seconds: 2, rate: 16000)
        let output = try Self.process(
            tone.map { $0 + 0.2 }, rate: 16000, options: AudioProcessingOptions(highPassFilter: true))
        let tail = Array(output.suffix(16000))
        let mean = tail.reduce(0, +) / Float(tail.count)
        #expect(abs(mean) < 0.01, "DC left: \(mean)")
        let toneLevel = DSPTestAudio.decibels(DSPTestAudio.rms(tail) / DSPTestAudio.rms(Array(tone.suffix(16000))))
        #expect(abs(toneLevel) < 1, "1 kHz changed by \(toneLevel) dB")
    }

    @Test("enhancement runs before the gate inside the pipeline, and everything off passes audio untouched")
    func pipelineWithEverythingOff() throws {
        var pipeline = AudioPipeline(inputRate: 16000, inputChannels: 1, configuration: .init(outputRate: 16000))
        let input = DSPTestAudio.noise(count: 16000, amplitude: 0.5, seed: 4)
        var chunks = try pipeline.process(AudioBlock(samples: input, sampleRate: 16000, channels: 1, inputStart: 0))
        chunks += try pipeline.finish()
        #expect(chunks.flatMap(\.samples) == input.map(Chunker.pcm16))
        #expect(pipeline.gateStatistics == nil)
        #expect(pipeline.isSending)
    }
}
