// Turns OpenAI Realtime transcription events into transcript events (developers.openai.com/api/
// docs/guides/realtime-transcription: `committed`, `…transcription.delta`/`completed`/`failed`).

import FoundationEssentials

/// Turns Realtime transcription events into interim and final events, per item, in spoken order.
///
/// Items are turns. They are ordered by `committed.previous_item_id`; deltas append to an item's
/// interim text, `completed` replaces it with the final. Items transcribe concurrently and may
/// complete out of order, so a final is held until every earlier item is final (or failed).
/// The decoder is ready at the `session.updated` that confirms transcription is on, and finished
/// once the answer to hark's finish marker arrived, every commit hark sent was answered, and every
/// committed item is done (completed or failed).
///
/// Without server turn detection the times come from hark's own turns (`sessionDid`): each commit
/// hark sends queues its turn (where speech began and ended on the connection's audio), and the
/// server answers commits in order, each with `committed` (which takes the turn's times) or an
/// `input_audio_buffer_commit_empty` error (which drops it).
struct OpenAITranscriptDecoder: TranscriptDecoder {
    let serverDetectsTurns: Bool
    let model: String
    private(set) var isReady = false
    private var finishAcknowledged = false

    /// One turn, from its first event to its final.
    private struct Item {
        var id: String
        var text = ""
        var committed = false
        var done = false
        var finalText: String?
        /// Committed with no speech detected since the previous commit: trailing silence.
        var silent = false
        var start: Double
        var end: Double
    }

    /// Items not yet final, in spoken order.
    private var items: [Item] = []
    private var finishedIDs: Set<String> = []
    private var speechStart: Double?
    private var speechEnd: Double?
    private var speechSinceCommit = false
    private var lastEnd = 0.0

    /// A turn hark committed and the server has not answered yet, on the connection's audio.
    private struct SentTurn {
        var start: Double
        var end: Double
        /// False for the finish commit of trailing audio with no speech detected in it.
        var hadSpeech: Bool
    }

    /// Commits hark sent, oldest first, awaiting `committed` or a refusal.
    private var sentTurns: [SentTurn] = []
    /// Where the speech of the turn now being spoken began (hark's detector), if it has.
    private var turnSpeechStart: Double?
    /// Where the last commit hark sent ended the buffer.
    private var lastCommitAt = 0.0

    init(serverDetectsTurns: Bool, model: String) {
        self.serverDetectsTurns = serverDetectsTurns
        self.model = model
    }

    var isFinished: Bool { finishAcknowledged && !awaitsResults }

    /// A commit not yet answered, or a committed item not yet completed or failed.
    var awaitsResults: Bool { !sentTurns.isEmpty || items.contains { $0.committed && !$0.done } }

    mutating func sessionDid(_ action: SessionAction) {
        guard !serverDetectsTurns else { return }
        switch action {
        case .speechStarted(let at):
            if turnSpeechStart == nil { turnSpeechStart = at }
        case .speechEnded(let speechEnd, let sentAt):
            let start = turnSpeechStart ?? lastCommitAt
            sentTurns.append(SentTurn(start: start, end: max(start, speechEnd), hadSpeech: true))
            turnSpeechStart = nil
            lastCommitAt = sentAt
        case .finishSent(let at):
            // The finish commit takes whatever followed the last turn.
            let start = turnSpeechStart ?? lastCommitAt
            sentTurns.append(SentTurn(start: start, end: max(start, at), hadSpeech: turnSpeechStart != nil))
            turnSpeechStart = nil
            lastCommitAt = at
        }
    }

    mutating func decode(_ message: WireMessage) throws -> [TranscriptEvent] {
        let name = OpenAIAdapter.descriptor.displayName
        guard let event = try message.decodeJSON(OpenAIServerEvent.self, provider: name) else { return [] }
        switch event.type {
        case "session.created":
            return [.metadata(requestID: event.session?.id, detail: nil)]
        case "session.updated":
            return try sessionUpdated(event)
        case "error":
            return try errorEvent(event.error)
        case "input_audio_buffer.speech_started":
            speechSinceCommit = true
            let start = (event.audioStartMs ?? 0) / 1000
            speechStart = start
            speechEnd = nil
            return [.speechStarted(at: start)]
        case "input_audio_buffer.speech_stopped":
            speechSinceCommit = true
            let end = (event.audioEndMs ?? 0) / 1000
            speechEnd = end
            return [.utteranceEnd(at: end)]
        case "input_audio_buffer.committed":
            guard let id = event.itemID else { return [] }
            committed(id, after: event.previousItemID)
            return []
        case "conversation.item.input_audio_transcription.delta":
            guard let id = event.itemID, let delta = event.delta, !finishedIDs.contains(id) else { return [] }
            let index = itemIndex(id)
            items[index].text += delta
            return interim()
        case "conversation.item.input_audio_transcription.completed":
            guard let id = event.itemID, !finishedIDs.contains(id) else { return [] }
            let index = itemIndex(id)
            // A repeated completed changes nothing: the first one is authoritative.
            guard !items[index].done else { return [] }
            items[index].done = true
            items[index].finalText = event.transcript ?? items[index].text
            return flush()
        case "conversation.item.input_audio_transcription.failed":
            guard let id = event.itemID, !finishedIDs.contains(id) else { return [] }
            let index = itemIndex(id)
            guard !items[index].done else { return [] }
            items[index].done = true
            items[index].finalText = ""
            let detail = event.error?.message ?? "no reason given"
            return [.notice("OpenAI could not transcribe a turn: \(detail)")] + flush()
        default:
            return []
        }
    }

    private mutating func sessionUpdated(_ event: OpenAIServerEvent) throws -> [TranscriptEvent] {
        guard !isReady else {
            // The answer to the finish marker: the finish commit has been handled.
            finishAcknowledged = true
            return []
        }
        let name = OpenAIAdapter.descriptor.displayName
        let input = event.session?.audio?.input
        guard event.session?.type == nil || event.session?.type == "transcription" else {
            throw ProviderError.invalidRequest(
                provider: name,
                hint: "the session is a \(event.session?.type ?? "") session, not a transcription one; check --endpoint"
            )
        }
        guard let transcription = input?.transcription else {
            throw ProviderError.invalidRequest(
                provider: name,
                hint: "the session was set up with transcription off, so nothing would be transcribed; "
                    + "check --model and --param values")
        }
        if let format = input?.format, format.type == "audio/pcm", let rate = format.rate,
            rate != OpenAIAdapter.sampleRate
        {
            throw ProviderError.unsupportedAudio(
                provider: name, hint: "the session expects \(rate) Hz audio but hark sends 24 kHz")
        }
        isReady = true
        if let confirmed = transcription.model, confirmed != model {
            return [.notice("OpenAI transcribes with \(confirmed) instead of \(model)")]
        }
        return []
    }

    private mutating func errorEvent(_ detail: OpenAIServerEvent.ErrorDetail?) throws -> [TranscriptEvent] {
        let code = detail?.code
        let text = "\(code ?? detail?.type ?? "error"): \(detail?.message ?? "no message")"
        guard isReady else {
            // Before `session.updated` an error means the setup failed (bad key, beta header, a
            // refused session.update): the session would never transcribe.
            throw OpenAIAdapter.requestError(
                type: detail?.type, code: code, message: "OpenAI error \(text)", model: model, setup: true)
        }
        if code == "input_audio_buffer_commit_empty", !serverDetectsTurns, !sentTurns.isEmpty {
            // The server answers commits in order: this refusal is the oldest one's.
            sentTurns.removeFirst()
        }
        switch detail?.eventID {
        case OpenAIClientMessage.finishCommitID where code == "input_audio_buffer_commit_empty":
            // Nothing was left to commit at the end: expected.
            return []
        case OpenAIClientMessage.finishMarkerID:
            finishAcknowledged = true
            return []
        default:
            // Not fatal by itself: a fatal one is followed by the server's close.
            return [.notice("OpenAI error \(text)")]
        }
    }

    /// Places an item after `previous` (the linked list the server keeps); a first item
    /// (`previous` null) or one after an item already final goes first.
    private mutating func committed(_ id: String, after previous: String?) {
        let index = itemIndex(id)
        var item = items.remove(at: index)
        item.committed = true
        if !serverDetectsTurns, !sentTurns.isEmpty {
            let turn = sentTurns.removeFirst()
            item.silent = !turn.hadSpeech
            item.start = turn.start
            item.end = turn.end
        } else {
            item.silent = serverDetectsTurns && !speechSinceCommit
            item.start = speechStart ?? lastEnd
            item.end = max(speechEnd ?? item.start, item.start)
        }
        lastEnd = max(lastEnd, item.end)
        speechStart = nil
        speechEnd = nil
        speechSinceCommit = false
        if let previous, let previousIndex = items.firstIndex(where: { $0.id == previous }) {
            items.insert(item, at: previousIndex + 1)
        } else if previous == nil || finishedIDs.contains(previous ?? "") {
            items.insert(item, at: 0)
        } else {
            items.append(item)
        }
    }

    /// The index of an item, adding it at the end when this is its first event.
    private mutating func itemIndex(_ id: String) -> Int {
        if let index = items.firstIndex(where: { $0.id == id }) { return index }
        // Deltas of streaming models come before `committed`: the item is the oldest turn hark
        // committed and the server has not answered, or else the turn being spoken.
        let start = sentTurns.first?.start ?? turnSpeechStart ?? lastEnd
        items.append(Item(id: id, start: start, end: start))
        return items.count - 1
    }

    /// Finals for every leading item that is done, then the interim text of the rest.
    private mutating func flush() -> [TranscriptEvent] {
        var events: [TranscriptEvent] = []
        while let first = items.first, first.done {
            items.removeFirst()
            finishedIDs.insert(first.id)
            let text = (first.finalText ?? "").trimmedOfWhitespace()
            if !text.isEmpty, !first.silent {
                events.append(.final(TranscriptSegment(text: text, start: first.start, end: first.end)))
            }
        }
        return events + interim()
    }

    /// The text of every item not yet final, as one interim line.
    private func interim() -> [TranscriptEvent] {
        // A held final (an earlier item is still transcribing) shows its final text already.
        let pending = items.filter { !$0.silent && !($0.finalText ?? $0.text).isEmpty }
        guard let first = pending.first, let last = pending.last else { return [] }
        let text = pending.map { ($0.finalText ?? $0.text).trimmedOfWhitespace() }.joined(separator: " ")
        return [.interim(TranscriptSegment(text: text, start: first.start, end: last.end))]
    }
}
