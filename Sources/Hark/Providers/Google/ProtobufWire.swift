/// The protobuf binary wire format (proto3), as much of it as hark's Google messages need.
///
/// Hand-written because SwiftProtobuf imports all of Foundation and ICU (about 89 MB more binary
/// and 10 MB more resident memory for every run, whatever the provider), while Google's streaming
/// messages are few and small. The tests hold this codec to the generated SwiftProtobuf types,
/// byte for byte when encoding and field for field when decoding.

/// Why bytes are not a protobuf message.
///
/// Responses come from the network, so every malformation is thrown, never trapped, and no
/// length is trusted beyond the bytes at hand.
package enum ProtobufWireError: Error, Equatable, CustomStringConvertible {
    /// The input ends inside a field: a cut-off varint, a length past the end, a short fixed field.
    case truncated
    /// A varint longer than ten bytes, or a tag longer than five.
    case overlongVarint
    /// A tag with field number 0, a number above 2^29 - 1, or wire type 6 or 7.
    case invalidTag(UInt64)
    /// An end-group tag without its start group, or groups nested deeper than hark follows.
    case unbalancedGroup
    /// A string field whose bytes are not UTF-8.
    case invalidUTF8(field: Int)

    package var description: String {
        switch self {
        case .truncated: "the message ends inside a field"
        case .overlongVarint: "a varint longer than protobuf allows"
        case .invalidTag(let tag): "an invalid field tag \(tag)"
        case .unbalancedGroup: "an unbalanced or too deeply nested group"
        case .invalidUTF8(let field): "field \(field) is a string that is not UTF-8"
        }
    }
}

/// How a field's value is laid out on the wire (the low three bits of its tag).
package enum ProtobufWireType: UInt8, Sendable {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case startGroup = 3
    case endGroup = 4
    case fixed32 = 5
}

/// A field's tag: its number in the `.proto` and its wire type.
package struct ProtobufField: Sendable, Equatable {
    package var number: Int
    package var wireType: ProtobufWireType
}

/// A message that serializes itself in field-number order, leaving out proto3 defaults — the
/// order and omissions of Google's and SwiftProtobuf's serializers, so bytes compare equal.
package protocol ProtobufEncodable {
    func encode(to writer: inout ProtobufWriter)
}

extension ProtobufEncodable {
    /// The message's wire bytes.
    package var serializedBytes: [UInt8] {
        var writer = ProtobufWriter()
        encode(to: &writer)
        return writer.bytes
    }
}

/// A message that reads its known fields and skips every other one.
package protocol ProtobufDecodable {
    init()
    /// Reads the value of `field` (its tag already read) into `self`, or skips it when the number
    /// is unknown or the wire type is not the one the field is declared with (as protobuf does).
    mutating func merge(_ field: ProtobufField, from reader: inout ProtobufReader) throws(ProtobufWireError)
}

extension ProtobufDecodable {
    /// Decodes a whole message.
    package init(serializedBytes bytes: [UInt8]) throws(ProtobufWireError) {
        self.init()
        try merge(serializedBytes: bytes[...])
    }

    /// Merges a message's fields into `self`: scalars overwrite, repeated fields append, and
    /// singular messages merge, as protobuf parsers do with a field that occurs twice.
    package mutating func merge(serializedBytes bytes: ArraySlice<UInt8>) throws(ProtobufWireError) {
        var reader = ProtobufReader(bytes)
        while let field = try reader.nextField() {
            try merge(field, from: &reader)
        }
    }
}

/// Appends protobuf fields to a byte buffer.
package struct ProtobufWriter {
    package private(set) var bytes: [UInt8] = []

    package init() {}

    package mutating func writeVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    package mutating func writeTag(_ number: Int, _ wireType: ProtobufWireType) {
        writeVarint(UInt64(number) << 3 | UInt64(wireType.rawValue))
    }

    /// A bool field; false is the default and is left out.
    package mutating func writeBool(_ number: Int, _ value: Bool) {
        guard value else { return }
        writeTag(number, .varint)
        writeVarint(1)
    }

    /// An int32 or enum field; 0 is left out, and a negative value takes ten bytes (sign-extended
    /// to 64 bits, as the format requires for int32).
    package mutating func writeInt32(_ number: Int, _ value: Int32) {
        writeInt64(number, Int64(value))
    }

    /// An int64 field; 0 is left out.
    package mutating func writeInt64(_ number: Int, _ value: Int64) {
        guard value != 0 else { return }
        writeTag(number, .varint)
        writeVarint(UInt64(bitPattern: value))
    }

    /// A string field; the empty string is left out.
    package mutating func writeString(_ number: Int, _ value: String) {
        guard !value.isEmpty else { return }
        writeLengthDelimited(number, value.utf8)
    }

    /// A length-delimited field written even when empty (a set oneof member, a present message).
    package mutating func writeLengthDelimited(_ number: Int, _ value: some Collection<UInt8>) {
        writeTag(number, .lengthDelimited)
        writeVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// A message field; nil is left out, a present message is written even when it is empty.
    package mutating func writeMessage(_ number: Int, _ message: (some ProtobufEncodable)?) {
        guard let message else { return }
        writeLengthDelimited(number, message.serializedBytes)
    }
}

/// Reads protobuf fields from bytes, never past their end.
package struct ProtobufReader {
    /// How deep unknown groups may nest before the input counts as malformed (SwiftProtobuf
    /// stops at 100 levels of messages; nothing Google sends uses groups at all).
    package static let maxGroupDepth = 64

    private let bytes: ArraySlice<UInt8>
    private var position: Int

    package init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        position = bytes.startIndex
    }

    /// Bytes not read yet.
    package var remainingCount: Int { bytes.endIndex - position }

    /// The next field's tag, or nil at the end of the input.
    /// - Throws: `.unbalancedGroup` for an end-group tag, which only a group may contain.
    package mutating func nextField() throws(ProtobufWireError) -> ProtobufField? {
        guard let field = try nextTag() else { return nil }
        guard field.wireType != .endGroup else { throw .unbalancedGroup }
        return field
    }

    /// A varint of at most ten bytes.
    ///
    /// Bits beyond 64 in the tenth byte are dropped, as every protobuf parser does.
    package mutating func readVarint() throws(ProtobufWireError) -> UInt64 {
        try readVarint(maxBytes: 10)
    }

    package mutating func readBool() throws(ProtobufWireError) -> Bool {
        try readVarint() != 0
    }

    /// An int32 or enum: the low 32 bits of the varint.
    package mutating func readInt32() throws(ProtobufWireError) -> Int32 {
        Int32(truncatingIfNeeded: try readVarint())
    }

    package mutating func readInt64() throws(ProtobufWireError) -> Int64 {
        Int64(bitPattern: try readVarint())
    }

    package mutating func readFixed32() throws(ProtobufWireError) -> UInt32 {
        guard bytes.endIndex - position >= 4 else { throw .truncated }
        var value: UInt32 = 0
        for offset in 0..<4 { value |= UInt32(bytes[position + offset]) << (8 * offset) }
        position += 4
        return value
    }

    package mutating func readFixed64() throws(ProtobufWireError) -> UInt64 {
        guard bytes.endIndex - position >= 8 else { throw .truncated }
        var value: UInt64 = 0
        for offset in 0..<8 { value |= UInt64(bytes[position + offset]) << (8 * offset) }
        position += 8
        return value
    }

    package mutating func readFloat() throws(ProtobufWireError) -> Float {
        Float(bitPattern: try readFixed32())
    }

    /// A length-delimited value's bytes (a view into the input, not a copy).
    package mutating func readLengthDelimited() throws(ProtobufWireError) -> ArraySlice<UInt8> {
        let length = try readVarint()
        guard length <= UInt64(bytes.endIndex - position) else { throw .truncated }
        let end = position + Int(length)
        defer { position = end }
        return bytes[position..<end]
    }

    /// A string field's value.
    /// - Throws: `.invalidUTF8` naming the field when the bytes are not UTF-8.
    package mutating func readString(field number: Int) throws(ProtobufWireError) -> String {
        let value = try readLengthDelimited()
        guard let text = String(validating: value, as: UTF8.self) else { throw .invalidUTF8(field: number) }
        return text
    }

    /// A message field's value merged into `existing` (or into an empty message).
    package mutating func readMessage<Message: ProtobufDecodable>(merging existing: Message?)
        throws(ProtobufWireError) -> Message
    {
        var message = existing ?? Message()
        try message.merge(serializedBytes: try readLengthDelimited())
        return message
    }

    /// Skips a field's value, whatever its wire type; groups are skipped to their end tag.
    package mutating func skip(_ field: ProtobufField) throws(ProtobufWireError) {
        try skip(field, depth: 0)
    }

    private mutating func skip(_ field: ProtobufField, depth: Int) throws(ProtobufWireError) {
        switch field.wireType {
        case .varint: _ = try readVarint()
        case .fixed64: _ = try readFixed64()
        case .fixed32: _ = try readFixed32()
        case .lengthDelimited: _ = try readLengthDelimited()
        case .endGroup: throw .unbalancedGroup
        case .startGroup:
            guard depth < Self.maxGroupDepth else { throw .unbalancedGroup }
            while true {
                guard let inner = try nextTag() else { throw .truncated }
                if inner.wireType == .endGroup {
                    guard inner.number == field.number else { throw .unbalancedGroup }
                    return
                }
                try skip(inner, depth: depth + 1)
            }
        }
    }

    /// The next tag, end-group tags included.
    private mutating func nextTag() throws(ProtobufWireError) -> ProtobufField? {
        guard position < bytes.endIndex else { return nil }
        // A tag is a varint of at most five bytes holding a 32-bit value.
        let tag = try readVarint(maxBytes: 5)
        guard tag <= UInt64(UInt32.max), let wireType = ProtobufWireType(rawValue: UInt8(tag & 7)), tag >> 3 != 0
        else { throw .invalidTag(tag) }
        return ProtobufField(number: Int(tag >> 3), wireType: wireType)
    }

    private mutating func readVarint(maxBytes: Int) throws(ProtobufWireError) -> UInt64 {
        var value: UInt64 = 0
        for index in 0..<maxBytes {
            guard position < bytes.endIndex else { throw .truncated }
            let byte = bytes[position]
            position += 1
            value |= UInt64(byte & 0x7F) << (7 * UInt64(index))
            if byte < 0x80 { return value }
        }
        throw .overlongVarint
    }
}
