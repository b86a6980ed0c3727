// Turns Deepgram's server messages into transcript events: the message shapes of Deepgram's
// asyncapi spec (deepgram/deepgram-api-specs) and its interim-results and endpointing guides
// (developers.deepgram.com/docs/understand-endpointing-interim-results), which say how interim and
// final text assemble.

import FoundationEssentials

/// Deepgram's stateful half: assembles `Results` per channel so every word is rendered once.
///
/// Each `is_final` result covers only the audio since the previous final, so every non-empty
/// final becomes one `.final` event and nothing is repeated (A5). Interims replace one another
/// within the current window; when a window's text disappears (an empty interim or final after
/// non-empty interim text) an empty `.interim` clears what the renderer shows. An utterance ends
/// at the first of `speech_final` or `UtteranceEnd` that follows a final with text, so a
/// renderer sees exactly one `.utteranceEnd` per utterance; `Metadata`, Deepgram's last
/// message, ends any utterance still open and marks the stream finished.
struct DeepgramTranscriptDecoder: TranscriptDecoder {
    /// What the decoder remembers about one channel.
    struct ChannelState {
        /// Finals with text arrived since the last utterance end.
        var utteranceOpen = false
        /// End of the last final word, for the utterance end.
        var lastWordEnd = 0.0
        /// The renderer is showing non-empty interim text for this channel.
        var showingInterim = false
    }

    /// False when the user does not want interim text: interims are then not emitted at all.
    let emitsInterims: Bool
    private var channels: [Int: ChannelState] = [:]
    private(set) var isFinished = false
    private let decoder = JSONDecoder()

    init(emitsInterims: Bool = true) {
        self.emitsInterims = emitsInterims
    }

    mutating func decode(_ message: WireMessage) throws -> [TranscriptEvent] {
        // Deepgram sends no binary messages on /v1/listen; one would carry nothing hark uses.
        guard case .text(let text) = message else { return [] }
        let data = Data(text.utf8)
        let envelope = try DeepgramMessageEnvelope(text: text, data: data, decoder: decoder)
        do {
            switch envelope.type {
            case "Results":
                return results(try decoder.decode(DeepgramResults.self, from: data))
            case "UtteranceEnd":
                return utteranceEnd(try decoder.decode(DeepgramUtteranceEnd.self, from: data))
            case "SpeechStarted":
                let started = try decoder.decode(DeepgramSpeechStarted.self, from: data)
                return [.speechStarted(at: started.timestamp ?? 0)]
            case "Metadata":
                return metadata(try decoder.decode(DeepgramMetadata.self, from: data))
            case "Error":
                throw deepgramStreamError(try decoder.decode(DeepgramErrorMessage.self, from: data))
            default:
                // Unknown types are ignored, as Deepgram's own SDKs do (A4).
                return []
            }
        } catch let error as DecodingError {
            throw ProviderError.protocolError(
                provider: DeepgramAdapter.descriptor.displayName,
                hint: "a \(envelope.type ?? "untyped") message hark cannot read (\(Self.describe(error))); "
                    + "hark may need updating for a change in Deepgram's API")
        }
    }

    private mutating func results(_ results: DeepgramResults) -> [TranscriptEvent] {
        let channel = results.channelIndex?.first ?? 0
        var state = channels[channel] ?? ChannelState()
        defer { channels[channel] = state }
        let segment = Self.segment(results, channel: channel)
        // speech_final implies is_final even where a docs example says otherwise (A5).
        let isFinal = (results.isFinal ?? false) || (results.speechFinal ?? false)
        var events: [TranscriptEvent] = []
        if !isFinal {
            guard emitsInterims else { return [] }
            if !segment.text.isEmpty {
                state.showingInterim = true
                events.append(.interim(segment))
            } else if state.showingInterim {
                state.showingInterim = false
                events.append(.interim(segment))
            }
            return events
        }
        if !segment.text.isEmpty {
            state.utteranceOpen = true
            state.lastWordEnd = segment.end
            state.showingInterim = false
            events.append(.final(segment))
        } else if state.showingInterim {
            // The final revised the interim text away: clear it so it does not linger.
            state.showingInterim = false
            if emitsInterims { events.append(.interim(segment)) }
        }
        if results.speechFinal == true && state.utteranceOpen {
            state.utteranceOpen = false
            events.append(.utteranceEnd(at: state.lastWordEnd))
        }
        return events
    }

    private mutating func utteranceEnd(_ message: DeepgramUtteranceEnd) -> [TranscriptEvent] {
        let channel = message.channel?.first ?? 0
        // Already ended by speech_final (A5 step 5), or no words since: nothing to end.
        guard var state = channels[channel], state.utteranceOpen else { return [] }
        state.utteranceOpen = false
        channels[channel] = state
        return [.utteranceEnd(at: message.lastWordEnd ?? state.lastWordEnd)]
    }

    private mutating func metadata(_ metadata: DeepgramMetadata) -> [TranscriptEvent] {
        var events: [TranscriptEvent] = []
        for channel in channels.keys.sorted() where channels[channel]?.utteranceOpen == true {
            channels[channel]?.utteranceOpen = false
            events.append(.utteranceEnd(at: channels[channel]?.lastWordEnd ?? 0))
        }
        var detail: String?
        if let duration = metadata.duration {
            detail = "Deepgram processed \(duration) s of audio"
        }
        events.append(.metadata(requestID: metadata.requestID, detail: detail))
        // Metadata is the last message Deepgram sends, after CloseStream or before a timeout close (A4, A6).
        isFinished = true
        return events
    }

    /// The segment of a result: its text (already punctuated when enabled), words with
    /// `punctuated_word` when present, and times from the words, else from the window.
    static func segment(_ results: DeepgramResults, channel: Int) -> TranscriptSegment {
        let alternative = results.channel?.alternatives?.first
        let words = (alternative?.words ?? []).map {
            TranscriptWord(
                text: $0.punctuatedWord ?? $0.word, start: $0.start, end: $0.end, confidence: $0.confidence,
                speaker: $0.speaker)
        }
        var text = alternative?.transcript ?? ""
        if text.isEmpty && !words.isEmpty { text = words.map(\.text).joined(separator: " ") }
        let windowStart = results.start ?? 0
        let windowEnd = windowStart + (results.duration ?? 0)
        let speakers = Set(words.compactMap(\.speaker))
        // Nova-3 multilingual: the result's list, else its words' languages by first appearance.
        var languages = alternative?.languages ?? []
        if languages.isEmpty {
            for language in (alternative?.words ?? []).compactMap(\.language) where !languages.contains(language) {
                languages.append(language)
            }
        }
        return TranscriptSegment(
            text: text, start: words.first?.start ?? windowStart, end: words.last?.end ?? windowEnd, words: words,
            speaker: speakers.count == 1 && words.allSatisfy({ $0.speaker != nil }) ? speakers.first : nil,
            channel: channel, confidence: words.isEmpty ? nil : alternative?.confidence,
            languages: words.isEmpty ? [] : languages)
    }

    /// A decoding error in a sentence, without the JSON itself.
    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context),
            .dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
