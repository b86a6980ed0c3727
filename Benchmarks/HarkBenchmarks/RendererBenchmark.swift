import Foundation
import Hark

/// Figures for the output path: time to render one final with 20 words in each format.
enum RendererBenchmark {
    /// Discards text, so only the renderers are measured.
    private final class DiscardingSink: TextSink {
        var bytes = 0
        func write(_ text: String) throws(OutputError) { bytes += text.utf8.count }
    }

    static func run() throws {
        let words = (0..<20).map {
            TranscriptWord(text: "word\($0)", start: Double($0) * 0.3, end: Double($0) * 0.3 + 0.25, confidence: 0.93)
        }
        let segment = TranscriptSegment(
            text: words.map(\.text).joined(separator: " "), start: 0, end: 6, words: words, speaker: 0,
            confidence: 0.91)
        let count = 20000
        let sink = DiscardingSink()
        var renderers: [(String, any TranscriptRenderer)] = [
            ("text", LineRenderer(sink: sink, timestamps: true)),
            ("terminal", TerminalRenderer(sink: sink, width: 80, color: true, timestamps: true)),
            ("jsonl", JSONLinesRenderer(sink: sink, provider: "deepgram")),
            ("srt", CaptionRenderer(sink: sink, format: .srt)),
            ("vtt", CaptionRenderer(sink: sink, format: .vtt)),
        ]
        let clock = ContinuousClock()
        for index in renderers.indices {
            var renderer = renderers[index].1
            let elapsed = try clock.measure {
                for _ in 0..<count {
                    try renderer.render(.interim(segment))
                    try renderer.render(.final(segment))
                }
            }
            renderers[index].1 = renderer
            print(
                String(
                    format: "render %@: %.2f µs per interim+final (20 words)", renderers[index].0,
                    elapsed.seconds * 1e6 / Double(count)))
        }
    }
}
