import Hark

/// Bytes in memory read like a file.
struct MemoryByteInput: SequentialByteInput {
    var bytes: [UInt8]
    var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func read(upTo count: Int) throws(AudioSourceError) -> [UInt8] {
        let end = min(bytes.count, position + count)
        defer { position = end }
        return Array(bytes[position..<end])
    }
}
