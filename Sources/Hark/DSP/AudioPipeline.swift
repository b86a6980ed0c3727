/// The audio path from a source's blocks to the chunks a provider gets: downmix to mono,
/// resample to the provider's rate, then cut into chunks.
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

        package init(outputRate: Int, chunkDuration: Duration = .milliseconds(250)) {
            self.outputRate = outputRate
            self.chunkDuration = chunkDuration
        }
    }

    package let inputRate: Int
    package let inputChannels: Int
    package let configuration: Configuration
    private var resampler: any Resampler
    private var chunker: Chunker
    /// Input timeline position of the first block, and output samples produced since.
    private var origin: Double?
    private var producedSamples: Int = 0
    /// Seconds of input seen.
    package private(set) var secondsIn: Double = 0

    package init(inputRate: Int, inputChannels: Int, configuration: Configuration) {
        self.inputRate = inputRate
        self.inputChannels = inputChannels
        self.configuration = configuration
        self.resampler = LinearResampler(inputRate: inputRate, outputRate: configuration.outputRate)
        self.chunker = Chunker(sampleRate: configuration.outputRate, chunkDuration: configuration.chunkDuration)
    }

    /// Chunks completed by this block.
    package mutating func process(_ block: AudioBlock) throws -> [AudioChunk] {
        if origin == nil { origin = block.inputStart }
        secondsIn += block.duration
        let mono = Self.downmix(block.samples, channels: block.channels)
        let resampled = try resampler.process(mono)
        return place(resampled)
    }

    /// What remains at the end of the input: the resampler's tail and the last partial chunk.
    package mutating func finish() throws -> [AudioChunk] {
        var chunks = place(try resampler.finish())
        chunks += chunker.finish()
        return chunks
    }

    private mutating func place(_ samples: [Float]) -> [AudioChunk] {
        guard !samples.isEmpty else { return [] }
        let start = (origin ?? 0) + Double(producedSamples) / Double(configuration.outputRate)
        producedSamples += samples.count
        return chunker.append(samples, inputStart: start)
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
