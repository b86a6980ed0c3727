// Turns Deepgram Flux's `TurnInfo` state machine into transcript events:
// developers.deepgram.com/docs/flux/state (events, turn_index). Words usually come without times
// (deepgram/cli's listen command says so), so finals take the turn's audio window.

import FoundationEssentials

/// Flux's stateful half: one final per turn, in `turn_index` order.
///
/// Every `TurnInfo` carries the turn's whole transcript so far, so `Update`, `StartOfTurn`,
/// `EagerEndOfTurn` and `TurnResumed` are interims that replace one another; `EndOfTurn` is the
/// turn's one final. `EagerEndOfTurn` is not final: its text is only a guess that the turn ended
/// (Flux may resume it). A turn whose index was already finalized is never finalized again.
/// After `CloseStream` Flux ends no turn and closes without a status code: the close is the
/// sign that nothing more comes, and the open turn's last text becomes its final then
/// (`eventsAtClose`). Flux sends no summary either, so `isFinished` never turns true: the
/// session waits for that close.
struct DeepgramFluxDecoder: TranscriptDecoder {
    let emitsInterims: Bool
    /// The turn being spoken, by its latest `TurnInfo`.
    private var openTurn: DeepgramFluxTurnInfo?
    /// Highest turn index already finalized.
    private var lastFinalTurn = -1
    private var showingInterim = false
    /// Flux has no finish confirmation; see the type's comment.
    let isFinished = false
    private let decoder = JSONDecoder()

    init(emitsInterims: Bool = true) {
        self.emitsInterims = emitsInterims
    }

    mutating func decode(_ message: WireMessage) throws -> [TranscriptEvent] {
        guard case .text(let text) = message else { return [] }
        let name = DeepgramAdapter.descriptor.displayName
        let data = Data(text.utf8)
        let envelope = try DeepgramMessageEnvelope(text: text, data: data, decoder: decoder)
        do {
            switch envelope.type {
            case "Connected":
                let connected = try decoder.decode(DeepgramFluxConnected.self, from: data)
                return [.metadata(requestID: connected.requestID, detail: nil)]
            case "TurnInfo":
                return turnInfo(try decoder.decode(DeepgramFluxTurnInfo.self, from: data))
            case "Error":
                let error = try decoder.decode(DeepgramFluxError.self, from: data)
                throw deepgramStreamError(
                    DeepgramErrorMessage(variant: nil, description: error.description, message: nil, code: error.code))
            case "ConfigureSuccess":
                return []
            case "ConfigureFailure":
                // hark sends no Configure today; a failure would leave the stream as it was.
                let reply = try decoder.decode(DeepgramFluxConfigureReply.self, from: data)
                let what = [reply.code, reply.description].compactMap { $0 }.joined(separator: ": ")
                return [.notice("Deepgram refused a configuration change (\(what)); the stream goes on unchanged")]
            default:
                // Unknown types are ignored, as on /v1/listen.
                return []
            }
        } catch let error as DecodingError {
            throw ProviderError.protocolError(
                provider: name,
                hint: "a Flux \(envelope.type ?? "untyped") message hark cannot read "
                    + "(\(DeepgramTranscriptDecoder.describe(error))); hark may need updating for a change in Deepgram's API"
            )
        }
    }

    private mutating func turnInfo(_ info: DeepgramFluxTurnInfo) -> [TranscriptEvent] {
        let index = info.turnIndex ?? (lastFinalTurn + 1)
        // A late message about a turn already finalized changes nothing.
        guard index > lastFinalTurn else { return [] }
        var events: [TranscriptEvent] = []
        if info.event == "StartOfTurn" {
            events.append(.speechStarted(at: info.audioWindowStart ?? 0))
        }
        if info.event == "EndOfTurn" {
            openTurn = nil
            lastFinalTurn = index
            let segment = Self.segment(info)
            if segment.text.isEmpty {
                if showingInterim, emitsInterims { events.append(.interim(segment)) }
            } else {
                events.append(.final(segment))
                events.append(.utteranceEnd(at: segment.end))
            }
            showingInterim = false
            return events
        }
        openTurn = info
        let segment = Self.segment(info)
        if emitsInterims, !segment.text.isEmpty || showingInterim {
            showingInterim = !segment.text.isEmpty
            events.append(.interim(segment))
        }
        return events
    }

    /// The open turn's last text as its final: called once Flux closed after `CloseStream`.
    mutating func eventsAtClose() -> [TranscriptEvent] {
        guard let info = openTurn else { return [] }
        openTurn = nil
        lastFinalTurn = max(lastFinalTurn, info.turnIndex ?? lastFinalTurn + 1)
        showingInterim = false
        let segment = Self.segment(info)
        guard !segment.text.isEmpty else { return [] }
        return [.final(segment), .utteranceEnd(at: segment.end)]
    }

    /// A turn as a segment: word times when Flux sent them for every word, else the audio window.
    static func segment(_ info: DeepgramFluxTurnInfo) -> TranscriptSegment {
        let flux = info.words ?? []
        var words: [TranscriptWord] = []
        if !flux.isEmpty, flux.allSatisfy({ $0.start != nil && $0.end != nil }) {
            words = flux.map {
                TranscriptWord(text: $0.word, start: $0.start ?? 0, end: $0.end ?? 0, confidence: $0.confidence)
            }
        }
        var text = String(
            (info.transcript ?? "").drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
        if text.isEmpty { text = flux.map(\.word).joined(separator: " ") }
        let start = info.audioWindowStart ?? words.first?.start ?? 0
        let end = max(info.audioWindowEnd ?? words.last?.end ?? start, start)
        let confidences = flux.compactMap(\.confidence)
        return TranscriptSegment(
            text: text, start: words.first?.start ?? start, end: words.last?.end ?? end, words: words,
            confidence: confidences.isEmpty ? nil : confidences.reduce(0, +) / Double(confidences.count),
            languages: info.languages ?? [])
    }
}
