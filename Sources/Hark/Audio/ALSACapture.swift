import Synchronization

/// How `ALSACapture` sets up a device; the defaults suit live transcription.
package struct ALSACaptureConfiguration: Sendable, Equatable {
    /// Audio per period, in seconds.
    ///
    /// Capture hands over one period at a time, so this is its latency. About 20 ms keeps it
    /// well under a 250 ms chunk.
    package var periodDuration: Double = 0.02
    /// Device buffer in periods: how late hark may read before the device overruns.
    package var periodsPerBuffer: Int = 8
    /// Audio that may wait for a slow consumer before blocks are dropped (and counted).
    package var maximumQueuedDuration: Double = 2
    /// Channels wanted; a device that only offers more delivers more, and DSP mixes down.
    package var channels: Int = 1

    package init() {}
}

/// A live `AudioSource` for an ALSA capture device (`default`, `hw:1,0`, `plughw:CARD=…`,
/// `pipewire`, `pulse`, any PCM name).
///
/// `init` opens the device and negotiates its format, so a missing or busy device fails before
/// any provider connection. `blocks()` then reads on a dedicated thread: blocking
/// `snd_pcm_readi` after a bounded `snd_pcm_wait`, one period per block, into a bounded stream.
/// Overruns and suspends are recovered and counted; a block the consumer has no room for is
/// dropped and counted, never queued without bound.
package final class ALSACapture: AudioSource {
    package let format: AudioFormat
    package let name: String
    package let isLive = true
    package let duration: Double? = nil
    /// The ALSA PCM name, as given with `--device`.
    package let device: String
    /// Frames per period (per block) and in the device buffer, as the device agreed.
    package let periodFrames: Int
    package let bufferFrames: Int

    private let configuration: ALSACaptureConfiguration
    private let control: CaptureControl
    /// The open device until `blocks()` hands it to the capture thread.
    private let pcm: Mutex<ALSAPCM?>

    /// Opens `device` and negotiates a format, without starting to read.
    ///
    /// - Parameters:
    ///   - preferredRate: the provider's rate, used when the device offers it exactly; 0 or less
    ///     means the device's native rate (the DSP stage resamples either way).
    ///   - onNotice: called from the capture thread, once per kind, when audio is lost.
    /// - Throws: `AudioSourceError.deviceNotFound`, `.deviceBusy` or `.deviceUnusable`.
    package init(
        device: String = CaptureDeviceInfo.defaultDeviceName, preferredRate: Int,
        configuration: ALSACaptureConfiguration = ALSACaptureConfiguration(),
        onNotice: (@Sendable (CaptureNotice) -> Void)? = nil
    ) throws(AudioSourceError) {
        let pcm: ALSAPCM
        let setup: ALSAHardwareSetup
        do {
            pcm = try ALSAPCM(captureDevice: device)
            setup = try pcm.negotiate(
                ALSAHardwareRequest(
                    preferredRate: preferredRate > 0 ? preferredRate : nil, channels: configuration.channels,
                    periodDuration: configuration.periodDuration, periodsPerBuffer: configuration.periodsPerBuffer))
        } catch {
            throw ALSACapture.openFailure(device: device, error: error)
        }
        self.device = device
        self.name = "ALSA device '\(device)'"
        self.format = setup.format
        self.periodFrames = setup.periodFrames
        self.bufferFrames = setup.bufferFrames
        self.configuration = configuration
        self.control = CaptureControl(deviceName: device, onNotice: onNotice)
        self.pcm = Mutex(pcm)
    }

    /// What has been lost so far; the CLI reports non-zero counts once, at the end.
    package var counters: CaptureCounters { control.counters }

    /// True once a stop was asked for, by `stop()` or by the consumer ending.
    var isStopRequested: Bool { control.isStopRequested }

    /// Asks the capture thread to stop; the stream then finishes normally.
    ///
    /// Ending the consumer (cancelling or dropping the stream) does the same.
    package func stop() {
        control.requestStop()
    }

    /// Starts capture on its own thread.
    ///
    /// The device can be read by one stream: a second call gets a stream that fails at once.
    package func blocks() -> AsyncThrowingStream<AudioBlock, any Error> {
        let queuedBlocks = max(
            2, Int((configuration.maximumQueuedDuration * Double(format.sampleRate) / Double(periodFrames)).rounded()))
        let (stream, continuation) = AsyncThrowingStream.makeStream(
            of: AudioBlock.self, throwing: (any Error).self, bufferingPolicy: .bufferingOldest(queuedBlocks))
        guard let pcm = self.pcm.withLock({ $0.take() }) else {
            continuation.finish(
                throwing: AudioSourceError.readFailed(
                    name: device, reason: "capture was already started; a device is read by one stream at a time"))
            return stream
        }
        let control = self.control
        continuation.onTermination = { _ in control.requestStop() }
        let format = self.format
        let periodFrames = self.periodFrames
        let device = self.device
        DedicatedThread.start(name: "hark-alsa-capture") {
            let loop = ALSACaptureLoop(
                pcm: pcm, format: format, periodFrames: periodFrames, deviceName: device, control: control
            ) { block in
                switch continuation.yield(block) {
                case .enqueued: return true
                case .dropped(let dropped):
                    control.recordDroppedBlock(frames: dropped.frameCount)
                    return true
                case .terminated: return false
                @unknown default: return true
                }
            }
            if let failure = loop.run() {
                continuation.finish(throwing: failure)
            } else {
                continuation.finish()
            }
            // The last reference to `pcm` goes with this closure: the device closes here, on
            // the thread that used it.
        }
        return stream
    }

    /// The devices `hark devices` lists, the default first; see `CaptureDeviceInfo.listing`
    /// for the text, which also covers a machine with no sound card.
    package static func availableDevices() -> [CaptureDeviceInfo] {
        ALSAPCM.captureDevices()
    }

    /// The user-facing error for a device that failed to open or negotiate.
    static func openFailure(device: String, error: ALSAError) -> AudioSourceError {
        switch error.code {
        case .libraryMissing:
            if case .failure(let missing) = ALSAPCM.library { return .libraryMissing(missing) }
            return .deviceUnusable(name: device, detail: error.description)
        case .notFound, .noDevice:
            let detail = error.code == .notFound ? "ALSA knows no such PCM or card" : "no such card or device"
            return .deviceNotFound(name: device, detail: "\(detail): \(error.code)")
        case .invalidArgument where error.function == "snd_pcm_open":
            // At open, -EINVAL is a name alsa-lib cannot use, e.g. a card number above 31
            // (measured: `hw:32,0` gives -22, `hw:31,0` gives -2).
            return .deviceNotFound(name: device, detail: "ALSA cannot use this name: \(error.code)")
        case .busy:
            return .deviceBusy(name: device)
        case .permissionDenied:
            return .deviceUnusable(
                name: device, detail: "permission denied (\(error.function)); is your user in the 'audio' group?")
        default:
            return .deviceUnusable(name: device, detail: error.description)
        }
    }
}
