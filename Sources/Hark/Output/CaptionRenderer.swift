/// Which caption file format `CaptionRenderer` writes.
package enum CaptionFormat: String, Sendable, CaseIterable {
    /// SubRip: numbered cues, `HH:MM:SS,mmm --> HH:MM:SS,mmm`.
    case srt
    /// WebVTT: a `WEBVTT` header, `HH:MM:SS.mmm --> HH:MM:SS.mmm`, `<v S1>` for speakers.
    case vtt
}

/// Captions (`--format srt|vtt`) built from final results, written cue by cue as each final
/// arrives, so an `-o` file fills while hark runs.
///
/// A cue holds at most two lines of `maxLineLength` characters (42, the common broadcast
/// limit), broken at word boundaries into lines of similar length, and lasts at most
/// `maxCueDuration` seconds (6); once a cue holds more than a line, a new sentence starts a new
/// cue. Word times split a long final where the words were spoken;
/// without them, times are shared out by character count. Cues never overlap (a cue starts no
/// earlier than the previous one ended) and always last at least 100 ms.
package struct CaptionRenderer: TranscriptRenderer {
    /// One cue, times in milliseconds.
    package struct Cue: Sendable, Equatable {
        package var start: Int
        package var end: Int
        package var lines: [String]
        package var speaker: Int?
    }

    private let sink: any TextSink
    private let format: CaptionFormat
    private let maxLineLength: Int
    private let maxCueMilliseconds: Int
    private var cueCount = 0
    private var lastEnd = 0
    private var headerWritten = false

    package init(
        sink: any TextSink, format: CaptionFormat, maxLineLength: Int = 42, maxCueDuration: Double = 6
    ) {
        self.sink = sink
        self.format = format
        self.maxLineLength = max(8, maxLineLength)
        self.maxCueMilliseconds = max(500, TranscriptLineFormat.milliseconds(maxCueDuration))
    }

    package mutating func render(_ event: TranscriptEvent) throws {
        guard case .final(let segment) = event else { return }
        var output = ""
        if !headerWritten && format == .vtt { output += "WEBVTT\n\n" }
        for var cue in cues(for: segment) {
            cue.start = max(cue.start, lastEnd)
            cue.end = max(cue.end, cue.start + 100)
            lastEnd = cue.end
            cueCount += 1
            output += text(of: cue, number: cueCount)
        }
        guard cueCount > 0, !output.isEmpty else { return }
        headerWritten = true
        try sink.write(output)
    }

    /// Writes the WebVTT header when no cue came, so even an empty run leaves a valid file.
    package mutating func finish() throws {
        guard format == .vtt, !headerWritten else { return }
        headerWritten = true
        try sink.write("WEBVTT\n\n")
    }

    /// The cues for one final, before they are placed after the previous cue.
    package func cues(for segment: TranscriptSegment) -> [Cue] {
        let tokens = Self.timedTokens(segment)
        guard !tokens.isEmpty else { return [] }
        let label = segment.speaker.map { format == .srt ? "[\(TranscriptLineFormat.speakerLabel($0))] " : "" } ?? ""
        var cues: [Cue] = []
        var current: [TimedToken] = []
        func close() {
            guard let first = current.first, let last = current.last else { return }
            let lines =
                layout(current.map(\.text), firstLinePrefix: label) ?? [current.map(\.text).joined(separator: " ")]
            cues.append(Cue(start: first.start, end: last.end, lines: lines, speaker: segment.speaker))
            current = []
        }
        for token in tokens {
            if let first = current.first, let last = current.last {
                let fits = layout((current + [token]).map(\.text), firstLinePrefix: label) != nil
                // A new sentence starts a new cue once the cue holds a line's worth: captions
                // read better when a cue does not end a sentence and begin the next.
                let sentenceEnds = last.text.last.map { ".?!".contains($0) } ?? false
                let lineFull = current.reduce(label.count) { $0 + $1.text.count + 1 } > maxLineLength
                if !fits || token.end - first.start > maxCueMilliseconds || (sentenceEnds && lineFull) { close() }
            }
            current.append(token)
        }
        close()
        return cues
    }

    /// The words on at most two lines of `maxLineLength`, or nil when they do not fit.
    ///
    /// Two lines are split where they come out most even. A single word longer than a line
    /// gets a line of its own.
    private func layout(_ words: [String], firstLinePrefix: String) -> [String]? {
        let one = firstLinePrefix + words.joined(separator: " ")
        if one.count <= maxLineLength || words.count == 1 { return [one] }
        var best: (lines: [String], longest: Int)?
        for split in 1..<words.count {
            let first = firstLinePrefix + words[..<split].joined(separator: " ")
            let second = words[split...].joined(separator: " ")
            guard first.count <= maxLineLength, second.count <= maxLineLength else { continue }
            let longest = max(first.count, second.count)
            if best == nil || longest < (best?.longest ?? .max) { best = ([first, second], longest) }
        }
        return best?.lines
    }

    private func text(of cue: Cue, number: Int) -> String {
        switch format {
        case .srt:
            let start = TranscriptLineFormat.clockTime(milliseconds: cue.start, fractionSeparator: ",")
            let end = TranscriptLineFormat.clockTime(milliseconds: cue.end, fractionSeparator: ",")
            return "\(number)\n\(start) --> \(end)\n" + cue.lines.joined(separator: "\n") + "\n\n"
        case .vtt:
            let start = TranscriptLineFormat.clockTime(milliseconds: cue.start, fractionSeparator: ".")
            let end = TranscriptLineFormat.clockTime(milliseconds: cue.end, fractionSeparator: ".")
            var lines = cue.lines.map(Self.escapedForVTT)
            if let speaker = cue.speaker, !lines.isEmpty {
                lines[0] = "<v \(TranscriptLineFormat.speakerLabel(speaker))>" + lines[0]
            }
            return "\(start) --> \(end)\n" + lines.joined(separator: "\n") + "\n\n"
        }
    }

    /// WebVTT cue text treats `&` and `<` as markup, and `-->` would end the cue.
    private static func escapedForVTT(_ text: String) -> String {
        guard text.contains(where: { $0 == "&" || $0 == "<" || $0 == ">" }) else { return text }
        var output = ""
        for character in text {
            switch character {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            default: output.append(character)
            }
        }
        return output
    }

    /// A word with its times in milliseconds.
    private struct TimedToken {
        var text: String
        var start: Int
        var end: Int
    }

    /// The final's words with times: the text's own (punctuated) words with the provider's
    /// word times when they match one to one, the provider's words when they do not, or the
    /// text's words with the segment's time shared out by character count when there are none.
    private static func timedTokens(_ segment: TranscriptSegment) -> [TimedToken] {
        let textWords = TranscriptLineFormat.singleLine(segment.text).split(whereSeparator: \.isWhitespace).map(
            String.init)
        let ms = TranscriptLineFormat.milliseconds
        if !segment.words.isEmpty {
            let useTextWords = textWords.count == segment.words.count
            return segment.words.enumerated().compactMap { index, word in
                let text = useTextWords ? textWords[index] : TranscriptLineFormat.singleLine(word.text)
                guard !text.allSatisfy(\.isWhitespace) else { return nil }
                return TimedToken(text: text, start: ms(word.start), end: max(ms(word.start), ms(word.end)))
            }
        }
        guard !textWords.isEmpty else { return [] }
        let start = ms(segment.start)
        let end = max(start, ms(segment.end))
        let totalCharacters = textWords.reduce(textWords.count - 1) { $0 + $1.count }
        var offset = 0
        return textWords.map { word in
            let wordStart = start + (end - start) * offset / max(1, totalCharacters)
            offset += word.count
            let wordEnd = start + (end - start) * offset / max(1, totalCharacters)
            offset += 1
            return TimedToken(text: word, start: wordStart, end: wordEnd)
        }
    }
}
