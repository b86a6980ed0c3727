/// G.711 µ-law: 8 bits a sample, what AssemblyAI takes as `pcm_mulaw` and Deepgram as `mulaw`.
///
/// Pure Swift. G.711 defines µ-law on 14-bit samples: each 16-bit sample is rounded to 14 bits,
/// then coded with the reference segment encoder (bias 33, clip 8159), as sox does; the tests
/// compare every 16-bit value with sox's output.
package struct MulawEncoder: AudioPayloadEncoder {
    package init() {}

    package var encoding: AudioEncoding { .mulaw }

    package mutating func encode(_ chunk: AudioChunk) -> [UInt8] {
        chunk.samples.map(Self.encode)
    }

    package mutating func finish() -> [UInt8] { [] }

    /// Top of each segment's range, in biased 14-bit magnitude.
    private static let segmentEnds = [0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF]

    /// One sample in µ-law.
    package static func encode(_ sample: Int16) -> UInt8 {
        // Round to 14 bits (the top value would round up out of range).
        var value = min((Int(sample) + 2) >> 2, 8191)
        let mask: UInt8 = value < 0 ? 0x7F : 0xFF
        value = min(abs(value), 8159) + 33
        guard let segment = segmentEnds.firstIndex(where: { value <= $0 }) else { return 0x7F ^ mask }
        let code = UInt8(segment << 4) | UInt8((value >> (segment + 1)) & 0x0F)
        return code ^ mask
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
