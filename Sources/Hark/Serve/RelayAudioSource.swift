import Synchronization

/// Audio a browser sends through `hark serve`: 16-bit little-endian mono PCM at the page's rate,
/// fed by the relay as it arrives; the stream ends when the page stops (or never comes back).
package final class RelayAudioSource: AudioSource {
    package let format: AudioFormat
    package let name: String
    package var isLive: Bool { true }
    package var duration: Double? { nil }
    private let stream: AsyncThrowingStream<AudioBlock, any Error>
    private let continuation: AsyncThrowingStream<AudioBlock, any Error>.Continuation
    private let decoding: Mutex<(decoder: PCMDecoder, frames: Int)>

    package init(sampleRate: Int, name: String) {
        format = AudioFormat(sampleRate: sampleRate, channels: 1, sampleFormat: .s16le)
        self.name = name
        // Unbounded: the relay must never block on a slow session; the session's own backlog
        // decides what is kept.
        (stream, continuation) = AsyncThrowingStream.makeStream(of: AudioBlock.self)
        decoding = Mutex((PCMDecoder(format: format), 0))
    }

    /// The one stream of this source (a relay is read once).
    package func blocks() -> AsyncThrowingStream<AudioBlock, any Error> { stream }

    /// Adds PCM bytes; an odd trailing byte waits for the next call.
    package func feed(_ bytes: [UInt8]) {
        let block = decoding.withLock { state -> AudioBlock? in
            let samples = state.decoder.decode(bytes)
            guard !samples.isEmpty else { return nil }
            let start = Double(state.frames) / Double(format.sampleRate)
            state.frames += samples.count
            return AudioBlock(samples: samples, sampleRate: format.sampleRate, channels: 1, inputStart: start)
        }
        if let block { continuation.yield(block) }
    }

    /// No more audio: the session sends what it has and finishes.
    package func finish() { continuation.finish() }
}
