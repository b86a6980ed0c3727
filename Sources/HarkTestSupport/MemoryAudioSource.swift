package import Hark

/// An `AudioSource` over samples in memory, delivered in fixed blocks as fast as they are read.
package struct MemoryAudioSource: AudioSource {
    package let samples: [Float]
    package let format: AudioFormat
    package let blockFrames: Int
    package var name: String { "memory" }
    package var isLive: Bool { false }
    package var duration: Double? { Double(samples.count / format.channels) / Double(format.sampleRate) }

    package init(samples: [Float], sampleRate: Int, channels: Int = 1, blockFrames: Int = 320) {
        self.samples = samples
        self.format = AudioFormat(sampleRate: sampleRate, channels: channels, sampleFormat: .f32le)
        self.blockFrames = blockFrames
    }

    package func blocks() -> AsyncThrowingStream<AudioBlock, any Error> {
        let samples = samples
        let format = format
        let step = blockFrames * format.channels
        return AsyncThrowingStream { continuation in
            var index = 0
            while index < samples.count {
                let end = min(samples.count, index + step)
                continuation.yield(
                    AudioBlock(
                        samples: Array(samples[index..<end]), sampleRate: format.sampleRate,
                        channels: format.channels,
                        inputStart: Double(index / format.channels) / Double(format.sampleRate)))
                index = end
            }
            continuation.finish()
        }
    }
}
