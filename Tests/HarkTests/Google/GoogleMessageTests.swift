import Foundation
import GoogleSpeechProto
import SwiftProtobuf
import Testing

@testable import Hark

/// Hex test vectors produced by Google's own Python serializer (google-cloud-speech 2.41, protobuf).
enum GoogleVectors {
    static let recognizer = "projects/my-proj/locations/us/recognizers/_"
    static let configRequest =
        "1a2b70726f6a656374732f6d792d70726f6a2f6c6f636174696f6e732f75732f7265636f676e697a6572732f5f32250a1d1202"
        + "20014207080110807d18014a0763686972705f335205656e2d5553120408011001"
    static let audioRequest = "2a0401000200"
    static let interimResponse =
        "32240a0d0a0b68656c6c6f20776f726c641d6666663f22070801108084af5f3205656e2d7573"
    static let eventResponse = "18023a061080f0f0e401"
    static let finalResponse =
        "2a043202080232280a130a0c48656c6c6f20776f726c642e151f856b3f1001220808011080cab5ee013205656e2d7573"
}

func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

func bytes(hex: String) -> [UInt8] {
    var result: [UInt8] = []
    var index = hex.startIndex
    while index < hex.endIndex {
        let next = hex.index(index, offsetBy: 2)
        result.append(UInt8(hex[index..<next], radix: 16) ?? 0)
        index = next
    }
    return result
}

/// Adapter options that need no credential file: a pasted access token and a project.
func googleAdapter(
    settings: [String: String] = [:], model: String? = nil, language: String? = nil,
    encoding: AudioEncoding? = nil, interim: Bool = true, endpoint: String? = nil, keyterms: [String] = []
) throws -> GoogleAdapter {
    var all = ["project": "my-proj"]
    all.merge(settings) { $1 }
    return try GoogleAdapter(
        options: ProviderOptions(
            endpoint: endpoint, model: model, language: language, encoding: encoding, interimResults: interim,
            settings: all, keyterms: keyterms),
        environment: ["GOOGLE_ACCESS_TOKEN": "test-token"], tokenClient: CurlTokenEndpointClient(),
        readFile: { _ in nil })
}

@Suite("Google v2 messages")
struct GoogleMessageTests {
    @Test("the generated messages encode the config request exactly as Google's serializer does")
    func configVector() throws {
        var request = Google_Cloud_Speech_V2_StreamingRecognizeRequest()
        request.recognizer = GoogleVectors.recognizer
        var config = Google_Cloud_Speech_V2_RecognitionConfig()
        var decoding = Google_Cloud_Speech_V2_ExplicitDecodingConfig()
        decoding.encoding = .linear16
        decoding.sampleRateHertz = 16_000
        decoding.audioChannelCount = 1
        config.explicitDecodingConfig = decoding
        config.model = "chirp_3"
        config.languageCodes = ["en-US"]
        config.features.enableAutomaticPunctuation = true
        request.streamingConfig.config = config
        request.streamingConfig.streamingFeatures.enableVoiceActivityEvents = true
        request.streamingConfig.streamingFeatures.interimResults = true
        let encoded: [UInt8] = try request.serializedBytes()
        #expect(hex(encoded) == GoogleVectors.configRequest)
    }

    @Test("the adapter's first message is the vector plus word time offsets")
    func adapterConfigMessage() throws {
        let adapter = try googleAdapter()
        // Same as the vector, with features.enable_word_time_offsets (10 01) and the two
        // enclosing lengths two bytes longer.
        let expected =
            "1a2b70726f6a656374732f6d792d70726f6a2f6c6f636174696f6e732f75732f7265636f676e697a6572732f5f32270a1f1204"
            + "100120014207080110807d18014a0763686972705f335205656e2d5553120408011001"
        #expect(adapter.openingMessages() == [.binary(bytes(hex: expected))])
    }

    @Test("an audio message carries only the audio field")
    func audioVector() throws {
        let adapter = try googleAdapter()
        #expect(adapter.audioMessages([1, 0, 2, 0]) == [.binary(bytes(hex: GoogleVectors.audioRequest))])
    }

    @Test("the interim vector decodes to interim text ending at 1.2 s")
    func interimVector() throws {
        var decoder = GoogleTranscriptDecoder()
        let events = try decoder.decode(.binary(bytes(hex: GoogleVectors.interimResponse)))
        #expect(events == [.interim(TranscriptSegment(text: "hello world", start: 0, end: 1.2))])
    }

    @Test("the speech event vector decodes to speech started at 0.48 s")
    func eventVector() throws {
        var decoder = GoogleTranscriptDecoder()
        #expect(try decoder.decode(.binary(bytes(hex: GoogleVectors.eventResponse))) == [.speechStarted(at: 0.48)])
    }

    @Test("the final vector decodes to one final with its confidence, ending at 1.5 s")
    func finalVector() throws {
        var decoder = GoogleTranscriptDecoder()
        let events = try decoder.decode(.binary(bytes(hex: GoogleVectors.finalResponse)))
        let segment = try #require(events.first.flatMap { if case .final(let s) = $0 { s } else { nil } })
        #expect(events.count == 1)
        #expect(segment.text == "Hello world.")
        #expect(segment.start == 0 && segment.end == 1.5)
        #expect(abs((segment.confidence ?? 0) - 0.92) < 1e-6)
    }

    @Test("a later final starts where the previous final ended; interims are the concatenation of the latest response")
    func decoderTimeline() throws {
        var decoder = GoogleTranscriptDecoder()
        _ = try decoder.decode(.binary(bytes(hex: GoogleVectors.finalResponse)))
        var response = Google_Cloud_Speech_V2_StreamingRecognizeResponse()
        var first = Google_Cloud_Speech_V2_StreamingRecognitionResult()
        first.alternatives = [.with { $0.transcript = "to be" }]
        first.stability = 0.9
        first.resultEndOffset = .with { $0.seconds = 2 }
        var second = first
        second.alternatives = [.with { $0.transcript = " or not to be" }]
        second.stability = 0.01
        response.results = [first, second]
        let interims = try decoder.decode(.binary(try response.serializedBytes()))
        #expect(interims == [.interim(TranscriptSegment(text: "to be or not to be", start: 1.5, end: 2))])

        var final = Google_Cloud_Speech_V2_StreamingRecognitionResult()
        final.isFinal = true
        final.resultEndOffset = .with { $0.seconds = 3 }
        final.alternatives = [
            .with {
                $0.transcript = "to be or not"
                $0.words = [
                    .with {
                        $0.word = "to"
                        $0.startOffset = .with {
                            $0.seconds = 1
                            $0.nanos = 600_000_000
                        }
                        $0.endOffset = .with { $0.seconds = 2 }
                    }
                ]
            }
        ]
        var finalResponse = Google_Cloud_Speech_V2_StreamingRecognizeResponse()
        finalResponse.results = [final]
        finalResponse.metadata.requestID = "req-1"
        let events = try decoder.decode(.binary(try finalResponse.serializedBytes()))
        #expect(events.first == .metadata(requestID: "req-1", detail: nil))
        let segment = try #require(events.last.flatMap { if case .final(let s) = $0 { s } else { nil } })
        #expect(segment.start == 1.5 && segment.end == 3)
        #expect(segment.words == [TranscriptWord(text: "to", start: 1.6, end: 2)])
    }

    @Test("SPEECH_ACTIVITY_END becomes an utterance end; garbage is a protocol error")
    func eventsAndGarbage() throws {
        var decoder = GoogleTranscriptDecoder()
        var response = Google_Cloud_Speech_V2_StreamingRecognizeResponse()
        response.speechEventType = .speechActivityEnd
        response.speechEventOffset = .with { $0.seconds = 4 }
        #expect(try decoder.decode(.binary(try response.serializedBytes())) == [.utteranceEnd(at: 4)])
        #expect(throws: ProviderError.self) { try decoder.decode(.binary([0xFF, 0xFF, 0xFF])) }
        #expect(throws: ProviderError.self) { try decoder.decode(.text("{}")) }
    }

    @Test("words keep their offsets; Google's speaker labels 1, 2 become speakers 0, 1; one speaker labels the segment")
    func wordsAndSpeakers() throws {
        func word(_ text: String, _ start: Int64, _ end: Int64, speaker: String) -> Google_Cloud_Speech_V2_WordInfo {
            .with {
                $0.word = text
                $0.startOffset = .with { $0.seconds = start }
                $0.endOffset = .with {
                    $0.seconds = end
                    $0.nanos = 250_000_000
                }
                $0.confidence = 0.5
                $0.speakerLabel = speaker
            }
        }
        func final(_ words: [Google_Cloud_Speech_V2_WordInfo], end: Int64) throws -> [UInt8] {
            var response = Google_Cloud_Speech_V2_StreamingRecognizeResponse()
            response.results = [
                .with {
                    $0.isFinal = true
                    $0.resultEndOffset = .with { $0.seconds = end }
                    $0.alternatives = [
                        .with {
                            $0.transcript = words.map(\.word).joined(separator: " ")
                            $0.words = words
                        }
                    ]
                }
            ]
            return try response.serializedBytes()
        }
        var decoder = GoogleTranscriptDecoder()
        let one = try decoder.decode(
            .binary(try final([word("hi", 1, 2, speaker: "1"), word("there", 2, 3, speaker: "1")], end: 4)))
        #expect(
            one == [
                .final(
                    TranscriptSegment(
                        text: "hi there", start: 0, end: 4,
                        words: [
                            TranscriptWord(text: "hi", start: 1, end: 2.25, confidence: 0.5, speaker: 0),
                            TranscriptWord(text: "there", start: 2, end: 3.25, confidence: 0.5, speaker: 0),
                        ], speaker: 0))
            ])
        let two = try decoder.decode(
            .binary(try final([word("yes", 5, 6, speaker: "1"), word("no", 6, 7, speaker: "2")], end: 8)))
        let segment = try #require(two.first.flatMap { if case .final(let s) = $0 { s } else { nil } })
        #expect(segment.speaker == nil && segment.words.map(\.speaker) == [0, 1] && segment.start == 4)
        let unlabelled = try decoder.decode(.binary(try final([word("ok", 9, 10, speaker: "")], end: 11)))
        let last = try #require(unlabelled.first.flatMap { if case .final(let s) = $0 { s } else { nil } })
        #expect(last.speaker == nil && last.words.map(\.speaker) == [nil])
    }

    @Test("a response carrying an event, results and metadata yields them all; the request id only once")
    func everythingInOneResponse() throws {
        var response = Google_Cloud_Speech_V2_StreamingRecognizeResponse()
        response.speechEventType = .speechActivityBegin
        response.speechEventOffset = .with { $0.nanos = 100_000_000 }
        response.metadata.requestID = "req-9"
        response.results = [
            .with {
                $0.alternatives = [.with { $0.transcript = "so" }]
                $0.resultEndOffset = .with { $0.seconds = 1 }
            }
        ]
        var decoder = GoogleTranscriptDecoder()
        let bytes: [UInt8] = try response.serializedBytes()
        #expect(
            try decoder.decode(.binary(bytes)) == [
                .metadata(requestID: "req-9", detail: nil), .speechStarted(at: 0.1),
                .interim(TranscriptSegment(text: "so", start: 0, end: 1)),
            ])
        #expect(
            try decoder.decode(.binary(bytes)) == [
                .speechStarted(at: 0.1), .interim(TranscriptSegment(text: "so", start: 0, end: 1)),
            ])
    }
}
