import Foundation
import GoogleSpeechProto
import SwiftProtobuf
import Testing

@testable import Hark

@Suite("Protobuf wire format")
struct ProtobufWireTests {
    @Test(
        "varints take seven bits a byte, least significant first, and read back",
        arguments: [
            (0, "00"), (1, "01"), (127, "7f"), (128, "8001"), (300, "ac02"), (16_383, "ff7f"), (16_384, "808001"),
            (UInt64(UInt32.max), "ffffffff0f"), (UInt64.max, "ffffffffffffffffff01"),
        ] as [(UInt64, String)])
    func varints(value: UInt64, encoded: String) throws {
        var writer = ProtobufWriter()
        writer.writeVarint(value)
        #expect(hex(writer.bytes) == encoded)
        var reader = ProtobufReader(bytes(hex: encoded)[...])
        #expect(try reader.readVarint() == value)
        #expect(reader.remainingCount == 0)
    }

    @Test("proto3 defaults are left out, a present empty message and a set oneof are written")
    func defaultsAndPresence() throws {
        var features = GoogleSpeech.RecognitionFeatures()
        features.diarizationConfig = GoogleSpeech.SpeakerDiarizationConfig()
        let mine = GoogleSpeech.RecognitionConfig(features: features, decoding: .automatic)
        var reference = Google_Cloud_Speech_V2_RecognitionConfig()
        reference.features.diarizationConfig = .init()
        reference.autoDecodingConfig = .init()
        #expect(hex(mine.serializedBytes) == "12024a003a00")
        #expect(mine.serializedBytes == (try reference.serializedBytes() as [UInt8]))
        #expect(GoogleSpeech.RecognitionConfig().serializedBytes.isEmpty)
        #expect(GoogleSpeech.StreamingRecognitionFeatures().serializedBytes.isEmpty)
    }

    @Test("negative int32s are sign-extended to ten bytes, as SwiftProtobuf writes them")
    func negativeInt32() throws {
        let mine = GoogleSpeech.ExplicitDecodingConfig(
            encoding: .linear16, sampleRateHertz: -1, audioChannelCount: Int32.min)
        var reference = Google_Cloud_Speech_V2_ExplicitDecodingConfig()
        reference.encoding = .linear16
        reference.sampleRateHertz = -1
        reference.audioChannelCount = Int32.min
        #expect(mine.serializedBytes == (try reference.serializedBytes() as [UInt8]))
        #expect(hex(mine.serializedBytes).hasPrefix("080110ffffffffffffffffff01"))
    }

    @Test(
        "malformed input throws the reason and SwiftProtobuf rejects it too",
        arguments: [
            ("18", ProtobufWireError.truncated),  // a tag with no value
            ("1880", .truncated),  // a varint cut short
            ("18ffffffffffffffffffff01", .overlongVarint),  // eleven bytes
            ("0000", .invalidTag(0)),  // field number 0
            ("0e00", .invalidTag(14)),  // wire type 6
            ("0f00", .invalidTag(15)),  // wire type 7
            ("8080808010", .invalidTag(1 << 32)),  // a tag above 32 bits
            ("808080808000", .overlongVarint),  // a six-byte tag
            ("32050a", .truncated),  // a length past the end
            ("32ffffffffffffffffff01", .truncated),  // a length of 2^64 - 1
            ("9d060000", .truncated),  // a short fixed32
            ("99060000000000", .truncated),  // a short fixed64
            ("0c", .unbalancedGroup),  // an end group alone
            ("0b14", .unbalancedGroup),  // a group ended with another number
            ("0b", .truncated),  // a group never ended
            ("32020a80", .truncated),  // a nested message cut short
            ("32050a030a01ff", .invalidUTF8(field: 1)),  // a transcript that is not UTF-8
            ("32060a040a02c0af", .invalidUTF8(field: 1)),  // an overlong UTF-8 "/"
        ] as [(String, ProtobufWireError)])
    func malformed(input: String, expected: ProtobufWireError) {
        #expect(throws: expected) { try GoogleSpeech.StreamingRecognizeResponse(serializedBytes: bytes(hex: input)) }
        #expect(decodedByReference(bytes(hex: input)) == nil)
    }

    @Test("unknown groups are skipped up to 64 levels deep; deeper input is refused, not recursed into")
    func groupDepth() throws {
        func nested(_ depth: Int) -> [UInt8] {
            Array(repeating: 0x7B, count: depth) + Array(repeating: 0x7C, count: depth) + bytes(hex: "1802")
        }
        // 0x7B / 0x7C: start and end of group 15.
        let allowed = try GoogleSpeech.StreamingRecognizeResponse(serializedBytes: nested(64))
        #expect(allowed.speechEventType == .speechActivityBegin)
        #expect(decodedByReference(nested(64)) == allowed)
        #expect(throws: ProtobufWireError.unbalancedGroup) {
            try GoogleSpeech.StreamingRecognizeResponse(serializedBytes: nested(65))
        }
        #expect(throws: ProtobufWireError.self) {
            try GoogleSpeech.StreamingRecognizeResponse(serializedBytes: Array(repeating: 0x7B, count: 100_000))
        }
    }

    @Test("a known field number with another wire type is skipped as unknown, as protobuf parsers do")
    func wrongWireType() throws {
        // results (6) as a varint, speech_event_type (3) as a string, then a real event.
        let input = bytes(hex: "3001" + "1a0141" + "1803")
        let decoded = try GoogleSpeech.StreamingRecognizeResponse(serializedBytes: input)
        #expect(decoded.results.isEmpty)
        #expect(decoded.speechEventType == .speechActivityEnd)
        #expect(decodedByReference(input) == decoded)
    }

    @Test("a field that occurs twice: the last scalar wins, messages merge, repeated fields append")
    func repeatedOccurrences() throws {
        var first = Google_Cloud_Speech_V2_StreamingRecognizeResponse()
        first.speechEventType = .speechActivityBegin
        first.speechEventOffset.seconds = 5
        first.results = [.with { $0.languageCode = "en-us" }]
        var second = Google_Cloud_Speech_V2_StreamingRecognizeResponse()
        second.speechEventType = .speechActivityEnd
        second.speechEventOffset.nanos = 7
        second.results = [.with { $0.isFinal = true }]
        let input: [UInt8] = try first.serializedBytes() + (try second.serializedBytes() as [UInt8])
        let decoded = try GoogleSpeech.StreamingRecognizeResponse(serializedBytes: input)
        #expect(decoded.speechEventType == .speechActivityEnd)
        #expect(decoded.speechEventOffset == GoogleSpeech.Duration(seconds: 5, nanos: 7))
        #expect(decoded.results.map(\.languageCode) == ["en-us", ""])
        #expect(decodedByReference(input) == decoded)
    }

    @Test("an empty message decodes to every default")
    func empty() throws {
        #expect(try GoogleSpeech.StreamingRecognizeResponse(serializedBytes: []) == .init())
    }
}
