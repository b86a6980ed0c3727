/// JSON Lines (`--format jsonl`): one JSON object per event, schema version 1, written at once.
///
/// Every line carries `"schema":1` and `"type"`, so each line stands alone for `jq`, `grep` and
/// a consumer that starts reading mid-stream. Times are seconds with millisecond precision;
/// optional fields are left out when unknown. `JSONL-SCHEMA.md` beside this file documents the
/// fields. The encoding is written by hand: key order is stable, numbers have a fixed form, and
/// it costs one string append per field on the output path.
package struct JSONLinesRenderer: TranscriptRenderer {
    /// The schema version on every line; raised only for incompatible changes.
    package static let schemaVersion = 1

    private let sink: any TextSink
    private let provider: String?
    private let interim: Bool

    /// - Parameters:
    ///   - provider: added as `"provider"` to transcript lines when given.
    ///   - interim: whether interim results are written (`--interim`).
    package init(sink: any TextSink, provider: String? = nil, interim: Bool = true) {
        self.sink = sink
        self.provider = provider
        self.interim = interim
    }

    package mutating func render(_ event: TranscriptEvent) throws {
        if case .interim = event, !interim { return }
        try sink.write(Self.line(for: event, provider: provider))
    }

    package mutating func finish() throws {}

    /// The JSON object for `event`, with its newline.
    package static func line(for event: TranscriptEvent, provider: String?) -> String {
        var object = JSONObjectWriter()
        object.add("schema", integer: schemaVersion)
        switch event {
        case .final(let segment):
            object.add("type", string: "final")
            addSegment(segment, provider: provider, to: &object)
        case .interim(let segment):
            object.add("type", string: "interim")
            addSegment(segment, provider: provider, to: &object)
        case .speechStarted(let time):
            object.add("type", string: "speech_started")
            object.add("start", seconds: time)
        case .utteranceEnd(let time):
            object.add("type", string: "utterance_end")
            object.add("end", seconds: time)
        case .metadata(let requestID, let detail):
            object.add("type", string: "metadata")
            if let provider { object.add("provider", string: provider) }
            if let requestID { object.add("request_id", string: requestID) }
            if let detail { object.add("detail", string: detail) }
        case .notice(let message):
            object.add("type", string: "notice")
            object.add("message", string: message)
        case .status(let status):
            object.add("type", string: "status")
            addStatus(status, to: &object)
        }
        return object.finish() + "\n"
    }

    private static func addSegment(_ segment: TranscriptSegment, provider: String?, to object: inout JSONObjectWriter) {
        object.add("text", string: segment.text)
        object.add("start", seconds: segment.start)
        object.add("end", seconds: segment.end)
        if let speaker = segment.speaker { object.add("speaker", integer: speaker) }
        if let channel = segment.channel { object.add("channel", integer: channel) }
        if let confidence = segment.confidence { object.add("confidence", number: confidence) }
        if !segment.languages.isEmpty {
            object.add(
                "languages", raw: "[" + segment.languages.map(JSONObjectWriter.quoted).joined(separator: ",") + "]")
        }
        if let provider { object.add("provider", string: provider) }
        var words = "["
        for (index, word) in segment.words.enumerated() {
            if index > 0 { words += "," }
            var item = JSONObjectWriter()
            item.add("word", string: word.text)
            item.add("start", seconds: word.start)
            item.add("end", seconds: word.end)
            if let confidence = word.confidence { item.add("confidence", number: confidence) }
            if let speaker = word.speaker { item.add("speaker", integer: speaker) }
            words += item.finish()
        }
        object.add("words", raw: words + "]")
    }

    private static func addStatus(_ status: SessionStatus, to object: inout JSONObjectWriter) {
        switch status {
        case .connected(let provider, let requestID):
            object.add("status", string: "connected")
            object.add("provider", string: provider)
            if let requestID { object.add("request_id", string: requestID) }
        case .reconnecting(let reason, let delay, let attempt):
            object.add("status", string: "reconnecting")
            object.add("reason", string: reason)
            object.add("delay", seconds: delay)
            object.add("attempt", integer: attempt)
        case .audioLost(let from, let to, let reason):
            object.add("status", string: "audio_lost")
            object.add("start", seconds: from)
            object.add("end", seconds: to)
            object.add("reason", string: reason)
        case .summary(let summary):
            object.add("status", string: "summary")
            object.add("seconds_captured", seconds: summary.secondsCaptured)
            object.add("seconds_sent", seconds: summary.secondsSent)
            object.add("seconds_lost", seconds: summary.secondsLost)
            object.add("reconnects", integer: summary.reconnects)
        }
    }
}

/// Appends `"key":value` pairs to one JSON object; keys are hark's own ASCII names.
private struct JSONObjectWriter {
    private var text = "{"
    private var empty = true

    mutating func add(_ key: String, raw value: String) {
        if !empty { text += "," }
        empty = false
        text += "\""
        text += key
        text += "\":"
        text += value
    }

    mutating func add(_ key: String, string value: String) {
        add(key, raw: Self.quoted(value))
    }

    mutating func add(_ key: String, integer value: Int) {
        add(key, raw: String(value))
    }

    /// Seconds with exactly three decimals (`1.230`); negative or non-finite times are 0.
    mutating func add(_ key: String, seconds value: Double) {
        let milliseconds = TranscriptLineFormat.milliseconds(value)
        let fraction = milliseconds % 1000
        let digits = fraction < 10 ? "00\(fraction)" : fraction < 100 ? "0\(fraction)" : "\(fraction)"
        add(key, raw: "\(milliseconds / 1000).\(digits)")
    }

    /// A number in Swift's shortest round-trip form; NaN and infinities (not JSON) are null.
    mutating func add(_ key: String, number value: Double) {
        add(key, raw: value.isFinite ? "\(value)" : "null")
    }

    func finish() -> String { text + "}" }

    /// `value` as a JSON string: quotes, backslashes and control characters escaped (RFC 8259),
    /// everything else passed as UTF-8.
    static func quoted(_ value: String) -> String {
        var needsEscape = false
        for byte in value.utf8 where byte < 0x20 || byte == 0x22 || byte == 0x5C {
            needsEscape = true
            break
        }
        if !needsEscape { return "\"" + value + "\"" }
        var output = "\""
        output.reserveCapacity(value.utf8.count + 8)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        return output + "\""
    }
}
