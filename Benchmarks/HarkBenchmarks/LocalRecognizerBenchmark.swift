import Foundation
import Hark
import HarkTestSupport

/// CPU seconds per minute of audio and peak memory of the offline `local` recognizer, fed the
/// LibriVox recordings from `pocketsphinx-testdata` in 250 ms chunks through the adapter and its
/// link, as a session would, as fast as it decodes.
enum LocalRecognizerBenchmark {
    static func run() async throws {
        print("local (PocketSphinx) recognizer")
        let utterances = try SpeechCorpus.librivox()
        let gap = [Int16](repeating: 0, count: 8_000)
        var passage: [Int16] = []
        for utterance in utterances { passage += utterance.samples + gap }
        // About a minute of audio: the passage (~26 s) two and a half times over.
        var samples: [Int16] = []
        while samples.count < 60 * 16_000 { samples += passage }
        samples = Array(samples.prefix(60 * 16_000))
        let audioSeconds = Double(samples.count) / 16_000
        let adapter = try LocalAdapter(options: ProviderOptions())
        let baselineMegabytes = peakResidentKilobytes() / 1024

        let beforeDecode = cpuSeconds()
        let clock = ContinuousClock()
        let started = clock.now
        let events = try await InProcessTranscriber.transcribe(samples, adapter: adapter)
        let wall = clock.now - started
        let totalCPU = cpuSeconds() - beforeDecode
        // Read before the second recognizer below: glibc gives each thread its own malloc arena,
        // so a second decoder does not reuse the first one's freed memory and would inflate it.
        let peakMegabytes = peakResidentKilobytes() / 1024

        // Model loading alone: a new recognizer given a quarter second of silence.
        let beforeLoad = cpuSeconds()
        _ = try await InProcessTranscriber.transcribe([Int16](repeating: 0, count: 4_000), adapter: adapter)
        let loadCPU = cpuSeconds() - beforeLoad
        let decodeCPU = totalCPU - loadCPU
        let wallSeconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18
        let finals = events.filter { if case .final = $0 { true } else { false } }.count

        print("  audio: \(format(audioSeconds)) s (LibriVox passage repeated), \(finals) finals")
        print("  model load: \(format(loadCPU)) CPU s")
        print("  decoding: \(format(decodeCPU / audioSeconds * 60)) CPU s per minute of audio (model load excluded)")
        print("  wall: \(format(wallSeconds)) s, \(format(audioSeconds / wallSeconds))x real time (load included)")
        print(
            "  peak memory (ru_maxrss, whole process): \(peakMegabytes) MB, "
                + "\(baselineMegabytes) MB before the models loaded")
    }

    private static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
            + Double(usage.ru_stime.tv_usec) / 1e6
    }

    private static func peakResidentKilobytes() -> Int {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return usage.ru_maxrss
    }

    private static func format(_ value: Double) -> String {
        String(format: "%.2f", value)
    }
}
