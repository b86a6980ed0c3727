import Foundation
import HarkTestSupport
import Testing

@testable import Hark

@Suite("Ogg Opus encoder: Ogg pages per chunk that opusdec decodes back to the input")
struct OggOpusEncoderTests {
    /// Speech at `rate`, cut into 250 ms chunks placed on the timeline.
    static func speechChunks(rate: Int) throws -> (samples: [Int16], chunks: [AudioChunk]) {
        let speech = try DSPTestAudio.speech("Testing the Opus encoder with a sentence of ordinary speech.")
        let resampled = try SoxrResamplerTests.resample(speech.samples, from: speech.rate, to: rate)
        let samples = resampled.map(Chunker.pcm16)
        let size = rate / 4
        let chunks = stride(from: 0, to: samples.count, by: size).map { start in
            AudioChunk(
                samples: Array(samples[start..<min(samples.count, start + size)]), sampleRate: rate,
                inputStart: Double(start) / Double(rate))
        }
        return (samples, chunks)
    }

    /// Decodes an Ogg Opus stream with opus-tools' `opusdec` at `rate`.
    static func opusdec(_ stream: [UInt8], rate: Int) throws -> [Float] {
        let directory = try PackagePaths.temporaryDirectory("hark-opus")
        defer { try? FileManager.default.removeItem(at: directory) }
        let opus = directory.appendingPathComponent("stream.opus")
        let wav = directory.appendingPathComponent("decoded.wav")
        try Data(stream).write(to: opus)
        let result = try CommandRunner.run(
            "/usr/bin/opusdec", ["--quiet", "--rate", String(rate), opus.path, wav.path])
        try #require(result.status == 0, "opusdec failed: \(result.stderr)")
        let decoded = try DSPTestAudio.readWAV(wav)
        #expect(decoded.rate == rate)
        return decoded.samples
    }

    /// Highest correlation over small lags, and the lag where it is.
    static func bestCorrelation(_ input: [Float], _ output: [Float], maxLag: Int) -> (value: Double, lag: Int) {
        var best = (value: -1.0, lag: 0)
        for lag in -maxLag...maxLag {
            let a = input[max(0, -lag)...]
            let b = output[max(0, lag)...]
            let value = DSPTestAudio.correlation(a, b)
            if value > best.value { best = (value, lag) }
        }
        return best
    }

    @Test(
        "Ogg Opus decodes to the input: same duration within one 20 ms frame, correlation above 0.9",
        arguments: [16000, 24000, 48000])
    func oggOpusRoundTrip(rate: Int) throws {
        let (samples, chunks) = try Self.speechChunks(rate: rate)
        let encoder = try OggOpusEncoder(sampleRate: rate, bitrate: 32000)
        var stream: [UInt8] = []
        for chunk in chunks { stream += try encoder.encode(chunk) }
        stream += try encoder.finish()
        let decoded = try Self.opusdec(stream, rate: rate)
        #expect(abs(decoded.count - samples.count) <= rate / 50, "decoded \(decoded.count), input \(samples.count)")
        let input = samples.map { Float($0) / 32768 }
        let best = Self.bestCorrelation(input, decoded, maxLag: rate / 1000)
        #expect(best.value > 0.9, "correlation \(best.value) at lag \(best.lag)")
        #expect(abs(best.lag) <= rate / 500, "decoded audio is shifted by \(best.lag) samples")
    }

    @Test("every 250 ms chunk leaves as whole Ogg pages at once, headers with the first")
    func pagePerChunk() throws {
        let (_, chunks) = try Self.speechChunks(rate: 16000)
        let encoder = try OggOpusEncoder(sampleRate: 16000, bitrate: nil)
        var sizes: [Int] = []
        var lags: [Double] = []
        var preSkip = 0.0
        for (index, chunk) in chunks.enumerated() {
            let bytes = try encoder.encode(chunk)
            sizes.append(bytes.count)
            #expect(
                bytes.starts(with: Array("OggS".utf8)), "chunk \(index) gave \(bytes.count) bytes not starting a page")
            // The last page's granule position (48 kHz samples, pre-skip included) says how much
            // of the audio has left: about this chunk's end, not seconds behind it.
            let granule = try #require(Self.lastGranulePosition(bytes))
            if index == 0, let head = bytes.firstRange(of: Array("OpusHead".utf8)) {
                // OpusHead: pre-skip is the little-endian UInt16 at offset 10 (RFC 7845 §5.1).
                preSkip = Double(Int(bytes[head.lowerBound + 10]) | Int(bytes[head.lowerBound + 11]) << 8)
            }
            lags.append(chunk.inputEnd - (Double(granule) - preSkip) / 48000)
            if index == 0 {
                #expect(bytes.firstRange(of: Array("OpusHead".utf8)) != nil)
                #expect(bytes.firstRange(of: Array("OpusTags".utf8)) != nil)
            }
        }
        #expect((lags.max() ?? 1) <= 0.04, "pages lag their chunk's end by up to \(lags.max() ?? 0) s: \(lags)")
        let end = try encoder.finish()
        #expect(end.starts(with: Array("OggS".utf8)))
        #expect(try encoder.finish().isEmpty)
        // Speech at libopus's default rate for 16 kHz mono: a few hundred bytes per 250 ms.
        #expect(sizes.dropFirst().allSatisfy { $0 > 0 && $0 < 4000 }, "\(sizes)")
    }

    @Test("a fresh encoder after a reconnect starts a new stream with its own headers")
    func newEncoderRestartsStream() throws {
        let chunk = AudioChunk(samples: [Int16](repeating: 0, count: 4000), sampleRate: 16000, inputStart: 0)
        var first = try makePayloadEncoder(.opus, sampleRate: 16000, bitrate: nil)
        _ = try first.encode(chunk)
        var second = try makePayloadEncoder(.opus, sampleRate: 16000, bitrate: nil)
        #expect(try second.encode(chunk).firstRange(of: Array("OpusHead".utf8)) != nil)
    }

    /// The granule position of the last Ogg page in `bytes` (RFC 3533: bytes 6–13 of a page header).
    static func lastGranulePosition(_ bytes: [UInt8]) -> Int64? {
        var position = 0
        var granule: Int64?
        while position + 27 <= bytes.count, bytes[position..<position + 4].elementsEqual("OggS".utf8) {
            var value: UInt64 = 0
            for offset in (6..<14).reversed() { value = value << 8 | UInt64(bytes[position + offset]) }
            granule = Int64(bitPattern: value)
            let segments = Int(bytes[position + 26])
            guard position + 27 + segments <= bytes.count else { return nil }
            let body = bytes[(position + 27)..<(position + 27 + segments)].reduce(0) { $0 + Int($1) }
            position += 27 + segments + body
        }
        return position == bytes.count ? granule : nil
    }
}

@Suite("µ-law encoder")
struct MulawEncoderSoxTests {
    @Test("µ-law bytes match sox's G.711 encoder for every 16-bit value")
    func matchesSox() throws {
        let samples = (Int(Int16.min)...Int(Int16.max)).map { Int16($0) }
        let directory = try PackagePaths.temporaryDirectory("hark-mulaw")
        defer { try? FileManager.default.removeItem(at: directory) }
        let raw = directory.appendingPathComponent("in.raw")
        let encoded = directory.appendingPathComponent("out.ul")
        try samples.withUnsafeBytes { try Data($0).write(to: raw) }
        let result = try CommandRunner.run(
            "/usr/bin/sox",
            [
                "-D", "-t", "raw", "-e", "signed-integer", "-b", "16", "-r", "8000", "-c", "1", raw.path,
                "-t", "raw", "-e", "mu-law", "-b", "8", encoded.path,
            ])
        try #require(result.status == 0, "sox failed: \(result.stderr)")
        let expected = [UInt8](try Data(contentsOf: encoded))
        var encoder = MulawEncoder()
        let ours = encoder.encode(AudioChunk(samples: samples, sampleRate: 8000, inputStart: 0))
        try #require(ours.count == expected.count)
        let mismatches = (0..<ours.count).filter { ours[$0] != expected[$0] }
        let first = mismatches.first.map { $0 + Int(Int16.min) } ?? 0
        #expect(mismatches.isEmpty, "\(mismatches.count) samples differ, the first is \(first)")
    }
}
