import Testing

@testable import Hark

/// The stderr lines about the session, and renderers taking back their live text before one.
@Suite("Status lines")
struct StatusLineTests {
    @Test("a retry after an open connection broke says the connection was lost")
    func retryAfterConnectionLost() throws {
        let event = TranscriptEvent.status(
            .reconnecting(reason: "Deepgram is unreachable: reset", delay: 0.5, attempt: 1))
        let line = try #require(StatusLine.text(for: event, linkWasUp: true))
        #expect(line == "hark: connection lost (Deepgram is unreachable: reset); retrying in 0.5 s, attempt 1")
    }

    @Test("a retry before any connection opened says hark could not connect, not that one was lost")
    func retryBeforeConnecting() throws {
        let event = TranscriptEvent.status(.reconnecting(reason: "refused", delay: 1.25, attempt: 2))
        let line = try #require(StatusLine.text(for: event, linkWasUp: false))
        #expect(line.hasPrefix("hark: could not connect (refused); retrying in 1.3 s, attempt 2"))
        #expect(!line.contains("lost"))
    }

    @Test("transcript events make no status line")
    func transcriptEventsAreSilent() {
        #expect(StatusLine.text(for: .final(.make("words", 0, 1))) == nil)
        #expect(StatusLine.text(for: .interim(.make("wor", 0, 1))) == nil)
    }

    @Test("renderers that only append have nothing to take back before a status line")
    func appendOnlyRenderersClearNothing() throws {
        let sink = CapturedText()
        var renderer: any TranscriptRenderer = LineRenderer(sink: sink, interim: false, timestamps: false)
        try renderer.render(.final(.make("one", 0, 1)))
        try renderer.clearInterim()
        #expect(sink.text == "one\n")
    }

    @Test("the live view erases its interim for a status line and draws the next one afresh")
    func liveViewClearsAndRedraws() throws {
        let sink = CapturedText()
        var renderer: any TranscriptRenderer = TerminalRenderer(sink: sink, width: 20, color: false)
        try renderer.render(.interim(.make("hello", 0, 1)))
        try renderer.clearInterim()
        #expect(sink.writes.last == "\r\u{1B}[J")
        try renderer.render(.interim(.make("hello there", 0, 1)))
        // Nothing is on screen any more, so the whole interim is drawn, not just " there".
        #expect(sink.writes.last == "hello there")
    }
}
