/// Maps times on one connection's timeline (seconds of audio the provider received) back to
/// the input's timeline.
///
/// Both timelines run together while audio flows; they part where the voice-activity gate
/// skipped silence, where a reconnect replayed audio, and where keep-alive silence was sent.
/// Each stretch of contiguous audio is one span; a time maps through the span it falls in.
package struct StreamTimeline: Sendable {
    private struct Span {
        var streamStart: Double
        var inputStart: Double
        var duration: Double
        /// Silence sent only to keep a session alive: it maps to a single input instant.
        var isFiller: Bool
    }

    private var spans: [Span] = []
    /// Seconds of audio sent on this connection.
    package private(set) var streamEnd: Double = 0

    package init() {}

    /// Records audio sent: `duration` seconds that sit at `inputStart` on the input.
    package mutating func append(inputStart: Double, duration: Double) {
        if let last = spans.last, !last.isFiller,
            abs(last.inputStart + last.duration - inputStart) < 1e-6
        {
            spans[spans.count - 1].duration += duration
        } else {
            spans.append(Span(streamStart: streamEnd, inputStart: inputStart, duration: duration, isFiller: false))
        }
        streamEnd += duration
    }

    /// Records keep-alive silence: it has no place on the input, so it maps to `at`.
    package mutating func appendFiller(duration: Double, at inputTime: Double) {
        spans.append(Span(streamStart: streamEnd, inputStart: inputTime, duration: duration, isFiller: true))
        streamEnd += duration
    }

    /// The input time of stream time `t`.
    ///
    /// Times before the first span map to its start; times past the end extend the last span.
    package func inputTime(_ t: Double) -> Double {
        guard !spans.isEmpty else { return t }
        // Binary search for the last span starting at or before t.
        var low = 0
        var high = spans.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if spans[mid].streamStart <= t + 1e-9 { low = mid } else { high = mid - 1 }
        }
        let span = spans[low]
        if span.isFiller { return span.inputStart }
        let offset = max(0, t - span.streamStart)
        return span.inputStart + offset
    }

    /// Forgets spans that end before stream time `t` (nothing older will be asked again).
    package mutating func forget(before t: Double) {
        while spans.count > 1, spans[1].streamStart <= t { spans.removeFirst() }
    }

    /// Maps every time in an event.
    package func map(_ event: TranscriptEvent) -> TranscriptEvent {
        switch event {
        case .interim(let segment): .interim(map(segment))
        case .final(let segment): .final(map(segment))
        case .speechStarted(let at): .speechStarted(at: inputTime(at))
        case .utteranceEnd(let at): .utteranceEnd(at: inputTime(at))
        case .metadata, .notice, .status: event
        }
    }

    private func map(_ segment: TranscriptSegment) -> TranscriptSegment {
        var mapped = segment
        mapped.start = inputTime(segment.start)
        mapped.end = max(mapped.start, inputTime(segment.end))
        mapped.words = segment.words.map { word in
            var word = word
            word.start = inputTime(word.start)
            word.end = max(word.start, inputTime(word.end))
            return word
        }
        return mapped
    }
}
