// Turns AssemblyAI Universal Streaming v3 server messages into transcript events
// (assemblyai.com/docs/streaming/message-sequence: `Begin`, `Turn`, `Termination`, `Error`).

import FoundationEssentials

/// Turns AssemblyAI `Turn` snapshots into interim and final events, one final per `turn_order`.
///
/// A turn's messages are snapshots to replace, never deltas to append. Its final is the first
/// `end_of_turn` message — or, when `format_turns` was asked for, the formatted `end_of_turn`
/// repeat that follows it; if that repeat never comes (the next turn starts, or `Termination`), the
/// unformatted one is used, so each turn is final exactly once and in order.
struct AssemblyAITranscriptDecoder: TranscriptDecoder {
    let formatTurns: Bool
    private(set) var isFinished = false
    /// Highest `turn_order` whose final was emitted (or skipped as empty).
    private var lastFinalTurn = -1
    /// An unformatted end of turn waiting for its formatted repeat.
    private var awaitingFormat: (order: Int, segment: TranscriptSegment)?
    /// End of the latest timed word, for turns that carry no times.
    private var lastEnd = 0.0

    init(formatTurns: Bool) {
        self.formatTurns = formatTurns
    }

    mutating func decode(_ message: WireMessage) throws -> [TranscriptEvent] {
        let name = AssemblyAIAdapter.descriptor.displayName
        guard let parsed = try message.decodeJSON(AssemblyAIServerMessage.self, provider: name) else { return [] }
        switch parsed.type {
        case "Begin":
            return [.metadata(requestID: parsed.id, detail: parsed.configuration?.model.map { "model \($0)" })]
        case "Turn":
            return decodeTurn(parsed)
        case "SpeechStarted":
            return parsed.timestamp.map { [.speechStarted(at: $0 / 1000)] } ?? []
        case "Termination":
            isFinished = true
            return flushAwaitingFormat()
        case "Error", nil:
            // An Error frame precedes the close and says more than its reason ("See Error message").
            guard parsed.type != nil || parsed.error != nil else { return [] }
            throw AssemblyAIAdapter.closeError(
                code: parsed.errorCode ?? 0, reason: parsed.error ?? "", inErrorMessage: true)
        case "Warning":
            let code = parsed.warningCode.map { " \($0)" } ?? ""
            return [.notice("AssemblyAI warning\(code): \(parsed.warning ?? "")")]
        default:
            // Heartbeat, Silence, SpeakerRevision and types added later carry no transcript.
            return []
        }
    }

    private mutating func decodeTurn(_ turn: AssemblyAIServerMessage) -> [TranscriptEvent] {
        let order = turn.turnOrder ?? (lastFinalTurn + 1)
        // A formatted repeat of a turn already made final (after its fallback) changes nothing.
        guard order > lastFinalTurn else { return [] }
        var events: [TranscriptEvent] = []
        if let pending = awaitingFormat, pending.order != order { events += flushAwaitingFormat() }
        let ended = turn.endOfTurn ?? false
        let segment = makeSegment(turn, final: ended)
        if ended {
            if !formatTurns || turn.turnIsFormatted == true {
                awaitingFormat = nil
                lastFinalTurn = order
                if !segment.text.isEmpty { events.append(.final(segment)) }
            } else {
                awaitingFormat = (order, segment)
                if !segment.text.isEmpty { events.append(.interim(segment)) }
            }
        } else if !segment.text.isEmpty {
            events.append(.interim(segment))
        }
        return events
    }

    private mutating func flushAwaitingFormat() -> [TranscriptEvent] {
        guard let pending = awaitingFormat else { return [] }
        awaitingFormat = nil
        lastFinalTurn = pending.order
        return pending.segment.text.isEmpty ? [] : [.final(pending.segment)]
    }

    /// The turn as a segment: a final uses `transcript`; an interim shows every word so far,
    /// including Universal-Streaming's one non-final tail word that `transcript` leaves out.
    private mutating func makeSegment(_ turn: AssemblyAIServerMessage, final: Bool) -> TranscriptSegment {
        let wireWords = turn.words ?? []
        let joined = wireWords.map(\.text).joined(separator: " ")
        let transcript = turn.transcript ?? ""
        let text = final ? (transcript.isEmpty ? joined : transcript) : (joined.isEmpty ? transcript : joined)
        var words: [TranscriptWord] = []
        for word in wireWords {
            guard let start = word.start, let end = word.end else { continue }
            words.append(
                TranscriptWord(
                    text: word.text, start: start / 1000, end: end / 1000, confidence: word.confidence,
                    speaker: word.speaker.flatMap(Self.speakerNumber)))
        }
        let start = words.first?.start ?? lastEnd
        let end = words.last?.end ?? start
        lastEnd = max(lastEnd, end)
        let confidences = words.compactMap(\.confidence)
        return TranscriptSegment(
            text: text, start: start, end: end, words: words, speaker: turn.speakerLabel.flatMap(Self.speakerNumber),
            confidence: confidences.isEmpty ? nil : confidences.reduce(0, +) / Double(confidences.count),
            languages: turn.languageCode.map { [$0] } ?? [])
    }

    /// "A" → 0, "B" → 1, …; "UNKNOWN" (turns too short to attribute) → nil.
    static func speakerNumber(_ label: String) -> Int? {
        guard label.count == 1, let scalar = label.unicodeScalars.first, ("A"..."Z").contains(scalar) else {
            return nil
        }
        return Int(scalar.value - Unicode.Scalar("A").value)
    }
}
