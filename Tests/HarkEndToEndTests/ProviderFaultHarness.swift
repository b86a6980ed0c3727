import Foundation
import HarkTestSupport

/// Runs the `hark` binary on position-marked audio against a provider fake playing a fault, and
/// reads back what the fake received and what hark printed.
///
/// Shared by `StreamingProviderFaultTests` and the finish faults (the Deepgram ones in `FaultEndToEndTests` came
/// first and keep their own).
struct ProviderFaultHarness {
    /// The fake's file in `Tests/Fakes`, such as `assemblyai.py`.
    let fake: String
    /// hark's `--provider`.
    let provider: String
    let keyVariable: String
    /// The rate the provider takes: the marked audio is written at it, so hark's resampler
    /// passes it through sample-exact and the markers reach the fake.
    let sampleRate: Int
    /// Seconds between sentence starts and each sentence's length, in the fake's script.
    var period = 3.0
    var sentenceLength = 1.6

    /// Sentences every `period` seconds, each `sentenceLength` long, for `seconds` of audio.
    func script(seconds: Double) -> (json: String, sentences: [String]) {
        var items: [String] = []
        var sentences: [String] = []
        var start = 0.3
        var number = 1
        while start + sentenceLength <= seconds - 0.3 + 1e-9 {
            let text = "Sentence number \(number) is here."
            sentences.append(text)
            items.append(#"{"start": \#(start), "end": \#(start + sentenceLength), "text": "\#(text)"}"#)
            start += period
            number += 1
        }
        return ("[" + items.joined(separator: ",") + "]", sentences)
    }

    /// One run's outcome.
    struct Run {
        let result: CommandResult
        let fake: FakeServer
        let sentences: [String]
        let frames: Int
        let sampleRate: Int
        let seconds: Double

        /// Every event the fake recorded.
        var events: [[String: Any]] { fake.recordedEvents() }

        /// Upgrades the fake accepted (the Deepgram fake calls them `open`).
        var connections: Int { events.filter { ["opened", "open"].contains($0["event"] as? String ?? "") }.count }

        /// Upgrades the fake refused with an HTTP status.
        var rejections: Int { events.filter { $0["event"] as? String == "rejected" }.count }

        /// Close codes the fake sent.
        var closeCodes: [Int] { events.filter { $0["event"] as? String == "close" }.compactMap { $0["code"] as? Int } }

        /// Input frames each accepted connection received, in connection order.
        var framesPerConnection: [[Int]] {
            let numbers = Set(events.compactMap { $0["conn"] as? Int }).sorted()
            return numbers.map {
                MarkedAudio.frameIndices(in: fake.recorded("audio-\($0).bin"), sampleRate: sampleRate)
            }
            .filter { !$0.isEmpty }
        }

        /// Input frames that never reached the fake, over every connection.
        var missingFrames: [Int] {
            let seen = framesPerConnection.reduce(into: Set<Int>()) { $0.formUnion($1) }
            return Set(0..<frames).subtracting(seen).sorted()
        }

        /// Seconds of audio the fake received more than once (replays).
        var secondsResent: Double {
            let all = framesPerConnection.flatMap { $0 }
            return Double(all.count - Set(all).count) / 100
        }

        /// Seconds from the end of each connection the fake ended (a drop or a close it sent) to
        /// the next upgrade request hark made (from the fake's own clock).
        var reconnectSeconds: [Double] {
            var gaps: [Double] = []
            var endedAt: Double?
            for event in events {
                guard let kind = event["event"] as? String, let at = event["at"] as? Double else { continue }
                switch kind {
                case "dropped", "close", "ended": endedAt = endedAt ?? at
                case "opened", "rejected":
                    if let ended = endedAt { gaps.append(at - ended) }
                    endedAt = nil
                default: break
                }
            }
            return gaps
        }

        /// Seconds between consecutive upgrade requests (rejected or accepted), on the fake's clock.
        var upgradeGaps: [Double] {
            let times = events.filter { ["opened", "rejected"].contains($0["event"] as? String ?? "") }
                .compactMap { $0["at"] as? Double }
            return zip(times, times.dropFirst()).map { $1 - $0 }
        }

        /// The figures a fault test prints (speed is never asserted).
        var figures: String {
            let gaps = reconnectSeconds.map { String(format: "%.3f", $0) }.joined(separator: ", ")
            return "connections \(connections), rejections \(rejections), reconnect s [\(gaps)], "
                + String(format: "re-sent %.2f s of %.1f s", secondsResent, seconds)
        }

        /// Prints `figures` when `HARK_FAULT_FIGURES` is set (for reports; tests never time anything).
        func reportFigures(_ name: String) {
            guard ProcessInfo.processInfo.environment["HARK_FAULT_FIGURES"] != nil else { return }
            print("FIGURES \(name): \(figures)")
        }

        /// What to print when an expectation fails.
        var diagnosis: String {
            let starts = framesPerConnection.map { $0.first.map { Double($0) / 100 } ?? -1 }
            return "stdout: \(result.stdoutLines)\nstarts: \(starts)\nmissing: \(missingFrames.prefix(20))\n"
                + "stderr: \(result.stderr.suffix(3000))"
        }
    }

    /// Streams `seconds` of marked audio through hark against the fake playing `scenarios`.
    /// - Parameters:
    ///   - fakeArguments: more arguments for the fake (`--max-session-seconds 3`).
    ///   - config: hark's configuration file.
    ///   - speed: hark's `--speed`.
    ///   - extra: more arguments for hark, before the file.
    func run(
        seconds: Double, scenarios: [String] = [], fakeArguments: [String] = [], config: String = "{}",
        speed: String = "max", extra: [String] = []
    ) throws -> Run {
        let directory = try PackagePaths.temporaryDirectory("hark-\(provider)-fault")
        let (json, sentences) = script(seconds: seconds)
        let scriptURL = directory.appendingPathComponent("script.json")
        try json.write(to: scriptURL, atomically: true, encoding: .utf8)
        let configURL = directory.appendingPathComponent("config.json")
        try config.write(to: configURL, atomically: true, encoding: .utf8)
        let wav = directory.appendingPathComponent("marked.wav")
        try DeepgramEndToEndTests.wav(MarkedAudio.pcm(seconds: seconds, sampleRate: sampleRate), rate: sampleRate)
            .write(to: wav)
        let server = try FakeServer(
            script: fake,
            arguments: ["--script", scriptURL.path, "--marked"] + fakeArguments
                + scenarios.flatMap { ["--scenario", $0] })
        let result: CommandResult
        do {
            result = try CommandRunner.hark(
                [
                    "--provider", provider, "--endpoint", server.endpoint(), "--config", configURL.path, "--speed",
                    speed,
                ] + extra + [wav.path],
                environment: [keyVariable: "test-key"], timeout: 300)
        } catch {
            server.stop()
            throw error
        }
        server.stop()
        return Run(
            result: result, fake: server, sentences: sentences, frames: Int((seconds * 100).rounded()),
            sampleRate: sampleRate, seconds: seconds)
    }
}
