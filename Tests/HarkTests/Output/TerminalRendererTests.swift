import Testing

@testable import Hark

@Suite("Terminal renderer")
struct TerminalRendererTests {
    private let dim = "\u{1B}[2m"
    private let reset = "\u{1B}[0m"
    private let erase = "\u{1B}[J"

    @Test("an interim wrapping over three rows at width 20 is fully cleared when its final comes")
    func wrappedInterimIsCleared() throws {
        let sink = CapturedText()
        var renderer = TerminalRenderer(sink: sink, width: 20, color: true)
        let interim = String(repeating: "abcd ", count: 10)  // 50 columns: rows of 20, 20, 10
        try renderer.render(.interim(.make(interim, 0, 3)))
        try renderer.render(.final(.make("Done.", 0, 3)))
        #expect(sink.writes == [dim + interim + reset, "\r\u{1B}[2A" + erase + "Done.\n"])
    }

    @Test("an interim that extends the one shown writes only the new suffix")
    func extensionWritesSuffix() throws {
        let sink = CapturedText()
        var renderer = TerminalRenderer(sink: sink, width: 20, color: true)
        try renderer.render(.interim(.make("hello", 0, 1)))
        try renderer.render(.interim(.make("hello world and more", 0, 2)))  // exactly fills the row
        try renderer.render(.interim(.make("hello world and more", 0, 2)))
        try renderer.render(.interim(.make("hello world and more!", 0, 2)))  // wraps to row 2
        try renderer.render(.interim(.make("hello there", 0, 2)))  // not an extension: redraw
        try renderer.render(.final(.make("Hello there.", 0, 2)))
        #expect(
            sink.writes == [
                dim + "hello" + reset,
                dim + " world and more" + reset,
                dim + "!" + reset,
                "\r\u{1B}[1A" + erase + dim + "hello there" + reset,
                "\r" + erase + "Hello there.\n",
            ])
    }

    @Test("wide characters count two columns and wrap whole, so their rows are cleared")
    func wideCharacters() throws {
        let sink = CapturedText()
        var renderer = TerminalRenderer(sink: sink, width: 10, color: false)
        // 1 + 4×2 = 9 columns; the fifth wide character cannot fit in column 10 and wraps.
        try renderer.render(.interim(.make("a日本語です", 0, 1)))
        try renderer.render(.final(.make("a日本語です。", 0, 1)))
        #expect(sink.writes == ["a日本語です", "\r\u{1B}[1A" + erase + "a日本語です。\n"])
    }

    @Test("with color off no SGR code is written, but interims are still redrawn in place")
    func noColor() throws {
        let sink = CapturedText()
        var renderer = TerminalRenderer(sink: sink, width: 80, color: false, timestamps: true)
        try renderer.render(.interim(.make("one", 1, 2, speaker: 0)))
        try renderer.render(.interim(.make("two", 1, 2, speaker: 0)))
        try renderer.render(.interim(.make(" ", 1, 2, speaker: 0)))  // an empty interim clears the row
        try renderer.render(.interim(.make("two", 1, 2, speaker: 0)))
        try renderer.render(.final(.make("Two.", 1, 2, speaker: 0)))
        #expect(
            sink.writes == [
                "[00:00:01.000] [S1] one", "\r" + erase + "[00:00:01.000] [S1] two", "\r" + erase,
                "[00:00:01.000] [S1] two", "\r" + erase + "[00:00:01.000] [S1] Two.\n",
            ])
        #expect(!sink.text.contains("m\u{1B}") && !sink.text.contains("[0m") && !sink.text.contains("[2m"))
    }

    @Test("colour is off for --no-color, a non-empty NO_COLOR and TERM=dumb")
    func colorChoice() {
        #expect(TerminalRenderer.wantsColor(noColorFlag: false, environment: ["TERM": "xterm-256color"]))
        #expect(TerminalRenderer.wantsColor(noColorFlag: false, environment: ["NO_COLOR": ""]))
        #expect(!TerminalRenderer.wantsColor(noColorFlag: true, environment: [:]))
        #expect(!TerminalRenderer.wantsColor(noColorFlag: false, environment: ["NO_COLOR": "1"]))
        #expect(!TerminalRenderer.wantsColor(noColorFlag: false, environment: ["TERM": "dumb"]))
    }

    @Test("after the terminal narrows or widens, erasing never moves above the interim")
    func widthChange() throws {
        let sink = CapturedText()
        var renderer = TerminalRenderer(sink: sink, width: 20, color: false)
        let interim = String(repeating: "x", count: 50)  // 3 rows at 20, 2 rows at 40
        try renderer.render(.interim(.make(interim, 0, 1)))
        renderer.width = 40
        try renderer.render(.interim(.make(interim + "y", 0, 1)))  // width changed: full redraw
        renderer.width = 10  // 51 columns: 6 rows at 10, but drawn at 40 as 2
        try renderer.render(.final(.make("z", 0, 1)))
        #expect(
            sink.writes == [
                interim, "\r\u{1B}[1A" + erase + interim + "y", "\r\u{1B}[1A" + erase + "z\n",
            ])
    }

    @Test("a renderer following shared columns uses the width they hold at each event")
    func sharedColumns() throws {
        let sink = CapturedText()
        let columns = TerminalColumns(20)
        var renderer = TerminalRenderer(sink: sink, columns: columns, color: false)
        try renderer.render(.interim(.make(String(repeating: "x", count: 30), 0, 1)))  // 2 rows at 20
        columns.update(100)
        try renderer.render(.final(.make("z", 0, 1)))  // reflowed to 1 row at 100: no cursor-up
        #expect(renderer.width == 100)
        #expect(sink.writes.last == "\r" + erase + "z\n")
        #expect(TerminalColumns.query(descriptor: -1) == nil)
    }

    @Test("a run ending on an interim ends its line; a final with no interim is just a line")
    func finishAndPlainFinal() throws {
        let sink = CapturedText()
        var renderer = TerminalRenderer(sink: sink, width: 80, color: true)
        try renderer.render(.final(.make("First.", 0, 1)))
        try renderer.render(.status(.reconnecting(reason: "reset", delay: 1, attempt: 1)))
        try renderer.render(.interim(.make("unfinished", 1, 2)))
        try renderer.finish()
        try renderer.finish()
        #expect(sink.writes == ["First.\n", dim + "unfinished" + reset, "\n"])
    }

    @Test("clearInterim erases the shown interim so stderr can print on a clean row")
    func clearInterim() throws {
        let sink = CapturedText()
        var renderer = TerminalRenderer(sink: sink, width: 5, color: false)
        try renderer.render(.interim(.make("abcdefgh", 0, 1)))
        try renderer.clearInterim()
        try renderer.clearInterim()
        try renderer.render(.interim(.make("abcdefghi", 0, 1)))
        #expect(sink.writes == ["abcdefgh", "\r\u{1B}[1A" + erase, "abcdefghi"])
    }
}

@Suite("Display width")
struct DisplayWidthTests {
    @Test("ASCII is one column, CJK and emoji two, combining marks and ZWJ zero")
    func widths() {
        #expect(DisplayWidth.of("hello") == 5)
        #expect(DisplayWidth.of("日本語") == 6)
        #expect(DisplayWidth.of("한국어") == 6)
        #expect(DisplayWidth.of("ｆｕｌｌ") == 8)
        #expect(DisplayWidth.of("e\u{301}") == 1)
        #expect(DisplayWidth.of("👍") == 2)
        #expect(DisplayWidth.of("👩‍👩‍👧") == 2)
        #expect(DisplayWidth.of("Ωμέγα") == 5)
        #expect(DisplayWidth.of("\u{200B}") == 0)
    }

    @Test("rows count a row filled exactly once and wrap wide characters that do not fit")
    func rows() {
        #expect(DisplayWidth.rows("", columns: 10) == 1)
        #expect(DisplayWidth.rows(String(repeating: "a", count: 10), columns: 10) == 1)
        #expect(DisplayWidth.rows(String(repeating: "a", count: 11), columns: 10) == 2)
        #expect(DisplayWidth.rows("a日本語です", columns: 10) == 2)
        #expect(DisplayWidth.rows("日本語です", columns: 10) == 1)
        #expect(DisplayWidth.rows("e\u{301}", columns: 1) == 1)
    }
}
