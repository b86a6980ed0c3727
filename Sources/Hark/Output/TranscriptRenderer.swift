/// Turns transcript events into text on a `TextSink`, one output format each.
///
/// The session calls `render` for every event in order and `finish` once at the end of a run.
/// Renderers write as soon as something is printable (a final line, a completed cue), never
/// holding text back across finals, so a killed hark has printed everything it could.
package protocol TranscriptRenderer {
    /// Renders one event; events a format does not show are ignored.
    /// - Throws: `OutputError` from the sink (`readerClosed` when a pipe reader left).
    mutating func render(_ event: TranscriptEvent) throws
    /// Writes whatever ends the output (a pending cue, a newline after an interim).
    mutating func finish() throws
    /// Takes back text that is redrawn in place (the live view's interim), so a line printed
    /// on stderr to the same terminal does not land in the middle of it; the next event draws
    /// it again. Renderers that only append need not implement it.
    mutating func clearInterim() throws
    /// Whether text that is redrawn in place is on screen now (the live view's interim).
    var showsInterim: Bool { get }
}

extension TranscriptRenderer {
    /// Nothing to take back: the output only ever appends.
    package mutating func clearInterim() throws {}

    /// Nothing is redrawn in place.
    package var showsInterim: Bool { false }
}

/// The pieces of a transcript line shared by the line and terminal renderers.
package enum TranscriptLineFormat {
    /// `[00:01:02.345] [S1] text`: the timestamp when asked for, the speaker when known.
    ///
    /// Speakers are 0-based in the event model and shown 1-based (`speaker` 0 is `S1`), the way
    /// people count them.
    package static func line(_ segment: TranscriptSegment, timestamps: Bool) -> String {
        var line = ""
        if timestamps { line += "[\(clockTime(segment.start, fractionSeparator: "."))] " }
        if let speaker = segment.speaker { line += "[\(speakerLabel(speaker))] " }
        line += singleLine(segment.text)
        return line
    }

    /// `S1` for speaker 0.
    package static func speakerLabel(_ speaker: Int) -> String { "S\(speaker + 1)" }

    /// `HH:MM:SS.mmm` (or with `,` for SRT), rounded to the millisecond; negative times are 0.
    package static func clockTime(_ seconds: Double, fractionSeparator: Character) -> String {
        clockTime(milliseconds: milliseconds(seconds), fractionSeparator: fractionSeparator)
    }

    /// `HH:MM:SS.mmm` from whole milliseconds; hours grow past two digits when they must.
    package static func clockTime(milliseconds: Int, fractionSeparator: Character) -> String {
        let total = max(0, milliseconds)
        let hours = total / 3_600_000
        let minutes = total / 60000 % 60
        let secs = total / 1000 % 60
        return
            "\(padded(hours, 2)):\(padded(minutes, 2)):\(padded(secs, 2))\(fractionSeparator)\(padded(total % 1000, 3))"
    }

    /// Seconds to whole milliseconds, rounded; non-finite and negative times are 0.
    package static func milliseconds(_ seconds: Double) -> Int {
        guard seconds.isFinite, seconds > 0 else { return 0 }
        return Int((seconds * 1000).rounded())
    }

    /// Provider text made safe for one line on a terminal: line breaks become spaces and other
    /// control characters (an ESC could inject terminal commands) are dropped.
    package static func singleLine(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value < 0x20 || ($0.value >= 0x7F && $0.value < 0xA0) }) else {
            return text
        }
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x0A, 0x0D, 0x09: scalars.append(" ")
            case 0..<0x20, 0x7F..<0xA0: continue
            default: scalars.append(scalar)
            }
        }
        return String(scalars)
    }

    private static func padded(_ value: Int, _ digits: Int) -> String {
        let text = String(value)
        return text.count >= digits ? text : String(repeating: "0", count: digits - text.count) + text
    }
}
