import Foundation
import HarkTestSupport

/// Whole-program figures of issue 10: the release `hark` binary run as a child against the local
/// Deepgram fake, measured from outside (`wait4` rusage, `/proc/PID/status`) and through its
/// opt-in trace (`HARK_TRACE_FILE`, see `PerformanceTrace`), side by side with Deepgram's Python
/// SDK (`Benchmarks/deepgram_sdk_client.py`) streaming the same file at the same pace.
///
/// Audio: the bundled sample, and a 10-minute espeak-ng speech file with silences between
/// sentences (plus a 48 kHz copy for the microphone path's DSP and a 60-minute one for growth),
/// generated once into `.build/bench/`. `HARK_BENCH_MINUTES` shortens the long file (for trying
/// the bench out; the figures of record use 10).
enum EndToEndBenchmark {
    static func run() async throws {
        let bench = PackagePaths.root.appendingPathComponent(".build/bench")
        try FileManager.default.createDirectory(at: bench, withIntermediateDirectories: true)
        let hark = PackagePaths.root.appendingPathComponent(".build/release/hark").path
        guard FileManager.default.isExecutableFile(atPath: hark) else {
            print("  skipped: build the release binary first (swift build -c release --product hark)")
            return
        }
        let minutes = Int(ProcessInfo.processInfo.environment["HARK_BENCH_MINUTES"] ?? "") ?? 10
        let audio = try BenchAudio.prepare(in: bench, minutes: minutes)
        let python = try SDKEnvironment.prepare(in: bench)
        var table = FigureTable()
        let sample = PackagePaths.samples.appendingPathComponent("sample.wav").path

        // 1. The bundled sample, live-paced: client latency, start-up, CPU, memory.
        print("endtoend: bundled sample (27 s), live-paced")
        let sampleRun = try await runHark(hark, input: sample, arguments: [], in: bench, label: "sample-live")
        let sampleLatency = try Trace(file: sampleRun.traceFile)
        table.latency(sampleLatency, label: "sample, live")
        table.add(
            "CPU s per audio minute, sample live", format(sampleRun.usage.cpuSeconds / (27.13 / 60)), "< 0.5",
            sampleRun.usage.cpuSeconds / (27.13 / 60) < 0.5)
        table.add(
            "peak RSS, sample live (MB)", format(megabytes(sampleRun.usage.peakResidentKilobytes)), "< 16",
            megabytes(sampleRun.usage.peakResidentKilobytes) < 16)

        // 1b. The smallest run, `hark --help`: what start-up alone costs.
        let helpPeak = try await helpPeakKilobytes(hark, in: bench)
        table.add("peak RSS, hark --help (MB)", format(megabytes(helpPeak)), "< 16", megabytes(helpPeak) < 16)

        // 2. Start-up to the first audio frame on the socket, five times.
        var startups: [Double] = []
        for index in 0..<5 {
            let run = try await runHark(
                hark, input: sample, arguments: ["--speed", "max"], in: bench, label: "startup-\(index)")
            if let first = try Trace(file: run.traceFile).firstFrameWritten {
                startups.append(Double(first - run.spawnedAt) / 1e6)
            }
        }
        startups.sort()
        if !startups.isEmpty {
            table.add(
                "start-up to first audio frame (ms), median of \(startups.count)",
                "\(format(startups[startups.count / 2])) (min \(format(startups[0])), max \(format(startups[startups.count - 1])))",
                "-", nil)
        }

        // 3. The long file live-paced: hark and the Python SDK side by side, and hark with the
        //    microphone path's DSP (48 kHz in, VAD gate, resampled to 16 kHz), all at once.
        let audioMinutes = Double(minutes)
        print(
            "endtoend: \(minutes)-minute speech, live-paced: hark, Deepgram Python SDK, hark 48 kHz + VAD (concurrently)"
        )
        async let harkLive = runHark(hark, input: audio.speech16k, arguments: [], in: bench, label: "long-live")
        async let dspLive = runHark(
            hark, input: audio.speech48k, arguments: ["--vad"], in: bench, label: "long-live-48k-vad")
        async let sdkLive = runSDK(python: python, input: audio.speech16k, speed: "1", in: bench, label: "sdk-live")
        let (harkRun, dspRun, sdkRun) = try await (harkLive, dspLive, sdkLive)
        let longLatency = try Trace(file: harkRun.traceFile)
        table.latency(longLatency, label: "\(minutes) min, live")
        let harkPerMinute = harkRun.usage.cpuSeconds / audioMinutes
        let dspPerMinute = dspRun.usage.cpuSeconds / audioMinutes
        let sdkPerMinute = sdkRun.usage.cpuSeconds / audioMinutes
        table.add("CPU s per audio minute, live, 16 kHz file", format(harkPerMinute), "< 0.5", harkPerMinute < 0.5)
        table.add(
            "CPU s per audio minute, live, 48 kHz + VAD (mic DSP)", format(dspPerMinute), "< 0.5", dspPerMinute < 0.5)
        table.add("CPU s per audio minute, live, Python SDK", format(sdkPerMinute), "-", nil)
        let cpuRatio = harkRun.usage.cpuSeconds / sdkRun.usage.cpuSeconds
        table.add("CPU hark / Python SDK, same file and pace", format(cpuRatio, digits: 3), "<= 0.1", cpuRatio <= 0.1)
        let harkPeak = megabytes(harkRun.usage.peakResidentKilobytes)
        let sdkPeak = megabytes(sdkRun.usage.peakResidentKilobytes)
        table.add("peak RSS hark, live (MB)", format(harkPeak), "< 16", harkPeak < 16)
        table.add(
            "peak RSS hark 48 kHz + VAD, live (MB)", format(megabytes(dspRun.usage.peakResidentKilobytes)), "< 16",
            megabytes(dspRun.usage.peakResidentKilobytes) < 16)
        table.add("peak RSS Python SDK, live (MB)", format(sdkPeak), "-", nil)
        table.add("peak RSS hark / Python SDK", format(harkPeak / sdkPeak, digits: 3), "-", nil)
        table.add(
            "finals printed: hark / Python SDK", "\(lineCount(harkRun.stdoutFile)) / \(lineCount(sdkRun.stdoutFile))",
            "-", nil)

        // 4. The long file at --speed max: throughput and CPU, both paths.
        print("endtoend: \(minutes)-minute speech at --speed max")
        let maxRun = try await runHark(
            hark, input: audio.speech16k, arguments: ["--speed", "max"], in: bench, label: "long-max")
        let maxDSP = try await runHark(
            hark, input: audio.speech48k, arguments: ["--speed", "max", "--vad"], in: bench, label: "long-max-48k-vad")
        let sdkMax = try await runSDK(python: python, input: audio.speech16k, speed: "max", in: bench, label: "sdk-max")
        table.add(
            "throughput --speed max, 16 kHz file (x real time)", format(audioMinutes * 60 / maxRun.usage.wallSeconds),
            "-", nil)
        table.add(
            "throughput --speed max, 48 kHz + VAD (x real time)", format(audioMinutes * 60 / maxDSP.usage.wallSeconds),
            "-", nil)
        table.add(
            "throughput Python SDK unpaced (x real time)", format(audioMinutes * 60 / sdkMax.usage.wallSeconds), "-",
            nil)
        table.add(
            "CPU s per audio minute, --speed max, 16 kHz", format(maxRun.usage.cpuSeconds / audioMinutes), "-", nil)
        table.add(
            "CPU s per audio minute, --speed max, 48 kHz + VAD", format(maxDSP.usage.cpuSeconds / audioMinutes), "-",
            nil)
        table.add(
            "CPU s per audio minute, unpaced, Python SDK", format(sdkMax.usage.cpuSeconds / audioMinutes), "-", nil)
        table.add(
            "CPU hark / Python SDK, unpaced", format(maxRun.usage.cpuSeconds / sdkMax.usage.cpuSeconds, digits: 3),
            "<= 0.1", maxRun.usage.cpuSeconds / sdkMax.usage.cpuSeconds <= 0.1)
        table.add(
            "peak RSS hark, --speed max (MB)", format(megabytes(maxRun.usage.peakResidentKilobytes)), "< 16",
            megabytes(maxRun.usage.peakResidentKilobytes) < 16)

        // 5. Growth: six times the long file, accelerated, memory at start, middle and end.
        try await growth(hark: hark, bench: bench, audio: audio, minutes: minutes, table: &table)

        // 6. The microphone path through ALSA itself: the file plugin device playing the long
        //    file (16-bit mono raw), unpaced, VAD gate on as for any live source, stopped with
        //    Ctrl-C after 4 s. The plugin grants whatever rate hark asks, so capture runs at the
        //    provider's 16 kHz (the 48 kHz DSP figures above come from a 48 kHz WAV with --vad).
        print("endtoend: microphone path (ALSA file plugin, unpaced, VAD gate), 4 s then Ctrl-C")
        let raw = bench.appendingPathComponent("speech-\(minutes)min.raw")
        if !FileManager.default.fileExists(atPath: raw.path) {
            try BenchAudio.tool("/usr/bin/sox", [audio.speech16k, "-t", "raw", raw.path])
        }
        let device = try ALSATestDevice(rawFile: raw)
        let config = bench.appendingPathComponent("mic-config.json")
        try Data(#"{"replay_seconds": 3600}"#.utf8).write(to: config)
        let mic = try await runHark(
            hark, input: nil, arguments: ["--device", device.deviceName, "--config", config.path], in: bench,
            label: "mic-alsa", trace: false, extraEnvironment: device.environment, stopAfter: 4)
        let micErrors =
            (try? String(contentsOfFile: bench.appendingPathComponent("mic-alsa.err").path, encoding: .utf8)) ?? ""
        if let match = micErrors.firstMatch(of: /hark: ([0-9.]+) s captured/), let captured = Double(match.1),
            captured > 0
        {
            table.add(
                "CPU s per audio minute, ALSA capture unpaced + VAD (\(format(captured, digits: 0)) s captured)",
                format(mic.usage.cpuSeconds / (captured / 60)), "-", nil)
            table.add(
                "peak RSS, ALSA capture (MB)", format(megabytes(mic.usage.peakResidentKilobytes)), "< 16",
                megabytes(mic.usage.peakResidentKilobytes) < 16)
        } else {
            table.add("ALSA capture", "no summary line on stderr", "-", nil)
        }

        // 7. The offline recognizer (reported apart: its models need ~100 MB).
        print("endtoend: local (PocketSphinx) on the sample at --speed max")
        let local = try await runHark(
            hark, input: sample, arguments: ["--speed", "max"], in: bench, label: "local", provider: "local",
            trace: false)
        table.add(
            "peak RSS, --provider local (MB)", format(megabytes(local.usage.peakResidentKilobytes)), "~100 (apart)",
            nil)
        table.add("CPU s per audio minute, --provider local", format(local.usage.cpuSeconds / (27.13 / 60)), "-", nil)

        print("")
        table.print()
    }

    /// `make bench` group `growth` alone (also part of `endtoend`).
    static func runGrowth() async throws {
        let bench = PackagePaths.root.appendingPathComponent(".build/bench")
        try FileManager.default.createDirectory(at: bench, withIntermediateDirectories: true)
        let hark = PackagePaths.root.appendingPathComponent(".build/release/hark").path
        guard FileManager.default.isExecutableFile(atPath: hark) else {
            print("  skipped: build the release binary first (swift build -c release --product hark)")
            return
        }
        let minutes = Int(ProcessInfo.processInfo.environment["HARK_BENCH_MINUTES"] ?? "") ?? 10
        let audio = try BenchAudio.prepare(in: bench, minutes: minutes)
        var table = FigureTable()
        try await growth(hark: hark, bench: bench, audio: audio, minutes: minutes, table: &table)
        print("")
        table.print()
    }

    /// Six times the long file at 100x real time (so that a 60-minute stream takes 36 s and
    /// memory can be watched over it), resident memory sampled every half second.
    static func growth(hark: String, bench: URL, audio: BenchAudio, minutes: Int, table: inout FigureTable)
        async throws
    {
        let audioMinutes = Double(minutes)
        print("endtoend: \(minutes * 6)-minute stream at --speed 100 (memory growth)")
        let growth = try await runHark(
            hark, input: audio.speech6x, arguments: ["--speed", "100"], in: bench, label: "growth", trace: false,
            sampleEvery: 0.5)
        let samples = growth.residentSamples
        if samples.count >= 3 {
            let start = samples[samples.count / 20]
            let middle = samples[samples.count / 2]
            let end = samples[samples.count - 1]
            let growthFigure =
                "\(format(megabytes(start.kilobytes))) @\(format(start.seconds, digits: 1))s, "
                + "\(format(megabytes(middle.kilobytes))) @\(format(middle.seconds, digits: 1))s, "
                + "\(format(megabytes(end.kilobytes))) @\(format(end.seconds, digits: 1))s"
            table.add(
                "RSS over \(minutes * 6) min stream, start/middle/end (MB)", growthFigure, "flat",
                end.kilobytes - start.kilobytes < 1024)
        }
        table.add(
            "peak RSS, \(minutes * 6) min stream (MB)", format(megabytes(growth.usage.peakResidentKilobytes)), "< 16",
            megabytes(growth.usage.peakResidentKilobytes) < 16)
        table.add(
            "CPU s per audio minute, \(minutes * 6) min stream at 100x",
            format(growth.usage.cpuSeconds / (audioMinutes * 6)), "-", nil)
    }

    // MARK: - Runs

    struct Run {
        var usage: ChildProcess.Usage
        var spawnedAt: UInt64
        var residentSamples: [(seconds: Double, kilobytes: Int)]
        var traceFile: String
        var stdoutFile: String
    }

    /// Runs hark on `input` against a fresh Deepgram fake (or `provider` when not deepgram).
    static func runHark(
        _ hark: String, input: String?, arguments: [String], in directory: URL, label: String,
        provider: String = "deepgram", trace: Bool = true, extraEnvironment: [String: String] = [:],
        stopAfter: Double? = nil, sampleEvery: Double = 0.25
    ) async throws -> Run {
        let fake = provider == "deepgram" ? try FakeServer(script: "deepgram.py") : nil
        defer {
            if let fake {
                fake.stop()
                try? FileManager.default.removeItem(at: fake.recordDirectory)
            }
        }
        let traceFile = directory.appendingPathComponent("\(label).trace").path
        try? FileManager.default.removeItem(atPath: traceFile)
        var environment = ProcessInfo.processInfo.environment
        for key in ["ASSEMBLYAI_API_KEY", "OPENAI_API_KEY", "HARK_PROVIDER", "HARK_TRACE_FILE"] {
            environment[key] = nil
        }
        environment["DEEPGRAM_API_KEY"] = "test-key"
        if trace { environment["HARK_TRACE_FILE"] = traceFile }
        environment.merge(extraEnvironment) { $1 }
        var providerArguments = ["--provider", provider]
        if let fake { providerArguments += ["--endpoint", fake.endpoint()] }
        let stdoutFile = directory.appendingPathComponent("\(label).out").path
        let child = try ChildProcess(
            executable: hark, arguments: providerArguments + arguments + (input.map { [$0] } ?? []),
            environment: environment,
            standardOutput: stdoutFile, standardError: directory.appendingPathComponent("\(label).err").path)
        let usage = await child.wait(sampleEvery: sampleEvery, stopAfter: stopAfter)
        if usage.status != 0 {
            let errors =
                (try? String(contentsOfFile: directory.appendingPathComponent("\(label).err").path, encoding: .utf8))
                ?? ""
            throw ChildProcessError.toolFailed("hark (\(label))", "exit \(usage.status): \(errors)")
        }
        return Run(
            usage: usage, spawnedAt: child.spawnedAt, residentSamples: child.residentSamples, traceFile: traceFile,
            stdoutFile: stdoutFile)
    }

    /// Peak resident memory of `hark --help`, in KB.
    ///
    /// It exits within milliseconds, before the 10 ms `VmHWM` sampling sees it, so GNU time
    /// reports it: time forks (not vfork), so its child's `ru_maxrss` is hark's own peak (time
    /// itself is far smaller).
    static func helpPeakKilobytes(_ hark: String, in directory: URL) async throws -> Int {
        let errors = directory.appendingPathComponent("help.err").path
        let child = try ChildProcess(
            executable: "/usr/bin/time", arguments: ["-f", "%M", hark, "--help"],
            environment: ProcessInfo.processInfo.environment,
            standardOutput: directory.appendingPathComponent("help.out").path, standardError: errors)
        let usage = await child.wait()
        let text = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
        guard usage.status == 0, let last = text.split(separator: "\n").last, let kilobytes = Int(last) else {
            throw ChildProcessError.toolFailed("/usr/bin/time hark --help", "exit \(usage.status): \(text)")
        }
        return kilobytes
    }

    /// Runs the Python SDK client on `input` against a fresh Deepgram fake.
    static func runSDK(python: String, input: String, speed: String, in directory: URL, label: String) async throws
        -> Run
    {
        let fake = try FakeServer(script: "deepgram.py")
        defer {
            fake.stop()
            try? FileManager.default.removeItem(at: fake.recordDirectory)
        }
        let script = PackagePaths.root.appendingPathComponent("Benchmarks/deepgram_sdk_client.py").path
        let stdoutFile = directory.appendingPathComponent("\(label).out").path
        var environment = ProcessInfo.processInfo.environment
        environment["DEEPGRAM_API_KEY"] = "test-key"
        let child = try ChildProcess(
            executable: python, arguments: [script, "--endpoint", fake.endpoint(), "--speed", speed, input],
            environment: environment, standardOutput: stdoutFile,
            standardError: directory.appendingPathComponent("\(label).err").path)
        let usage = await child.wait()
        if usage.status != 0 {
            let errors =
                (try? String(contentsOfFile: directory.appendingPathComponent("\(label).err").path, encoding: .utf8))
                ?? ""
            throw ChildProcessError.toolFailed("deepgram_sdk_client.py (\(label))", "exit \(usage.status): \(errors)")
        }
        return Run(
            usage: usage, spawnedAt: child.spawnedAt, residentSamples: child.residentSamples, traceFile: "",
            stdoutFile: stdoutFile)
    }

    static func lineCount(_ path: String) -> Int {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    static func megabytes(_ kilobytes: Int) -> Double { Double(kilobytes) / 1024 }

    static func format(_ value: Double, digits: Int = 2) -> String { String(format: "%.\(digits)f", value) }
}

/// The lines of a `HARK_TRACE_FILE`, paired into client latencies.
struct Trace {
    /// Chunk ready → its binary frame fully written, in ms (the nth chunk is the nth frame: one
    /// connection, no replay, linear16 sends each chunk as one frame).
    var chunkToFrame: [Double] = []
    /// Final message decoded from the socket → its line written to stdout, in ms.
    var messageToLine: [Double] = []
    var firstFrameWritten: UInt64?

    init(file: String) throws {
        let text = try String(contentsOfFile: file, encoding: .utf8)
        var chunks: [UInt64] = []
        var frames: [UInt64] = []
        var messages: [UInt64] = []
        var finals: [Int] = []
        var lines: [UInt64] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 2, let time = UInt64(fields[1]) else { continue }
            switch fields[0] {
            case "chunk_ready": chunks.append(time)
            case "audio_frame_written": frames.append(time)
            case "message_received": messages.append(time)
            case "final_emitted": if fields.count >= 3, let number = Int(fields[2]) { finals.append(number) }
            case "final_line": lines.append(time)
            default: break
            }
        }
        firstFrameWritten = frames.first
        for (ready, written) in zip(chunks, frames) where written >= ready {
            chunkToFrame.append(Double(written - ready) / 1e6)
        }
        for (number, line) in zip(finals, lines) where number >= 1 && number <= messages.count {
            let received = messages[number - 1]
            if line >= received { messageToLine.append(Double(line - received) / 1e6) }
        }
    }

    static func percentile(_ values: [Double], _ fraction: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
    }
}

/// The figures, their targets and whether each was met, printed as one table.
struct FigureTable {
    private var rows: [(name: String, value: String, target: String, met: Bool?)] = []

    mutating func add(_ name: String, _ value: String, _ target: String, _ met: Bool?) {
        rows.append((name, value, target, met))
        Swift.print("  \(name): \(value)")
    }

    mutating func latency(_ trace: Trace, label: String) {
        if let p50 = Trace.percentile(trace.chunkToFrame, 0.5), let p99 = Trace.percentile(trace.chunkToFrame, 0.99) {
            add(
                "latency chunk ready -> frame written (ms), \(label), p50 / p99 of \(trace.chunkToFrame.count)",
                "\(EndToEndBenchmark.format(p50, digits: 3)) / \(EndToEndBenchmark.format(p99, digits: 3))",
                "p99 < 2", p99 < 2)
        }
        if let p50 = Trace.percentile(trace.messageToLine, 0.5), let p99 = Trace.percentile(trace.messageToLine, 0.99) {
            add(
                "latency final received -> line on stdout (ms), \(label), p50 / p99 of \(trace.messageToLine.count)",
                "\(EndToEndBenchmark.format(p50, digits: 3)) / \(EndToEndBenchmark.format(p99, digits: 3))",
                "p99 < 2", p99 < 2)
        }
    }

    func print() {
        let nameWidth = rows.map(\.name.count).max() ?? 10
        let valueWidth = rows.map(\.value.count).max() ?? 10
        Swift.print(
            "  figure".padding(toLength: nameWidth + 2, withPad: " ", startingAt: 0)
                + "  value"
                .padding(toLength: valueWidth + 2, withPad: " ", startingAt: 0) + "  target        result")
        for row in rows {
            let verdict = row.met.map { $0 ? "met" : "MISSED" } ?? ""
            Swift.print(
                "  " + row.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "  "
                    + row.value.padding(toLength: valueWidth, withPad: " ", startingAt: 0) + "  "
                    + row.target.padding(toLength: 12, withPad: " ", startingAt: 0) + "  " + verdict)
        }
    }
}

/// The speech files of the bench, made once with espeak-ng and sox into `.build/bench`.
struct BenchAudio {
    var speech16k: String
    var speech48k: String
    var speech6x: String

    static func prepare(in directory: URL, minutes: Int) throws -> BenchAudio {
        let base = directory.appendingPathComponent("speech-\(minutes)min").path
        let audio = BenchAudio(speech16k: base + ".wav", speech48k: base + "-48k.wav", speech6x: base + "-x6.wav")
        let manager = FileManager.default
        if !manager.fileExists(atPath: audio.speech16k) {
            print("endtoend: generating \(minutes) minutes of speech with espeak-ng (once)")
            // Sentences with a 1.2 s pause after each (SSML breaks), so a VAD gate and the
            // fake's energy detector see utterances, as with a person speaking.
            let subjects = [
                "The morning train", "A quiet engineer", "Every small program", "The river", "Our old radio",
            ]
            let verbs = ["carried", "measured", "printed", "followed", "listened to"]
            let objects = [
                "seven careful words", "the sound of the city", "a list of numbers", "the weather report",
                "a long letter from home",
            ]
            var ssml = "<speak>"
            for index in 0..<(minutes * 14) {
                let sentence =
                    "\(subjects[index % 5]) \(verbs[(index / 5) % 5]) \(objects[(index / 25) % 5]) on day \(index + 1)."
                ssml += sentence + " <break time=\"1200ms\"/> "
            }
            ssml += "</speak>"
            let spoken = directory.appendingPathComponent("speech-raw.wav").path
            try tool("/usr/bin/espeak-ng", ["-m", "-v", "en-us", "-s", "165", "-w", spoken, ssml])
            try tool(
                "/usr/bin/sox",
                [
                    spoken, "-r", "16000", "-c", "1", "-b", "16", audio.speech16k + ".tmp.wav", "pad", "0", "600",
                    "trim",
                    "0", String(minutes * 60),
                ])
            try manager.moveItem(atPath: audio.speech16k + ".tmp.wav", toPath: audio.speech16k)
            try? manager.removeItem(atPath: spoken)
        }
        if !manager.fileExists(atPath: audio.speech48k) {
            try tool("/usr/bin/sox", [audio.speech16k, "-r", "48000", audio.speech48k + ".tmp.wav"])
            try manager.moveItem(atPath: audio.speech48k + ".tmp.wav", toPath: audio.speech48k)
        }
        if !manager.fileExists(atPath: audio.speech6x) {
            try tool("/usr/bin/sox", Array(repeating: audio.speech16k, count: 6) + [audio.speech6x + ".tmp.wav"])
            try manager.moveItem(atPath: audio.speech6x + ".tmp.wav", toPath: audio.speech6x)
        }
        return audio
    }

    static func tool(_ path: String, _ arguments: [String]) throws {
        let result = try CommandRunner.run(path, arguments, timeout: 600)
        guard result.status == 0 else { throw ChildProcessError.toolFailed(path, result.stderr) }
    }
}

/// The venv with `deepgram-sdk` from PyPI, made once under `.build/bench/venv` (needs Debian's
/// python3-venv, in the Makefile's APT_PACKAGES).
enum SDKEnvironment {
    static func prepare(in directory: URL) throws -> String {
        let venv = directory.appendingPathComponent("venv")
        let python = venv.appendingPathComponent("bin/python").path
        let check = try? CommandRunner.run(python, ["-c", "import deepgram"], timeout: 60)
        if check?.status == 0 { return python }
        print("endtoend: installing deepgram-sdk into .build/bench/venv (once)")
        try BenchAudio.tool("/usr/bin/python3", ["-m", "venv", venv.path])
        try BenchAudio.tool(venv.appendingPathComponent("bin/pip").path, ["install", "--quiet", "deepgram-sdk"])
        return python
    }
}
