import Foundation

/// Builds WAV files byte by byte, so each test states exactly the header it is about, and writes
/// them to temporary files for tests that run sources or the `hark` binary.
package enum WAVFixture {
    package static func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }
    package static func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8((value >> (8 * $0)) & 0xFF) } }

    /// A chunk with its id, size and the pad byte an odd size needs.
    package static func chunk(_ id: String, _ body: [UInt8], sizeField: UInt32? = nil) -> [UInt8] {
        Array(id.utf8) + le32(sizeField ?? UInt32(body.count)) + body + (body.count % 2 == 1 ? [0] : [])
    }

    /// A `fmt ` chunk body; `subFormat` makes it WAVE_FORMAT_EXTENSIBLE with that sub-format tag.
    package static func fmtBody(tag: UInt16, channels: Int, rate: Int, bits: Int, subFormat: UInt16? = nil) -> [UInt8] {
        let blockAlign = channels * bits / 8
        var body =
            le16(subFormat == nil ? tag : 0xFFFE) + le16(UInt16(channels)) + le32(UInt32(rate))
            + le32(UInt32(rate * blockAlign)) + le16(UInt16(blockAlign)) + le16(UInt16(bits))
        if let subFormat {
            body += le16(22) + le16(UInt16(bits)) + le32(channels == 1 ? 4 : 3)
            body +=
                le16(subFormat) + [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71]
        }
        return body
    }

    /// A whole file: RIFF header, `before` chunks, fmt, `between` chunks, data, `after` chunks.
    package static func wav(
        fmt: [UInt8], data: [UInt8], dataSizeField: UInt32? = nil, before: [[UInt8]] = [], after: [[UInt8]] = []
    ) -> [UInt8] {
        var body = Array("WAVE".utf8)
        for chunk in before { body += chunk }
        body += chunk("fmt ", fmt)
        body += Array("data".utf8) + le32(dataSizeField ?? UInt32(data.count)) + data
        if data.count % 2 == 1 && dataSizeField == nil { body.append(0) }
        for chunk in after { body += chunk }
        return Array("RIFF".utf8) + le32(UInt32(body.count)) + body
    }

    package static func s16(_ values: [Int16]) -> [UInt8] { values.flatMap { le16(UInt16(bitPattern: $0)) } }
    package static func s24(_ values: [Int32]) -> [UInt8] {
        values.flatMap { value -> [UInt8] in
            let bits = UInt32(bitPattern: value)
            return [UInt8(bits & 0xFF), UInt8((bits >> 8) & 0xFF), UInt8((bits >> 16) & 0xFF)]
        }
    }
    package static func s32(_ values: [Int32]) -> [UInt8] { values.flatMap { le32(UInt32(bitPattern: $0)) } }
    package static func f32(_ values: [Float]) -> [UInt8] { values.flatMap { le32($0.bitPattern) } }

    /// Writes `bytes` to a new temporary file and returns its path.
    package static func temporaryFile(_ bytes: [UInt8], name: String = "audio.wav") throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hark-io-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }
}
