import FoundationEssentials

// Wire types of AssemblyAI Universal Streaming v3 (`/v3/ws`), from
// assemblyai.com/docs/streaming/message-sequence (client and server messages).

/// Every message the AssemblyAI v3 server sends, flattened: one JSON object discriminated by `type`.
///
/// A flat struct of optionals rather than an enum of payloads: the server adds fields and message
/// types over time (`Heartbeat`, `Silence`, `SpeakerRevision`), and unknown ones must be ignored,
/// not fail the decode.
struct AssemblyAIServerMessage: Decodable {
    /// `Begin`, `Turn`, `SpeechStarted`, `Termination`, `Error`, `Warning`, …; nil in the legacy
    /// bare `{"error": "…"}` form.
    var type: String?

    // Begin
    var id: String?
    /// Unix seconds when the session ends at its length limit.
    var expiresAt: Int?
    var configuration: Configuration?

    // Turn
    var turnOrder: Int?
    var transcript: String?
    var words: [Word]?
    var endOfTurn: Bool?
    var turnIsFormatted: Bool?
    var speakerLabel: String?
    var languageCode: String?

    // SpeechStarted
    /// Milliseconds from the start of this session's audio.
    var timestamp: Double?

    // Termination
    var audioDurationSeconds: Double?
    var sessionDurationSeconds: Double?

    // Error / Warning
    var errorCode: Int?
    var error: String?
    var warningCode: Int?
    var warning: String?

    /// The model and mode the server chose, in newer `Begin` messages.
    struct Configuration: Decodable {
        var model: String?
        var mode: String?
    }

    /// One word of a turn; times are integer milliseconds from the start of the session's audio.
    struct Word: Decodable {
        var text: String
        var start: Double?
        var end: Double?
        var confidence: Double?
        var wordIsFinal: Bool?
        var speaker: String?
    }

    enum CodingKeys: String, CodingKey {
        case type, id, configuration, transcript, words, timestamp, error, warning
        case expiresAt = "expires_at"
        case turnOrder = "turn_order"
        case endOfTurn = "end_of_turn"
        case turnIsFormatted = "turn_is_formatted"
        case speakerLabel = "speaker_label"
        case languageCode = "language_code"
        case audioDurationSeconds = "audio_duration_seconds"
        case sessionDurationSeconds = "session_duration_seconds"
        case errorCode = "error_code"
        case warningCode = "warning_code"
    }
}

extension AssemblyAIServerMessage.Word {
    enum CodingKeys: String, CodingKey {
        case text, start, end, confidence, speaker
        case wordIsFinal = "word_is_final"
    }
}

/// The client's text messages hark sends.
///
/// They are constant JSON, so they are kept as strings.
package enum AssemblyAIClientMessage {
    /// Ends the session: the server flushes in-flight turns, sends `Termination`, closes 1000.
    package static let terminate = #"{"type":"Terminate"}"#
    /// Resets the server's inactivity timer (only meaningful with `inactivity_timeout`).
    package static let keepAlive = #"{"type":"KeepAlive"}"#
}
