package import Foundation

/// Position-marked test audio (s16le mono, 16 kHz unless asked otherwise): every 10 ms frame
/// starts with its own index, so a fake started with `--marked` can tell where in the input a
/// connection's audio begins, and a test can tell from a fake's recording which parts of the
/// input reached it.
///
/// The format is described in `Tests/Fakes/fakekit.py`.
///
/// The markers survive only sample-exact paths: give the audio at the rate the provider takes
/// (24 kHz for OpenAI), so hark's resampler passes it through unchanged.
package enum MarkedAudio {
    package static let sampleRate = 16000
    package static let frameSamples = 160

    /// Samples in one 10 ms frame at `sampleRate`.
    package static func frameSamples(sampleRate: Int) -> Int { sampleRate / 100 }

    /// `seconds` of marked audio: the two marker samples, then a quiet pattern.
    package static func pcm(seconds: Double, sampleRate: Int = MarkedAudio.sampleRate) -> Data {
        let frames = Int((seconds * 100).rounded())
        let frameSamples = frameSamples(sampleRate: sampleRate)
        var data = Data(capacity: frames * frameSamples * 2)
        for frame in 0..<frames {
            var samples = [Int16](repeating: 0, count: frameSamples)
            samples[0] = Int16(frame & 0x7FFF)
            samples[1] = Int16((frame >> 15) & 0x7FFF)
            for index in 2..<frameSamples {
                samples[index] = Int16(truncatingIfNeeded: ((frame * 31 + index * 17) % 2001) - 1000)
            }
            samples.withUnsafeBytes { data.append(contentsOf: $0) }
        }
        return data
    }

    /// The frame indices in audio a connection received (which starts on a frame boundary).
    package static func frameIndices(in data: Data, sampleRate: Int = MarkedAudio.sampleRate) -> [Int] {
        let bytes = [UInt8](data)
        let frameBytes = frameSamples(sampleRate: sampleRate) * 2
        var indices: [Int] = []
        var offset = 0
        while offset + 4 <= bytes.count {
            let low = Int(UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8) & 0x7FFF
            let high = Int(UInt16(bytes[offset + 2]) | UInt16(bytes[offset + 3]) << 8) & 0x7FFF
            indices.append(low | high << 15)
            offset += frameBytes
        }
        return indices
    }
}
