import Testing

@testable import Hark

@Suite("Voice-activity gate: pre-roll, hang-over, timeline and statistics")
struct VoiceActivityGateTests {
    /// Runs the gate over 10 ms frames at 1 kHz, one per character of `voice` ('1' = voice).
    ///
    /// Each sample's value is its index, so positions can be checked.
    /// Blocks that touch are joined, as the chunker joins them.
    static func run(_ voice: String, preRoll: Int, hangOver: Int) -> (blocks: [AudioBlock], gate: VoiceActivityGate) {
        var gate = VoiceActivityGate(
            sampleRate: 1000, preRoll: .milliseconds(preRoll), hangOver: .milliseconds(hangOver))
        var blocks: [AudioBlock] = []
        for (index, flag) in voice.enumerated() {
            let frame = AudioBlock(
                samples: (0..<10).map { Float(index * 10 + $0) }, sampleRate: 1000, channels: 1,
                inputStart: Double(index) * 0.01)
            blocks += gate.process(frame, isVoice: flag == "1")
        }
        blocks += gate.finish()
        var joined: [AudioBlock] = []
        for block in blocks {
            if var last = joined.last, last.isFollowed(by: block) {
                last.samples += block.samples
                joined[joined.count - 1] = last
            } else {
                joined.append(block)
            }
        }
        return (joined, gate)
    }

    @Test("speech opens the gate with the pre-roll before it, and the hang-over after it")
    func preRollAndHangOver() throws {
        //            frames 0-9 silent, 10-11 voice, then silence
        let result = Self.run("0000000000110000000000", preRoll: 30, hangOver: 40)
        let block = try #require(result.blocks.first)
        #expect(result.blocks.count == 1)
        // Pre-roll: frames 7, 8, 9; voice 10, 11; hang-over 12, 13, 14, 15.
        #expect(block.inputStart == 0.07)
        #expect(block.frameCount == 90)
        #expect(block.samples == (70..<160).map(Float.init))
    }

    @Test("a pause shorter than the hang-over keeps one continuous block; a longer one makes a jump in inputStart")
    func pausesAndJumps() {
        let short = Self.run("0001000110000000", preRoll: 0, hangOver: 30)
        #expect(short.blocks.map(\.inputStart) == [0.03])
        let long = Self.run("01000000001000000", preRoll: 10, hangOver: 20)
        #expect(long.blocks.map(\.inputStart) == [0.0, 0.09])
        #expect(long.blocks.map(\.frameCount) == [40, 40])
        for block in long.blocks {
            // Every sample sits at its true position: value == index on the input timeline.
            let start = Int((block.inputStart * 1000).rounded())
            #expect(block.samples == (start..<start + block.frameCount).map(Float.init))
        }
    }

    @Test("pre-roll at the very start is shorter when there is less audio before the speech")
    func preRollAtStart() {
        let result = Self.run("0100", preRoll: 300, hangOver: 0)
        #expect(result.blocks.map(\.inputStart) == [0])
        #expect(result.blocks.map(\.frameCount) == [20])
    }

    @Test("silence alone is never sent, and the statistics count it as saved")
    func silenceIsNotSent() {
        let result = Self.run(String(repeating: "0", count: 100), preRoll: 300, hangOver: 800)
        #expect(result.blocks.isEmpty)
        #expect(abs(result.gate.statistics.secondsCaptured - 1) < 1e-9)
        #expect(result.gate.statistics.secondsPassed == 0)
        #expect(result.gate.statistics.saving == 1)
        #expect(!result.gate.isOpen)
    }

    @Test("statistics report seconds captured, passed, saved and the number of openings")
    func statistics() {
        let result = Self.run("0000110000000000001100000000", preRoll: 20, hangOver: 30)
        let stats = result.gate.statistics
        #expect(stats.openings == 2)
        #expect(abs(stats.secondsCaptured - 0.28) < 1e-9)
        #expect(abs(stats.secondsPassed - 0.14) < 1e-9)
        #expect(abs(stats.saving - 0.5) < 1e-9)
        #expect(abs(stats.secondsPassed - result.blocks.reduce(0) { $0 + $1.duration }) < 1e-9)
    }

    @Test("a partial frame at the end is sent only while the gate is open")
    func remainderAtEnd() {
        var open = VoiceActivityGate(sampleRate: 1000, preRoll: .zero, hangOver: .milliseconds(100))
        _ = open.process(AudioBlock(samples: [1, 2], sampleRate: 1000, channels: 1, inputStart: 0), isVoice: true)
        let tail = AudioBlock(samples: [3], sampleRate: 1000, channels: 1, inputStart: 0.002)
        #expect(open.finish(remainder: tail).map(\.samples) == [[3]])
        var closed = VoiceActivityGate(sampleRate: 1000, preRoll: .zero, hangOver: .zero)
        #expect(closed.finish(remainder: tail).isEmpty)
        #expect(abs(closed.statistics.secondsCaptured - 0.001) < 1e-12)
    }
}

@Suite("Audio processing options and the VAD level mapping")
struct AudioProcessingOptionsTests {
    @Test("--vad-level 0 (webrtcvad's least aggressive) maps to the most permissive likelihood, 3 to the strictest")
    func vadLevelRunsBackwards() {
        // Raw order of VoiceDetection::Likelihood: 0 kVeryLow (strictest) ... 3 kHigh (most permissive).
        #expect((0...3).map(AudioProcessingModule.likelihood(forVADLevel:)) == [3, 2, 1, 0])
    }

    @Test("out-of-range options are refused before audio flows")
    func validation() {
        #expect(throws: DSPError.invalidOption(option: "--vad-level", value: "4", expected: "0, 1, 2 or 3")) {
            try AudioProcessingOptions(voiceActivityGate: true, vadLevel: 4).validate()
        }
        #expect(throws: DSPError.self) { try AudioProcessingOptions(preRoll: .seconds(-1)).validate() }
        #expect(throws: DSPError.self) {
            try AudioPipeline.validate(inputRate: 4000, configuration: .init(outputRate: 16000))
        }
    }

    @Test("with everything off, audio processing is skipped entirely")
    func defaultsAreOff() {
        let options = AudioProcessingOptions()
        #expect(!options.needsAudioProcessing)
        #expect(AudioProcessingOptions(highPassFilter: true).needsAudioProcessing)
        #expect(AudioProcessingOptions(noiseSuppression: .low).needsAudioProcessing)
    }

    @Test("the configuration turns the gate on for a microphone and off for files unless it says otherwise")
    func fromConfiguration() {
        var configuration = Configuration()
        #expect(AudioProcessingOptions(configuration: configuration, sourceIsLive: true).voiceActivityGate)
        #expect(!AudioProcessingOptions(configuration: configuration, sourceIsLive: false).voiceActivityGate)
        configuration.vad = true
        configuration.vadLevel = 3
        configuration.preRollMilliseconds = 500
        configuration.denoise = 0
        configuration.agc = true
        let options = AudioProcessingOptions(configuration: configuration, sourceIsLive: false)
        #expect(options.voiceActivityGate)
        #expect(options.vadLevel == 3)
        #expect(options.preRoll == .milliseconds(500))
        #expect(options.noiseSuppression == .low)
        #expect(options.gainControl)
        #expect(!options.highPassFilter)
        #expect(AudioProcessingOptions.defaultVADLevel == Configuration().vadLevel)
    }

    @Test("durations convert to whole samples")
    func sampleCounts() {
        #expect(Duration.milliseconds(300).sampleCount(at: 16000) == 4800)
        #expect(Duration.milliseconds(10).sampleCount(at: 44100) == 441)
    }
}

@Suite("Payload encoders")
struct PayloadEncoderTests {
    @Test("µ-law codes silence, extremes and signs as G.711 does")
    func mulawKnownValues() {
        #expect(MulawEncoder.encode(0) == 0xFF)
        #expect(MulawEncoder.encode(.max) == 0x80)
        #expect(MulawEncoder.encode(.min) == 0x00)
        #expect(MulawEncoder.decode(0xFF) == 0)
        #expect(MulawEncoder.decode(0x80) == 32124)
        #expect(MulawEncoder.decode(0x00) == -32124)
    }

    @Test("µ-law round trips within one quantisation step of its segment")
    func mulawRoundTrip() {
        for value in stride(from: -32768, through: 32767, by: 7) {
            let sample = Int16(value)
            let back = Int(MulawEncoder.decode(MulawEncoder.encode(sample)))
            let error = abs(back - value)
            #expect(error <= (abs(value) + 132) / 16 + 2, "\(value) -> \(back)")
        }
    }

    @Test("the factory gives the encoder each --encoding names")
    func factory() throws {
        #expect(try makePayloadEncoder(.linear16, sampleRate: 16000, bitrate: nil).encoding == .linear16)
        #expect(try makePayloadEncoder(.mulaw, sampleRate: 8000, bitrate: nil).encoding == .mulaw)
        let opus = try makePayloadEncoder(.opus, sampleRate: 16000, bitrate: 16000)
        #expect(opus is OggOpusEncoder)
    }
}
