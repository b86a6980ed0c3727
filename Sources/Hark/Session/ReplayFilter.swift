/// Keeps a replay from printing words twice.
///
/// After a reconnect, hark sends again every chunk the provider had not finalized, and the
/// provider may finalize some of the same words again: a final that ends within what was
/// already printed is dropped, and one that overlaps it keeps only the words that end after it.
///
/// A pure value on the input timeline; one per run, across its connections.
package struct ReplayFilter: Sendable, Equatable {
    /// What to do with a final.
    package enum Verdict: Sendable, Equatable {
        /// Emit this (possibly trimmed) final and acknowledge the audio through its end.
        case emit(TranscriptSegment)
        /// Nothing to print, but the audio through `end` is final all the same.
        case acknowledgeOnly(end: Double)
        /// Everything in it was printed already: drop it (its audio was acknowledged then).
        case repeated
    }

    /// Times closer than this are the same instant (providers round to milliseconds).
    static let tolerance = 0.005

    /// Where the last final printed ends on the input timeline; -1 before the first.
    package private(set) var lastFinalEnd: Double = -1

    package init() {}

    /// The verdict on `segment` (already on the input timeline), recording the end of what it
    /// lets through.
    ///
    /// `replaying` is true on every connection after the first.
    package mutating func admit(_ segment: TranscriptSegment, replaying: Bool) -> Verdict {
        var segment = segment
        if replaying, segment.start < lastFinalEnd - Self.tolerance {
            if segment.end <= lastFinalEnd + Self.tolerance { return .repeated }
            if !segment.words.isEmpty {
                segment.words = segment.words.filter { $0.end > lastFinalEnd + Self.tolerance }
                guard let first = segment.words.first else { return .repeated }
                segment.text = segment.words.map(\.text).joined(separator: " ")
                segment.start = first.start
            }
        }
        guard !segment.text.isEmpty || !segment.words.isEmpty else { return .acknowledgeOnly(end: segment.end) }
        lastFinalEnd = max(lastFinalEnd, segment.end)
        return .emit(segment)
    }
}
