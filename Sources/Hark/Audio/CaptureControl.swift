import Synchronization

/// How much a live capture has lost so far, for the CLI to report.
package struct CaptureCounters: Sendable, Equatable {
    /// Overruns the device reported (`-EPIPE`): hark read too late and the device dropped audio.
    package var overruns = 0
    /// Times the device was suspended (system sleep) and resumed.
    package var suspensions = 0
    /// Blocks read from the device but dropped because the consumer fell behind.
    package var droppedBlocks = 0
    /// Frames in those dropped blocks.
    package var droppedFrames = 0

    package init() {}
}

/// Something the person recording should hear about, reported once per kind per capture.
package enum CaptureNotice: Sendable, Equatable, CustomStringConvertible {
    /// The first overrun; later ones are only counted (`ALSACapture.counters`).
    case overrun(device: String)
    /// The first suspend (system sleep); capture resumes when the device wakes.
    case suspended(device: String)
    /// The first block dropped because the consumer fell behind.
    case consumerFellBehind(device: String)
    /// The device delivered nothing at all for several seconds, without an error.
    case stalled(device: String)

    package var description: String {
        switch self {
        case .overrun(let device):
            "capture device '\(device)' overran: hark read too late and some audio was lost"
                + " (the count is reported at the end). A busy machine or a slow terminal can cause this."
        case .suspended(let device):
            "capture device '\(device)' was suspended (system sleep?); hark resumes it when it wakes,"
                + " and audio from the suspended time is missing."
        case .stalled(let device):
            "capture device '\(device)' has delivered no audio for several seconds. Is it in use or suspended"
                + " by the sound server? Try another --device (see 'hark devices')."
        case .consumerFellBehind(let device):
            "audio from '\(device)' is arriving faster than hark can process it; some was dropped"
                + " (the count is reported at the end)."
        }
    }
}

/// State shared between the capture thread and the rest of hark: the stop request and the
/// loss counters.
///
/// Sendable because everything is behind one `Mutex`; notices are sent outside the lock.
package final class CaptureControl: Sendable {
    private struct State {
        var counters = CaptureCounters()
        var stopRequested = false
        var noticesSent: Set<String> = []
    }

    private let state = Mutex(State())
    private let onNotice: (@Sendable (CaptureNotice) -> Void)?
    private let deviceName: String

    package init(deviceName: String, onNotice: (@Sendable (CaptureNotice) -> Void)?) {
        self.deviceName = deviceName
        self.onNotice = onNotice
    }

    package var counters: CaptureCounters { state.withLock { $0.counters } }

    package var isStopRequested: Bool { state.withLock { $0.stopRequested } }

    /// Asks the capture loop to stop; it sees the request within one `snd_pcm_wait` timeout.
    package func requestStop() {
        state.withLock { $0.stopRequested = true }
    }

    func recordOverrun() {
        state.withLock { $0.counters.overruns += 1 }
        notifyOnce(.overrun(device: deviceName), key: "overrun")
    }

    func recordSuspension() {
        state.withLock { $0.counters.suspensions += 1 }
        notifyOnce(.suspended(device: deviceName), key: "suspend")
    }

    func recordStall() {
        notifyOnce(.stalled(device: deviceName), key: "stalled")
    }

    func recordDroppedBlock(frames: Int) {
        state.withLock {
            $0.counters.droppedBlocks += 1
            $0.counters.droppedFrames += frames
        }
        notifyOnce(.consumerFellBehind(device: deviceName), key: "dropped")
    }

    private func notifyOnce(_ notice: CaptureNotice, key: String) {
        let first = state.withLock { $0.noticesSent.insert(key).inserted }
        if first { onNotice?(notice) }
    }
}
