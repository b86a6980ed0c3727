/// Turns interleaved little-endian PCM bytes into float samples in [-1, 1].
///
/// Integer formats are scaled by their full-scale value (32768 for 16 bits), so the most
/// negative code maps to exactly -1 and the stream's samples are kept bit for bit.
enum PCMSampleDecoding {
    /// Decodes whole samples from `bytes`; a trailing partial sample is ignored.
    static func floats(from bytes: ArraySlice<UInt8>, as format: SampleFormat) -> [Float] {
        let count = bytes.count / format.bytesPerSample
        var samples = [Float](repeating: 0, count: count)
        var offset = bytes.startIndex
        switch format {
        case .s16le:
            for index in 0..<count {
                let value = Int16(bitPattern: UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8)
                samples[index] = Float(value) / 32768
                offset += 2
            }
        case .s24le:
            for index in 0..<count {
                // Place the 24 bits at the top of an Int32 so the shift back extends the sign.
                let raw = UInt32(bytes[offset]) << 8 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 24
                samples[index] = Float(Int32(bitPattern: raw) >> 8) / 8_388_608
                offset += 3
            }
        case .s32le:
            for index in 0..<count {
                samples[index] = Float(Int32(bitPattern: littleEndianWord(bytes, offset))) / 2_147_483_648
                offset += 4
            }
        case .f32le:
            for index in 0..<count {
                samples[index] = Float(bitPattern: littleEndianWord(bytes, offset))
                offset += 4
            }
        }
        return samples
    }

    private static func littleEndianWord(_ bytes: ArraySlice<UInt8>, _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
            | UInt32(bytes[offset + 3]) << 24
    }
}
