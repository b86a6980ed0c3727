import HarkTestSupport
import Testing

@testable import Hark

@Suite("PCM decoding")
struct PCMDecoderTests {
    @Test("each sample format decodes to exact floats at its extremes and zero")
    func exactValues() {
        var s16 = PCMDecoder(format: AudioFormat(sampleRate: 8000, channels: 1, sampleFormat: .s16le))
        #expect(s16.decode(WAVFixture.s16([0, 16384, -32768, 32767])) == [0, 0.5, -1, Float(32767) / 32768])
        var s24 = PCMDecoder(format: AudioFormat(sampleRate: 8000, channels: 1, sampleFormat: .s24le))
        #expect(s24.decode(WAVFixture.s24([0, 4_194_304, -8_388_608, -1])) == [0, 0.5, -1, -1 / 8_388_608])
        var s32 = PCMDecoder(format: AudioFormat(sampleRate: 8000, channels: 1, sampleFormat: .s32le))
        #expect(s32.decode(WAVFixture.s32([0, 1_073_741_824, Int32.min])) == [0, 0.5, -1])
        var f32 = PCMDecoder(format: AudioFormat(sampleRate: 8000, channels: 1, sampleFormat: .f32le))
        #expect(f32.decode(WAVFixture.f32([0.25, -0.75, 1.5, -3, .nan])) == [0.25, -0.75, 1, -1, 0])
    }

    @Test("frames split across reads at every byte position are decoded once, in order")
    func splitReads() {
        let format = AudioFormat(sampleRate: 8000, channels: 2, sampleFormat: .s24le)
        let values: [Int32] = (0..<40).map { Int32($0 * 100_003 % 8_000_000) - 4_000_000 }
        let bytes = WAVFixture.s24(values)
        var whole = PCMDecoder(format: format)
        let expected = whole.decode(bytes)
        #expect(expected.count == 40)
        for split in 0...bytes.count {
            var decoder = PCMDecoder(format: format)
            let samples = decoder.decode(Array(bytes[..<split])) + decoder.decode(Array(bytes[split...]))
            #expect(samples == expected, "split at \(split)")
            #expect(decoder.pendingByteCount == 0)
        }
        var dripped = PCMDecoder(format: format)
        var samples: [Float] = []
        for byte in bytes { samples += dripped.decode([byte]) }
        #expect(samples == expected)
    }

    @Test("a trailing partial frame is held back and reported when discarded")
    func partialFrameIsKept() {
        var decoder = PCMDecoder(format: AudioFormat(sampleRate: 8000, channels: 2, sampleFormat: .s16le))
        #expect(decoder.decode(WAVFixture.s16([1, 2, 3])) == [Float(1) / 32768, Float(2) / 32768])
        #expect(decoder.pendingByteCount == 2)
        #expect(decoder.discardPending() == 2)
        #expect(decoder.pendingByteCount == 0)
    }
}
