import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Writes captured audio to a 16-bit PCM WAV file (`--save-audio`).
///
/// The header's sizes are patched after every write, so the file is a valid WAV at every
/// moment: a hark that is killed leaves a playable recording of everything captured.
/// Sendable through its own lock: blocks arrive from the capture path, the close from the run.
package final class WAVFileWriter: Sendable {
    private struct State {
        var descriptor: Int32
        var dataBytes: UInt32 = 0
        var failure: String?
    }

    package let path: String
    package let sampleRate: Int
    package let channels: Int
    private let state: Mutex<State>

    /// Creates (or truncates) `path`.
    /// - Throws: `OutputError.cannotCreate` naming the path, the reason and `--save-audio`.
    package init(path: String, sampleRate: Int, channels: Int) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw OutputError.cannotCreate(path: path, reason: String(cString: strerror(errno)), flag: "--save-audio")
        }
        self.path = path
        self.sampleRate = sampleRate
        self.channels = channels
        self.state = Mutex(State(descriptor: descriptor))
        state.withLock { state in
            Self.writeAll(Self.header(rate: sampleRate, channels: channels, dataBytes: 0), to: &state)
        }
    }

    /// Appends a block (converted to 16-bit).
    package func append(_ block: AudioBlock) {
        var bytes = [UInt8](repeating: 0, count: block.samples.count * 2)
        for (index, sample) in block.samples.enumerated() {
            let value = UInt16(bitPattern: Chunker.pcm16(sample))
            bytes[index * 2] = UInt8(truncatingIfNeeded: value)
            bytes[index * 2 + 1] = UInt8(truncatingIfNeeded: value >> 8)
        }
        state.withLock { state in
            guard state.failure == nil, state.descriptor >= 0 else { return }
            Self.writeAll(bytes, to: &state)
            state.dataBytes &+= UInt32(truncatingIfNeeded: bytes.count)
            let header = Self.header(rate: sampleRate, channels: channels, dataBytes: state.dataBytes)
            _ = header.withUnsafeBytes { pwrite(state.descriptor, $0.baseAddress, $0.count, 0) }
        }
    }

    /// Closes the file; returns a message when writing failed at some point.
    @discardableResult
    package func close() -> String? {
        state.withLock { state in
            if state.descriptor >= 0 {
                Glibc.close(state.descriptor)
                state.descriptor = -1
            }
            return state.failure
        }
    }

    deinit { close() }

    private static func writeAll(_ bytes: [UInt8], to state: inout State) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(state.descriptor, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            if written <= 0 {
                state.failure = String(cString: strerror(errno))
                return
            }
            offset += written
        }
    }

    /// A 44-byte canonical PCM header.
    private static func header(rate: Int, channels: Int, dataBytes: UInt32) -> [UInt8] {
        var header: [UInt8] = []
        func append32(_ value: UInt32) {
            for shift in stride(from: 0, to: 32, by: 8) {
                header.append(UInt8(truncatingIfNeeded: value >> UInt32(shift)))
            }
        }
        func append16(_ value: UInt16) {
            header.append(UInt8(truncatingIfNeeded: value))
            header.append(UInt8(value >> 8))
        }
        header += Array("RIFF".utf8)
        append32(36 &+ dataBytes)
        header += Array("WAVEfmt ".utf8)
        append32(16)
        append16(1)
        append16(UInt16(channels))
        append32(UInt32(rate))
        append32(UInt32(rate * channels * 2))
        append16(UInt16(channels * 2))
        append16(16)
        header += Array("data".utf8)
        append32(dataBytes)
        return header
    }
}
