import Foundation
import HarkTestSupport
import Testing

/// The `hark` binary capturing from an ALSA device (the `file` plugin playing a known raw file,
/// through ALSA itself), stopped with Ctrl-C like a person would.
@Suite("hark end to end: microphone", .serialized)
struct MicrophoneEndToEndTests {
    @Test(
        "Ctrl-C stops capture, flushes the provider, prints the last words and exits 0; the fake got the device's audio"
    )
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
        // The file plugin is not paced: the device is read as fast as hark can. Ctrl-C once the
        // whole file has reached the fake.
        let expected = ALSATestDevice.rawBytes(samples)
        let sent = await Evidence.wait { fake.recorded("audio.bin").count >= expected.count }
        #expect(sent, "the fake never received the whole file: \(hark.stderrSoFar)")
        hark.send(SIGINT)
        let result = hark.wait(timeout: 30)
        print("microphone test: the fake received \(fake.recorded("audio.bin").count / 32000) s of audio")

        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutLines == ["Testing the microphone."], "\(result.stderr)")
        let received = fake.recorded("audio.bin")
        #expect(received.count >= expected.count)
        #expect(received.prefix(expected.count) == expected)
        // The provider was asked to finish: Finalize and CloseStream arrived.
        let texts = fake.recordedEvents().filter { $0["event"] as? String == "text" }.compactMap {
            $0["message"] as? String
        }
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

    @Test("audio lost while the provider was unreachable is named on stderr and exits 75")
    func lostAudioExits75() async throws {
        let directory = try PackagePaths.temporaryDirectory("hark-loss")
        let device = try ALSATestDevice(samples: (0..<16000).map { Int16(truncatingIfNeeded: $0 % 3000) })
        let fake = try FakeServer(
            script: "deepgram.py", arguments: ["--scenario", "reject-503", "--scenario", "reject-times=2"])
        defer { fake.stop() }
        // The unpaced test device captures far faster than real time, so a 2 s replay buffer
        // overflows while the first two handshakes are refused.
        let config = directory.appendingPathComponent("config.json")
        try #"{"replay_seconds": 2, "retry_base": 0.3, "retry_cap": 0.3}"#.write(
            to: config, atomically: true, encoding: .utf8)
        let hark = try RunningCommand(
            harkArguments: [
                "--provider", "deepgram", "--endpoint", fake.endpoint(), "--device", device.deviceName, "--no-vad",
                "--config", config.path,
            ],
            environment: device.environment.merging(["DEEPGRAM_API_KEY": "test-key"]) { $1 })
        // Ctrl-C once the third attempt is in and streaming: the outage is over by then.
        let streaming = await Evidence.wait {
            let events = fake.recordedEvents()
            let rejected = events.filter { $0["event"] as? String == "reject" }.count
            return rejected == 2 && !fake.recorded("audio.bin").isEmpty
        }
        #expect(streaming, "\(fake.recordedEvents()) \(hark.stderrSoFar)")
        hark.send(SIGINT)
        let result = hark.wait(timeout: 30)
        #expect(result.status == 75, "\(result.stderr)")
        #expect(result.stderr.contains("was not transcribed"), "\(result.stderr)")
        #expect(result.stderr.contains("the transcript is incomplete"), "\(result.stderr)")
        // The outage at the start is named as one range from the first second, not chunk by chunk.
        let summary = result.stderr.split(separator: "\n").first { $0.contains("the transcript is incomplete") } ?? ""
        #expect(summary.contains("audio at 0.0–"), "\(summary)")
        #expect(!summary.contains("0.0–0.3 s, 0.3–"), "\(summary)")
    }

    @Test("the offline provider transcribes a capture device, with the gate on as for any microphone")
    func localFromDevice() async throws {
        // The test device is unpaced and capture keeps at most 2 s waiting for processing, so
        // the recording is trimmed to its speech (about 1.6 s) to fit whole.
        var speech = try SpeechCorpus.goForward().samples
        if let first = speech.firstIndex(where: { abs(Int($0)) > 400 }),
            let last = speech.lastIndex(where: { abs(Int($0)) > 400 })
        {
            speech = Array(speech[max(0, first - 1600)...min(speech.count - 1, last + 1600)])
        }
        let device = try ALSATestDevice(samples: [Int16](repeating: 0, count: 1600) + speech)
        let hark = try RunningCommand(
            harkArguments: ["--provider", "local", "--device", device.deviceName], environment: device.environment)
        // Ctrl-C once the utterance is printed (the gate closes in the silence the device plays
        // after the file, which ends it).
        let printed = await Evidence.wait { !hark.stdoutSoFar.isEmpty }
        #expect(printed, "nothing printed: \(hark.stderrSoFar)")
        hark.send(SIGINT)
        let result = hark.wait(timeout: 60)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutLines == ["go forward ten meters"], "\(speech.count) samples; \(result.stderr)")
    }
}
