import Testing

@testable import Hark

@Suite("Line renderer")
struct LineRendererTests {
    private let events: [TranscriptEvent] = [
        .status(.connected(provider: "deepgram", requestID: "r1")),
        .speechStarted(at: 0.5),
        .interim(.make("hello", 0.5, 0.9)),
        .interim(.make("hello", 0.5, 0.9)),
        .interim(.make("hello wor", 0.5, 1.2)),
        .final(.make("Hello, world.", 0.5, 1.4)),
        .notice("model fallback"),
        .final(.make("   ", 1.5, 1.6)),
        .final(.make("Second\nline", 62.3454, 63, speaker: 1)),
        .utteranceEnd(at: 63.2),
        .status(.summary(SessionSummary(secondsCaptured: 64))),
    ]

    private func render(_ renderer: inout LineRenderer) throws {
        for event in events { try renderer.render(event) }
        try renderer.finish()
    }

    @Test("by default only finals are printed, one line each, one write per line")
    func finalsOnly() throws {
        let sink = CapturedText()
        var renderer = LineRenderer(sink: sink)
        try render(&renderer)
        #expect(sink.writes == ["Hello, world.\n", "[S2] Second line\n"])
    }

    @Test("with interim, interim lines are marked with '~ ' and repeats are dropped")
    func interimLines() throws {
        let sink = CapturedText()
        var renderer = LineRenderer(sink: sink, interim: true)
        try render(&renderer)
        #expect(sink.text == "~ hello\n~ hello wor\nHello, world.\n[S2] Second line\n")
    }

    @Test("timestamps prefix each line with the segment start to the millisecond")
    func timestamps() throws {
        let sink = CapturedText()
        var renderer = LineRenderer(sink: sink, timestamps: true)
        try render(&renderer)
        #expect(sink.text == "[00:00:00.500] Hello, world.\n[00:01:02.345] [S2] Second line\n")
        #expect(TranscriptLineFormat.clockTime(3_725.0666, fractionSeparator: ",") == "01:02:05,067")
        #expect(TranscriptLineFormat.clockTime(-1, fractionSeparator: ".") == "00:00:00.000")
        #expect(TranscriptLineFormat.clockTime(360_000, fractionSeparator: ".") == "100:00:00.000")
    }

    @Test("control characters from a provider cannot reach the terminal")
    func controlCharactersAreRemoved() throws {
        let sink = CapturedText()
        var renderer = LineRenderer(sink: sink)
        try renderer.render(.final(.make("a\u{1B}[2Jb\tc\u{7}", 0, 1)))
        #expect(sink.text == "a[2Jb c\n")
    }
}
