#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why writing the transcript failed.
package enum OutputError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The reader of the pipe went away (`hark … | head -1`): EPIPE. Not a failure of hark;
    /// the CLI ends quietly.
    case readerClosed(name: String)
    /// The output file could not be created; `flag` is the option that named it.
    case cannotCreate(path: String, reason: String, flag: String = "-o")
    /// `write(2)` failed for another reason (disk full, I/O error).
    case writeFailed(name: String, reason: String)

    package var description: String {
        switch self {
        case .readerClosed(let name):
            "the reader of \(name) closed it; stopped writing the transcript."
        case .cannotCreate(let path, let reason, let flag):
            "cannot create '\(path)' (given to \(flag)): \(reason). Check that its folder exists and is writable, "
                + "or give \(flag) another path."
        case .writeFailed(let name, let reason):
            "writing the transcript to \(name) failed: \(reason). Check free space, or write elsewhere with -o."
        }
    }
}

/// Where renderers put text.
///
/// Each `write` is complete when it returns: nothing is buffered, so a killed hark has lost no
/// line it printed.
package protocol TextSink: AnyObject {
    /// Writes `text` (UTF-8) in full.
    /// - Throws: `OutputError.readerClosed` on EPIPE, `.writeFailed` otherwise.
    func write(_ text: String) throws(OutputError)
}

/// A file descriptor written with `write(2)`: standard output, or the file `-o` names.
///
/// Partial writes are continued and EINTR retried. EPIPE becomes `OutputError.readerClosed`;
/// that needs SIGPIPE ignored (`signal(SIGPIPE, SIG_IGN)`), which the CLI does at start-up.
package final class OutputSink: TextSink {
    package let descriptor: Int32
    /// "standard output" or the file's path, for messages.
    package let name: String
    private let closesDescriptor: Bool

    /// Writes to `descriptor`; closes it on release only when `closesDescriptor`.
    package init(descriptor: Int32, name: String, closesDescriptor: Bool = false) {
        self.descriptor = descriptor
        self.name = name
        self.closesDescriptor = closesDescriptor
    }

    /// Standard output (not closed on release).
    package static func standardOutput() -> OutputSink {
        OutputSink(descriptor: STDOUT_FILENO, name: "standard output")
    }

    /// Creates (or truncates) the file at `path`, mode 0644.
    ///
    /// The corresponding C function is `open` with `O_WRONLY | O_CREAT | O_TRUNC`.
    package static func create(path: String) throws(OutputError) -> OutputSink {
        let descriptor = systemCreate(path)
        guard descriptor >= 0 else { throw .cannotCreate(path: path, reason: outputErrnoText(errno)) }
        return OutputSink(descriptor: descriptor, name: path, closesDescriptor: true)
    }

    /// Opens `path` for appending (`-o FILE --append`), creating it if needed, mode 0644.
    ///
    /// The corresponding C function is `open` with `O_WRONLY | O_CREAT | O_APPEND`.
    package static func append(path: String) throws(OutputError) -> OutputSink {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .cannotCreate(path: path, reason: outputErrnoText(errno)) }
        return OutputSink(descriptor: descriptor, name: path, closesDescriptor: true)
    }

    /// True when the descriptor is a terminal (picks `TerminalRenderer`).
    package var isTerminal: Bool { isatty(descriptor) == 1 }

    package func write(_ text: String) throws(OutputError) {
        var text = text
        let failure: Int32? = text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let result = systemWrite(descriptor, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
                if result >= 0 {
                    offset += result
                } else if errno != EINTR {
                    return errno
                }
            }
            return nil
        }
        guard let failure else { return }
        if failure == EPIPE { throw .readerClosed(name: name) }
        throw .writeFailed(name: name, reason: outputErrnoText(failure))
    }

    deinit {
        if closesDescriptor { _ = systemClose(descriptor) }
    }
}

@available(*, unavailable)
extension OutputSink: Sendable {}

// Free functions, because inside the type `write` and `close` name its own methods.

/// The corresponding C function is `write`.
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafePointer<UInt8>?, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}

/// The corresponding C function is `close`.
private func systemClose(_ descriptor: Int32) -> Int32 {
    close(descriptor)
}

/// The corresponding C function is `open`.
private func systemCreate(_ path: String) -> Int32 {
    open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
}

private func outputErrnoText(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "error \(code)" }
    return String(cString: text)
}
