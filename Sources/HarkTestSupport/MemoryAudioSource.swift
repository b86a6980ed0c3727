package import Hark

/// An `AudioSource` over samples in memory, delivered in fixed blocks as fast as they are read.
package struct MemoryAudioSource: AudioSource {
    package let samples: [Float]
    package let format: AudioFormat
    package let blockFrames: Int
    package var name: String { "memory" }
    package var isLive: Bool { false }
    package var duration: Double? { Double(samples.count / format.channels) / Double(format.sampleRate) }

    /// Real time per block, to pace delivery (nil: as fast as read).
    package let pause: Duration?
    /// Awaited before each block with the block's input start: lets a test hold the input back
    /// until hark has shown some evidence (a final emitted) instead of pacing it by the clock.
    package let beforeBlock: (@Sendable (_ inputStart: Double) async -> Void)?

    package init(
        samples: [Float], sampleRate: Int, channels: Int = 1, blockFrames: Int = 320, pause: Duration? = nil,
        beforeBlock: (@Sendable (_ inputStart: Double) async -> Void)? = nil
    ) {
        self.samples = samples
        self.format = AudioFormat(sampleRate: sampleRate, channels: channels, sampleFormat: .f32le)
        self.blockFrames = blockFrames
        self.pause = pause
        self.beforeBlock = beforeBlock
    }

    package func blocks() -> AsyncThrowingStream<AudioBlock, any Error> {
        let samples = samples
        let format = format
        let step = blockFrames * format.channels
        let pause = pause
        let beforeBlock = beforeBlock
        return AsyncThrowingStream { continuation in
            let task = Task {
                var index = 0
                while index < samples.count {
                    if let pause { try? await Task.sleep(for: pause) }
                    let inputStart = Double(index / format.channels) / Double(format.sampleRate)
                    await beforeBlock?(inputStart)
                    let end = min(samples.count, index + step)
                    continuation.yield(
                        AudioBlock(
                            samples: Array(samples[index..<end]), sampleRate: format.sampleRate,
                            channels: format.channels,
                            inputStart: inputStart))
                    index = end
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
