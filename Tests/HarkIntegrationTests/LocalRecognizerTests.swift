import Foundation
import Hark
import HarkTestSupport
import Testing

/// Every suite that loads PocketSphinx's models, run one test at a time: each recognizer takes
/// ~100 MB and a core, and the machine is shared.
@Suite("PocketSphinx in-process", .serialized)
enum PocketSphinxSuites {}

extension PocketSphinxSuites {
    /// Real recognition through `LocalAdapter` and `LocalRecognizerLink`.
    ///
    /// The audio goes in as 250 ms chunks of PCM16, as the session sends it.
    @Suite("Local PocketSphinx recognizer")
    struct LocalRecognizerTests {
        private func transcribe(_ utterance: SpeechUtterance) async throws -> [TranscriptEvent] {
            try await InProcessTranscriber.transcribe(
                utterance.samples, adapter: LocalAdapter(options: ProviderOptions()))
        }

        private func finals(_ events: [TranscriptEvent]) -> [TranscriptSegment] {
            events.compactMap { if case .final(let segment) = $0 { segment } else { nil } }
        }

        private func interims(_ events: [TranscriptEvent]) -> [TranscriptSegment] {
            events.compactMap { if case .interim(let segment) = $0 { segment } else { nil } }
        }

        @Test("a real recording of a short command is transcribed exactly")
        func goForwardIsExact() async throws {
            let utterance = try SpeechCorpus.goForward()
            let events = try await transcribe(utterance)
            let text = InProcessTranscriber.finalText(events)
            #expect(text == "go forward ten meters")
        }

        @Test("interim results arrive before the final, and the final's words match its text")
        func interimsPrecedeFinal() async throws {
            let utterance = try SpeechCorpus.goForward()
            let events = try await transcribe(utterance)
            let firstInterim = try #require(events.firstIndex { if case .interim = $0 { true } else { false } })
            let firstFinal = try #require(events.firstIndex { if case .final = $0 { true } else { false } })
            #expect(firstInterim < firstFinal)
            let final = try #require(finals(events).first)
            #expect(final.words.map(\.text).joined(separator: " ") == final.text)
            #expect(events.contains { if case .speechStarted = $0 { true } else { false } })
            #expect(events.contains { if case .utteranceEnd = $0 { true } else { false } })
        }

        @Test("word times increase and stay within the audio, for interims and finals")
        func wordTimesIncreaseWithinAudio() async throws {
            let utterance = try SpeechCorpus.goForward()
            // Two copies with a second of silence between them: two utterances, and the second's
            // times must sit on the link's timeline after the first's.
            let silence = [Int16](repeating: 0, count: 16_000)
            let samples = silence + utterance.samples + silence + utterance.samples + silence
            let events = try await InProcessTranscriber.transcribe(
                samples, adapter: LocalAdapter(options: ProviderOptions()))
            let duration = Double(samples.count) / 16_000
            let finals = finals(events)
            #expect(finals.count == 2)
            for segment in finals + interims(events) {
                var previousEnd = 0.0
                for word in segment.words {
                    #expect(word.start >= previousEnd - 0.0001, "\(word.text) starts before the previous word ends")
                    #expect(word.end > word.start)
                    #expect(word.end <= duration)
                    previousEnd = word.end
                }
            }
            let words = finals.flatMap(\.words)
            #expect(zip(words, words.dropFirst()).allSatisfy { $0.end <= $1.start + 0.0001 })
            // "go" starts ~0.47 s into the recording; the second copy starts at 1 + len + 1 seconds.
            let secondCopyStart = 2 + utterance.duration
            let secondGo = try #require(finals.last?.words.first)
            #expect(abs(secondGo.start - (secondCopyStart + 0.47)) < 0.15)
        }

        @Test("read English prose from LibriVox stays under the measured word error rate")
        func librivoxWordErrorRate() async throws {
            var total = WordErrorRate()
            for utterance in try SpeechCorpus.librivox() {
                let text = InProcessTranscriber.finalText(try await transcribe(utterance))
                let rate = WordErrorRate(reference: utterance.reference, hypothesis: text)
                print("local \(utterance.name): \(rate) '\(text)'")
                total = total + rate
            }
            print("local librivox: \(total)")
            #expect(total.referenceWords == 71)
            // Measured 2026-11-25: 36.6% (26 errors / 71 words) with the Debian en-us model.
            #expect(total.rate < 0.45)
        }

        @Test("spoken card names stay under the measured word error rate")
        func cardsWordErrorRate() async throws {
            var total = WordErrorRate()
            for utterance in try SpeechCorpus.cards() {
                let text = InProcessTranscriber.finalText(try await transcribe(utterance))
                let rate = WordErrorRate(reference: utterance.reference, hypothesis: text)
                print("local \(utterance.name): \(rate) '\(text)'")
                total = total + rate
            }
            print("local cards: \(total)")
            // Measured 2026-11-25: 47.6% (10 errors / 21 words); "clubs" is often heard as "up close".
            #expect(total.rate < 0.55)
        }

        @Test("espeak-ng speech stays under the measured word error rate")
        func espeakWordErrorRate() async throws {
            let sentences = [
                "the weather today is cold and windy with rain in the afternoon",
                "please send the report to the office before friday",
                "she opened the door and walked into the kitchen",
            ]
            var total = WordErrorRate()
            for (index, sentence) in sentences.enumerated() {
                let utterance = try SpeechCorpus.espeak(sentence, name: "espeak-\(index)")
                let text = InProcessTranscriber.finalText(try await transcribe(utterance))
                let rate = WordErrorRate(reference: utterance.reference, hypothesis: text)
                print("local \(utterance.name): \(rate) '\(text)'")
                total = total + rate
            }
            print("local espeak: \(total)")
            // Measured 2026-11-25: 80.0% (24 errors / 30 words) with the en-us voice at 175 words a
            // minute (90% at 140, near 100% with the default `en` voice): PocketSphinx's acoustic model
            // was trained on human voices, and synthetic speech is far from them.
            #expect(total.rate < 0.9)
        }
    }

    @Suite("Bundled sample")
    struct BundledSampleTests {
        /// The sentences of `samples/sample.wav`, as `samples/README.md` gives them.
        static let reference = """
            and mister john dashwood had then leisure to consider how much there might be prudently in his power to do \
            for them he was not an ill disposed young man unless to be rather cold hearted and rather selfish is to be \
            ill disposed had he married a more a amiable woman he might have been made still more respectable than he \
            was he might even have been made amiable himself
            """

        @Test("the bundled sample is a real recording the offline recognizer mostly gets right")
        func sampleWordErrorRate() async throws {
            let samples = try SpeechCorpus.wav(PackagePaths.samples.appendingPathComponent("sample.wav"))
            #expect(samples.count == 514_080)  // 32.13 s: the five sentences with 1.6 s pauses
            let events = try await InProcessTranscriber.transcribe(
                samples, adapter: LocalAdapter(options: ProviderOptions()))
            let text = InProcessTranscriber.finalText(events)
            let rate = WordErrorRate(reference: Self.reference, hypothesis: text)
            print("local sample.wav: \(rate) '\(text)'")
            // Measured 2026-11-25: 31.0% (22 errors / 71 words). The espeak-ng sample it replaced came
            // out as unrelated words ("park is a really terrific we shoot on the bus to the old").
            #expect(rate.rate < 0.4)
        }
    }
}
