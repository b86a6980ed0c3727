import ServeWire

#if canImport(Glibc)
    import Glibc
#endif

/// Lines for hark, which copies them to its stderr.
///
/// Never a token or a key.
enum ServeLog {
    static func write(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }
}

/// Frames written before the event loop owns stdout (a startup failure).
enum FrameOutput {
    static func writeBlocking(_ frame: ServeFrame) {
        let bytes = ServeFrameCodec.encode(frame)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }
}

/// The page's static files: beside the installed binary (`share/hark/page`), or in the source
/// tree for a `swift build`; `HARK_SERVE_PAGE` overrides both.
struct PageFiles: Sendable {
    struct File: Sendable {
        var contentType: String
        var body: [UInt8]
    }

    static let names = ["index.html": "text/html; charset=utf-8", "capture-worklet.js": "text/javascript"]

    var files: [String: File]

    struct NotFound: Error, CustomStringConvertible {
        var searched: [String]
        var description: String {
            "the page of hark serve was not found (looked in \(searched.joined(separator: ", "))); "
                + "install it with 'make install', or set HARK_SERVE_PAGE to its folder"
        }
    }

    static func load() throws -> PageFiles {
        var candidates: [String] = []
        if let override = getenv("HARK_SERVE_PAGE") { candidates.append(String(cString: override)) }
        if let executable = runningExecutable(), let slash = executable.lastIndex(of: "/") {
            candidates.append(String(executable[..<slash]) + "/../share/hark/page")
        }
        let source = #filePath
        if let slash = source.lastIndex(of: "/") { candidates.append(String(source[..<slash]) + "/Page") }
        for directory in candidates {
            var files: [String: File] = [:]
            for (name, type) in names {
                guard let body = readFile(directory + "/" + name) else { break }
                files[name] = File(contentType: type, body: body)
            }
            if files.count == names.count { return PageFiles(files: files) }
        }
        throw NotFound(searched: candidates)
    }

    private static func readFile(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[..<count])
        }
        return ferror(file) == 0 ? bytes : nil
    }

    private static func runningExecutable() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
