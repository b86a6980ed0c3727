import ServeWire
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Why `hark serve` could not run its web server.
package enum ServeError: Error, Sendable, Equatable, CustomStringConvertible {
    case notFound(searched: [String])
    case cannotStart(String)
    /// hark-serve said why it could not listen (address in use, a bad certificate).
    case startupFailed(String)
    /// hark-serve ended before it was listening.
    case exitedEarly(String)

    package var description: String {
        switch self {
        case .notFound(let searched):
            "hark's web server 'hark-serve' was not found (looked at \(searched.joined(separator: ", "))). "
                + "Install it beside hark with 'make install', or set HARK_SERVE to its path"
        case .cannotStart(let detail): "cannot start hark's web server: \(detail)"
        case .startupFailed(let detail): detail
        case .exitedEarly(let detail): "hark's web server stopped before it was listening: \(detail)"
        }
    }
}

/// Finds `hark-serve`: `HARK_SERVE` when set, else beside the running program, else on PATH.
package enum ServeLocator {
    package static let executableName = "hark-serve"

    package static func locate() throws(ServeError) -> String {
        var searched: [String] = []
        if let override = getenv("HARK_SERVE").map({ String(cString: $0) }), !override.isEmpty {
            guard access(override, X_OK) == 0 else { throw .notFound(searched: ["HARK_SERVE=\(override)"]) }
            return override
        }
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        if count > 0 {
            let running = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if let slash = running.lastIndex(of: "/") {
                let beside = String(running[...slash]) + executableName
                if access(beside, X_OK) == 0 { return beside }
                searched.append(beside)
            }
        }
        let path = getenv("PATH").map { String(cString: $0) } ?? ""
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(executableName)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        searched.append("PATH")
        throw .notFound(searched: searched)
    }
}

/// hark's end of hark-serve's stdin: frames written whole, from any task.
final class ServePipeWriter: Sendable {
    private let descriptor: Mutex<Int32>

    init(descriptor: Int32) { self.descriptor = Mutex(descriptor) }

    /// Writes a frame; a server that has gone is ignored (its end is seen on the reading side).
    func send(_ frame: ServeFrame) {
        let bytes = ServeFrameCodec.encode(frame)
        descriptor.withLock { descriptor in
            guard descriptor >= 0 else { return }
            var offset = 0
            while offset < bytes.count {
                let written = bytes[offset...].withUnsafeBytes {
                    Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
                }
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
    }

    /// End of file for the server: it exits.
    func close() {
        descriptor.withLock { descriptor in
            if descriptor >= 0 { Glibc.close(descriptor) }
            descriptor = -1
        }
    }
}

enum ServePipeReader {
    /// Frames from hark-serve's stdout, read on a dedicated thread; ends when the server exits.
    static func frames(descriptor: Int32) -> AsyncThrowingStream<ServeFrame, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: ServeFrame.self)
        DedicatedThread.start(name: "hark serve pipe") {
            defer { close(descriptor) }
            var decoder = ServeFrameDecoder()
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                decoder.append(buffer[..<count])
                do {
                    while let frame = try decoder.next() { continuation.yield(frame) }
                } catch {
                    continuation.finish(throwing: error)
                    return
                }
            }
            continuation.finish()
        }
        return stream
    }

    /// Copies hark-serve's stderr lines to `diagnostics`.
    static func forwardLines(descriptor: Int32, to diagnostics: @escaping @Sendable (String) -> Void) {
        DedicatedThread.start(name: "hark serve stderr") {
            defer { close(descriptor) }
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                pending += buffer[..<count]
                while let newline = pending.firstIndex(of: 0x0A) {
                    diagnostics(String(decoding: pending[..<newline], as: UTF8.self))
                    pending.removeSubrange(...newline)
                }
            }
            if !pending.isEmpty { diagnostics(String(decoding: pending, as: UTF8.self)) }
        }
    }
}
