#if canImport(Glibc)
    import Glibc
#endif

/// The ALSA calls the capture loop makes.
///
/// This is the seam where tests inject the fault codes the `file` plugin cannot produce
/// (overrun, suspend, unplug). `ALSAPCM` is the production
/// implementation; each requirement is one C call.
protocol CapturePCM: AnyObject {
    func start() throws(ALSAErrorCode)
    func wait(timeoutMilliseconds: Int) throws(ALSAErrorCode) -> Bool
    func readInterleaved(into buffer: inout [UInt8], frames: Int) throws(ALSAErrorCode) -> Int
    func recover(from error: ALSAErrorCode) throws(ALSAErrorCode)
    func resume() throws(ALSAErrorCode)
    func prepare() throws(ALSAErrorCode)
}

extension ALSAPCM: CapturePCM {}

/// The synchronous read loop that runs on the capture thread: wait, read a period, convert it
/// to an `AudioBlock`, hand it on; recover from overruns and suspends, end on unplug.
///
/// Everything read is delivered before the loop returns, so an error returned after a
/// `deviceLost` comes after all the audio captured before it.
struct ALSACaptureLoop<PCM: CapturePCM> {
    let pcm: PCM
    let format: AudioFormat
    let periodFrames: Int
    /// The device's name as the user gave it, for error messages.
    let deviceName: String
    let control: CaptureControl
    /// Upper bound of one `snd_pcm_wait`: how long a stop request can go unseen.
    var waitTimeoutMilliseconds = 100
    /// Time without a single frame after which the device counts as stalled (reported once).
    var stallMilliseconds = 3000
    /// Pause between resume attempts while a suspended device is still waking up.
    var resumeRetryMicroseconds: UInt32 = 100_000
    /// The time now, for placing audio after a gap on the timeline (a test clock in tests).
    var now: () -> ContinuousClock.Instant = { ContinuousClock.now }
    /// Hands a block on; returns false when nobody consumes blocks any more.
    let deliver: (AudioBlock) -> Bool

    /// What the loop does after an ALSA call failed.
    enum FaultResponse: Equatable {
        case continueReading
        /// Reading goes on after audio was lost (overrun, suspend): the timeline skips the gap.
        case continueAfterGap
        case finish(AudioSourceError?)
    }

    /// Runs until a stop request, the consumer going away, or a fault it cannot recover from;
    /// returns that fault as the error to end the stream with (nil for a normal stop).
    ///
    /// Block times count frames read, which follows the device's own clock exactly. After a
    /// gap the lost frames cannot be counted, so the timeline moves on to the time elapsed
    /// since the start: a freshly recovered device holds nothing older than now.
    func run() -> AudioSourceError? {
        let startedAt = now()
        var framesRead = 0
        func skipGap() {
            let elapsed = startedAt.duration(to: now()).components
            let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18
            framesRead = max(framesRead, Int(seconds * Double(format.sampleRate)))
        }
        do {
            try pcm.start()
        } catch {
            switch respond(to: error) {
            case .finish(let failure): return failure
            case .continueAfterGap: skipGap()
            case .continueReading: break
            }
        }
        var buffer = [UInt8](repeating: 0, count: periodFrames * format.bytesPerFrame)
        var idleMilliseconds = 0
        while !control.isStopRequested {
            do {
                guard try pcm.wait(timeoutMilliseconds: waitTimeoutMilliseconds) else {
                    // With ~20 ms periods a whole timeout without data means the stream is not
                    // running (left prepared) or the device has stalled. Starting a running
                    // stream only fails harmlessly, so start it again.
                    try? pcm.start()
                    idleMilliseconds += waitTimeoutMilliseconds
                    if idleMilliseconds >= stallMilliseconds { control.recordStall() }
                    continue
                }
                let frames = try pcm.readInterleaved(into: &buffer, frames: periodFrames)
                guard frames > 0 else { continue }
                idleMilliseconds = 0
                let samples = PCMSampleDecoding.floats(
                    from: buffer[0..<(frames * format.bytesPerFrame)], as: format.sampleFormat)
                let block = AudioBlock(
                    samples: samples, sampleRate: format.sampleRate, channels: format.channels,
                    inputStart: Double(framesRead) / Double(format.sampleRate))
                framesRead += frames
                if !deliver(block) { return nil }
            } catch {
                switch respond(to: error) {
                case .finish(let failure): return failure
                case .continueAfterGap: skipGap()
                case .continueReading: break
                }
            }
        }
        return nil
    }

    /// Recovers from `code` when it can, and says whether to go on reading.
    func respond(to code: ALSAErrorCode) -> FaultResponse {
        switch code {
        case .tryAgain, .interrupted:
            return .continueReading
        case .overrun:
            control.recordOverrun()
            do {
                try pcm.recover(from: code)
            } catch {
                return .finish(.readFailed(name: deviceName, reason: "recovering from an overrun failed: \(error)"))
            }
            // Recovery leaves the stream prepared; a capture stream has to be started again.
            try? pcm.start()
            return .continueAfterGap
        case .suspended:
            control.recordSuspension()
            return resumeAfterSuspend()
        case .noDevice:
            return .finish(.deviceLost(name: deviceName, detail: "\(code) while reading"))
        default:
            return .finish(.readFailed(name: deviceName, reason: "\(code) while reading from the device"))
        }
    }

    /// Resumes a suspended stream, retrying while the device says it is still waking up; a
    /// device that cannot resume is prepared and started afresh (what `snd_pcm_recover` does,
    /// but without its one-second sleeps that would hide a stop request).
    private func resumeAfterSuspend() -> FaultResponse {
        while true {
            do {
                try pcm.resume()
                break
            } catch .tryAgain {
                if control.isStopRequested { return .finish(nil) }
                usleep(resumeRetryMicroseconds)
            } catch {
                do {
                    try pcm.prepare()
                    break
                } catch .noDevice {
                    return .finish(.deviceLost(name: deviceName, detail: "it did not come back after a suspend"))
                } catch {
                    return .finish(
                        .readFailed(name: deviceName, reason: "restarting after a suspend failed: \(error)"))
                }
            }
        }
        try? pcm.start()
        return .continueAfterGap
    }
}
