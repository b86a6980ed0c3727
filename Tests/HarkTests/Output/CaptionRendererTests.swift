import Foundation
import Testing

@testable import Hark

/// Checks a caption file the way a player would: structure, numbering, times, ordering.
enum CaptionValidator {
    struct Cue {
        var start: Int
        var end: Int
        var lines: [String]
    }

    static func parse(_ text: String, format: CaptionFormat) throws -> [Cue] {
        var body = Substring(text)
        if format == .vtt {
            #expect(body.hasPrefix("WEBVTT\n\n"))
            body = body.dropFirst("WEBVTT\n\n".count)
        }
        #expect(body.isEmpty || body.hasSuffix("\n\n"))
        let blocks = body.split(separator: "\n\n", omittingEmptySubsequences: false).dropLast()
        var cues: [Cue] = []
        for (index, block) in blocks.enumerated() {
            var lines = block.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if format == .srt {
                #expect(lines.first == String(index + 1), "cue numbering")
                lines.removeFirst()
            }
            let timing = try #require(lines.first)
            let separator: Character = format == .srt ? "," : "."
            let parts = timing.components(separatedBy: " --> ")
            #expect(parts.count == 2)
            let start = try #require(milliseconds(parts[0], separator: separator), "\(timing)")
            let end = try #require(milliseconds(parts[1], separator: separator), "\(timing)")
            let text = Array(lines.dropFirst())
            #expect(!text.isEmpty && text.allSatisfy { !$0.isEmpty })
            cues.append(Cue(start: start, end: end, lines: text))
        }
        var previousEnd = 0
        for cue in cues {
            #expect(cue.end > cue.start, "positive duration")
            #expect(cue.start >= previousEnd, "no overlap")
            previousEnd = cue.end
        }
        return cues
    }

    /// `HH:MM:SS,mmm` (two or more hour digits) to milliseconds.
    static func milliseconds(_ text: String, separator: Character) -> Int? {
        let pieces = text.split(separator: ":")
        guard pieces.count == 3, pieces[0].count >= 2, pieces[1].count == 2 else { return nil }
        let secondsAndMillis = pieces[2].split(separator: separator)
        guard secondsAndMillis.count == 2, secondsAndMillis[0].count == 2, secondsAndMillis[1].count == 3,
            let hours = Int(pieces[0]), let minutes = Int(pieces[1]), let seconds = Int(secondsAndMillis[0]),
            let millis = Int(secondsAndMillis[1]), minutes < 60, seconds < 60
        else { return nil }
        return ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis
    }
}

@Suite("Caption renderer")
struct CaptionRendererTests {
    /// `count` words of `length` letters, one every `step` seconds from `start`.
    private func spokenWords(_ count: Int, start: Double = 0, step: Double = 0.4) -> TranscriptSegment {
        let words = (0..<count).map { index in
            TranscriptWord(
                text: "w\(String(repeating: "o", count: index % 5))rd\(index)", start: start + Double(index) * step,
                end: start + Double(index) * step + step * 0.8)
        }
        return TranscriptSegment(
            text: words.map(\.text).joined(separator: " "), start: start, end: start + Double(count) * step,
            words: words)
    }

    @Test("short finals become numbered SRT cues with comma milliseconds")
    func goldenSRT() throws {
        let sink = CapturedText()
        var renderer = CaptionRenderer(sink: sink, format: .srt)
        try renderer.render(.interim(.make("Hello", 0.5, 1)))
        try renderer.render(.final(.make("Hello, world.", 0.5, 1.75)))
        try renderer.render(.final(.make("Who speaks?", 3725.0666, 3726, speaker: 1)))
        try renderer.finish()
        #expect(
            sink.text == """
                1
                00:00:00,500 --> 00:00:01,750
                Hello, world.

                2
                01:02:05,067 --> 01:02:06,000
                [S2] Who speaks?


                """)
        #expect(sink.writes.count == 2)
        _ = try CaptionValidator.parse(sink.text, format: .srt)
    }

    @Test("VTT has its header, dot milliseconds, voice tags and escaped markup")
    func goldenVTT() throws {
        let sink = CapturedText()
        var renderer = CaptionRenderer(sink: sink, format: .vtt)
        try renderer.render(.final(.make("a <b> & c --> d", 1, 2, speaker: 0)))
        try renderer.finish()
        #expect(
            sink.text == """
                WEBVTT

                00:00:01.000 --> 00:00:02.000
                <v S1>a &lt;b&gt; &amp; c --&gt; d


                """)
        _ = try CaptionValidator.parse(sink.text, format: .vtt)
    }

    @Test("a long final is split at word times into cues of at most 2 lines of 42 and 6 seconds")
    func longFinalIsSplit() throws {
        for format in CaptionFormat.allCases {
            let sink = CapturedText()
            var renderer = CaptionRenderer(sink: sink, format: format)
            let segment = spokenWords(60)
            try renderer.render(.final(segment))
            let cues = try CaptionValidator.parse(sink.text, format: format)
            #expect(cues.count > 3)
            for cue in cues {
                #expect(cue.lines.count <= 2)
                #expect(cue.lines.allSatisfy { $0.count <= 42 }, "\(cue.lines)")
                #expect(cue.end - cue.start <= 6000)
            }
            let words = cues.flatMap { $0.lines.joined(separator: " ").split(separator: " ").map(String.init) }
            #expect(words == segment.words.map(\.text))
            // Each cue starts when its first word was spoken.
            let firstWord = try #require(cues.last?.lines.first?.split(separator: " ").first)
            let spoken = try #require(segment.words.first { $0.text == firstWord })
            #expect(cues.last?.start == Int((spoken.start * 1000).rounded()))
        }
    }

    @Test("two-line cues are broken where the lines come out most even")
    func balancedLines() throws {
        let sink = CapturedText()
        var renderer = CaptionRenderer(sink: sink, format: .srt)
        try renderer.render(.final(.make("one two three four five six seven eight nine ten eleven", 0, 5)))
        let cues = try CaptionValidator.parse(sink.text, format: .srt)
        #expect(cues.map(\.lines) == [["one two three four five six", "seven eight nine ten eleven"]])
    }

    @Test("a new sentence starts a new cue once the cue holds more than a line")
    func sentenceBreaks() throws {
        let sink = CapturedText()
        var renderer = CaptionRenderer(sink: sink, format: .srt)
        try renderer.render(
            .final(.make("It was late. We walked home along the river in silence. Then it rained on us.", 0, 8)))
        let cues = try CaptionValidator.parse(sink.text, format: .srt)
        #expect(
            cues.map(\.lines) == [
                ["It was late. We walked home", "along the river in silence."], ["Then it rained on us."],
            ])
    }

    @Test("without word times a long final's time is shared out by characters")
    func noWordTimes() throws {
        let sink = CapturedText()
        var renderer = CaptionRenderer(sink: sink, format: .vtt)
        // 199 characters over 19.9 s: a word a second, so 6 words per cue (6 s) although 8 would fit.
        let text = Array(repeating: "abcdefghi", count: 20).joined(separator: " ")
        try renderer.render(.final(.make(text, 10, 29.9)))
        let cues = try CaptionValidator.parse(sink.text, format: .vtt)
        #expect(cues.map { $0.lines.joined(separator: " ").split(separator: " ").count } == [6, 6, 6, 2])
        #expect(cues.allSatisfy { $0.end - $0.start <= 6000 })
        #expect(cues.first?.start == 10000)
        #expect(cues.last?.end == 29900)
    }

    @Test("cues of finals that overlap in time are moved so they never overlap")
    func overlappingFinals() throws {
        let sink = CapturedText()
        var renderer = CaptionRenderer(sink: sink, format: .srt)
        try renderer.render(.final(.make("first", 1, 3)))
        try renderer.render(.final(.make("second", 2, 2)))
        try renderer.render(.final(.make("third", 2.5, 5)))
        let cues = try CaptionValidator.parse(sink.text, format: .srt)
        #expect(cues.map(\.start) == [1000, 3000, 3100])
        #expect(cues.map(\.end) == [3000, 3100, 5000])
    }

    @Test("punctuated text keeps its punctuation when the provider's words are bare")
    func punctuationFromText() throws {
        let segment = TranscriptSegment(
            text: "Yes, sir.", start: 0, end: 1,
            words: [TranscriptWord(text: "yes", start: 0, end: 0.4), TranscriptWord(text: "sir", start: 0.5, end: 1)])
        let renderer = CaptionRenderer(sink: CapturedText(), format: .srt)
        #expect(renderer.cues(for: segment) == [CaptionRenderer.Cue(start: 0, end: 1000, lines: ["Yes, sir."])])
    }

    @Test("a VTT run with no finals is still a valid file; empty finals write nothing")
    func emptyRun() throws {
        let sink = CapturedText()
        var renderer = CaptionRenderer(sink: sink, format: .vtt)
        try renderer.render(.final(.make("  ", 0, 1)))
        try renderer.finish()
        #expect(sink.text == "WEBVTT\n\n")
        let srt = CapturedText()
        var srtRenderer = CaptionRenderer(sink: srt, format: .srt)
        try srtRenderer.render(.final(.make("", 0, 1)))
        try srtRenderer.finish()
        #expect(srt.text.isEmpty)
    }
}
