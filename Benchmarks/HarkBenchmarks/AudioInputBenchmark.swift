import Foundation
import Hark

/// Figures for the input path: PCM decoding and reading a file unpaced through the channel.
enum AudioInputBenchmark {
    static func run() async throws {
        let seconds = 600
        let rate = 16000
        var bytes = [UInt8](repeating: 0, count: seconds * rate * 2)
        for index in stride(from: 0, to: bytes.count, by: 2) {
            let value = UInt16(bitPattern: Int16(truncatingIfNeeded: index &* 31))
            bytes[index] = UInt8(value & 0xFF)
            bytes[index + 1] = UInt8(value >> 8)
        }

        var decoder = PCMDecoder(format: AudioFormat(sampleRate: rate, channels: 1, sampleFormat: .s16le))
        let clock = ContinuousClock()
        var decoded = 0
        let decodeTime = clock.measure {
            var offset = 0
            while offset < bytes.count {
                let end = min(bytes.count, offset + 1279)  // odd pieces: partial frames every time
                decoded += decoder.decode(Array(bytes[offset..<end])).count
                offset = end
            }
        }
        print(
            String(
                format: "PCM s16le decode: %d s of 16 kHz mono in %.3f s (%.0fx real time)",
                decoded / rate, decodeTime.seconds, Double(seconds) / decodeTime.seconds))

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hark-bench-\(getpid()).pcm").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let source = try await FileAudioSource.open(
            path: path, rawFormat: AudioFormat(sampleRate: rate, channels: 1, sampleFormat: .s16le))
        var blocks = 0
        let start = clock.now
        for try await _ in source.blocks() { blocks += 1 }
        let readTime = start.duration(to: clock.now)
        print(
            String(
                format: "file source, --speed max: %d s in %d blocks in %.3f s (%.0fx real time, %.1f µs/block)",
                seconds, blocks, readTime.seconds, Double(seconds) / readTime.seconds,
                readTime.seconds * 1e6 / Double(blocks)))
    }
}

extension Duration {
    /// Whole and fractional seconds as a Double, for printing.
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
