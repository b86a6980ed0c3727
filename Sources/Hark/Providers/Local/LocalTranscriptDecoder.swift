import FoundationEssentials

/// Turns the local recognizer link's JSON (`LocalRecognizerMessage`) into transcript events:
/// partials become `.interim`, finals `.final`, with PocketSphinx's fillers (`<s>`, `</s>`,
/// `<sil>`, `[NOISE]`, `+NSN+`) dropped and alternate-pronunciation suffixes (`read(2)`) removed.
package struct LocalTranscriptDecoder: TranscriptDecoder {
    package private(set) var isFinished = false

    package init() {}

    package mutating func decode(_ message: WireMessage) throws -> [TranscriptEvent] {
        guard case .text(let text) = message else {
            throw ProviderError.protocolError(
                provider: LocalAdapter.descriptor.displayName, hint: "the local recognizer sent binary data")
        }
        let decoded: LocalRecognizerMessage
        do {
            decoded = try JSONDecoder().decode(LocalRecognizerMessage.self, from: Data(text.utf8))
        } catch {
            throw ProviderError.protocolError(
                provider: LocalAdapter.descriptor.displayName, hint: "the local recognizer sent \(text)")
        }
        switch decoded.type {
        case .speechStarted:
            return [.speechStarted(at: decoded.at ?? 0)]
        case .partial:
            return Self.segment(decoded.words ?? []).map { [.interim($0)] } ?? []
        case .final:
            return Self.segment(decoded.words ?? []).map { [.final($0)] } ?? []
        case .utteranceEnd:
            return [.utteranceEnd(at: decoded.at ?? 0)]
        case .finished:
            isFinished = true
            return []
        }
    }

    /// A segment of the words that are words; nil when only fillers remain.
    static func segment(_ words: [LocalRecognizerWord]) -> TranscriptSegment? {
        let spoken = words.compactMap { word -> TranscriptWord? in
            guard let text = spokenText(word.word) else { return nil }
            return TranscriptWord(text: text, start: word.start, end: word.end)
        }
        guard let first = spoken.first, let last = spoken.last else { return nil }
        return TranscriptSegment(
            text: spoken.map(\.text).joined(separator: " "), start: first.start, end: last.end, words: spoken)
    }

    /// The word as a person would write it, or nil for a filler: `<s>`, `</s>`, `<sil>`, `[NOISE]`,
    /// `[SPEECH]`, `+NSN+`, `++GARBAGE++`.
    ///
    /// `read(2)` becomes `read`.
    static func spokenText(_ entry: String) -> String? {
        var word = Substring(entry)
        if word.last == ")", let open = word.lastIndex(of: "("),
            word[word.index(after: open)..<word.index(before: word.endIndex)].allSatisfy(\.isNumber)
        {
            word = word[..<open]
        }
        guard let first = word.first, let last = word.last else { return nil }
        if (first == "<" && last == ">") || (first == "[" && last == "]") || (first == "+" && last == "+") {
            return nil
        }
        return String(word)
    }
}
