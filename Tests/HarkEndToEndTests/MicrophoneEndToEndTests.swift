import Foundation
import HarkTestSupport
import Testing

/// The `hark` binary capturing from an ALSA device (the `file` plugin playing a known raw file,
/// through ALSA itself), stopped with Ctrl-C like a person would.
@Suite("hark end to end: microphone", .serialized)
struct MicrophoneEndToEndTests {
    @Test("Ctrl-C stops capture, flushes the provider, prints the last words and exits 0; the fake got the device's audio")
    func interruptFlushesLastWords() async throws {
        let directory = try PackagePaths.temporaryDirectory("hark-mic")
        // 1.5 s of audio with a recognisable sample pattern; the device then returns silence.
        let samples = (0..<24000).map { Int16(truncatingIfNeeded: ($0 % 7919) - 3960) }
        let device = try ALSATestDevice(samples: samples)
        let script = directory.appendingPathComponent("script.json")
        try #"[{"start": 0.2, "end": 1.2, "text": "Testing the microphone."}]"#.write(
            to: script, atomically: true, encoding: .utf8)
        let fake = try FakeServer(script: "deepgram.py", arguments: ["--script", script.path])
        defer { fake.stop() }
        // The unpaced test device delivers minutes of silence a second; a real microphone would
        // not, so the replay buffer is made large enough that none of it counts as lost.
        let config = directory.appendingPathComponent("config.json")
        try #"{"replay_seconds": 3600}"#.write(to: config, atomically: true, encoding: .utf8)

        let hark = try RunningCommand(
            harkArguments: [
                "--provider", "deepgram", "--endpoint", fake.endpoint(), "--device", device.deviceName, "--no-vad",
                "--config", config.path,
            ],
            environment: device.environment.merging(["DEEPGRAM_API_KEY": "test-key"]) { $1 })
        // The file plugin is not paced: the device is read as fast as hark can, so 2 s is plenty
        // for the whole file (and silence after it) to have been captured and sent.
        try await Task.sleep(for: .seconds(2))
        hark.send(SIGINT)
        let result = hark.wait(timeout: 30)
        print("microphone test: the fake received \(fake.recorded("audio.bin").count / 32000) s of audio")

        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutLines == ["Testing the microphone."], "\(result.stderr)")
        let received = fake.recorded("audio.bin")
        let expected = ALSATestDevice.rawBytes(samples)
        #expect(received.count >= expected.count)
        #expect(received.prefix(expected.count) == expected)
        // The provider was asked to finish: Finalize and CloseStream arrived.
        let texts = fake.recordedEvents().filter { $0["event"] as? String == "text" }.compactMap { $0["message"] as? String }
        #expect(texts.contains { $0.contains("CloseStream") }, "\(texts)")
    }

    @Test("a capture device that does not exist is a clear error suggesting hark devices, exit 66")
    func missingDevice() throws {
        let result = try CommandRunner.hark(
            ["--provider", "deepgram", "--device", "hark_no_such_device"], environment: ["DEEPGRAM_API_KEY": "k"])
        #expect(result.status == 66)
        #expect(result.stderr.contains("hark_no_such_device"))
        #expect(result.stderr.contains("hark devices"))
    }

    @Test("hark devices with no sound card says so and how to check")
    func devicesWithoutCard() throws {
        let result = try CommandRunner.hark(["devices"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("arecord -l"))
    }
}
