/// Word error rate: word-level edit distance (substitutions, insertions, deletions) divided by the
/// number of reference words, after lower-casing and dropping punctuation.
package struct WordErrorRate: Sendable, Equatable, CustomStringConvertible {
    /// Word edits that turn the reference into the hypothesis.
    package var errors: Int
    /// Words in the reference.
    package var referenceWords: Int

    package init(errors: Int = 0, referenceWords: Int = 0) {
        self.errors = errors
        self.referenceWords = referenceWords
    }

    /// Compares one reference with one hypothesis.
    package init(reference: String, hypothesis: String) {
        let reference = Self.words(reference)
        let hypothesis = Self.words(hypothesis)
        self.init(errors: Self.editDistance(reference, hypothesis), referenceWords: reference.count)
    }

    /// The rate, 0 for a perfect transcript; may exceed 1 with many insertions.
    package var rate: Double { referenceWords == 0 ? (errors == 0 ? 0 : 1) : Double(errors) / Double(referenceWords) }

    /// Pools two measurements, as a corpus WER does (not an average of rates).
    package static func + (lhs: WordErrorRate, rhs: WordErrorRate) -> WordErrorRate {
        WordErrorRate(errors: lhs.errors + rhs.errors, referenceWords: lhs.referenceWords + rhs.referenceWords)
    }

    package var description: String {
        let percent = (rate * 1000).rounded() / 10
        return "WER \(percent)% (\(errors) errors / \(referenceWords) words)"
    }

    /// Lower-case words with punctuation other than apostrophes removed.
    package static func words(_ text: String) -> [String] {
        let cleaned = text.lowercased().map { $0.isLetter || $0.isNumber || $0 == "'" ? $0 : " " }
        return String(cleaned).split(separator: " ").map(String.init)
    }

    private static func editDistance(_ reference: [String], _ hypothesis: [String]) -> Int {
        var previous = Array(0...hypothesis.count)
        for (i, referenceWord) in reference.enumerated() {
            var current = [i + 1] + [Int](repeating: 0, count: hypothesis.count)
            for (j, hypothesisWord) in hypothesis.enumerated() {
                let substitution = previous[j] + (referenceWord == hypothesisWord ? 0 : 1)
                current[j + 1] = min(substitution, previous[j + 1] + 1, current[j] + 1)
            }
            previous = current
        }
        return previous[hypothesis.count]
    }
}
