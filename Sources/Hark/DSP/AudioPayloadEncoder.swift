/// Turns PCM chunks into the bytes a provider receives.
///
/// An encoder is stateful (Opus keeps its stream state and its Ogg pages) and belongs to one
/// connection: after a reconnect the session makes a new one, so a provider gets a fresh
/// stream with its headers.
package protocol AudioPayloadEncoder {
    var encoding: AudioEncoding { get }
    /// Bytes for one chunk. May be empty while an encoder is buffering.
    mutating func encode(_ chunk: AudioChunk) throws -> [UInt8]
    /// Bytes still held back at the end of the stream.
    mutating func finish() throws -> [UInt8]
}

/// Little-endian signed 16-bit PCM: the samples as they are.
package struct Linear16Encoder: AudioPayloadEncoder {
    package init() {}

    package var encoding: AudioEncoding { .linear16 }

    package mutating func encode(_ chunk: AudioChunk) -> [UInt8] {
        #if _endian(little)
            // The samples' memory already is the wire format: one copy, no per-sample work.
            return chunk.samples.withUnsafeBytes { Array($0) }
        #else
            var bytes = [UInt8](repeating: 0, count: chunk.samples.count * 2)
            for (index, sample) in chunk.samples.enumerated() {
                let bits = UInt16(bitPattern: sample.littleEndian)
                bytes[index * 2] = UInt8(truncatingIfNeeded: bits)
                bytes[index * 2 + 1] = UInt8(truncatingIfNeeded: bits >> 8)
            }
            return bytes
        #endif
    }

    package mutating func finish() -> [UInt8] { [] }
}
