// Deepgram Flux (`/v2/listen`) server messages: developers.deepgram.com/reference/speech-to-text/
// listen-flux and /docs/flux/state. Every field is optional, as for `/v1/listen`: Deepgram adds fields over time.

/// `TurnInfo`: where the current turn stands, with its whole transcript so far.
struct DeepgramFluxTurnInfo: Decodable {
    /// Update, StartOfTurn, EagerEndOfTurn, TurnResumed or EndOfTurn.
    var event: String?
    /// Counts turns from 0; it moves on right after an `EndOfTurn`.
    var turnIndex: Int?
    /// The turn's audio, seconds from the start of this connection's audio.
    var audioWindowStart: Double?
    var audioWindowEnd: Double?
    var transcript: String?
    var words: [DeepgramFluxWord]?
    var endOfTurnConfidence: Double?
    /// flux-general-multi: detected languages, most present first.
    var languages: [String]?
    /// On `EndOfTurn`: model, manual (ForceEndTurn) or timeout.
    var trigger: String?
    var requestID: String?

    enum CodingKeys: String, CodingKey {
        case event
        case turnIndex = "turn_index"
        case audioWindowStart = "audio_window_start"
        case audioWindowEnd = "audio_window_end"
        case transcript, words
        case endOfTurnConfidence = "end_of_turn_confidence"
        case languages, trigger
        case requestID = "request_id"
    }
}

/// One word of a turn; Flux usually sends no times for it (the addenda), so they are optional.
struct DeepgramFluxWord: Decodable {
    var word: String
    var confidence: Double?
    var start: Double?
    var end: Double?
}

/// `Connected`: the first message, naming the request.
struct DeepgramFluxConnected: Decodable {
    var requestID: String?

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id"
    }
}

/// `Error` on `/v2/listen`: fatal, `{code, description}`.
struct DeepgramFluxError: Decodable {
    var code: String?
    var description: String?
}

/// `ConfigureSuccess` / `ConfigureFailure`: the answer to a mid-stream `Configure`.
struct DeepgramFluxConfigureReply: Decodable {
    var code: String?
    var description: String?
}
