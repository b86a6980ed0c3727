import Foundation
import Testing

@testable import Hark

@Suite("JSON Lines renderer")
struct JSONLinesRendererTests {
    private func objects(_ text: String) throws -> [[String: Any]] {
        #expect(text.hasSuffix("\n"))
        return try text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }

    @Test("a final with words is one object with schema, type, text, times, words and labels")
    func finalWithWords() throws {
        let sink = CapturedText()
        var renderer = JSONLinesRenderer(sink: sink, provider: "deepgram")
        let segment = TranscriptSegment(
            text: "Hi there", start: 1.2345, end: 2,
            words: [
                TranscriptWord(text: "Hi", start: 1.2345, end: 1.5, confidence: 0.98, speaker: 0),
                TranscriptWord(text: "there", start: 1.5, end: 2),
            ], speaker: 0, channel: 1, confidence: 0.9)
        try renderer.render(.final(segment))
        #expect(sink.writes.count == 1)
        #expect(
            sink.text
                == #"{"schema":1,"type":"final","text":"Hi there","start":1.235,"end":2.000,"speaker":0,"channel":1,"confidence":0.9,"provider":"deepgram","words":[{"word":"Hi","start":1.235,"end":1.500,"confidence":0.98,"speaker":0},{"word":"there","start":1.500,"end":2.000}]}"#
                + "\n")
        let object = try #require(try objects(sink.text).first)
        #expect(object["start"] as? Double == 1.235)
        let words = try #require(object["words"] as? [[String: Any]])
        #expect(words.count == 2)
        #expect(words[1]["word"] as? String == "there")
        #expect(words[1]["confidence"] == nil)
    }

    @Test("every kind of event becomes one parseable line with its own fields")
    func everyEvent() throws {
        let sink = CapturedText()
        var renderer = JSONLinesRenderer(sink: sink)
        let events: [TranscriptEvent] = [
            .status(.connected(provider: "openai", requestID: "sess_1")),
            .speechStarted(at: 0.25),
            .interim(.make("hel", 0.25, 0.5)),
            .utteranceEnd(at: 3),
            .metadata(requestID: "abc", detail: nil),
            .notice("parameter 'x' ignored"),
            .status(.reconnecting(reason: "connection reset", delay: 0.5, attempt: 2)),
            .status(.audioLost(from: 10, to: 12.5, reason: "buffer full")),
            .status(.summary(SessionSummary(secondsCaptured: 60, secondsSent: 50.5, secondsLost: 2.5, reconnects: 1))),
        ]
        for event in events { try renderer.render(event) }
        try renderer.finish()
        let objects = try objects(sink.text)
        #expect(objects.count == events.count)
        #expect(objects.allSatisfy { $0["schema"] as? Int == 1 })
        #expect(
            objects.map { $0["type"] as? String } == [
                "status", "speech_started", "interim", "utterance_end", "metadata", "notice", "status", "status",
                "status",
            ])
        #expect(objects[0]["status"] as? String == "connected")
        #expect(objects[0]["request_id"] as? String == "sess_1")
        #expect(objects[1]["start"] as? Double == 0.25)
        #expect(objects[2]["words"] as? [Any] != nil)
        #expect(objects[3]["end"] as? Double == 3)
        #expect(objects[4]["request_id"] as? String == "abc" && objects[4]["detail"] == nil)
        #expect(objects[5]["message"] as? String == "parameter 'x' ignored")
        #expect(objects[6]["attempt"] as? Int == 2 && objects[6]["delay"] as? Double == 0.5)
        #expect(objects[7]["status"] as? String == "audio_lost" && objects[7]["end"] as? Double == 12.5)
        #expect(objects[8]["seconds_sent"] as? Double == 50.5 && objects[8]["reconnects"] as? Int == 1)
    }

    @Test("quotes, backslashes, control characters and non-ASCII text survive a round trip")
    func escaping() throws {
        let sink = CapturedText()
        var renderer = JSONLinesRenderer(sink: sink)
        let text = "say \"hi\" \\ back\nslash\t\u{1}\u{1F} 日本 é 👍 \u{2028}"
        try renderer.render(.final(.make(text, 0, 1)))
        let object = try #require(try objects(sink.text).first)
        #expect(object["text"] as? String == text)
        #expect(!sink.text.dropLast().contains("\n"))
    }

    @Test("interims are left out when not asked for; NaN confidence is null")
    func interimOffAndNaN() throws {
        let sink = CapturedText()
        var renderer = JSONLinesRenderer(sink: sink, interim: false)
        try renderer.render(.interim(.make("x", 0, 1)))
        try renderer.render(.final(TranscriptSegment(text: "x", start: -1, end: .nan, confidence: .nan)))
        let objects = try objects(sink.text)
        #expect(objects.count == 1)
        #expect(objects[0]["confidence"] is NSNull)
        #expect(objects[0]["start"] as? Double == 0 && objects[0]["end"] as? Double == 0)
    }
}
