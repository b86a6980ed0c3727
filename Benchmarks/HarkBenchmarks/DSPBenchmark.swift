import Foundation
import Hark
import HarkTestSupport

/// Speed and size figures for the DSP chain.
///
/// Resampling, VAD, denoise, Opus, the whole chain at
/// 48 kHz capture, bytes per minute of speech, and how much of `samples/sample.wav` the gate skips.
/// Prints figures only; nothing here asserts about time.
enum DSPBenchmark {
    static func run() async throws {
        print("DSP (one core, times real time = audio seconds per CPU second)")
        let sample = try WAVFile.read(PackagePaths.samples.appendingPathComponent("sample.wav"))
        let sampleSeconds = Double(sample.samples.count) / Double(sample.rate)
        // One minute of the sample's speech at each rate the benchmarks need.
        let speech16k = loop(try resample(sample.samples, from: sample.rate, to: 16000), to: 60 * 16000)
        let speech48k = loop(try resample(sample.samples, from: sample.rate, to: 48000), to: 60 * 48000)
        let speech44k = loop(try resample(sample.samples, from: sample.rate, to: 44100), to: 60 * 44100)

        for (input, rate) in [(speech48k, 48000), (speech44k, 44100)] {
            let seconds = try measure {
                let resampler = try SoxrResampler(inputRate: rate, outputRate: 16000)
                for block in blocks(input, size: rate / 50) { _ = try resampler.process(block) }
                _ = try resampler.finish()
            }
            report("resample \(rate / 1000).\(rate % 1000 / 100) kHz -> 16 kHz (soxr HQ, 20 ms blocks)", 60, seconds)
        }

        for (inputRate, outputRate) in [(48000, 16000), (44100, 16000)] {
            var worstRipple = 0.0
            for frequency in stride(from: 100.0, through: 0.4 * Double(outputRate), by: 300) {
                let gain = try toneGain(frequency: frequency, from: inputRate, to: outputRate)
                worstRipple = max(worstRipple, abs(gain))
            }
            let aliases = try [1.02, 1.25, 2.0].map {
                try toneGain(frequency: $0 * Double(outputRate) / 2, from: inputRate, to: outputRate)
            }
            print(
                String(
                    format:
                        "  soxr HQ %d -> %d: passband within %.4f dB up to 0.4 fs; tones at 1.02, 1.25, 2.0 x Nyquist "
                        + "come out at %.0f, %.0f, %.0f dB", inputRate, outputRate, worstRipple, aliases[0], aliases[1],
                    aliases[2]))
        }

        let vad = try measure { try runModule(speech16k, options: AudioProcessingOptions(voiceActivityGate: true)) }
        report("VAD (WebRTC, 16 kHz, 10 ms frames)", 60, vad)
        let denoise = try measure { try runModule(speech16k, options: AudioProcessingOptions(noiseSuppression: .high)) }
        report("denoise (WebRTC NS high, 16 kHz)", 60, denoise)
        let agc = try measure { try runModule(speech16k, options: AudioProcessingOptions(gainControl: true)) }
        report("AGC (WebRTC adaptive digital, 16 kHz)", 60, agc)

        let pcm = speech16k.map { Int16(max(-32768, min(32767, ($0 * 32767).rounded()))) }
        let chunks = stride(from: 0, to: pcm.count, by: 4000).map {
            AudioChunk(samples: Array(pcm[$0..<min(pcm.count, $0 + 4000)]), sampleRate: 16000, inputStart: 0)
        }
        var oggBytes = 0
        let ogg = try measure {
            let encoder = try OggOpusEncoder(sampleRate: 16000, bitrate: nil)
            for chunk in chunks { oggBytes += try encoder.encode(chunk).count }
            oggBytes += try encoder.finish().count
        }
        report("Ogg Opus encode (libopusenc, 16 kHz in, 250 ms pages)", 60, ogg)
        // The whole chain as a microphone run would use it: 48 kHz capture, soxr to 16 kHz,
        // denoise + VAD gate, chunker, then linear16 or Ogg Opus.
        var gate: GateStatistics?
        for encoding in [AudioEncoding.linear16, .opus] {
            let chain = try measure {
                var pipeline = AudioPipeline(
                    inputRate: 48000, inputChannels: 1,
                    configuration: .init(
                        outputRate: 16000,
                        processing: AudioProcessingOptions(voiceActivityGate: true, noiseSuppression: .moderate)))
                var encoder = try makePayloadEncoder(encoding, sampleRate: 16000, bitrate: nil)
                var start = 0.0
                for block in blocks(speech48k, size: 960) {
                    let audio = AudioBlock(samples: block, sampleRate: 48000, channels: 1, inputStart: start)
                    start += 0.02
                    for chunk in try pipeline.process(audio) { _ = try encoder.encode(chunk) }
                }
                for chunk in try pipeline.finish() { _ = try encoder.encode(chunk) }
                _ = try encoder.finish()
                gate = pipeline.gateStatistics
            }
            report("whole chain at 48 kHz (soxr, NS, VAD gate, chunker, \(encoding.rawValue))", 60, chain)
            print(String(format: "  -> %.2f%% of one core at 48 kHz capture", chain / 60 * 100))
        }
        if let gate {
            print(String(format: "     (gate passed %.1f of %.1f s)", gate.secondsPassed, gate.secondsCaptured))
        }

        print("bytes per minute of speech at 16 kHz mono:")
        print("  linear16            \(16000 * 2 * 60)")
        print("  mu-law              \(16000 * 60)")
        print(
            "  Ogg Opus            \(oggBytes)  (\(String(format: "%.1f", Double(oggBytes) * 8 / 60 / 1000)) kbit/s, \(String(format: "%.1f", Double(16000 * 2 * 60) / Double(oggBytes)))x smaller)"
        )

        print(String(format: "gate on samples/sample.wav (%.2f s of speech at %d Hz):", sampleSeconds, sample.rate))
        // The sample's sentences are 0.6 s apart: the default 800 ms hang-over bridges them, a
        // 300 ms one does not.
        for (level, hangOver) in [(0, 800), (1, 800), (2, 800), (3, 800), (1, 300), (3, 300)] {
            var pipeline = AudioPipeline(
                inputRate: sample.rate, inputChannels: 1,
                configuration: .init(
                    outputRate: 16000,
                    processing: AudioProcessingOptions(
                        voiceActivityGate: true, vadLevel: level, hangOver: .milliseconds(hangOver))))
            var start = 0.0
            for block in blocks(sample.samples, size: sample.rate / 50) {
                _ = try pipeline.process(
                    AudioBlock(samples: block, sampleRate: sample.rate, channels: 1, inputStart: start))
                start += Double(block.count) / Double(sample.rate)
            }
            _ = try pipeline.finish()
            if let stats = pipeline.gateStatistics {
                print(
                    String(
                        format:
                            "  --vad-level %d, hang-over %d ms: passed %.2f of %.2f s, skipped %.1f%%, %d openings%@",
                        level, hangOver, stats.secondsPassed, stats.secondsCaptured, stats.saving * 100,
                        stats.openings,
                        level == AudioProcessingOptions.defaultVADLevel && hangOver == 800 ? " (default)" : ""))
            }
        }
    }

    /// Level change in dB of a steady tone through the resampler (edges skipped).
    private static func toneGain(frequency: Double, from inputRate: Int, to outputRate: Int) throws -> Double {
        let step = 2 * Double.pi * frequency / Double(inputRate)
        let input = (0..<inputRate).map { Float(0.5 * sin(step * Double($0))) }
        let output = try resample(input, from: inputRate, to: outputRate)
        func rms(_ samples: [Float], margin: Int) -> Double {
            let slice = samples[margin..<(samples.count - margin)]
            return (slice.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(slice.count)).squareRoot()
        }
        let ratio = rms(output, margin: outputRate / 5) / rms(input, margin: inputRate / 5)
        return 20 * log10(max(ratio, 1e-30))
    }

    private static func runModule(_ samples: [Float], options: AudioProcessingOptions) throws {
        let module = try AudioProcessingModule(sampleRate: 16000, options: options)
        var frame = [Float](repeating: 0, count: module.frameLength)
        var start = 0
        while start + module.frameLength <= samples.count {
            frame.withUnsafeMutableBufferPointer { buffer in
                for index in 0..<buffer.count { buffer[index] = samples[start + index] }
            }
            _ = try module.process(&frame)
            start += module.frameLength
        }
    }

    private static func resample(_ samples: [Float], from input: Int, to output: Int) throws -> [Float] {
        let resampler = try SoxrResampler(inputRate: input, outputRate: output)
        return try resampler.process(samples) + resampler.finish()
    }

    private static func loop(_ samples: [Float], to count: Int) -> [Float] {
        var output: [Float] = []
        output.reserveCapacity(count)
        while output.count < count { output += samples.prefix(count - output.count) }
        return output
    }

    private static func blocks(_ samples: [Float], size: Int) -> [[Float]] {
        stride(from: 0, to: samples.count, by: size).map { Array(samples[$0..<min(samples.count, $0 + size)]) }
    }

    /// CPU seconds `body` takes on this thread.
    private static func measure(_ body: () throws -> Void) throws -> Double {
        let start = cpuSeconds()
        try body()
        return cpuSeconds() - start
    }

    private static func cpuSeconds() -> Double {
        var usage = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &usage)
        return Double(usage.tv_sec) + Double(usage.tv_nsec) / 1e9
    }

    private static func report(_ name: String, _ audioSeconds: Double, _ cpuSeconds: Double) {
        let speed = audioSeconds / max(cpuSeconds, 1e-9)
        let padded = name.padding(toLength: 66, withPad: " ", startingAt: 0)
        print(String(format: "  %@ %9.0fx real time (%.1f ms CPU per minute)", padded, speed, cpuSeconds * 1000))
    }
}
