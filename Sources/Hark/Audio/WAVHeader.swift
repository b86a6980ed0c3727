/// Bytes read in order from a file, a pipe or (in tests) memory, for parsing headers.
package protocol SequentialByteInput {
    /// Up to `count` bytes; fewer only at the end of the input, empty after it.
    mutating func read(upTo count: Int) throws(AudioSourceError) -> [UInt8]
}

/// The header of a RIFF/WAVE file: where the PCM data starts and how it is encoded.
///
/// Reads PCM (format tag 1) 16/24/32-bit, IEEE float (tag 3) 32-bit and WAVE_FORMAT_EXTENSIBLE
/// (0xFFFE) with a PCM or float sub-format, at any rate and channel count. Chunks other than
/// `fmt ` and `data` (LIST, fact, bext, …) are skipped, with the pad byte after odd-sized ones.
/// A `data` size of 0, 0xFFFFFFFF (`ffmpeg -f wav -`) or 0x7FFFEFFF (`sox … -t wav -`) is what
/// streaming writers put before they know the length: the audio then runs to the end of the input.
package struct WAVHeader: Sendable, Equatable {
    package var format: AudioFormat
    /// Bytes of audio the header announces; nil when the writer did not know (streamed WAV).
    package var dataByteCount: Int?
    /// Bytes of the file before the first audio byte.
    package var dataOffset: Int

    package init(format: AudioFormat, dataByteCount: Int?, dataOffset: Int) {
        self.format = format
        self.dataByteCount = dataByteCount
        self.dataOffset = dataOffset
    }

    /// True when `bytes` (the first 4 or more of an input) begin a RIFF file.
    package static func looksLikeRIFF(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 4 && Array(bytes.prefix(4)) == Array("RIFF".utf8)
    }

    /// Reads the header from the start of `input`, leaving it at the first audio byte.
    /// - Parameter name: the input's name, for messages.
    /// - Throws: `AudioSourceError.unsupportedFormat` naming what was found, or `.empty` for an
    ///   input with no bytes at all.
    package static func read(from input: inout some SequentialByteInput, name: String) throws(AudioSourceError)
        -> WAVHeader
    {
        var reader = HeaderReader(name: name)
        let riff = try input.read(upTo: 12)
        if riff.isEmpty { throw .empty(name: name) }
        guard looksLikeRIFF(riff) else {
            throw .unsupportedFormat(name: name, detail: "it does not start with a RIFF header (not a WAV file)")
        }
        guard riff.count == 12 else { throw reader.cutOff(at: riff.count) }
        guard Array(riff[8..<12]) == Array("WAVE".utf8) else {
            throw .unsupportedFormat(
                name: name, detail: "it is a RIFF file of type '\(fourCC(riff[8..<12]))', not WAVE audio")
        }
        reader.offset = 12
        var format: AudioFormat?
        while true {
            let chunkHeader = try input.read(upTo: 8)
            if chunkHeader.count < 8 {
                if format == nil {
                    throw .unsupportedFormat(name: name, detail: "the WAV file has no 'fmt ' chunk")
                }
                throw .unsupportedFormat(name: name, detail: "the WAV file has no 'data' chunk")
            }
            reader.offset += 8
            let id = fourCC(chunkHeader[0..<4])
            let size = Int(littleEndianUInt32(chunkHeader, at: 4))
            switch id {
            case "fmt ":
                guard size >= 16, size <= 1024 else {
                    throw .unsupportedFormat(
                        name: name, detail: "its 'fmt ' chunk has an invalid size of \(size) bytes")
                }
                let body = try reader.exactly(size + (size & 1), from: &input)
                format = try parseFormat(Array(body.prefix(size)), name: name)
            case "data":
                guard let format else {
                    throw .unsupportedFormat(name: name, detail: "its 'data' chunk comes before the 'fmt ' chunk")
                }
                // Streaming writers cannot seek back to fill in the size: ffmpeg writes 0xFFFFFFFF,
                // others 0, and sox 0x7FFFEFFF (measured: `sox -n -t wav - synth 1 sine 440`).
                // Any size that close to 2 GiB is read as "to the end" rather than as a truncation.
                let streamed = size == 0 || size >= 0x7FFF_0000
                return WAVHeader(format: format, dataByteCount: streamed ? nil : size, dataOffset: reader.offset)
            default:
                try reader.skip(size + (size & 1), from: &input)
            }
        }
    }

    /// The `fmt ` chunk body to an `AudioFormat`, or the reason hark cannot read it.
    static func parseFormat(_ body: [UInt8], name: String) throws(AudioSourceError) -> AudioFormat {
        var tag = littleEndianUInt16(body, at: 0)
        let channels = Int(littleEndianUInt16(body, at: 2))
        let sampleRate = Int(littleEndianUInt32(body, at: 4))
        let bitsPerSample = Int(littleEndianUInt16(body, at: 14))
        if tag == 0xFFFE {
            // WAVE_FORMAT_EXTENSIBLE: cbSize(2) validBits(2) channelMask(4) then the sub-format GUID,
            // whose first two bytes are the real format tag and the rest the fixed KSDATAFORMAT suffix.
            guard body.count >= 40 else {
                throw .unsupportedFormat(name: name, detail: "its WAVE_FORMAT_EXTENSIBLE 'fmt ' chunk is too short")
            }
            guard Array(body[26..<40]) == extensibleGUIDSuffix else {
                throw .unsupportedFormat(
                    name: name, detail: "its WAVE_FORMAT_EXTENSIBLE sub-format is not PCM or float" + convertHint(name))
            }
            tag = littleEndianUInt16(body, at: 24)
        }
        guard channels > 0 else { throw .unsupportedFormat(name: name, detail: "its header says 0 channels") }
        guard sampleRate > 0 else { throw .unsupportedFormat(name: name, detail: "its header says a rate of 0 Hz") }
        let sampleFormat: SampleFormat
        switch (tag, bitsPerSample) {
        case (1, 16): sampleFormat = .s16le
        case (1, 24): sampleFormat = .s24le
        case (1, 32): sampleFormat = .s32le
        case (3, 32): sampleFormat = .f32le
        case (1, _):
            throw .unsupportedFormat(
                name: name,
                detail: "\(bitsPerSample)-bit PCM is not supported (16, 24 or 32 bits are)" + convertHint(name))
        case (3, _):
            throw .unsupportedFormat(
                name: name, detail: "\(bitsPerSample)-bit float is not supported (32-bit float is)" + convertHint(name))
        default:
            let hex = String(tag, radix: 16, uppercase: true)
            let padded = String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            let known = compressedFormatNames[tag].map { " (\($0))" } ?? ""
            throw .unsupportedFormat(
                name: name, detail: "WAV format tag 0x\(padded)\(known) is compressed" + convertHint(name))
        }
        return AudioFormat(sampleRate: sampleRate, channels: channels, sampleFormat: sampleFormat)
    }

    /// "; convert it with: ffmpeg …", naming the real file when that is safe to paste into a shell.
    private static func convertHint(_ name: String) -> String {
        let safe =
            !name.isEmpty
            && name.unicodeScalars.allSatisfy { scalar in
                scalar.properties.isAlphabetic || scalar.properties.numericType != nil
                    || "._-/+".unicodeScalars.contains(scalar)
            }
        let input = safe && name != "-" ? name : "in.wav"
        return "; convert it with: ffmpeg -i \(input) -c:a pcm_s16le out.wav"
    }

    /// Bytes 2–15 of KSDATAFORMAT_SUBTYPE_PCM and _IEEE_FLOAT: 0000-0010-8000-00AA00389B71.
    private static let extensibleGUIDSuffix: [UInt8] = [
        0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
    ]

    /// Names of the format tags people actually meet, for the error message.
    private static let compressedFormatNames: [UInt16: String] = [
        0x0002: "Microsoft ADPCM", 0x0006: "A-law", 0x0007: "µ-law", 0x0011: "IMA ADPCM", 0x0031: "GSM 6.10",
        0x0050: "MPEG", 0x0055: "MPEG Layer 3", 0x0161: "Windows Media Audio", 0x1610: "AAC", 0x704F: "Opus",
        0xF1AC: "FLAC",
    ]
}

/// Tracks the offset while reading header chunks, and phrases a cut-off header.
private struct HeaderReader {
    let name: String
    var offset = 0

    func cutOff(at count: Int) -> AudioSourceError {
        .unsupportedFormat(name: name, detail: "its WAV header is cut off after \(offset + count) bytes")
    }

    mutating func exactly(_ count: Int, from input: inout some SequentialByteInput) throws(AudioSourceError)
        -> [UInt8]
    {
        let bytes = try input.read(upTo: count)
        guard bytes.count == count else { throw cutOff(at: bytes.count) }
        offset += count
        return bytes
    }

    /// Skips a chunk body in pieces, so a large embedded chunk (cover art, bext) is never held whole.
    mutating func skip(_ count: Int, from input: inout some SequentialByteInput) throws(AudioSourceError) {
        var left = count
        while left > 0 {
            let piece = try input.read(upTo: min(left, 65536))
            if piece.isEmpty { throw cutOff(at: count - left) }
            left -= piece.count
        }
        offset += count
    }
}

private func fourCC(_ bytes: ArraySlice<UInt8>) -> String {
    String(decoding: bytes.map { (0x20...0x7E).contains($0) ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
}

private func littleEndianUInt16(_ bytes: [UInt8], at index: Int) -> UInt16 {
    UInt16(bytes[index]) | UInt16(bytes[index + 1]) << 8
}

private func littleEndianUInt32(_ bytes: [UInt8], at index: Int) -> UInt32 {
    UInt32(bytes[index]) | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2]) << 16
        | UInt32(bytes[index + 3]) << 24
}
