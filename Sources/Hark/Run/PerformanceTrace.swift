#if canImport(Glibc)
    import Glibc
#endif

/// Opt-in timestamps for the whole-program benchmark (`make bench`, group `endtoend`).
///
/// Off unless `HARK_TRACE_FILE` names a file when the process starts. Then each point appends
/// one line `<event> <CLOCK_MONOTONIC ns>[ <detail>]` with a single `write(2)` on an `O_APPEND`
/// descriptor (atomic for lines this short, so threads need no lock). CLOCK_MONOTONIC is shared
/// by every process on Linux, so the bench can compare these times with its own and the fake's.
/// When off, a point costs one check of an already-initialized global.
///
/// Events (all written only while tracing):
/// - `chunk_ready`: a chunk left the pipeline; the time is when the source handed over the
///   block holding its last sample (one line per chunk, in order).
/// - `audio_frame_written`: the last byte of a binary WebSocket frame went to the socket.
/// - `message_received`: a complete data message was decoded from the socket.
/// - `final_emitted`: a final transcript went to the renderers; detail: the 1-based number of
///   the message (on this connection) it was decoded from.
/// - `final_line`: the renderer wrote a final's line to stdout.
package enum PerformanceTrace {
    /// The trace file's descriptor, or nil (the usual case) when `HARK_TRACE_FILE` is unset.
    private static let descriptor: Int32? = {
        guard let path = getenv("HARK_TRACE_FILE"), path[0] != 0 else { return nil }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        return descriptor >= 0 ? descriptor : nil
    }()

    /// True when `HARK_TRACE_FILE` was set: callers skip work that only feeds the trace.
    package static var isEnabled: Bool { descriptor != nil }

    /// CLOCK_MONOTONIC in nanoseconds (the clock Python's `time.monotonic()` reads).
    package static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    /// Appends `event` at `time` (now by default), with an optional number after it.
    package static func record(_ event: StaticString, at time: UInt64? = nil, detail: Int? = nil) {
        guard let descriptor else { return }
        var line = "\(event) \(time ?? now())"
        if let detail { line += " \(detail)" }
        line += "\n"
        line.withUTF8 { bytes in _ = write(descriptor, bytes.baseAddress, bytes.count) }
    }
}
