import Foundation
import HarkTestSupport
import Synchronization
import Testing

@testable import Hark

/// A known, non-repeating 16-bit signal: every value differs from its neighbours, so a lost,
/// repeated or reordered period shows.
private func rampSamples(count: Int) -> [Int16] {
    (0..<count).map { Int16(truncatingIfNeeded: $0 &* 37 &- 32768) }
}

/// Reads blocks until `frames` frames have arrived (the file device never ends by itself), then
/// stops capture and drains the stream to its end.
private func capture(
    _ capture: ALSACapture, frames: Int
) async throws -> (blocks: [AudioBlock], failure: (any Error)?) {
    var blocks: [AudioBlock] = []
    var received = 0
    var failure: (any Error)?
    do {
        for try await block in capture.blocks() {
            if received < frames { blocks.append(block) }
            received += block.frameCount
            if received >= frames { capture.stop() }
        }
    } catch {
        failure = error
    }
    return (blocks, failure)
}

@Suite("ALSA capture through the file plugin", .serialized)
struct ALSACaptureTests {
    init() throws {
        try ALSATestDevice.configureThisProcess()
    }

    @Test("captured samples equal the file's samples, in order, for the file's length")
    func capturedSamplesEqualTheFile() async throws {
        let samples = rampSamples(count: 16000)
        let device = try ALSATestDevice(samples: samples)
        let source = try ALSACapture(device: device.deviceName, preferredRate: 16000)
        #expect(source.format == AudioFormat(sampleRate: 16000, channels: 1, sampleFormat: .s16le))
        let (blocks, failure) = try await capture(source, frames: samples.count)
        #expect(failure == nil)
        let captured = blocks.flatMap(\.samples).prefix(samples.count)
        try #require(captured.count == samples.count)
        let expected = samples.map { Float($0) / 32768 }
        let firstDifference = zip(captured, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(firstDifference == nil)
        #expect(source.counters.overruns == 0)
    }

    @Test("past the end of the file the device reads as digital silence, not stale audio")
    func pastTheEndIsSilence() async throws {
        let samples = rampSamples(count: 1000)  // not a whole number of 320-frame periods
        let device = try ALSATestDevice(samples: samples)
        let source = try ALSACapture(device: device.deviceName, preferredRate: 16000)
        let (blocks, _) = try await capture(source, frames: 3200)
        let captured = blocks.flatMap(\.samples)
        try #require(captured.count >= 3200)
        #expect(Array(captured.prefix(1000)) == samples.map { Float($0) / 32768 })
        #expect(captured[1000..<3200].allSatisfy { $0 == 0 })
    }

    @Test("blocks are one period of about 20 ms, placed end to end on the timeline")
    func blocksArePeriodsOnTheTimeline() async throws {
        let device = try ALSATestDevice(samples: rampSamples(count: 4800))
        let source = try ALSACapture(device: device.deviceName, preferredRate: 16000)
        #expect(source.periodFrames == 320)
        #expect(source.bufferFrames >= 2 * source.periodFrames)
        let (blocks, _) = try await capture(source, frames: 4800)
        #expect(blocks.allSatisfy { $0.frameCount == 320 && $0.sampleRate == 16000 && $0.channels == 1 })
        var expectedStart = 0.0
        for block in blocks {
            #expect(block.inputStart == expectedStart)
            expectedStart = Double(Int((expectedStart * 16000).rounded()) + block.frameCount) / 16000
        }
    }

    @Test("a stereo capture keeps the file's interleaved frames")
    func stereoCaptureKeepsInterleavedFrames() async throws {
        let samples = rampSamples(count: 6400)  // 3200 stereo frames
        let device = try ALSATestDevice(samples: samples)
        var configuration = ALSACaptureConfiguration()
        configuration.channels = 2
        let source = try ALSACapture(device: device.deviceName, preferredRate: 16000, configuration: configuration)
        #expect(source.format.channels == 2)
        let (blocks, _) = try await capture(source, frames: 3200)
        #expect(blocks.allSatisfy { $0.channels == 2 && $0.samples.count == 2 * $0.frameCount })
        let captured = Array(blocks.flatMap(\.samples).prefix(samples.count))
        #expect(captured == samples.map { Float($0) / 32768 })
    }

    @Test("without a preferred rate the device's native rate is used")
    func nativeRateWithoutPreference() throws {
        let device = try ALSATestDevice(samples: rampSamples(count: 960))
        let source = try ALSACapture(device: device.deviceName, preferredRate: 0)
        #expect(source.format.sampleRate == 48000)
        #expect(source.periodFrames == 960)
    }

    @Test("a preferred rate the device offers is used as it is", arguments: [8000, 24000, 44100])
    func preferredRateIsUsed(rate: Int) throws {
        let device = try ALSATestDevice(samples: rampSamples(count: 960))
        let source = try ALSACapture(device: device.deviceName, preferredRate: rate)
        #expect(source.format.sampleRate == rate)
    }

    @Test("each supported sample format is negotiated and decoded through ALSA", arguments: SampleFormat.allCases)
    func sampleFormatsThroughALSA(format: SampleFormat) throws {
        // The file plugin hands over the file's bytes in whatever format was negotiated, so one
        // period's worth of bytes decodes to the same floats as decoding the file directly.
        let bytes = (0..<(320 * format.bytesPerSample)).map { UInt8(truncatingIfNeeded: $0 &* 73 &+ 11) }
        let directory = try PackagePaths.temporaryDirectory("hark-alsa-format")
        let raw = directory.appendingPathComponent("capture.raw")
        try Data(bytes).write(to: raw)
        let device = try ALSATestDevice(rawFile: raw)
        let pcm = try ALSAPCM(captureDevice: device.deviceName)
        let setup = try pcm.negotiate(ALSAHardwareRequest(sampleFormats: [format], preferredRate: 16000))
        #expect(setup.format.sampleFormat == format)
        try pcm.start()
        var buffer = [UInt8](repeating: 0, count: setup.periodFrames * setup.format.bytesPerFrame)
        var received: [UInt8] = []
        while received.count < bytes.count {
            _ = try pcm.wait(timeoutMilliseconds: 1000)
            let frames = try pcm.readInterleaved(into: &buffer, frames: setup.periodFrames)
            received += buffer.prefix(frames * setup.format.bytesPerFrame)
        }
        let decoded = PCMSampleDecoding.floats(from: received.prefix(bytes.count), as: format)
        let expected = PCMSampleDecoding.floats(from: bytes[...], as: format)
        // Compare bit patterns: float formats may hold NaNs.
        #expect(decoded.map(\.bitPattern) == expected.map(\.bitPattern))
    }

    @Test("a device that does not exist is deviceNotFound before anything is read")
    func missingDeviceIsNotFound() {
        for name in ["hark_no_such_pcm", "hw:97,0", "plughw:CARD=NoSuchCard,DEV=0"] {
            let error = #expect(throws: AudioSourceError.self) {
                _ = try ALSACapture(device: name, preferredRate: 16000)
            }
            guard case .deviceNotFound(let reported, _) = error else {
                Issue.record("expected deviceNotFound for \(name), got \(String(describing: error))")
                continue
            }
            #expect(reported == name)
        }
    }

    @Test("a file device whose file is missing fails to open as not found")
    func missingFileIsNotFound() throws {
        let device = try ALSATestDevice(rawFile: URL(fileURLWithPath: "/nonexistent/hark/capture.raw"))
        let error = #expect(throws: AudioSourceError.self) {
            _ = try ALSACapture(device: device.deviceName, preferredRate: 16000)
        }
        #expect(error.map { if case .deviceNotFound = $0 { true } else { false } } == true)
    }

    @Test("a consumer that falls behind loses blocks that are counted and reported once")
    func slowConsumerLossIsCounted() async throws {
        let device = try ALSATestDevice(samples: rampSamples(count: 16000))
        var configuration = ALSACaptureConfiguration()
        configuration.maximumQueuedDuration = 0.04  // two periods
        let notices = Mutex<[CaptureNotice]>([])
        let source = try ALSACapture(
            device: device.deviceName, preferredRate: 16000, configuration: configuration
        ) { notice in notices.withLock { $0.append(notice) } }
        let stream = source.blocks()
        // The file device is unpaced: without a reader the queue fills and later blocks drop.
        // Wait for the first loss (bounded, so a broken capture fails instead of hanging).
        _ = await Evidence.wait(limit: .seconds(30)) { source.counters.droppedBlocks >= 5 }
        source.stop()
        var delivered = 0
        for try await _ in stream { delivered += 1 }
        let counters = source.counters
        #expect(counters.droppedBlocks >= 5)
        #expect(counters.droppedFrames == counters.droppedBlocks * source.periodFrames)
        #expect(delivered >= 2)
        #expect(notices.withLock { $0 } == [.consumerFellBehind(device: device.deviceName)])
    }

    @Test("a device is read by one stream: a second one fails at once")
    func secondStreamFails() async throws {
        let device = try ALSATestDevice(samples: rampSamples(count: 320))
        let source = try ALSACapture(device: device.deviceName, preferredRate: 16000)
        let first = source.blocks()
        var second = source.blocks().makeAsyncIterator()
        await #expect(throws: AudioSourceError.self) { _ = try await second.next() }
        source.stop()
        for try await _ in first {}
    }

    @Test("ending the consumer asks the capture thread to stop")
    func cancellingStopsCapture() async throws {
        let device = try ALSATestDevice(samples: rampSamples(count: 3200))
        let source = try ALSACapture(device: device.deviceName, preferredRate: 16000)
        #expect(!source.isStopRequested)
        let task = Task {
            var count = 0
            for try await _ in source.blocks() {
                count += 1
                if count == 3 { withUnsafeCurrentTask { $0?.cancel() } }
            }
            return count
        }
        let count = try await task.value
        #expect(count >= 3)
        #expect(source.isStopRequested)
    }
}

@Suite("ALSA device listing")
struct ALSADeviceListingTests {
    @Test("listing devices works without a sound card and lists only capture-capable names")
    func listingWithoutCard() throws {
        try ALSATestDevice.configureThisProcess()
        let devices = ALSACapture.availableDevices()
        #expect(devices.allSatisfy { !$0.name.isEmpty })
        #expect(devices.filter(\.isDefault).count <= 1)
        if let first = devices.first, devices.contains(where: \.isDefault) {
            #expect(first.isDefault)
        }
        #expect(devices.allSatisfy { !$0.description.contains("\n") })
        // The listing always prints, with advice when no card turned up.
        let text = CaptureDeviceInfo.listing(devices)
        #expect(!text.isEmpty)
        if !devices.contains(where: { $0.card != nil }) {
            #expect(text.contains("arecord -l"))
        }
    }
}
