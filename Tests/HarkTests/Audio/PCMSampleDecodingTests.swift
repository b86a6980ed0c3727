import Testing

@testable import Hark

@Suite("PCM sample decoding")
struct PCMSampleDecodingTests {
    @Test("16-bit samples map full scale to [-1, 1) and keep their sign")
    func sixteenBit() {
        let bytes: [UInt8] = [0x00, 0x80, 0xff, 0x7f, 0x00, 0x00, 0xff, 0xff, 0x00, 0x40]
        let expected: [Float] = [-1, 32767.0 / 32768, 0, -1.0 / 32768, 0.5]
        #expect(PCMSampleDecoding.floats(from: bytes[...], as: .s16le) == expected)
    }

    @Test("packed 24-bit samples extend their sign")
    func twentyFourBit() {
        let bytes: [UInt8] = [0x00, 0x00, 0x80, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0x00, 0x00, 0x40]
        let expected: [Float] = [-1, 8_388_607.0 / 8_388_608, -1.0 / 8_388_608, 0.5]
        #expect(PCMSampleDecoding.floats(from: bytes[...], as: .s24le) == expected)
    }

    @Test("32-bit integer and float samples decode exactly")
    func thirtyTwoBit() {
        let ints: [UInt8] = [0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00, 0xc0]
        #expect(PCMSampleDecoding.floats(from: ints[...], as: .s32le) == [-1, -0.5])
        let quarter = Float(0.25).bitPattern
        let floats: [UInt8] = (0..<4).map { UInt8((quarter >> (8 * $0)) & 0xff) }
        #expect(PCMSampleDecoding.floats(from: floats[...], as: .f32le) == [0.25])
    }

    @Test("a slice that does not start at zero and a trailing partial sample are handled")
    func slicesAndPartialSamples() {
        let bytes: [UInt8] = [0x12, 0x00, 0x40, 0x00, 0xc0, 0x01]
        #expect(PCMSampleDecoding.floats(from: bytes[1...], as: .s16le) == [0.5, -0.5])
    }
}
