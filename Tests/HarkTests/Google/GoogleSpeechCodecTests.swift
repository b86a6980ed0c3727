import Foundation
import GoogleSpeechProto
import HarkTestSupport
import SwiftProtobuf
import Testing

@testable import Hark

/// hark's hand-written Speech v2 messages against the generated SwiftProtobuf ones: every request
/// the adapter sends byte for byte, every response field for field, and malformed responses
/// rejected exactly when SwiftProtobuf rejects them.
@Suite("Google v2 codec against the generated messages")
struct GoogleSpeechCodecTests {
    // MARK: Requests

    struct OpeningCase: Sendable, CustomTestStringConvertible {
        var settings: [String: String]
        var model: String?
        var language: String?
        var encoding: AudioEncoding?
        var interim: Bool
        var testDescription: String {
            "\(settings) \(model ?? "-") \(language ?? "-") \(encoding.map { "\($0)" } ?? "-") \(interim)"
        }
    }

    static let openingCases: [OpeningCase] = [
        OpeningCase(settings: [:], model: nil, language: nil, encoding: nil, interim: true),
        OpeningCase(settings: [:], model: nil, language: nil, encoding: .opus, interim: true),
        OpeningCase(settings: [:], model: nil, language: nil, encoding: .linear16, interim: false),
        OpeningCase(settings: ["region": "eu"], model: "chirp_3", language: "de-DE", encoding: .opus, interim: false),
        OpeningCase(
            settings: ["region": "us-central1"], model: "chirp_2", language: "fr-FR", encoding: nil, interim: true),
        OpeningCase(settings: ["region": "global"], model: "long", language: "ja-JP", encoding: nil, interim: true),
        OpeningCase(
            settings: ["recognizer": "my-rec"], model: "telephony", language: "en-GB", encoding: nil, interim: true),
        OpeningCase(
            settings: ["region": "EU", "recognizer": "projects/other-proj/locations/eu/recognizers/named"],
            model: "latest_short", language: "cmn-Hans-CN", encoding: .opus, interim: true),
    ]

    @Test(
        "the opening message equals the generated message with the same settings, byte for byte",
        arguments: openingCases)
    func openingMessage(_ setup: OpeningCase) throws {
        let adapter = try googleAdapter(
            settings: setup.settings, model: setup.model, language: setup.language, encoding: setup.encoding,
            interim: setup.interim)
        var reference = Google_Cloud_Speech_V2_StreamingRecognizeRequest()
        reference.recognizer = adapter.target.recognizer
        var config = Google_Cloud_Speech_V2_RecognitionConfig()
        config.explicitDecodingConfig = .with {
            $0.encoding = setup.encoding == .opus ? .oggOpus : .linear16
            $0.sampleRateHertz = 16_000
            $0.audioChannelCount = 1
        }
        config.model = setup.model ?? "chirp_3"
        config.languageCodes = [setup.language ?? "en-US"]
        config.features.enableAutomaticPunctuation = true
        config.features.enableWordTimeOffsets = true
        reference.streamingConfig.config = config
        reference.streamingConfig.streamingFeatures.enableVoiceActivityEvents = true
        reference.streamingConfig.streamingFeatures.interimResults = setup.interim
        #expect(adapter.openingMessages() == [.binary(try reference.serializedBytes())])
        #expect(adapter.audio.sampleRate == 16_000)
    }

    @Test("--keyterm becomes one inline phrase set, equal to the generated message byte for byte")
    func keytermPhraseSet() throws {
        let adapter = try googleAdapter(keyterms: ["hark", "Pipe Wire", ""])
        var reference = Google_Cloud_Speech_V2_StreamingRecognizeRequest()
        reference.recognizer = adapter.target.recognizer
        var config = Google_Cloud_Speech_V2_RecognitionConfig()
        config.explicitDecodingConfig = .with {
            $0.encoding = .linear16
            $0.sampleRateHertz = 16_000
            $0.audioChannelCount = 1
        }
        config.model = "chirp_3"
        config.languageCodes = ["en-US"]
        config.features.enableAutomaticPunctuation = true
        config.features.enableWordTimeOffsets = true
        var phraseSet = Google_Cloud_Speech_V2_PhraseSet()
        phraseSet.phrases = ["hark", "Pipe Wire", ""].map { value in .with { $0.value = value } }
        var adaptationSet = Google_Cloud_Speech_V2_SpeechAdaptation.AdaptationPhraseSet()
        adaptationSet.inlinePhraseSet = phraseSet
        config.adaptation.phraseSets = [adaptationSet]
        reference.streamingConfig.config = config
        reference.streamingConfig.streamingFeatures.enableVoiceActivityEvents = true
        reference.streamingConfig.streamingFeatures.interimResults = true
        #expect(adapter.openingMessages() == [.binary(try reference.serializedBytes())])
    }

    @Test(
        "audio messages equal the generated ones, at most 15 KB of audio each, nothing lost or reordered",
        arguments: [1, 3_200, 8_000, 14_999, 15_000, 15_001, 30_000, 40_000, 100_003])
    func audioMessages(size: Int) throws {
        let adapter = try googleAdapter()
        let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let messages = adapter.audioMessages(payload)
        #expect(messages.count == (size + 14_999) / 15_000)
        var joined: [UInt8] = []
        for (index, message) in messages.enumerated() {
            let chunk = Array(payload[(index * 15_000)..<min(size, (index + 1) * 15_000)])
            var reference = Google_Cloud_Speech_V2_StreamingRecognizeRequest()
            reference.audio = Data(chunk)
            #expect(message == .binary(try reference.serializedBytes()))
            guard case .binary(let bytes) = message else { continue }
            let parsed = try Google_Cloud_Speech_V2_StreamingRecognizeRequest(serializedBytes: bytes)
            #expect(parsed.audio.count <= GoogleAdapter.maxAudioBytes)
            #expect(parsed.recognizer.isEmpty)
            joined += parsed.audio
        }
        #expect(joined == payload)
    }

    @Test("the vectors from Google's own serializer: the config request and an audio request")
    func requestVectors() {
        let config = GoogleSpeech.StreamingRecognitionConfig(
            config: GoogleSpeech.RecognitionConfig(
                features: { () -> GoogleSpeech.RecognitionFeatures in
                    var features = GoogleSpeech.RecognitionFeatures()
                    features.enableAutomaticPunctuation = true
                    return features
                }(),
                decoding: .explicit(.init(encoding: .linear16, sampleRateHertz: 16_000, audioChannelCount: 1)),
                model: "chirp_3", languageCodes: ["en-US"]),
            streamingFeatures: .init(enableVoiceActivityEvents: true, interimResults: true))
        let request = GoogleSpeech.StreamingRecognizeRequest(
            recognizer: GoogleVectors.recognizer, payload: .streamingConfig(config))
        #expect(hex(request.serializedBytes) == GoogleVectors.configRequest)
        #expect(
            hex(GoogleSpeech.StreamingRecognizeRequest(payload: .audio([1, 0, 2, 0])).serializedBytes)
                == GoogleVectors.audioRequest)
    }

    @Test("random requests using every field encode exactly as the generated messages do (seeded)")
    func randomRequests() throws {
        var generator = SeededGenerator(seed: 0x6007_1E)
        for _ in 0..<500 {
            let (mine, reference) = Self.randomRequest(&generator)
            let expected: [UInt8] = try reference.serializedBytes()
            #expect(mine.serializedBytes == expected, "\(mine)")
        }
    }

    // MARK: Responses

    @Test("the response vectors from Google's serializer decode to their fields")
    func responseVectors() throws {
        let interim = try GoogleSpeech.StreamingRecognizeResponse(
            serializedBytes: bytes(hex: GoogleVectors.interimResponse))
        let result = try #require(interim.results.first)
        #expect(result.alternatives.map(\.transcript) == ["hello world"])
        #expect(result.stability == 0.9 && !result.isFinal && result.languageCode == "en-us")
        #expect(result.resultEndOffset == GoogleSpeech.Duration(seconds: 1, nanos: 200_000_000))

        let event = try GoogleSpeech.StreamingRecognizeResponse(
            serializedBytes: bytes(hex: GoogleVectors.eventResponse))
        #expect(event.speechEventType == .speechActivityBegin)
        #expect(event.speechEventOffset == GoogleSpeech.Duration(seconds: 0, nanos: 480_000_000))
        #expect(event.results.isEmpty && event.metadata == nil)

        let final = try GoogleSpeech.StreamingRecognizeResponse(
            serializedBytes: bytes(hex: GoogleVectors.finalResponse))
        #expect(final.metadata?.totalBilledDuration == GoogleSpeech.Duration(seconds: 2))
        let settled = try #require(final.results.first)
        #expect(settled.isFinal && settled.alternatives.first?.confidence == 0.92)
        #expect(settled.resultEndOffset == GoogleSpeech.Duration(seconds: 1, nanos: 500_000_000))
        for vector in [GoogleVectors.interimResponse, GoogleVectors.eventResponse, GoogleVectors.finalResponse] {
            #expect(decodedByHark(bytes(hex: vector)) == decodedByReference(bytes(hex: vector)))
        }
    }

    @Test("random responses (results, words, speakers, events, metadata) decode as SwiftProtobuf decodes them")
    func randomResponses() throws {
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<1_000 {
            let reference = RandomReference.response(&generator)
            let decoded = try GoogleSpeech.StreamingRecognizeResponse(serializedBytes: try reference.serializedBytes())
            #expect(sameContent(decoded, GoogleSpeech.StreamingRecognizeResponse(reference: reference)))
        }
    }

    @Test("fields in any order, at every level, decode to the same message")
    func anyFieldOrder() throws {
        var generator = SeededGenerator(seed: 11)
        for _ in 0..<300 {
            let reference = RandomReference.response(&generator)
            let expected = GoogleSpeech.StreamingRecognizeResponse(reference: reference)
            let shuffled = try shuffledFields(try reference.serializedBytes(), schema: .response, using: &generator)
            let decoded = try GoogleSpeech.StreamingRecognizeResponse(serializedBytes: shuffled)
            #expect(sameContent(decoded, expected))
            #expect(decodedByReference(shuffled).map { sameContent($0, expected) } == true)
        }
    }

    @Test("unknown fields of every wire type, nested groups and unknowns inside nested messages are skipped")
    func unknownFields() throws {
        var generator = SeededGenerator(seed: 13)
        for _ in 0..<300 {
            let reference = RandomReference.response(&generator)
            let expected = GoogleSpeech.StreamingRecognizeResponse(reference: reference)
            let noisy = try withUnknownFields(try reference.serializedBytes(), schema: .response, using: &generator)
            let decoded = try GoogleSpeech.StreamingRecognizeResponse(serializedBytes: noisy)
            #expect(sameContent(decoded, expected))
            #expect(decodedByReference(noisy).map { sameContent($0, expected) } == true)
        }
    }

    // MARK: Fuzzing

    @Test("every truncation of valid responses is rejected or decoded exactly as SwiftProtobuf does")
    func truncations() throws {
        var generator = SeededGenerator(seed: 17)
        for _ in 0..<40 {
            let whole = try withUnknownFields(
                try RandomReference.response(&generator).serializedBytes(), schema: .response, using: &generator)
            for length in 0..<whole.count {
                Self.expectAgreement(Array(whole[..<length]))
            }
        }
    }

    @Test("flipped, inserted and deleted bytes never crash the decoder and agree with SwiftProtobuf (seeded)")
    func mutations() throws {
        var generator = SeededGenerator(seed: 19)
        var rejected = 0
        for _ in 0..<3_000 {
            var input: [UInt8] = try RandomReference.response(&generator).serializedBytes()
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let position = Int.random(in: 0...input.count, using: &generator)
                switch Int.random(in: 0..<4, using: &generator) {
                case 0 where position < input.count: input[position] ^= 1 << UInt8.random(in: 0..<8, using: &generator)
                case 1 where position < input.count: input[position] = UInt8.random(in: 0...255, using: &generator)
                case 2 where position < input.count: input.remove(at: position)
                default: input.insert(UInt8.random(in: 0...255, using: &generator), at: position)
                }
            }
            if !Self.expectAgreement(input) { rejected += 1 }
        }
        // The mutations must reach the error paths, not only harmless bytes.
        #expect(rejected > 300)
    }

    @Test("random bytes never crash the decoder and agree with SwiftProtobuf (seeded)")
    func randomBytes() {
        var generator = SeededGenerator(seed: 23)
        for _ in 0..<3_000 {
            let length = Int.random(in: 0...48, using: &generator)
            Self.expectAgreement((0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) })
        }
    }

    @Test("the transcript decoder turns any malformed response into a protocol error, never another error")
    func decoderOnGarbage() throws {
        var generator = SeededGenerator(seed: 29)
        for _ in 0..<1_000 {
            var input: [UInt8] = try RandomReference.response(&generator).serializedBytes()
            if !input.isEmpty { input.removeLast(Int.random(in: 1...input.count, using: &generator)) }
            input.append(UInt8.random(in: 0...255, using: &generator))
            var decoder = GoogleTranscriptDecoder()
            do {
                _ = try decoder.decode(.binary(input))
            } catch let error as ProviderError {
                #expect(caseName(error) == "protocolError")
            }
        }
    }

    /// Expects hark and SwiftProtobuf to both reject `input` or both decode it to the same
    /// message; returns whether hark decoded it.
    @discardableResult
    static func expectAgreement(_ input: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        let mine = decodedByHark(input)
        let reference = decodedByReference(input)
        switch (mine, reference) {
        case (nil, nil): return false
        case (let mine?, let reference?):
            #expect(sameContent(mine, reference), "\(hex(input))", sourceLocation: sourceLocation)
            return true
        default:
            let verdict = "hark \(mine == nil ? "rejected" : "decoded") what SwiftProtobuf "
            let reason = "\(reference == nil ? "rejected" : "decoded"): \(hex(input))"
            Issue.record(Comment(rawValue: verdict + reason), sourceLocation: sourceLocation)
            return mine != nil
        }
    }

    /// A random request using every field hark can encode, and the same built with the generated types.
    static func randomRequest(_ generator: inout SeededGenerator) -> (
        GoogleSpeech.StreamingRecognizeRequest, Google_Cloud_Speech_V2_StreamingRecognizeRequest
    ) {
        func int32() -> Int32 {
            [0, 1, 8_000, 16_000, 48_000, -1, Int32.max, Int32.min].randomElement(using: &generator) ?? 0
        }
        func text() -> String { RandomReference.texts.randomElement(using: &generator) ?? "" }
        func duration() -> (GoogleSpeech.Duration, Google_Protobuf_Duration) {
            let reference = RandomReference.duration(&generator)
            return (GoogleSpeech.Duration(reference: reference), reference)
        }
        var mine = GoogleSpeech.StreamingRecognizeRequest(recognizer: text())
        var reference = Google_Cloud_Speech_V2_StreamingRecognizeRequest()
        reference.recognizer = mine.recognizer
        switch Int.random(in: 0..<3, using: &generator) {
        case 0: break
        case 1:
            let audio = (0..<Int.random(in: 0...40, using: &generator)).map { _ in
                UInt8.random(in: 0...255, using: &generator)
            }
            mine.payload = .audio(audio)
            reference.audio = Data(audio)
        default:
            var streaming = GoogleSpeech.StreamingRecognitionConfig()
            var referenceStreaming = Google_Cloud_Speech_V2_StreamingRecognitionConfig()
            if Bool.random(using: &generator) {
                var config = GoogleSpeech.RecognitionConfig(model: text())
                var referenceConfig = Google_Cloud_Speech_V2_RecognitionConfig()
                referenceConfig.model = config.model
                config.languageCodes = (0..<Int.random(in: 0...3, using: &generator)).map { _ in text() }
                referenceConfig.languageCodes = config.languageCodes
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: break
                case 1:
                    config.decoding = .automatic
                    referenceConfig.autoDecodingConfig = .init()
                default:
                    let encoding = GoogleSpeech.ExplicitDecodingConfig.AudioEncoding.allCases.randomElement(
                        using: &generator)
                    let explicit = GoogleSpeech.ExplicitDecodingConfig(
                        encoding: encoding ?? .linear16, sampleRateHertz: int32(), audioChannelCount: int32())
                    config.decoding = .explicit(explicit)
                    referenceConfig.explicitDecodingConfig = .with {
                        $0.encoding = .init(rawValue: Int(explicit.encoding.rawValue)) ?? .unspecified
                        $0.sampleRateHertz = explicit.sampleRateHertz
                        $0.audioChannelCount = explicit.audioChannelCount
                    }
                }
                if Bool.random(using: &generator) {
                    var features = GoogleSpeech.RecognitionFeatures()
                    features.profanityFilter = Bool.random(using: &generator)
                    features.enableWordTimeOffsets = Bool.random(using: &generator)
                    features.enableWordConfidence = Bool.random(using: &generator)
                    features.enableAutomaticPunctuation = Bool.random(using: &generator)
                    features.enableSpokenPunctuation = Bool.random(using: &generator)
                    features.enableSpokenEmojis = Bool.random(using: &generator)
                    features.maxAlternatives = int32()
                    var referenceFeatures = Google_Cloud_Speech_V2_RecognitionFeatures()
                    referenceFeatures.profanityFilter = features.profanityFilter
                    referenceFeatures.enableWordTimeOffsets = features.enableWordTimeOffsets
                    referenceFeatures.enableWordConfidence = features.enableWordConfidence
                    referenceFeatures.enableAutomaticPunctuation = features.enableAutomaticPunctuation
                    referenceFeatures.enableSpokenPunctuation = features.enableSpokenPunctuation
                    referenceFeatures.enableSpokenEmojis = features.enableSpokenEmojis
                    referenceFeatures.maxAlternatives = features.maxAlternatives
                    if Bool.random(using: &generator) {
                        let diarization = GoogleSpeech.SpeakerDiarizationConfig(
                            minSpeakerCount: int32(), maxSpeakerCount: int32())
                        features.diarizationConfig = diarization
                        referenceFeatures.diarizationConfig = .with {
                            $0.minSpeakerCount = diarization.minSpeakerCount
                            $0.maxSpeakerCount = diarization.maxSpeakerCount
                        }
                    }
                    config.features = features
                    referenceConfig.features = referenceFeatures
                }
                streaming.config = config
                referenceStreaming.config = referenceConfig
            }
            if Bool.random(using: &generator) {
                var features = GoogleSpeech.StreamingRecognitionFeatures(
                    enableVoiceActivityEvents: Bool.random(using: &generator),
                    interimResults: Bool.random(using: &generator),
                    endpointingSensitivity: .init(rawValue: Int32.random(in: 0...3, using: &generator)) ?? .unspecified)
                var referenceFeatures = Google_Cloud_Speech_V2_StreamingRecognitionFeatures()
                referenceFeatures.enableVoiceActivityEvents = features.enableVoiceActivityEvents
                referenceFeatures.interimResults = features.interimResults
                referenceFeatures.endpointingSensitivity =
                    .init(rawValue: Int(features.endpointingSensitivity.rawValue)) ?? .unspecified
                if Bool.random(using: &generator) {
                    var timeout = GoogleSpeech.StreamingRecognitionFeatures.VoiceActivityTimeout()
                    var referenceTimeout = Google_Cloud_Speech_V2_StreamingRecognitionFeatures.VoiceActivityTimeout()
                    if Bool.random(using: &generator) {
                        let (value, referenceValue) = duration()
                        timeout.speechStartTimeout = value
                        referenceTimeout.speechStartTimeout = referenceValue
                    }
                    if Bool.random(using: &generator) {
                        let (value, referenceValue) = duration()
                        timeout.speechEndTimeout = value
                        referenceTimeout.speechEndTimeout = referenceValue
                    }
                    features.voiceActivityTimeout = timeout
                    referenceFeatures.voiceActivityTimeout = referenceTimeout
                }
                streaming.streamingFeatures = features
                referenceStreaming.streamingFeatures = referenceFeatures
            }
            mine.payload = .streamingConfig(streaming)
            reference.streamingConfig = referenceStreaming
        }
        return (mine, reference)
    }
}
