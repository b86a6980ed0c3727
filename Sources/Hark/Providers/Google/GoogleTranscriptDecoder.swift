/// Turns `StreamingRecognizeResponse`s into transcript events.
///
/// A response holds either results — at most one final (the newly settled stretch) followed by
/// interims for later stretches, which together replace the previous interim — or a speech event.
/// Google gives only a result's end offset; its start is where the previous final ended. Offsets
/// are seconds of this stream's audio, the timeline the session expects.
package struct GoogleTranscriptDecoder: TranscriptDecoder {
    /// End of the last final result, the start of the next one.
    private var settledUntil: Double = 0
    private var reportedRequestID = false

    package init() {}

    /// Google confirms the end only through the call's OK status, which ends the link.
    package var isFinished: Bool { false }

    package mutating func decode(_ message: WireMessage) throws -> [TranscriptEvent] {
        guard case .binary(let bytes) = message else {
            throw ProviderError.protocolError(provider: "Google", hint: "a text message on a gRPC stream")
        }
        let response: GoogleSpeech.StreamingRecognizeResponse
        do {
            response = try GoogleSpeech.StreamingRecognizeResponse(serializedBytes: bytes)
        } catch {
            throw ProviderError.protocolError(
                provider: "Google", hint: "a StreamingRecognizeResponse that does not parse (\(error))")
        }
        var events: [TranscriptEvent] = []
        if !reportedRequestID, let requestID = response.metadata?.requestID, !requestID.isEmpty {
            reportedRequestID = true
            events.append(.metadata(requestID: requestID, detail: nil))
        }
        switch response.speechEventType {
        case .speechActivityBegin:
            events.append(.speechStarted(at: Self.seconds(response.speechEventOffset)))
        case .speechActivityEnd, .endOfSingleUtterance:
            events.append(.utteranceEnd(at: Self.seconds(response.speechEventOffset)))
        default:
            break
        }
        var interimText = ""
        var interimEnd = settledUntil
        var sawInterim = false
        for result in response.results {
            guard let best = result.alternatives.first else { continue }
            let end = result.resultEndOffset.map(\.timeInterval) ?? settledUntil
            if result.isFinal {
                let words = best.words.map {
                    TranscriptWord(
                        text: $0.word, start: Self.seconds($0.startOffset), end: Self.seconds($0.endOffset),
                        confidence: $0.confidence > 0 ? Double($0.confidence) : nil,
                        speaker: Self.speakerNumber($0.speakerLabel))
                }
                let speakers = Set(words.map(\.speaker))
                let start = words.first.map { min($0.start, settledUntil) } ?? settledUntil
                let text = best.transcript.trimmingPrefixSpaces()
                if !text.isEmpty {
                    events.append(
                        .final(
                            TranscriptSegment(
                                text: text, start: start, end: max(end, start), words: words,
                                speaker: speakers.count == 1 ? speakers.first ?? nil : nil,
                                confidence: best.confidence > 0 ? Double(best.confidence) : nil)))
                }
                settledUntil = max(settledUntil, end)
                interimEnd = settledUntil
            } else {
                sawInterim = true
                interimText += best.transcript
                interimEnd = max(interimEnd, end)
            }
        }
        let text = interimText.trimmingPrefixSpaces()
        if sawInterim, !text.isEmpty {
            events.append(
                .interim(
                    TranscriptSegment(
                        text: text, start: settledUntil, end: max(interimEnd, settledUntil),
                        confidence: nil)))
        }
        return events
    }

    /// An absent offset is the start of the stream, as protobuf's default Duration reads.
    private static func seconds(_ duration: GoogleSpeech.Duration?) -> Double {
        duration?.timeInterval ?? 0
    }

    /// Google labels speakers "1", "2", …; hark numbers them from 0 like the other providers.
    static func speakerNumber(_ label: String) -> Int? {
        guard let number = Int(label), number > 0 else { return nil }
        return number - 1
    }
}

extension String {
    /// Google starts later results with a space ("to be" + " or not to be").
    fileprivate func trimmingPrefixSpaces() -> String {
        String(drop { $0 == " " })
    }
}
