/// One recognised word, with times on the input's timeline.
package struct TranscriptWord: Sendable, Equatable {
    package var text: String
    /// Seconds from the start of the input.
    package var start: Double
    package var end: Double
    package var confidence: Double?
    package var speaker: Int?

    package init(text: String, start: Double, end: Double, confidence: Double? = nil, speaker: Int? = nil) {
        self.text = text
        self.start = start
        self.end = end
        self.confidence = confidence
        self.speaker = speaker
    }
}

/// A stretch of transcript: the text of an interim or final result.
///
/// Adapters fill times on the provider's own timeline (seconds of audio the connection
/// received); the session maps them onto the input's timeline before anything renders them.
package struct TranscriptSegment: Sendable, Equatable {
    package var text: String
    package var start: Double
    package var end: Double
    package var words: [TranscriptWord]
    package var speaker: Int?
    package var channel: Int?
    package var confidence: Double?
    /// Languages the provider detected in this stretch, most present first (Nova-3 `multi`,
    /// Flux multilingual, AssemblyAI's multilingual model); empty when it named none.
    package var languages: [String]

    package init(
        text: String, start: Double, end: Double, words: [TranscriptWord] = [], speaker: Int? = nil,
        channel: Int? = nil, confidence: Double? = nil, languages: [String] = []
    ) {
        self.languages = languages
        self.text = text
        self.start = start
        self.end = end
        self.words = words
        self.speaker = speaker
        self.channel = channel
        self.confidence = confidence
    }
}

/// Where a session stands, for stderr and for `status` lines in JSON Lines.
package enum SessionStatus: Sendable, Equatable {
    /// Connected to the provider (and, on reconnect, replaying).
    case connected(provider: String, requestID: String?)
    /// The connection was lost and will be retried.
    case reconnecting(reason: String, delay: Double, attempt: Int)
    /// Audio that will never be transcribed, as a range of input seconds.
    case audioLost(from: Double, to: Double, reason: String)
    /// Totals at the end of a run.
    case summary(SessionSummary)
}

/// What a run did, reported at its end.
package struct SessionSummary: Sendable, Equatable {
    /// Seconds of input audio read from the source.
    package var secondsCaptured: Double
    /// Seconds of audio sent to the provider (less than captured where the gate skipped silence).
    package var secondsSent: Double
    /// Seconds of input that were never transcribed.
    package var secondsLost: Double
    package var reconnects: Int

    package init(secondsCaptured: Double = 0, secondsSent: Double = 0, secondsLost: Double = 0, reconnects: Int = 0) {
        self.secondsCaptured = secondsCaptured
        self.secondsSent = secondsSent
        self.secondsLost = secondsLost
        self.reconnects = reconnects
    }
}

/// The one event model every provider's messages are translated into.
package enum TranscriptEvent: Sendable, Equatable {
    /// Text that may still change.
    case interim(TranscriptSegment)
    /// Text that will not change; rendered exactly once.
    case final(TranscriptSegment)
    /// The provider heard speech begin (seconds on the timeline).
    case speechStarted(at: Double)
    /// The provider decided an utterance ended (seconds on the timeline).
    case utteranceEnd(at: Double)
    /// Provider metadata worth keeping, such as its request id.
    case metadata(requestID: String?, detail: String?)
    /// A non-fatal message from the provider (a warning, an ignored parameter).
    case notice(String)
    /// What the session is doing (connected, reconnecting, lost audio, summary).
    case status(SessionStatus)
}
