/// Where audio comes from: a file, standard input or a capture device.
///
/// A source knows its format before it delivers anything, so that validation (rates, channel
/// counts) happens before a provider connection is opened.
package protocol AudioSource: Sendable {
    /// The format of what the source reads (before conversion).
    var format: AudioFormat { get }
    /// A short human description for messages ("speech.wav", "standard input", "ALSA device 'default'").
    var name: String { get }
    /// True for a capture device: audio arrives in real time and never ends by itself.
    var isLive: Bool { get }
    /// Total length in seconds when known in advance (files), for progress.
    var duration: Double? { get }
    /// Starts reading. The stream ends at the end of the input and throws an `AudioSourceError`
    /// on failure, after yielding everything that was read before it. Cancelling the consumer
    /// stops the reading.
    func blocks() -> AsyncThrowingStream<AudioBlock, any Error>
}

/// Why a source failed, phrased for the person running hark.
package enum AudioSourceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file does not exist or cannot be opened.
    case cannotOpen(path: String, reason: String)
    /// The file or stream is not something hark can read (e.g. a compressed WAV).
    case unsupportedFormat(name: String, detail: String)
    /// The input held no audio at all.
    case empty(name: String)
    /// The input ended in the middle of a header or frame; what came before was used.
    case truncated(name: String, detail: String)
    /// Reading failed after it had started.
    case readFailed(name: String, reason: String)
    /// A capture device that does not exist.
    case deviceNotFound(name: String, detail: String)
    /// A capture device in use by another program.
    case deviceBusy(name: String)
    /// A capture device that disappeared while recording (USB unplug).
    case deviceLost(name: String, detail: String)
    /// The device cannot deliver any format or rate hark can use.
    case deviceUnusable(name: String, detail: String)
    /// alsa-lib (opened on first use) is not installed.
    case libraryMissing(MissingLibrary)

    package var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            "cannot open '\(path)': \(reason). Check the path, or pass '-' to read standard input."
        case .unsupportedFormat(let name, let detail):
            "'\(name)' is not audio hark can read: \(detail)."
        case .empty(let name):
            "'\(name)' holds no audio; nothing to transcribe."
        case .truncated(let name, let detail):
            "'\(name)' is truncated: \(detail); the audio before it was transcribed."
        case .readFailed(let name, let reason):
            "reading '\(name)' failed: \(reason). Check that the file or device is still there and readable, "
                + "then run hark again."
        case .deviceNotFound(let name, let detail):
            "no capture device '\(name)' (\(detail)). Run 'hark devices' to list devices and pass one with --device."
        case .deviceBusy(let name):
            "capture device '\(name)' is busy: another program is using it. Close it, or pick another with --device (see 'hark devices')."
        case .deviceLost(let name, let detail):
            "capture device '\(name)' went away while recording (\(detail)); everything captured before was transcribed."
        case .deviceUnusable(let name, let detail):
            "capture device '\(name)' cannot be used: \(detail). Try 'plughw:…' or 'default' (see 'hark devices')."
        case .libraryMissing(let missing):
            missing.description
        }
    }
}
