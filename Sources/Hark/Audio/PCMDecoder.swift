/// Turns PCM bytes in a `SampleFormat` into interleaved `Float` samples in [-1, 1].
///
/// Reads from files and pipes end anywhere, often in the middle of a frame; the decoder keeps
/// that partial frame and completes it with the next bytes, so no sample is lost or decoded twice.
package struct PCMDecoder: Sendable {
    package let format: AudioFormat
    /// Bytes of an incomplete frame carried to the next `decode` call.
    private var pending: [UInt8] = []

    package init(format: AudioFormat) {
        self.format = format
    }

    /// Bytes held back because they do not yet make a whole frame.
    package var pendingByteCount: Int { pending.count }

    /// Decodes every whole frame in the pending bytes plus `bytes`; keeps the remainder.
    package mutating func decode(_ bytes: [UInt8]) -> [Float] {
        bytes.withUnsafeBytes { decode($0) }
    }

    /// Decodes every whole frame in the pending bytes plus `bytes`; keeps the remainder.
    package mutating func decode(_ bytes: UnsafeRawBufferPointer) -> [Float] {
        let frameBytes = format.bytesPerFrame
        guard frameBytes > 0 else { return [] }
        var output: [Float] = []
        var input = bytes
        if !pending.isEmpty {
            // Complete the carried frame first, then decode the rest straight from `bytes`.
            let needed = frameBytes - pending.count
            let taken = min(needed, input.count)
            pending.append(contentsOf: input.prefix(taken))
            input = UnsafeRawBufferPointer(rebasing: input.dropFirst(taken))
            guard pending.count == frameBytes else { return [] }
            output.reserveCapacity(format.channels * (1 + input.count / frameBytes))
            let carried = pending
            pending.removeAll(keepingCapacity: true)
            carried.withUnsafeBytes { appendSamples(from: $0, to: &output) }
        }
        let whole = input.count - input.count % frameBytes
        if whole > 0 {
            output.reserveCapacity(output.count + whole / format.sampleFormat.bytesPerSample)
            appendSamples(from: UnsafeRawBufferPointer(rebasing: input.prefix(whole)), to: &output)
        }
        pending.append(contentsOf: input.dropFirst(whole))
        return output
    }

    /// Drops the incomplete frame (at the end of the input) and says how many bytes it had.
    package mutating func discardPending() -> Int {
        defer { pending.removeAll() }
        return pending.count
    }

    private func appendSamples(from bytes: UnsafeRawBufferPointer, to output: inout [Float]) {
        let count = bytes.count / format.sampleFormat.bytesPerSample
        switch format.sampleFormat {
        case .s16le:
            // Into storage sized once rather than one `append` (and its capacity check) per
            // sample, so the loop vectorizes: this is every sample of every file and capture.
            let start = output.count
            output.append(contentsOf: repeatElement(0, count: count))
            output.withUnsafeMutableBufferPointer { samples in
                for index in 0..<count {
                    let value = Int16(littleEndian: bytes.loadUnaligned(fromByteOffset: index * 2, as: Int16.self))
                    samples[start + index] = Float(value) * (1 / 32768)
                }
            }
        case .s24le:
            for index in 0..<count {
                let offset = index * 3
                let raw = Int32(bytes[offset]) | Int32(bytes[offset + 1]) << 8 | Int32(bytes[offset + 2]) << 16
                // Shift the sign bit of the 24-bit value into bit 31 and back to sign-extend it.
                let value = (raw << 8) >> 8
                output.append(Float(value) * (1 / 8_388_608))
            }
        case .s32le:
            for index in 0..<count {
                let value = Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: index * 4, as: Int32.self))
                output.append(Float(Double(value) * (1 / 2_147_483_648)))
            }
        case .f32le:
            for index in 0..<count {
                let bits = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self))
                let value = Float(bitPattern: bits)
                // Float files may hold overs and, when broken, NaN; later stages assume [-1, 1].
                output.append(value.isNaN ? 0 : min(1, max(-1, value)))
            }
        }
    }
}
