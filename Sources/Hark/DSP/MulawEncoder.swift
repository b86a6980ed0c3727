/// G.711 µ-law: 8 bits a sample, what AssemblyAI takes as `pcm_mulaw` and Deepgram as `mulaw`.
///
/// Pure Swift; the classic segment encoder with a bias of 0x84 and clipping at 32635.
package struct MulawEncoder: AudioPayloadEncoder {
    package init() {}

    package var encoding: AudioEncoding { .mulaw }

    package mutating func encode(_ chunk: AudioChunk) -> [UInt8] {
        chunk.samples.map(Self.encode)
    }

    package mutating func finish() -> [UInt8] { [] }

    /// One sample in µ-law.
    package static func encode(_ sample: Int16) -> UInt8 {
        let bias = 0x84
        let clip = 32_635
        var value = Int(sample)
        let sign = value < 0 ? 0x80 : 0
        if value < 0 { value = -value }
        value = min(value, clip) + bias
        // The segment is the position of the highest set bit above bit 7.
        var exponent = 7
        var mask = 0x4000
        while exponent > 0 && value & mask == 0 {
            exponent -= 1
            mask >>= 1
        }
        let mantissa = (value >> (exponent + 3)) & 0x0F
        return ~UInt8(sign | (exponent << 4) | mantissa)
    }

    /// Decodes one µ-law byte (for tests and round-trip checks).
    package static func decode(_ byte: UInt8) -> Int16 {
        let value = Int(~byte)
        let sign = value & 0x80
        let exponent = (value >> 4) & 0x07
        let mantissa = value & 0x0F
        let magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
        return Int16(sign != 0 ? -magnitude : magnitude)
    }
}
