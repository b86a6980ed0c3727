@testable import Hark

/// A sink that keeps every write apart, so tests see both the text and how it was chunked.
final class CapturedText: TextSink {
    private(set) var writes: [String] = []
    var text: String { writes.joined() }

    func write(_ text: String) throws(OutputError) {
        writes.append(text)
    }
}

extension TranscriptSegment {
    /// A segment with just text and times, for renderer tests.
    static func make(_ text: String, _ start: Double, _ end: Double, speaker: Int? = nil) -> TranscriptSegment {
        TranscriptSegment(text: text, start: start, end: end, speaker: speaker)
    }
}
