/// Cuts a mono float stream into fixed-length PCM16 chunks (250 ms by default).
///
/// No sample is dropped or duplicated: every sample appended leaves in exactly one chunk, and
/// the last partial chunk leaves at `finish()`. A jump in the input timeline (silence the
/// voice-activity gate skipped) ends the current chunk early, so each chunk is contiguous and
/// its `inputStart` maps every sample in it.
package struct Chunker {
    package let sampleRate: Int
    package let samplesPerChunk: Int
    private var buffer: [Int16] = []
    private var bufferStart: Double = 0

    /// - Parameters:
    ///   - sampleRate: rate of the samples appended.
    ///   - chunkDuration: chunk length (20–1000 ms in the CLI).
    package init(sampleRate: Int, chunkDuration: Duration) {
        self.sampleRate = sampleRate
        let milliseconds =
            Double(chunkDuration.components.seconds) * 1000
            + Double(chunkDuration.components.attoseconds) / 1e15
        self.samplesPerChunk = max(1, Int((Double(sampleRate) * milliseconds / 1000).rounded()))
        buffer.reserveCapacity(samplesPerChunk)
    }

    /// Appends samples whose first one sits at `inputStart` seconds; returns completed chunks.
    package mutating func append(_ samples: [Float], inputStart: Double) -> [AudioChunk] {
        var chunks: [AudioChunk] = []
        if buffer.isEmpty {
            bufferStart = inputStart
        } else {
            let expected = bufferStart + Double(buffer.count) / Double(sampleRate)
            // More than half a sample off means the gate skipped audio: close this chunk.
            if abs(inputStart - expected) > 0.5 / Double(sampleRate) {
                chunks.append(takeBuffer())
                bufferStart = inputStart
            }
        }
        var index = 0
        while index < samples.count {
            let room = samplesPerChunk - buffer.count
            let end = min(samples.count, index + room)
            for sample in samples[index..<end] {
                buffer.append(Self.pcm16(sample))
            }
            index = end
            if buffer.count == samplesPerChunk {
                let nextStart = bufferStart + Double(samplesPerChunk) / Double(sampleRate)
                chunks.append(takeBuffer())
                bufferStart = nextStart
            }
        }
        return chunks
    }

    /// The last partial chunk, if any.
    package mutating func finish() -> [AudioChunk] {
        buffer.isEmpty ? [] : [takeBuffer()]
    }

    private mutating func takeBuffer() -> AudioChunk {
        let chunk = AudioChunk(samples: buffer, sampleRate: sampleRate, inputStart: bufferStart)
        buffer.removeAll(keepingCapacity: true)
        return chunk
    }

    /// Float in [-1, 1] to PCM16, rounded and clipped.
    ///
    /// The scale is 32768, the one the decoders divide by, so 16-bit input passes through the float
    /// pipeline unchanged.
    ///
    /// Rounds half away from zero, as `rounded()` does, but without its libm call per sample
    /// (measured: a tenth of hark's CPU at live pace went to `roundf`): truncation is one
    /// instruction, and the fraction it leaves is exact for these magnitudes.
    @inline(__always)
    package static func pcm16(_ sample: Float) -> Int16 {
        let scaled = sample * 32768
        // Exactly the values whose rounding reaches the limits.
        if scaled >= 32766.5 { return .max }
        if scaled <= -32767.5 { return .min }
        let truncated = Int32(scaled)
        let fraction = scaled - Float(truncated)
        if fraction >= 0.5 { return Int16(truncated + 1) }
        if fraction <= -0.5 { return Int16(truncated - 1) }
        return Int16(truncated)
    }
}
