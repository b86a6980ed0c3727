import Synchronization
import Testing

@testable import Hark

/// A `CapturePCM` that replays a script of results at the ALSA call boundary, so the faults a
/// `file` plugin device cannot produce (overrun, suspend, unplug) reach the real loop.
private final class ScriptedPCM: CapturePCM {
    /// What one `readInterleaved` call does.
    enum Read {
        /// Returns `frames` frames of 16-bit samples all equal to `value`.
        case frames(Int, value: Int16)
        case fails(ALSAErrorCode)
    }

    var reads: [Read]
    var waits: [ALSAErrorCode?]
    var resumes: [ALSAErrorCode?]
    var recoverResult: ALSAErrorCode?
    var prepareResult: ALSAErrorCode?
    let control: CaptureControl

    var startCalls = 0
    var recoveredFrom: [ALSAErrorCode] = []
    var resumeCalls = 0
    var prepareCalls = 0
    var timeoutsBeforeStop: Int?
    /// Runs when a scripted read fails, before the failure is thrown.
    var onFault: (() -> Void)?

    init(
        reads: [Read], waits: [ALSAErrorCode?] = [], resumes: [ALSAErrorCode?] = [], control: CaptureControl
    ) {
        self.reads = reads
        self.waits = waits
        self.resumes = resumes
        self.control = control
    }

    func start() throws(ALSAErrorCode) { startCalls += 1 }

    func wait(timeoutMilliseconds: Int) throws(ALSAErrorCode) -> Bool {
        if let remaining = timeoutsBeforeStop {
            if remaining == 0 { control.requestStop() }
            timeoutsBeforeStop = remaining - 1
            return false
        }
        if !waits.isEmpty, let failure = waits.removeFirst() { throw failure }
        return true
    }

    func readInterleaved(into buffer: inout [UInt8], frames: Int) throws(ALSAErrorCode) -> Int {
        guard !reads.isEmpty else {
            // The script is over: end the loop the way the CLI would.
            control.requestStop()
            return 0
        }
        switch reads.removeFirst() {
        case .fails(let code):
            onFault?()
            throw code
        case .frames(let count, let value):
            let bits = UInt16(bitPattern: value)
            for index in 0..<min(count, frames) {
                buffer[2 * index] = UInt8(bits & 0xff)
                buffer[2 * index + 1] = UInt8(bits >> 8)
            }
            return min(count, frames)
        }
    }

    func recover(from error: ALSAErrorCode) throws(ALSAErrorCode) {
        recoveredFrom.append(error)
        if let recoverResult { throw recoverResult }
    }

    func resume() throws(ALSAErrorCode) {
        resumeCalls += 1
        if !resumes.isEmpty, let failure = resumes.removeFirst() { throw failure }
    }

    func prepare() throws(ALSAErrorCode) {
        prepareCalls += 1
        if let prepareResult { throw prepareResult }
    }
}

/// Collects notices from the capture control (called synchronously in these tests).
private final class NoticeLog: Sendable {
    private let notices = Mutex<[CaptureNotice]>([])
    var all: [CaptureNotice] { notices.withLock { $0 } }
    func append(_ notice: CaptureNotice) { notices.withLock { $0.append(notice) } }
}

private let format = AudioFormat(sampleRate: 16000, channels: 1, sampleFormat: .s16le)

/// A clock that does not move, so that a slow test machine cannot shift block times.
private let frozenInstant = ContinuousClock.now

/// Runs the loop over `pcm` and returns the delivered blocks and the loop's result.
private func runLoop(
    _ pcm: ScriptedPCM, control: CaptureControl, consumerStopsAfter: Int? = nil,
    now: @escaping () -> ContinuousClock.Instant = { frozenInstant }
) -> (blocks: [AudioBlock], failure: AudioSourceError?) {
    var blocks: [AudioBlock] = []
    let loop = ALSACaptureLoop(
        pcm: pcm, format: format, periodFrames: 320, deviceName: "hw:9,0", control: control,
        resumeRetryMicroseconds: 0, now: now
    ) { block in
        blocks.append(block)
        return consumerStopsAfter.map { blocks.count < $0 } ?? true
    }
    let failure = loop.run()
    return (blocks, failure)
}

@Suite("ALSA capture loop faults")
struct ALSACaptureLoopTests {
    @Test("an overrun is recovered, counted and reported once, and reading goes on")
    func overrunIsRecoveredAndCounted() {
        let notices = NoticeLog()
        let control = CaptureControl(deviceName: "hw:9,0") { notices.append($0) }
        let pcm = ScriptedPCM(
            reads: [
                .frames(320, value: 1), .fails(.overrun), .frames(320, value: 2), .fails(.overrun),
                .frames(320, value: 3),
            ],
            control: control)
        let (blocks, failure) = runLoop(pcm, control: control)
        #expect(failure == nil)
        let expected: [Float?] = [1.0 / 32768, 2.0 / 32768, 3.0 / 32768]
        #expect(blocks.map { $0.samples.first } == expected)
        #expect(pcm.recoveredFrom == [.overrun, .overrun])
        // Started once at the beginning and again after each recovery (a recovered capture
        // stream is only prepared).
        #expect(pcm.startCalls == 3)
        #expect(control.counters.overruns == 2)
        #expect(notices.all == [.overrun(device: "hw:9,0")])
    }

    @Test("an overrun that cannot be recovered ends capture with a read failure")
    func failedRecoveryEndsCapture() {
        let control = CaptureControl(deviceName: "hw:9,0", onNotice: nil)
        let pcm = ScriptedPCM(reads: [.frames(320, value: 1), .fails(.overrun)], control: control)
        pcm.recoverResult = ALSAErrorCode(rawValue: -5)
        let (blocks, failure) = runLoop(pcm, control: control)
        #expect(blocks.count == 1)
        guard case .readFailed(let name, let reason) = failure else {
            Issue.record("expected readFailed, got \(String(describing: failure))")
            return
        }
        #expect(name == "hw:9,0")
        #expect(reason.contains("overrun"))
    }

    @Test("a suspended device is resumed, retrying while it is still waking up")
    func suspendedDeviceIsResumed() {
        let notices = NoticeLog()
        let control = CaptureControl(deviceName: "hw:9,0") { notices.append($0) }
        let pcm = ScriptedPCM(
            reads: [.frames(320, value: 1), .fails(.suspended), .frames(320, value: 2)],
            resumes: [.tryAgain, .tryAgain, nil], control: control)
        let (blocks, failure) = runLoop(pcm, control: control)
        #expect(failure == nil)
        #expect(blocks.count == 2)
        #expect(pcm.resumeCalls == 3)
        #expect(pcm.prepareCalls == 0)
        #expect(control.counters.suspensions == 1)
        #expect(notices.all == [.suspended(device: "hw:9,0")])
    }

    @Test("a suspended device that cannot resume is prepared and started again")
    func deviceThatCannotResumeIsPrepared() {
        let control = CaptureControl(deviceName: "hw:9,0", onNotice: nil)
        let pcm = ScriptedPCM(
            reads: [.fails(.suspended), .frames(320, value: 2)], resumes: [ALSAErrorCode(rawValue: -38)],
            control: control)
        let (blocks, failure) = runLoop(pcm, control: control)
        #expect(failure == nil)
        #expect(blocks.count == 1)
        #expect(pcm.prepareCalls == 1)
        #expect(pcm.startCalls == 2)
    }

    @Test("an unplugged device ends capture with deviceLost after every block read before it")
    func unplugEndsWithDeviceLostAfterTheAudio() {
        let control = CaptureControl(deviceName: "hw:9,0", onNotice: nil)
        let pcm = ScriptedPCM(
            reads: [.frames(320, value: 1), .frames(200, value: 2), .fails(.noDevice), .frames(320, value: 3)],
            control: control)
        let (blocks, failure) = runLoop(pcm, control: control)
        #expect(blocks.map(\.frameCount) == [320, 200])
        guard case .deviceLost(let name, _) = failure else {
            Issue.record("expected deviceLost, got \(String(describing: failure))")
            return
        }
        #expect(name == "hw:9,0")
    }

    @Test("an unplug seen by the wait rather than the read also ends with deviceLost")
    func unplugDuringWaitEndsWithDeviceLost() {
        let control = CaptureControl(deviceName: "hw:9,0", onNotice: nil)
        let pcm = ScriptedPCM(reads: [.frames(320, value: 1)], waits: [nil, .noDevice], control: control)
        let (blocks, failure) = runLoop(pcm, control: control)
        #expect(blocks.count == 1)
        #expect(failure.map { if case .deviceLost = $0 { true } else { false } } == true)
    }

    @Test("interrupted and try-again reads are repeated without losing anything")
    func interruptedReadsAreRepeated() {
        let control = CaptureControl(deviceName: "hw:9,0", onNotice: nil)
        let pcm = ScriptedPCM(
            reads: [.fails(.interrupted), .frames(320, value: 1), .fails(.tryAgain), .frames(320, value: 2)],
            control: control)
        let (blocks, failure) = runLoop(pcm, control: control)
        #expect(failure == nil)
        #expect(blocks.count == 2)
        #expect(control.counters == CaptureCounters())
    }

    @Test("any other read error ends capture with a read failure naming the ALSA error")
    func otherErrorsEndCapture() {
        let control = CaptureControl(deviceName: "hw:9,0", onNotice: nil)
        let pcm = ScriptedPCM(reads: [.frames(320, value: 1), .fails(ALSAErrorCode(rawValue: -5))], control: control)
        let (blocks, failure) = runLoop(pcm, control: control)
        #expect(blocks.count == 1)
        guard case .readFailed(_, let reason) = failure else {
            Issue.record("expected readFailed, got \(String(describing: failure))")
            return
        }
        #expect(reason.contains("Input/output error"))
    }

    @Test("a stop request is seen while the device delivers nothing")
    func stopIsSeenBetweenWaitTimeouts() {
        let control = CaptureControl(deviceName: "hw:9,0", onNotice: nil)
        let pcm = ScriptedPCM(reads: [], control: control)
        pcm.timeoutsBeforeStop = 3
        let (blocks, failure) = runLoop(pcm, control: control)
        #expect(blocks.isEmpty)
        #expect(failure == nil)
    }

    @Test("a device that delivers nothing for seconds is started again and reported once as stalled")
    func stalledDeviceIsReported() {
        let notices = NoticeLog()
        let control = CaptureControl(deviceName: "hw:9,0") { notices.append($0) }
        let pcm = ScriptedPCM(reads: [], control: control)
        // 100 ms timeouts: 3 s is 30 of them; run 60.
        pcm.timeoutsBeforeStop = 60
        let (blocks, failure) = runLoop(pcm, control: control)
        #expect(blocks.isEmpty)
        #expect(failure == nil)
        #expect(notices.all == [.stalled(device: "hw:9,0")])
        #expect(pcm.startCalls > 1)
    }

    @Test("short pauses in delivery are not reported as a stall")
    func shortPausesAreNotAStall() {
        let notices = NoticeLog()
        let control = CaptureControl(deviceName: "hw:9,0") { notices.append($0) }
        let pcm = ScriptedPCM(reads: [], control: control)
        pcm.timeoutsBeforeStop = 20
        _ = runLoop(pcm, control: control)
        #expect(notices.all.isEmpty)
    }

    @Test("reading stops when the consumer has gone")
    func consumerGoneStopsReading() {
        let control = CaptureControl(deviceName: "hw:9,0", onNotice: nil)
        let pcm = ScriptedPCM(reads: Array(repeating: .frames(320, value: 1), count: 10), control: control)
        let (blocks, failure) = runLoop(pcm, control: control, consumerStopsAfter: 3)
        #expect(blocks.count == 3)
        #expect(failure == nil)
        #expect(pcm.reads.count == 7)
    }

    @Test("blocks are placed end to end on the input timeline, short reads included")
    func blocksAreContiguousOnTheTimeline() {
        let control = CaptureControl(deviceName: "hw:9,0", onNotice: nil)
        let pcm = ScriptedPCM(
            reads: [.frames(320, value: 1), .frames(160, value: 1), .fails(.overrun), .frames(320, value: 1)],
            control: control)
        let (blocks, _) = runLoop(pcm, control: control)
        #expect(blocks.map(\.inputStart) == [0, 0.02, 0.03])
    }
}

@Suite("ALSA open failures")
struct ALSAOpenFailureTests {
    @Test("an unknown or unusable PCM name or card is deviceNotFound, whose message suggests 'hark devices'")
    func unknownDeviceIsNotFound() {
        for code in [ALSAErrorCode.notFound, .noDevice, .invalidArgument] {
            let error = ALSACapture.openFailure(
                device: "hw:7,0", error: ALSAError(code: code, function: "snd_pcm_open"))
            guard case .deviceNotFound(let name, _) = error else {
                Issue.record("expected deviceNotFound for \(code), got \(error)")
                continue
            }
            #expect(name == "hw:7,0")
            #expect(error.description.contains("hark devices"))
        }
    }

    @Test("a device held by another program is deviceBusy")
    func busyDeviceIsBusy() {
        let error = ALSACapture.openFailure(device: "hw:0", error: ALSAError(code: .busy, function: "snd_pcm_open"))
        #expect(error == .deviceBusy(name: "hw:0"))
        #expect(error.description.contains("hark devices"))
    }

    @Test("a device without a usable format says which formats hark tried")
    func unusableFormatNamesTheFormats() {
        let error = ALSACapture.openFailure(
            device: "hw:0",
            error: ALSAError(
                code: .invalidArgument, function: "snd_pcm_hw_params_set_format",
                detail: "the device offers none of the sample formats S16_LE, S32_LE"))
        guard case .deviceUnusable(_, let detail) = error else {
            Issue.record("expected deviceUnusable, got \(error)")
            return
        }
        #expect(detail.contains("S16_LE, S32_LE"))
    }

    @Test("permission denied points at the audio group")
    func permissionDeniedHints() {
        let error = ALSACapture.openFailure(
            device: "hw:0", error: ALSAError(code: .permissionDenied, function: "snd_pcm_open"))
        #expect(error.description.contains("'audio' group"))
    }

    @Test("ALSA error codes print alsa-lib's own text")
    func errorCodesUseAlsaText() {
        #expect(ALSAErrorCode.overrun.description == "Broken pipe (-32)")
        #expect(ALSAErrorCode.notFound.description == "No such file or directory (-2)")
    }
}

@Suite("ALSA capture timeline across gaps")
struct ALSACaptureTimelineTests {
    /// A clock the scripted device moves: `ScriptedPCM` reads advance it by what they return,
    /// and a fault can add the time the device lost.
    private final class TestClock {
        let start = ContinuousClock.now
        var offset: Duration = .zero
        var now: ContinuousClock.Instant { start + offset }
    }

    @Test("after an overrun the timeline moves on by the time lost, not only by the frames read")
    func overrunGapIsSkipped() {
        let control = CaptureControl(deviceName: "hw:9,0", onNotice: nil)
        let clock = TestClock()
        let pcm = ScriptedPCM(
            reads: [.frames(320, value: 1), .fails(.overrun), .frames(320, value: 1), .frames(320, value: 1)],
            control: control)
        // The overrun happens one second into the capture.
        pcm.onFault = { clock.offset = .seconds(1) }
        let (blocks, _) = runLoop(pcm, control: control) { clock.now }
        #expect(blocks.map(\.inputStart) == [0, 1, 1.02])
    }

    @Test("after a suspend the timeline moves on by the time the device slept")
    func suspendGapIsSkipped() {
        let control = CaptureControl(deviceName: "hw:9,0", onNotice: nil)
        let clock = TestClock()
        let pcm = ScriptedPCM(
            reads: [.frames(320, value: 1), .fails(.suspended), .frames(320, value: 1)], control: control)
        pcm.onFault = { clock.offset = .seconds(30) }
        let (blocks, _) = runLoop(pcm, control: control) { clock.now }
        #expect(blocks.map(\.inputStart) == [0, 30])
    }

    @Test("a gap shorter than the audio already read never moves the timeline back")
    func timelineNeverGoesBack() {
        let control = CaptureControl(deviceName: "hw:9,0", onNotice: nil)
        let clock = TestClock()
        let pcm = ScriptedPCM(
            reads: [.frames(320, value: 1), .frames(320, value: 1), .fails(.overrun), .frames(320, value: 1)],
            control: control)
        // The device clock ran ahead of the wall clock: 40 ms read in 30 ms.
        pcm.onFault = { clock.offset = .milliseconds(30) }
        let (blocks, _) = runLoop(pcm, control: control) { clock.now }
        #expect(blocks.map(\.inputStart) == [0, 0.02, 0.04])
    }
}
