/// The audio path from a source's blocks to the chunks a provider gets: downmix to mono,
/// resample to the provider's rate (libsoxr HQ), enhance and gate (WebRTC audio processing and
/// the voice-activity gate, when `processing` asks for them), then cut into chunks.
///
/// One pipeline serves one run. It is a plain value driven by the session's processing task;
/// its C-backed stages are microseconds per block, so they run inline, with no thread hop.
package struct AudioPipeline {
    /// How the pipeline is set up.
    package struct Configuration: Sendable, Equatable {
        /// The provider's rate.
        package var outputRate: Int
        /// Chunk length; 250 ms by default.
        package var chunkDuration: Duration
        /// Enhancement and the voice-activity gate; all off by default.
        package var processing: AudioProcessingOptions

        package init(
            outputRate: Int, chunkDuration: Duration = .milliseconds(250),
            processing: AudioProcessingOptions = AudioProcessingOptions()
        ) {
            self.outputRate = outputRate
            self.chunkDuration = chunkDuration
            self.processing = processing
        }
    }

    /// The C-backed stages, made on first use so that `init` cannot fail; `validate` reports
    /// the same errors up front.
    private struct Stages {
        var resampler: any Resampler
        var voice: VoiceProcessingStage
    }

    package let inputRate: Int
    package let inputChannels: Int
    package let configuration: Configuration
    private var stages: Stages?
    private var chunker: Chunker
    /// Input timeline position of the first block, and output samples produced since.
    private var origin: Double?
    private var producedSamples: Int = 0
    /// Seconds of input seen.
    package private(set) var secondsIn: Double = 0
    /// Where speech began, until the chunk holding that moment is cut.
    private var pendingOnset: Double?
    /// Where the last chunk out ended on the input.
    private var lastChunkEnd: Double?

    package init(inputRate: Int, inputChannels: Int, configuration: Configuration) {
        self.inputRate = inputRate
        self.inputChannels = inputChannels
        self.configuration = configuration
        self.chunker = Chunker(sampleRate: configuration.outputRate, chunkDuration: configuration.chunkDuration)
    }

    /// Checks that the stages can be built for these rates and options, before audio flows.
    /// - Throws: `DSPError` (unsupported rate, option out of range, a C library refusing).
    package static func validate(inputRate: Int, configuration: Configuration) throws(DSPError) {
        _ = try makeStages(inputRate: inputRate, configuration: configuration)
    }

    private static func makeStages(inputRate: Int, configuration: Configuration) throws(DSPError) -> Stages {
        Stages(
            resampler: try SoxrResampler(inputRate: inputRate, outputRate: configuration.outputRate),
            voice: try VoiceProcessingStage(sampleRate: configuration.outputRate, options: configuration.processing))
    }

    /// What the voice-activity gate did so far (seconds captured, passed, saved); nil when off.
    package var gateStatistics: GateStatistics? { stages?.voice.gateStatistics }

    /// True while audio flows to the provider.
    ///
    /// Always with the gate off; with it on, only while speech and its hang-over last. When
    /// false the session must send keep-alives itself.
    package var isSending: Bool { stages?.voice.isSending ?? !configuration.processing.voiceActivityGate }

    /// Chunks completed by this block.
    package mutating func process(_ block: AudioBlock) throws -> [AudioChunk] {
        if origin == nil { origin = block.inputStart }
        secondsIn += block.duration
        // Taken out while in use, so the stages' buffers stay uniquely owned (no copy per block).
        var stages = try self.stages.take() ?? Self.makeStages(inputRate: inputRate, configuration: configuration)
        defer { self.stages = stages }
        let mono = Self.downmix(block.samples, channels: block.channels)
        let resampled = try stages.resampler.process(mono)
        return try place(resampled, through: &stages.voice)
    }

    /// What remains at the end of the input: the resampler's tail, the last partial frame and
    /// the last partial chunk.
    package mutating func finish() throws -> [AudioChunk] {
        guard var stages = self.stages.take() else { return chunker.finish() }
        defer { self.stages = stages }
        var chunks = try place(try stages.resampler.finish(), through: &stages.voice)
        chunks += cut(stages.voice.finish())
        chunks += chunker.finish()
        return chunks
    }

    private mutating func place(_ samples: [Float], through voice: inout VoiceProcessingStage) throws -> [AudioChunk] {
        guard !samples.isEmpty else { return [] }
        let start = (origin ?? 0) + Double(producedSamples) / Double(configuration.outputRate)
        producedSamples += samples.count
        let block = AudioBlock(samples: samples, sampleRate: configuration.outputRate, channels: 1, inputStart: start)
        return cut(try voice.process(block))
    }

    /// Chunks the stage's audio, cutting a chunk short where a turn ends (the gate closed, or hark
    /// decides turns for the provider) so the utterance's tail goes out now rather than with the
    /// next speech, marked so the session can tell the provider; and notes where speech began.
    private mutating func cut(_ outputs: [VoiceProcessingStage.Output]) -> [AudioChunk] {
        var chunks: [AudioChunk] = []
        var marked = 0
        func markOnset(from index: Int) {
            guard let onset = pendingOnset else { return }
            for position in index..<chunks.count where chunks[position].inputEnd > onset {
                chunks[position].speechStart = max(onset, chunks[position].inputStart)
                pendingOnset = nil
                return
            }
        }
        for output in outputs {
            switch output {
            case .audio(let block):
                chunks += chunker.append(block.samples, inputStart: block.inputStart)
                markOnset(from: marked)
                marked = chunks.count
            case .turn(.speechStarted(let at)):
                pendingOnset = at
            case .turn(.turnEnded(let speechEnd)):
                chunks += chunker.finish()
                markOnset(from: marked)
                marked = chunks.count
                if chunks.isEmpty, configuration.processing.maxTurnLength != nil, let lastChunkEnd {
                    // The turn's audio all left in earlier calls (it ended on a chunk boundary):
                    // an empty chunk carries the end, since the provider needs it to end the turn.
                    chunks.append(
                        AudioChunk(samples: [], sampleRate: configuration.outputRate, inputStart: lastChunkEnd))
                }
                if !chunks.isEmpty {
                    chunks[chunks.count - 1].endsSpeech = true
                    chunks[chunks.count - 1].speechEnd = speechEnd
                }
                marked = chunks.count
            }
        }
        if let last = chunks.last { lastChunkEnd = last.inputEnd }
        return chunks
    }

    /// Averages the channels of interleaved samples into one.
    package static func downmix(_ samples: [Float], channels: Int) -> [Float] {
        guard channels > 1 else { return samples }
        let frames = samples.count / channels
        var mono = [Float](repeating: 0, count: frames)
        let scale = 1 / Float(channels)
        samples.withUnsafeBufferPointer { input in
            for frame in 0..<frames {
                var sum: Float = 0
                let base = frame * channels
                for channel in 0..<channels { sum += input[base + channel] }
                mono[frame] = sum * scale
            }
        }
        return mono
    }
}
