import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Audio from a file or standard input: a WAV file (found by its header, whatever the file is
/// called) or raw PCM in a format the caller states (`--rate`, `--channels`, `--sample-format`).
///
/// `open` reads the header before anything else happens, so the format is known (and checked)
/// before a provider connection opens. `blocks()` then reads on a dedicated thread with blocking
/// `read(2)` and hands blocks of about `blockDuration` seconds over a bounded channel: when the
/// consumer is behind, the reader waits; nothing is ever dropped.
///
/// A truncated input (a last partial frame, or less audio than the WAV header announced) is
/// still transcribed: every whole frame is yielded and the stream ends normally, and the
/// truncation is recorded in `warnings` for the CLI to print once the stream has ended.
package struct FileAudioSource: AudioSource {
    /// The path that means standard input.
    package static let standardInputPath = "-"

    /// The path as given; `-` for standard input.
    package let path: String
    package let format: AudioFormat
    package let name: String
    package var isLive: Bool { false }
    package let duration: Double?
    /// The parsed header when the input is a WAV file; nil for raw PCM.
    package let wavHeader: WAVHeader?
    /// Seconds of audio per block (whole frames; the last block may be shorter).
    package let blockDuration: Double
    /// Non-fatal findings made while reading (truncation); complete once the stream has ended.
    package let warnings: AudioSourceWarnings
    private let input: OpenedInput

    /// Opens `path` (`-` for standard input) and reads its header on a dedicated thread, so a
    /// slow pipe never blocks the cooperative pool.
    /// - Parameters:
    ///   - rawFormat: the format of raw PCM input; ignored when the input turns out to be WAV
    ///     (the header wins). Nil means the input must be WAV.
    ///   - blockDuration: seconds per block, 0.02–0.05 suits the DSP stage.
    /// - Throws: `AudioSourceError.cannotOpen`, `.empty` (no bytes at all), `.unsupportedFormat`.
    package static func open(path: String, rawFormat: AudioFormat?, blockDuration: Double = 0.04)
        async throws(AudioSourceError) -> FileAudioSource
    {
        let result = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<FileAudioSource, AudioSourceError>, Never>) in
            DedicatedThread.start(name: "open \(path)") {
                continuation.resume(
                    returning: Result { () throws(AudioSourceError) in
                        try openBlocking(path: path, rawFormat: rawFormat, blockDuration: blockDuration)
                    })
            }
        }
        return try result.get()
    }

    private init(
        path: String, name: String, format: AudioFormat, duration: Double?, wavHeader: WAVHeader?,
        blockDuration: Double, input: OpenedInput
    ) {
        self.path = path
        self.name = name
        self.format = format
        self.duration = duration
        self.wavHeader = wavHeader
        self.blockDuration = blockDuration
        self.input = input
        self.warnings = AudioSourceWarnings()
    }

    /// Reads the header of an already open descriptor (a pipe, a socket, a test's file).
    ///
    /// Runs on a dedicated thread; `open(path: "-", …)` does this with standard input.
    /// - Parameter closesDescriptor: whether hark closes it after reading (never for stdin).
    package static func open(
        descriptor: Int32, name: String, closesDescriptor: Bool, rawFormat: AudioFormat?, blockDuration: Double = 0.04
    ) async throws(AudioSourceError) -> FileAudioSource {
        let result = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<FileAudioSource, AudioSourceError>, Never>) in
            DedicatedThread.start(name: "open \(name)") {
                continuation.resume(
                    returning: Result { () throws(AudioSourceError) in
                        let input = OpenedInput(descriptor: descriptor, owned: closesDescriptor)
                        return try openBlocking(
                            input: input, path: name, name: name, rawFormat: rawFormat, blockDuration: blockDuration)
                    })
            }
        }
        return try result.get()
    }

    private static func openBlocking(path: String, rawFormat: AudioFormat?, blockDuration: Double)
        throws(AudioSourceError) -> FileAudioSource
    {
        let isStandardInput = path == standardInputPath
        let name = isStandardInput ? "standard input" : path
        let descriptor: Int32
        if isStandardInput {
            descriptor = STDIN_FILENO
        } else {
            descriptor = systemOpen(path)
            if descriptor < 0 { throw .cannotOpen(path: path, reason: errnoText()) }
        }
        let input = OpenedInput(descriptor: descriptor, owned: !isStandardInput)
        return try openBlocking(
            input: input, path: path, name: name, rawFormat: rawFormat, blockDuration: blockDuration)
    }

    private static func openBlocking(
        input: OpenedInput, path: String, name: String, rawFormat: AudioFormat?, blockDuration: Double
    ) throws(AudioSourceError) -> FileAudioSource {
        let descriptor = input.descriptor
        var status = stat()
        let statusKnown = fstat(descriptor, &status) == 0
        if statusKnown && (status.st_mode & S_IFMT) == S_IFDIR {
            throw .cannotOpen(path: path, reason: "it is a directory")
        }
        let regularFileSize: Int? = statusKnown && (status.st_mode & S_IFMT) == S_IFREG ? Int(status.st_size) : nil

        var reader = FileDescriptorInput(descriptor: descriptor, name: name)
        let magic = try reader.read(upTo: 4)
        if magic.isEmpty { throw .empty(name: name) }
        reader.pushBack(magic)
        let format: AudioFormat
        let header: WAVHeader?
        let duration: Double?
        if WAVHeader.looksLikeRIFF(magic) {
            let parsed = try WAVHeader.read(from: &reader, name: name)
            header = parsed
            format = parsed.format
            duration = parsed.dataByteCount.map { Double($0 / format.bytesPerFrame) / Double(format.sampleRate) }
        } else {
            guard let rawFormat else {
                throw .unsupportedFormat(
                    name: name,
                    detail:
                        "it is not a WAV file; for raw PCM give its format with --rate, --channels and --sample-format; "
                        + "convert other formats to WAV first (ffmpeg -i FILE -f wav - | hark -)")
            }
            guard rawFormat.sampleRate > 0, rawFormat.channels > 0 else {
                throw .unsupportedFormat(
                    name: name, detail: "raw PCM needs a positive rate and channel count, not \(rawFormat)")
            }
            header = nil
            format = rawFormat
            duration = regularFileSize.map { Double($0 / format.bytesPerFrame) / Double(format.sampleRate) }
        }
        input.store(pending: reader.takePushBack())
        return FileAudioSource(
            path: path, name: name, format: format, duration: duration, wavHeader: header,
            blockDuration: blockDuration, input: input)
    }

    /// Reads the input; only once.
    ///
    /// A second call gets a stream that throws `readFailed`: a pipe cannot be read twice.
    package func blocks() -> AsyncThrowingStream<AudioBlock, any Error> {
        // The reader is woken once half the queue has drained, not at every block: it then
        // refills several in one go, and a paced reader wakes its thread a few times less often.
        let queue = BoundedHandoffQueue<AudioBlock>(capacity: 8, refillLevel: 4)
        guard let pending = input.claim() else {
            queue.close(throwing: AudioSourceError.readFailed(name: name, reason: "it was already read once"))
            return queue.stream()
        }
        let reading = ReadLoop(
            input: input, pending: pending, name: name, format: format,
            dataByteCount: wavHeader?.dataByteCount, blockDuration: blockDuration, warnings: warnings)
        DedicatedThread.start(name: "read \(name)") {
            reading.run(into: queue)
        }
        return queue.stream()
    }
}

/// The reading thread's loop: whole frames in, exact `inputStart`s, truncation noticed at the end.
private struct ReadLoop: Sendable {
    let input: OpenedInput
    let pending: [UInt8]
    let name: String
    let format: AudioFormat
    let dataByteCount: Int?
    let blockDuration: Double
    let warnings: AudioSourceWarnings

    func run(into queue: BoundedHandoffQueue<AudioBlock>) {
        defer { input.close() }
        var reader = FileDescriptorInput(descriptor: input.descriptor, name: name)
        reader.pushBack(pending)
        var decoder = PCMDecoder(format: format)
        let framesPerBlock = max(1, Int((Double(format.sampleRate) * blockDuration).rounded()))
        let blockBytes = framesPerBlock * format.bytesPerFrame
        var remaining = dataByteCount
        var bytesRead = 0
        var framesRead = 0
        while true {
            let wanted = remaining.map { min($0, blockBytes) } ?? blockBytes
            if wanted == 0 { break }
            let bytes: [UInt8]
            do {
                bytes = try reader.read(upTo: wanted)
            } catch {
                queue.close(throwing: error)
                return
            }
            bytesRead += bytes.count
            remaining = remaining.map { $0 - bytes.count }
            let samples = decoder.decode(bytes)
            if !samples.isEmpty {
                // From the frame count, not by adding durations, so the start stays exact.
                let block = AudioBlock(
                    samples: samples, sampleRate: format.sampleRate, channels: format.channels,
                    inputStart: Double(framesRead) / Double(format.sampleRate))
                framesRead += samples.count / format.channels
                guard queue.pushWaiting(block) else { return }
            }
            if bytes.count < wanted { break }
        }
        let partial = decoder.discardPending()
        if partial > 0 {
            warnings.append(
                .truncated(
                    name: name,
                    detail: "the last frame has \(partial) of its \(format.bytesPerFrame) bytes and was dropped"))
        }
        if let remaining, let dataByteCount, remaining > 0 {
            warnings.append(
                .truncated(
                    name: name,
                    detail:
                        "the WAV header announces \(dataByteCount) bytes of audio but the input ends after \(bytesRead)"
                ))
        }
        if framesRead == 0 {
            queue.close(throwing: AudioSourceError.empty(name: name))
        } else {
            queue.close()
        }
    }
}

/// Findings a source makes while reading that do not stop it, such as truncation.
///
/// Filled by the reading thread and read by the CLI after the stream has ended, to print each
/// on stderr; `Sendable` through its own lock.
package final class AudioSourceWarnings: Sendable {
    private let list = Mutex<[AudioSourceError]>([])

    package init() {}

    /// Everything recorded so far, in order.
    package var all: [AudioSourceError] { list.withLock { $0 } }

    func append(_ warning: AudioSourceError) {
        list.withLock { $0.append(warning) }
    }
}

/// An opened file descriptor and the bytes read while sniffing its header.
///
/// They wait for the one reader that may claim them. Closes the descriptor (unless it is
/// stdin) exactly once.
private final class OpenedInput: Sendable {
    private struct State {
        var pending: [UInt8] = []
        var claimed = false
        var closed = false
    }

    let descriptor: Int32
    private let owned: Bool
    /// Guards the claim and close flags, which the opening, reading and releasing threads share.
    private let state = Mutex(State())

    init(descriptor: Int32, owned: Bool) {
        self.descriptor = descriptor
        self.owned = owned
    }

    func store(pending: [UInt8]) {
        state.withLock { $0.pending = pending }
    }

    /// The sniffed bytes for the first caller; nil for any later one.
    func claim() -> [UInt8]? {
        state.withLock { state in
            if state.claimed || state.closed { return nil }
            state.claimed = true
            return state.pending
        }
    }

    func close() {
        let shouldClose = state.withLock { state in
            defer { state.closed = true }
            return !state.closed && owned
        }
        if shouldClose { systemClose(descriptor) }
    }

    deinit {
        close()
    }
}

/// Blocking reads from a file descriptor, with bytes pushed back in front (the sniffed magic).
private struct FileDescriptorInput: SequentialByteInput {
    let descriptor: Int32
    let name: String
    private var pushedBack: [UInt8] = []

    init(descriptor: Int32, name: String) {
        self.descriptor = descriptor
        self.name = name
    }

    mutating func pushBack(_ bytes: [UInt8]) {
        pushedBack = bytes + pushedBack
    }

    mutating func takePushBack() -> [UInt8] {
        defer { pushedBack = [] }
        return pushedBack
    }

    /// Reads until `count` bytes or the end of the input; a pipe may deliver less per `read(2)`.
    ///
    /// The corresponding C function is `read`; EINTR is retried here.
    mutating func read(upTo count: Int) throws(AudioSourceError) -> [UInt8] {
        var output: [UInt8]
        if pushedBack.count >= count {
            output = Array(pushedBack.prefix(count))
            pushedBack.removeFirst(count)
            return output
        }
        output = pushedBack
        pushedBack = []
        let start = output.count
        output += [UInt8](repeating: 0, count: count - start)
        var filled = start
        let descriptor = descriptor
        let failure: Int32? = output.withUnsafeMutableBytes { buffer in
            while filled < count {
                let result = systemRead(descriptor, buffer.baseAddress.map { $0 + filled }, count - filled)
                if result > 0 {
                    filled += result
                } else if result == 0 {
                    return nil
                } else if errno != EINTR {
                    return errno
                }
            }
            return nil
        }
        if let failure { throw .readFailed(name: name, reason: errnoText(failure)) }
        output.removeLast(count - filled)
        return output
    }
}

/// `strerror` for `code` (default: the current `errno`).
private func errnoText(_ code: Int32 = errno) -> String {
    guard let text = strerror(code) else { return "error \(code)" }
    return String(cString: text)
}

// Free functions, because inside the types `open`, `close` and `read` name their own methods.

/// The corresponding C function is `open`, read-only and close-on-exec.
private func systemOpen(_ path: String) -> Int32 {
    open(path, O_RDONLY | O_CLOEXEC)
}

/// The corresponding C function is `close`.
private func systemClose(_ descriptor: Int32) {
    _ = close(descriptor)
}

/// The corresponding C function is `read`.
private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}
