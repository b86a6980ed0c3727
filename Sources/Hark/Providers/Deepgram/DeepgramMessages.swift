// Deepgram `/v1/listen` wire types: the control messages of developers.deepgram.com/docs/finalize,
// /docs/close-stream, /docs/audio-keep-alive and the server messages of Deepgram's asyncapi spec.
// Every field the protocol marks optional, or that the SDK types default, is optional here too:
// Deepgram adds fields over time and omits some on empty results, and a strict decoder would turn
// that into errors.

import FoundationEssentials

/// The control messages hark sends, as the exact JSON text frames Deepgram expects (A3).
///
/// Deepgram's parser is strict about `type` (a trailing space gives a `SchemaError`), so these
/// are fixed strings rather than encoded values.
enum DeepgramControlMessage {
    /// Resets the server's ~10 s no-data timer; no reply.
    static let keepAlive = #"{"type":"KeepAlive"}"#
    /// Flushes buffered audio into `from_finalize` finals without closing.
    static let finalize = #"{"type":"Finalize"}"#
    /// Flushes, sends `Metadata`, then closes with 1000.
    static let closeStream = #"{"type":"CloseStream"}"#
}

/// The `type` discriminator every server message carries; decoded first to pick the full type.
struct DeepgramMessageEnvelope: Decodable {
    var type: String?
}

extension DeepgramMessageEnvelope {
    /// The envelope of one text message, for both /v1/listen and Flux.
    ///
    /// A message that is not JSON means the server is not Deepgram, which is what the error says.
    init(text: String, data: Data, decoder: JSONDecoder) throws {
        do {
            self = try decoder.decode(DeepgramMessageEnvelope.self, from: data)
        } catch {
            throw ProviderError.protocolError(
                provider: DeepgramAdapter.descriptor.displayName,
                hint: "a message that is not JSON (\(text.prefix(80))); check that --endpoint points at Deepgram")
        }
    }
}

/// A `Results` message: the transcript of one audio window of one channel.
struct DeepgramResults: Decodable {
    /// `[channel, total channels]`.
    var channelIndex: [Int]?
    /// Start of the window, seconds from the start of this connection's audio.
    var start: Double?
    var duration: Double?
    var isFinal: Bool?
    var speechFinal: Bool?
    var fromFinalize: Bool?
    var channel: DeepgramChannel?
    var metadata: DeepgramResultMetadata?

    enum CodingKeys: String, CodingKey {
        case channelIndex = "channel_index"
        case start, duration
        case isFinal = "is_final"
        case speechFinal = "speech_final"
        case fromFinalize = "from_finalize"
        case channel, metadata
    }
}

/// `Results.channel`: the alternatives for one channel (streaming gives one).
struct DeepgramChannel: Decodable {
    var alternatives: [DeepgramAlternative]?
}

/// One transcription hypothesis of a window.
struct DeepgramAlternative: Decodable {
    var transcript: String?
    var confidence: Double?
    var words: [DeepgramWord]?
    /// Nova-3 `language=multi`: the languages detected in this result.
    var languages: [String]?
}

/// One word with absolute times in seconds from the start of this connection's audio.
struct DeepgramWord: Decodable {
    var word: String
    var start: Double
    var end: Double
    var confidence: Double?
    /// Present with `punctuate` or `smart_format`; preferred for text.
    var punctuatedWord: String?
    /// Present with diarization.
    var speaker: Int?
    /// Nova-3 `language=multi` (2026-10-23): the word's language.
    var language: String?

    enum CodingKeys: String, CodingKey {
        case word, start, end, confidence
        case punctuatedWord = "punctuated_word"
        case speaker, language
    }
}

/// `Results.metadata`: which request and model produced the result.
struct DeepgramResultMetadata: Decodable {
    var requestID: String?

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id"
    }
}

/// `Metadata`: the summary Deepgram sends once, as its last message before closing.
struct DeepgramMetadata: Decodable {
    var requestID: String?
    /// Seconds of audio processed.
    var duration: Double?
    var channels: Int?
    var models: [String]?

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id"
        case duration, channels, models
    }
}

/// `SpeechStarted` (with `vad_events=true`): speech onset on a channel.
struct DeepgramSpeechStarted: Decodable {
    var channel: [Int]?
    var timestamp: Double?
}

/// `UtteranceEnd` (with `utterance_end_ms`): a gap after the last word on a channel.
struct DeepgramUtteranceEnd: Decodable {
    var channel: [Int]?
    var lastWordEnd: Double?

    enum CodingKeys: String, CodingKey {
        case channel
        case lastWordEnd = "last_word_end"
    }
}

/// `Error`: a fatal or schema error reported in-band (SDK 7.x `ListenV1Error`).
struct DeepgramErrorMessage: Decodable {
    /// `SchemaError` when Deepgram could not parse a client text message.
    var variant: String?
    var description: String?
    /// For `SchemaError`, the offending client message.
    var message: String?
    /// Legacy frames only.
    var code: String?
}
