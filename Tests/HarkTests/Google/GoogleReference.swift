import Foundation
import GoogleSpeechProto
import SwiftProtobuf

@testable import Hark

// The generated SwiftProtobuf messages are the reference hark's hand-written codec is held to:
// conversions from them into hark's types, random ones from a seed, and a test-only splitter
// that reorders a message's fields without changing what it means.

/// SplitMix64: the same sequence for the same seed on every machine, so a failure reproduces.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}

// MARK: Reference messages as hark's types

extension GoogleSpeech.Duration {
    init(reference: Google_Protobuf_Duration) {
        self.init(seconds: reference.seconds, nanos: reference.nanos)
    }
}

extension GoogleSpeech.StreamingRecognizeResponse {
    init(reference: Google_Cloud_Speech_V2_StreamingRecognizeResponse) {
        self.init()
        results = reference.results.map(GoogleSpeech.StreamingRecognitionResult.init(reference:))
        speechEventType = SpeechEventType(rawValue: Int32(reference.speechEventType.rawValue))
        speechEventOffset =
            reference.hasSpeechEventOffset ? GoogleSpeech.Duration(reference: reference.speechEventOffset) : nil
        if reference.hasMetadata {
            var metadata = GoogleSpeech.RecognitionResponseMetadata()
            metadata.requestID = reference.metadata.requestID
            metadata.totalBilledDuration =
                reference.metadata.hasTotalBilledDuration
                ? GoogleSpeech.Duration(reference: reference.metadata.totalBilledDuration) : nil
            self.metadata = metadata
        }
    }
}

extension GoogleSpeech.StreamingRecognitionResult {
    init(reference: Google_Cloud_Speech_V2_StreamingRecognitionResult) {
        self.init()
        alternatives = reference.alternatives.map { alternative in
            var converted = GoogleSpeech.SpeechRecognitionAlternative()
            converted.transcript = alternative.transcript
            converted.confidence = alternative.confidence
            converted.words = alternative.words.map { word in
                var info = GoogleSpeech.WordInfo()
                info.startOffset = word.hasStartOffset ? GoogleSpeech.Duration(reference: word.startOffset) : nil
                info.endOffset = word.hasEndOffset ? GoogleSpeech.Duration(reference: word.endOffset) : nil
                info.word = word.word
                info.confidence = word.confidence
                info.speakerLabel = word.speakerLabel
                return info
            }
            return converted
        }
        isFinal = reference.isFinal
        stability = reference.stability
        resultEndOffset =
            reference.hasResultEndOffset ? GoogleSpeech.Duration(reference: reference.resultEndOffset) : nil
        channelTag = reference.channelTag
        languageCode = reference.languageCode
    }
}

/// Compares decoded messages field by field, floats by their bits (so NaN equals NaN).
func sameContent(_ lhs: GoogleSpeech.StreamingRecognizeResponse, _ rhs: GoogleSpeech.StreamingRecognizeResponse)
    -> Bool
{
    String(reflecting: lhs) == String(reflecting: rhs)
}

/// hark's decoding of `bytes`, or nil when it throws.
func decodedByHark(_ bytes: [UInt8]) -> GoogleSpeech.StreamingRecognizeResponse? {
    try? GoogleSpeech.StreamingRecognizeResponse(serializedBytes: bytes)
}

/// SwiftProtobuf's decoding of `bytes` as hark's types, or nil when it throws.
func decodedByReference(_ bytes: [UInt8]) -> GoogleSpeech.StreamingRecognizeResponse? {
    (try? Google_Cloud_Speech_V2_StreamingRecognizeResponse(serializedBytes: bytes))
        .map(GoogleSpeech.StreamingRecognizeResponse.init(reference:))
}

// MARK: Random reference messages

enum RandomReference {
    static let texts = [
        "", "hello", " world", "Hello world.", "to be", " or not to be", "naïve café", "日本語の音声", "🎙️ ok",
        String(repeating: "long ", count: 60),
    ]

    static func duration(_ generator: inout SeededGenerator) -> Google_Protobuf_Duration {
        var duration = Google_Protobuf_Duration()
        switch Int.random(in: 0..<6, using: &generator) {
        case 0: break
        case 1:
            duration.seconds = -Int64.random(in: 1...400, using: &generator)
            duration.nanos = -Int32.random(in: 0..<1_000_000_000, using: &generator)
        case 2: duration.seconds = Int64.max
        default:
            duration.seconds = Int64.random(in: 0...400, using: &generator)
            duration.nanos = Int32.random(in: 0..<1_000_000_000, using: &generator)
        }
        return duration
    }

    static func float(_ generator: inout SeededGenerator) -> Float {
        switch Int.random(in: 0..<5, using: &generator) {
        case 0: 0
        case 1: 1
        case 2: -Float.random(in: 0...1, using: &generator)
        default: Float.random(in: 0...1, using: &generator)
        }
    }

    static func word(_ generator: inout SeededGenerator) -> Google_Cloud_Speech_V2_WordInfo {
        var word = Google_Cloud_Speech_V2_WordInfo()
        if Bool.random(using: &generator) { word.startOffset = duration(&generator) }
        if Bool.random(using: &generator) { word.endOffset = duration(&generator) }
        word.word = texts.randomElement(using: &generator) ?? ""
        word.confidence = float(&generator)
        word.speakerLabel = ["", "1", "2", "12", "spk"].randomElement(using: &generator) ?? ""
        return word
    }

    static func result(_ generator: inout SeededGenerator) -> Google_Cloud_Speech_V2_StreamingRecognitionResult {
        var result = Google_Cloud_Speech_V2_StreamingRecognitionResult()
        result.alternatives = (0..<Int.random(in: 0...3, using: &generator)).map { _ in
            var alternative = Google_Cloud_Speech_V2_SpeechRecognitionAlternative()
            alternative.transcript = texts.randomElement(using: &generator) ?? ""
            alternative.confidence = float(&generator)
            alternative.words = (0..<Int.random(in: 0...4, using: &generator)).map { _ in word(&generator) }
            return alternative
        }
        result.isFinal = Bool.random(using: &generator)
        result.stability = float(&generator)
        if Bool.random(using: &generator) { result.resultEndOffset = duration(&generator) }
        result.channelTag = [0, 1, 2, -1, Int32.max].randomElement(using: &generator) ?? 0
        result.languageCode = ["", "en-us", "de-DE"].randomElement(using: &generator) ?? ""
        return result
    }

    static func response(_ generator: inout SeededGenerator) -> Google_Cloud_Speech_V2_StreamingRecognizeResponse {
        var response = Google_Cloud_Speech_V2_StreamingRecognizeResponse()
        response.results = (0..<Int.random(in: 0...3, using: &generator)).map { _ in result(&generator) }
        // Unknown enum values (7, and -1 as ten bytes) must keep their number.
        let event = [0, 1, 2, 3, 7, -1].randomElement(using: &generator) ?? 0
        response.speechEventType = .init(rawValue: event) ?? .unspecified
        if Bool.random(using: &generator) { response.speechEventOffset = duration(&generator) }
        if Bool.random(using: &generator) {
            response.metadata.requestID = ["", "req-1", "0af3"].randomElement(using: &generator) ?? ""
            if Bool.random(using: &generator) { response.metadata.totalBilledDuration = duration(&generator) }
        }
        return response
    }
}

// MARK: Reordering and unknown fields (test-side byte surgery)

/// The field numbers that hold messages in each response type, to recurse into when reordering.
enum ResponseSchema {
    case response, result, alternative, word, metadata, duration

    func child(_ number: Int) -> ResponseSchema? {
        switch (self, number) {
        case (.response, 6): .result
        case (.response, 7): .duration
        case (.response, 5): .metadata
        case (.result, 1): .alternative
        case (.result, 4): .duration
        case (.alternative, 3): .word
        case (.word, 1), (.word, 2): .duration
        case (.metadata, 6): .duration
        default: nil
        }
    }
}

/// Raw fields of a message: each tag and value as bytes.
func splitFields(_ bytes: [UInt8]) throws -> [(number: Int, wireType: ProtobufWireType, raw: [UInt8])] {
    var reader = ProtobufReader(bytes[...])
    var fields: [(number: Int, wireType: ProtobufWireType, raw: [UInt8])] = []
    var consumed = 0
    while let field = try reader.nextField() {
        try reader.skip(field)
        let end = bytes.count - reader.remainingCount
        fields.append((field.number, field.wireType, Array(bytes[consumed..<end])))
        consumed = end
    }
    return fields
}

/// The message with its fields shuffled, recursively, keeping the order among fields of one
/// number (a repeated field's elements, and which occurrence of a scalar wins) — so it still
/// means the same message.
func shuffledFields(_ bytes: [UInt8], schema: ResponseSchema, using generator: inout SeededGenerator) throws
    -> [UInt8]
{
    var groups: [Int: [[UInt8]]] = [:]
    var order: [Int] = []
    for field in try splitFields(bytes) {
        var raw = field.raw
        if field.wireType == .lengthDelimited, let child = schema.child(field.number) {
            var reader = ProtobufReader(raw[...])
            _ = try reader.nextField()
            let value = Array(try reader.readLengthDelimited())
            var writer = ProtobufWriter()
            writer.writeLengthDelimited(field.number, try shuffledFields(value, schema: child, using: &generator))
            raw = writer.bytes
        }
        groups[field.number, default: []].append(raw)
        order.append(field.number)
    }
    order.shuffle(using: &generator)
    var cursor: [Int: Int] = [:]
    var result: [UInt8] = []
    for number in order {
        let index = cursor[number, default: 0]
        cursor[number] = index + 1
        result += groups[number]?[index] ?? []
    }
    return result
}

/// A random unknown field: a number the message does not use (or a known one with another wire
/// type), of any wire type, groups nested up to three deep.
func unknownField(_ generator: inout SeededGenerator, depth: Int = 0) -> [UInt8] {
    var writer = ProtobufWriter()
    let number = [15, 16, 99, 1000, 536_870_911, 8].randomElement(using: &generator) ?? 15
    switch Int.random(in: 0..<(depth < 3 ? 5 : 4), using: &generator) {
    case 0:
        writer.writeTag(number, .varint)
        writer.writeVarint(UInt64.random(in: 0...UInt64.max, using: &generator))
    case 1:
        writer.writeTag(number, .fixed32)
        return writer.bytes + (0..<4).map { _ in UInt8.random(in: 0...255, using: &generator) }
    case 2:
        writer.writeTag(number, .fixed64)
        return writer.bytes + (0..<8).map { _ in UInt8.random(in: 0...255, using: &generator) }
    case 3:
        writer.writeLengthDelimited(
            number,
            (0..<Int.random(in: 0...20, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) })
    default:
        writer.writeTag(number, .startGroup)
        var inner = writer.bytes
        for _ in 0..<Int.random(in: 0...3, using: &generator) { inner += unknownField(&generator, depth: depth + 1) }
        var end = ProtobufWriter()
        end.writeTag(number, .endGroup)
        return inner + end.bytes
    }
    return writer.bytes
}

/// The message with unknown fields sprinkled between its fields, recursively.
func withUnknownFields(_ bytes: [UInt8], schema: ResponseSchema, using generator: inout SeededGenerator) throws
    -> [UInt8]
{
    var result: [UInt8] = []
    for field in try splitFields(bytes) {
        if Int.random(in: 0..<3, using: &generator) == 0 { result += unknownField(&generator) }
        if field.wireType == .lengthDelimited, let child = schema.child(field.number) {
            var reader = ProtobufReader(field.raw[...])
            _ = try reader.nextField()
            let value = Array(try reader.readLengthDelimited())
            var writer = ProtobufWriter()
            writer.writeLengthDelimited(field.number, try withUnknownFields(value, schema: child, using: &generator))
            result += writer.bytes
        } else {
            result += field.raw
        }
    }
    if Bool.random(using: &generator) { result += unknownField(&generator) }
    return result
}
