import Foundation
import Hark
import HarkTestSupport
import Synchronization
import Testing

extension PocketSphinxSuites {
    /// The in-process link's contract with the session.
    ///
    /// Close, abort, gaps in the audio, odd byte splits, long speech.
    @Suite("Local recognizer link")
    struct LocalRecognizerLinkTests {
        private func bytes(_ samples: [Int16]) -> [UInt8] {
            var encoder = Linear16Encoder()
            return encoder.encode(AudioChunk(samples: samples, sampleRate: 16_000, inputStart: 0))
        }

        private func finalTexts(_ messages: [WireMessage]) throws -> [String] {
            var decoder = LocalTranscriptDecoder()
            return try messages.flatMap { try decoder.decode($0) }.compactMap {
                if case .final(let segment) = $0 { segment.text } else { nil }
            }
        }

        @Test("close without finish still delivers the last final, then ends inbound")
        func closeDeliversLastFinal() async throws {
            let link = LocalRecognizerLink(models: .debianEnglish)
            let audio = bytes(try SpeechCorpus.goForward().samples)
            for start in stride(from: 0, to: audio.count, by: 8_000) {
                try await link.send(.binary(Array(audio[start..<min(audio.count, start + 8_000)])))
            }
            await link.close()
            var messages: [WireMessage] = []
            for try await message in link.inbound { messages.append(message) }
            #expect(try finalTexts(messages) == ["go forward ten meters"])
            await #expect(throws: LinkFailure.self) { try await link.send(.binary([0, 0])) }
        }

        @Test("speech longer than the utterance limit is cut into several finals, in order")
        func longSpeechIsCut() async throws {
            let link = LocalRecognizerLink(models: .debianEnglish, maxUtterance: 0.75)
            let audio = bytes(try SpeechCorpus.goForward().samples)
            for start in stride(from: 0, to: audio.count, by: 8_000) {
                try await link.send(.binary(Array(audio[start..<min(audio.count, start + 8_000)])))
            }
            await link.close()
            var messages: [WireMessage] = []
            for try await message in link.inbound { messages.append(message) }
            let finals = try finalTexts(messages)
            print("local cut finals: \(finals)")
            #expect(finals.count >= 2)
            #expect(finals.joined(separator: " ").hasPrefix("go"))
        }

        @Test("audio split at odd byte counts is decoded the same as whole samples")
        func oddByteSplits() async throws {
            let link = LocalRecognizerLink(models: .debianEnglish)
            let audio = bytes(try SpeechCorpus.goForward().samples)
            for start in stride(from: 0, to: audio.count, by: 7_999) {
                try await link.send(.binary(Array(audio[start..<min(audio.count, start + 7_999)])))
            }
            await link.close()
            var messages: [WireMessage] = []
            for try await message in link.inbound { messages.append(message) }
            #expect(try finalTexts(messages) == ["go forward ten meters"])
        }

        @Test("a pause in the audio in the middle of speech ends the utterance without a finish")
        func gapEndsUtterance() async throws {
            let link = LocalRecognizerLink(models: .debianEnglish)
            // goforward.raw up to just after "meters" (~2.3 s): the detector has not heard the
            // silence that would end the utterance, so only the gap can.
            let samples = Array(try SpeechCorpus.goForward().samples.prefix(37_000))
            try await link.send(.binary(bytes(samples)))
            let finishedEarly = Mutex(false)
            // A safety net so a broken gap rule fails the test instead of hanging it.
            let watchdog = Task {
                try await Task.sleep(for: .seconds(20))
                finishedEarly.withLock { $0 = true }
                try await link.send(.text(LocalRecognizerControl.finishText))
            }
            var decoder = LocalTranscriptDecoder()
            var finalText: String?
            for try await message in link.inbound {
                for event in try decoder.decode(message) {
                    if case .final(let segment) = event { finalText = segment.text }
                }
                if finalText != nil { break }
            }
            watchdog.cancel()
            #expect(finishedEarly.withLock { !$0 })
            #expect(finalText?.hasPrefix("go forward") == true)
            await link.abort()
        }

        @Test("end_utterance (the gate closed) delivers the final at once, and the stream goes on")
        func endUtteranceDeliversFinal() async throws {
            let link = LocalRecognizerLink(models: .debianEnglish)
            let samples = Array(try SpeechCorpus.goForward().samples.prefix(37_000))
            try await link.send(.binary(bytes(samples)))
            try await link.send(.text(LocalRecognizerControl.endUtteranceText))
            try await link.send(.binary(bytes(samples)))
            try await link.send(.text(LocalRecognizerControl.finishText))
            var decoder = LocalTranscriptDecoder()
            var finals: [String] = []
            for try await message in link.inbound {
                for event in try decoder.decode(message) {
                    if case .final(let segment) = event { finals.append(segment.text) }
                }
                if decoder.isFinished { break }
            }
            #expect(finals.count == 2, "\(finals)")
            #expect(finals.allSatisfy { $0.hasPrefix("go forward") }, "\(finals)")
            await link.abort()
        }

        @Test("abort ends inbound at once and refuses further audio")
        func abortEndsInbound() async throws {
            let link = LocalRecognizerLink(models: .debianEnglish)
            try await link.send(.binary(bytes(try SpeechCorpus.goForward().samples)))
            await link.abort()
            for try await _ in link.inbound {}
            await #expect(throws: LinkFailure.self) { try await link.send(.binary([0, 0])) }
        }

        @Test("a text message other than finish is refused as a protocol violation")
        func unknownControlRefused() async throws {
            let link = LocalRecognizerLink(models: .debianEnglish)
            await #expect(throws: LinkFailure.self) { try await link.send(.text(#"{"type":"KeepAlive"}"#)) }
            await link.abort()
        }

        @Test("models that do not load end inbound with a connect failure naming PocketSphinx")
        func badModelFailsInbound() async throws {
            let models = PocketSphinxModels(
                acousticModel: "/nonexistent", languageModel: "/nonexistent.lm", dictionary: "/nonexistent.dict")
            let link = LocalRecognizerLink(models: models)
            await #expect {
                for try await _ in link.inbound {}
            } throws: { error in
                guard case .connectFailed(let host, _) = error as? LinkFailure else { return false }
                return host == "PocketSphinx"
            }
        }
    }
}
