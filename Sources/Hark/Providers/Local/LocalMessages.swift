/// One word as the local recognizer reports it: PocketSphinx's dictionary entry, fillers and
/// pronunciation suffixes still in (`<sil>`, `[NOISE]`, `read(2)`); the adapter's decoder cleans
/// them.
///
/// Times are seconds of audio the link received.
package struct LocalRecognizerWord: Codable, Sendable, Equatable {
    package var word: String
    package var start: Double
    package var end: Double

    package init(word: String, start: Double, end: Double) {
        self.word = word
        self.start = start
        self.end = end
    }
}

/// A message `LocalRecognizerLink` puts on its inbound stream, as JSON text, so the in-process
/// recognizer is decoded exactly like a network provider (and its decoder tested with fixtures).
///
/// `{"type":"speech_started","at":1.91}`, `{"type":"partial","words":[…]}`,
/// `{"type":"final","words":[…]}`, `{"type":"utterance_end","at":4.62}`, `{"type":"finished"}`.
package struct LocalRecognizerMessage: Codable, Sendable, Equatable {
    package enum Kind: String, Codable, Sendable {
        /// PocketSphinx's voice-activity detection heard speech begin.
        case speechStarted = "speech_started"
        /// The running hypothesis of the open utterance; may still change.
        case partial
        /// The hypothesis of an utterance that ended; will not change.
        case final
        /// An utterance ended (after its final).
        case utteranceEnd = "utterance_end"
        /// Every result after a `finish` request has been delivered.
        case finished
    }

    package var type: Kind
    /// Seconds of received audio, for `speech_started` and `utterance_end`.
    package var at: Double?
    /// The segmentation, for `partial` and `final`.
    package var words: [LocalRecognizerWord]?

    package init(type: Kind, at: Double? = nil, words: [LocalRecognizerWord]? = nil) {
        self.type = type
        self.at = at
        self.words = words
    }
}

/// A control message the session sends to the local recognizer link as text.
package struct LocalRecognizerControl: Codable, Sendable, Equatable {
    package enum Kind: String, Codable, Sendable {
        /// End the open utterance, deliver its final, then report `finished`.
        case finish
        /// End the open utterance and deliver its final; the stream goes on.
        case endUtterance = "end_utterance"
    }

    package var type: Kind

    package init(type: Kind) {
        self.type = type
    }

    /// `{"type":"finish"}`, spelled out so the adapter needs no encoder to build it.
    package static let finishText = #"{"type":"finish"}"#

    /// `{"type":"end_utterance"}`, sent when the voice-activity gate closes.
    package static let endUtteranceText = #"{"type":"end_utterance"}"#
}
