import HarkTestSupport
import Testing

@testable import Hark

@Suite("WAV headers")
struct WAVHeaderTests {
    private func parse(_ bytes: [UInt8], name: String = "in.wav") throws -> WAVHeader {
        var input = MemoryByteInput(bytes)
        return try WAVHeader.read(from: &input, name: name)
    }

    @Test("16, 24 and 32-bit integer PCM and 32-bit float are read with their rate and channels")
    func plainFormats() throws {
        let cases: [(UInt16, Int, SampleFormat)] = [(1, 16, .s16le), (1, 24, .s24le), (1, 32, .s32le), (3, 32, .f32le)]
        for (tag, bits, expected) in cases {
            let data = [UInt8](repeating: 0, count: 2 * bits / 8 * 3)
            let header = try parse(
                WAVFixture.wav(fmt: WAVFixture.fmtBody(tag: tag, channels: 2, rate: 44100, bits: bits), data: data))
            #expect(header.format == AudioFormat(sampleRate: 44100, channels: 2, sampleFormat: expected))
            #expect(header.dataByteCount == data.count)
            #expect(header.dataOffset == 44)
        }
    }

    @Test("WAVE_FORMAT_EXTENSIBLE with a PCM or float sub-format is read as that format")
    func extensible() throws {
        let pcm = try parse(
            WAVFixture.wav(
                fmt: WAVFixture.fmtBody(tag: 1, channels: 6, rate: 48000, bits: 24, subFormat: 1), data: []))
        #expect(pcm.format == AudioFormat(sampleRate: 48000, channels: 6, sampleFormat: .s24le))
        let float = try parse(
            WAVFixture.wav(
                fmt: WAVFixture.fmtBody(tag: 3, channels: 1, rate: 8000, bits: 32, subFormat: 3), data: []))
        #expect(float.format == AudioFormat(sampleRate: 8000, channels: 1, sampleFormat: .f32le))
    }

    @Test("unknown chunks before and between, with odd sizes and their pad byte, are skipped")
    func skipsUnknownChunks() throws {
        let list = WAVFixture.chunk("LIST", Array("INFOISFT\u{5}\0\0\0hark\0".utf8))  // 17 bytes: odd
        let fact = WAVFixture.chunk("fact", WAVFixture.le32(3))
        let big = WAVFixture.chunk("bext", [UInt8](repeating: 7, count: 200_001))
        let bytes = WAVFixture.wav(
            fmt: WAVFixture.fmtBody(tag: 1, channels: 1, rate: 16000, bits: 16), data: WAVFixture.s16([1, 2, 3]),
            before: [list, big, fact])
        let header = try parse(bytes)
        #expect(header.format == AudioFormat(sampleRate: 16000, channels: 1, sampleFormat: .s16le))
        #expect(header.dataByteCount == 6)
        #expect(header.dataOffset == bytes.count - 6)
    }

    @Test("a data size of 0, 0xFFFFFFFF or sox's 0x7FFFEFFF means the audio runs to the end of the stream")
    func streamedSizes() throws {
        for size: UInt32 in [0, 0xFFFF_FFFF, 0x7FFF_EFFF] {
            let header = try parse(
                WAVFixture.wav(
                    fmt: WAVFixture.fmtBody(tag: 1, channels: 1, rate: 16000, bits: 16), data: [1, 2],
                    dataSizeField: size))
            #expect(header.dataByteCount == nil)
        }
    }

    @Test("a compressed WAV is refused naming its format tag and how to convert it")
    func compressedIsRefused() throws {
        let bytes = WAVFixture.wav(fmt: WAVFixture.fmtBody(tag: 0x55, channels: 1, rate: 16000, bits: 0), data: [])
        let error = try #require(throws: AudioSourceError.self) { try parse(bytes, name: "song.wav") }
        #expect(
            error
                == .unsupportedFormat(
                    name: "song.wav",
                    detail:
                        "WAV format tag 0x0055 (MPEG Layer 3) is compressed; convert it with: ffmpeg -i song.wav -c:a pcm_s16le out.wav"
                ))
        for tag: UInt16 in [2, 6, 7, 0x11] {
            let bytes = WAVFixture.wav(fmt: WAVFixture.fmtBody(tag: tag, channels: 1, rate: 8000, bits: 8), data: [])
            #expect(throws: AudioSourceError.self) { try parse(bytes) }
        }
    }

    @Test("8-bit PCM, 64-bit float and an extensible non-PCM sub-format are refused")
    func unsupportedDepthsAreRefused() throws {
        let eight = WAVFixture.wav(fmt: WAVFixture.fmtBody(tag: 1, channels: 1, rate: 8000, bits: 8), data: [])
        let error = try #require(throws: AudioSourceError.self) { try parse(eight) }
        #expect(error.description.contains("8-bit PCM"))
        let double = WAVFixture.wav(fmt: WAVFixture.fmtBody(tag: 3, channels: 1, rate: 8000, bits: 64), data: [])
        #expect(throws: AudioSourceError.self) { try parse(double) }
        let extensibleADPCM = WAVFixture.wav(
            fmt: WAVFixture.fmtBody(tag: 1, channels: 1, rate: 8000, bits: 16, subFormat: 2), data: [])
        #expect(throws: AudioSourceError.self) { try parse(extensibleADPCM) }
    }

    @Test("input that is not RIFF/WAVE, or a header cut short, is refused as unsupported")
    func notRIFF() throws {
        let notRIFF = try #require(throws: AudioSourceError.self) { try parse(Array("ID3\u{3}hello".utf8)) }
        #expect(notRIFF.description.contains("not a WAV file"))
        let avi = Array("RIFF".utf8) + WAVFixture.le32(4) + Array("AVI ".utf8)
        let aviError = try #require(throws: AudioSourceError.self) { try parse(avi) }
        #expect(aviError.description.contains("'AVI '"))
        let full = WAVFixture.wav(fmt: WAVFixture.fmtBody(tag: 1, channels: 1, rate: 8000, bits: 16), data: [])
        for cut in [6, 20, 30] {
            #expect(throws: AudioSourceError.self) { try parse(Array(full.prefix(cut))) }
        }
        #expect(throws: AudioSourceError.empty(name: "in.wav")) { try parse([]) }
    }
}
