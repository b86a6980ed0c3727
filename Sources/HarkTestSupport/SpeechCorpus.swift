package import Foundation

/// A recording of speech with what was said: 16 kHz mono 16-bit samples and a reference text.
package struct SpeechUtterance: Sendable {
    package var name: String
    package var samples: [Int16]
    package var reference: String

    package init(name: String, samples: [Int16], reference: String) {
        self.name = name
        self.samples = samples
        self.reference = reference
    }

    /// Length in seconds at 16 kHz.
    package var duration: Double { Double(samples.count) / 16_000 }
}

/// Speech for recognition tests and benchmarks: real recordings from Debian's
/// `pocketsphinx-testdata` (BSD-2, CMU) and synthetic speech made with espeak-ng.
package enum SpeechCorpus {
    /// Where `pocketsphinx-testdata` installs its recordings.
    package static let testData = URL(fileURLWithPath: "/usr/share/pocketsphinx/test/data")

    /// `goforward.raw`: "go forward ten meters" (the sentence of its `goforward.gram`).
    ///
    /// The package also has `numbers.raw` and `something.raw`, but no transcription for them, so
    /// they are not used for error rates.
    package static func goForward() throws -> SpeechUtterance {
        SpeechUtterance(
            name: "goforward", samples: try raw(testData.appendingPathComponent("goforward.raw")),
            reference: "go forward ten meters")
    }

    /// The five LibriVox utterances (read English prose, a male voice) with their `transcription`.
    package static func librivox() throws -> [SpeechUtterance] {
        try transcribed(folder: testData.appendingPathComponent("librivox"))
    }

    /// The five card-name utterances in `cards/` with their `cards.transcription`.
    package static func cards() throws -> [SpeechUtterance] {
        try transcribed(folder: testData.appendingPathComponent("cards"))
    }

    /// `text` spoken by espeak-ng (`espeak-ng -w`), resampled to 16 kHz with sox.
    ///
    /// The US English voice is used because PocketSphinx's model is US English: with espeak-ng's
    /// default `en` voice it recognises almost nothing.
    package static func espeak(
        _ text: String, name: String = "espeak", voice: String = "en-us", wordsPerMinute: Int = 175
    ) throws -> SpeechUtterance {
        let folder = try PackagePaths.temporaryDirectory("hark-espeak")
        defer { try? FileManager.default.removeItem(at: folder) }
        let spoken = folder.appendingPathComponent("spoken.wav")
        let resampled = folder.appendingPathComponent("speech.raw")
        let speak = try CommandRunner.run(
            "/usr/bin/espeak-ng", ["-v", voice, "-s", String(wordsPerMinute), "-w", spoken.path, text])
        guard speak.status == 0 else { throw SpeechCorpusError.toolFailed("espeak-ng", speak.stderr) }
        let convert = try CommandRunner.run(
            "/usr/bin/sox",
            [
                "-D", spoken.path, "-r", "16000", "-c", "1", "-b", "16", "-e", "signed-integer", "-t", "raw",
                resampled.path,
            ])
        guard convert.status == 0 else { throw SpeechCorpusError.toolFailed("sox", convert.stderr) }
        return SpeechUtterance(name: name, samples: try raw(resampled), reference: text)
    }

    /// Headerless 16-bit little-endian samples.
    package static func raw(_ url: URL) throws -> [Int16] {
        samples(try Data(contentsOf: url))
    }

    /// The samples of a 16-bit PCM WAV file (its `data` chunk).
    package static func wav(_ url: URL) throws -> [Int16] {
        let bytes = [UInt8](try Data(contentsOf: url))
        var offset = 12
        while offset + 8 <= bytes.count {
            let id = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
            let size =
                Int(bytes[offset + 4]) | Int(bytes[offset + 5]) << 8 | Int(bytes[offset + 6]) << 16
                | Int(bytes[offset + 7]) << 24
            if id == "data" {
                let end = min(bytes.count, offset + 8 + size)
                return samples(Data(bytes[(offset + 8)..<end]))
            }
            offset += 8 + size + (size % 2)
        }
        throw SpeechCorpusError.notWAV(url.path)
    }

    /// Lines like `<s> ten of clubs </s> (001)` or `and mister … (name)` beside `NAME.wav`.
    private static func transcribed(folder: URL) throws -> [SpeechUtterance] {
        let listing = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        guard let file = listing.first(where: { $0.hasSuffix("transcription") }) else {
            throw SpeechCorpusError.notWAV(folder.path)
        }
        let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
        return try text.split(separator: "\n").compactMap { line -> SpeechUtterance? in
            guard let open = line.lastIndex(of: "("), let close = line.lastIndex(of: ")") else { return nil }
            let name = String(line[line.index(after: open)..<close])
            let words = line[..<open].split(separator: " ").filter { $0 != "<s>" && $0 != "</s>" }
            let samples = try wav(folder.appendingPathComponent("\(name).wav"))
            return SpeechUtterance(name: name, samples: samples, reference: words.joined(separator: " "))
        }
    }

    private static func samples(_ data: Data) -> [Int16] {
        let bytes = [UInt8](data)
        return (0..<bytes.count / 2).map { Int16(bitPattern: UInt16(bytes[2 * $0]) | UInt16(bytes[2 * $0 + 1]) << 8) }
    }
}

/// Why test speech could not be made or read.
package enum SpeechCorpusError: Error, CustomStringConvertible {
    case toolFailed(String, String)
    case notWAV(String)

    package var description: String {
        switch self {
        case .toolFailed(let tool, let stderr): "\(tool) failed: \(stderr)"
        case .notWAV(let path): "\(path) has no 16-bit PCM data chunk or transcription"
        }
    }
}
