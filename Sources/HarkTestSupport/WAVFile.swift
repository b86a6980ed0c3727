package import Foundation

/// Reads 16-bit PCM WAV files for tests and benchmarks (espeak-ng output, opusdec output,
/// `samples/sample.wav`); the first channel only.
package enum WAVFile {
    /// Why a file could not be read.
    package struct Unreadable: Error, CustomStringConvertible {
        package var description: String
    }

    /// Samples in [-1, 1] of the first channel, and the rate.
    package static func read(_ url: URL) throws -> (samples: [Float], rate: Int) {
        let bytes = [UInt8](try Data(contentsOf: url))
        func u32(_ at: Int) -> Int {
            Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
        }
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        guard bytes.count > 44, bytes.starts(with: Array("RIFF".utf8)) else {
            throw Unreadable(description: "\(url.path) is not a RIFF file")
        }
        var position = 12
        var rate = 0
        var channels = 1
        while position + 8 <= bytes.count {
            let id = String(decoding: bytes[position..<position + 4], as: UTF8.self)
            let size = u32(position + 4)
            if id == "fmt " {
                channels = max(1, u16(position + 10))
                rate = u32(position + 12)
                guard u16(position + 22) == 16 else {
                    throw Unreadable(description: "\(url.path) is not 16-bit PCM")
                }
            } else if id == "data" {
                // espeak-ng and opusdec may leave a streaming size here; trust the file instead.
                let end = min(bytes.count, position + 8 + size)
                var samples: [Float] = []
                samples.reserveCapacity((end - position - 8) / (2 * channels))
                var index = position + 8
                while index + 2 * channels <= end {
                    samples.append(Float(Int16(bitPattern: UInt16(u16(index)))) / 32768)
                    index += 2 * channels
                }
                return (samples, rate)
            }
            position += 8 + size + (size & 1)
        }
        throw Unreadable(description: "\(url.path) has no data chunk")
    }
}
