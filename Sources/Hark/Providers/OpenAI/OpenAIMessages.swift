import FoundationEssentials

// Wire types of OpenAI Realtime transcription sessions, GA shape only, from
// OpenAI's Realtime API reference (developers.openai.com/api/reference/resources/realtime:
// client and server events) and the openai-python `types/realtime` models.

/// The `session.update` that turns a Realtime session into a transcription session (A.4.1).
///
/// Encoded by hand where the protocol needs an explicit `null` (`turn_detection: null` turns the
/// server's VAD off; an omitted field would leave the default server VAD on).
struct OpenAISessionUpdate: Encodable {
    var eventID: String
    var input: Input

    /// `session.audio.input`.
    struct Input: Encodable {
        var transcription: Transcription
        var noiseReduction: NoiseReduction
        /// nil sends `null`: no server turn detection, hark commits.
        var turnDetection: TurnDetection?

        enum CodingKeys: String, CodingKey {
            case format, transcription
            case noiseReduction = "noise_reduction"
            case turnDetection = "turn_detection"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            // Exactly 24 kHz: the server refuses any other rate and then discards the whole update.
            try container.encode(Format(type: "audio/pcm", rate: OpenAIAdapter.sampleRate), forKey: .format)
            try container.encode(transcription, forKey: .transcription)
            switch noiseReduction {
            case .unchanged: break
            case .off: try container.encodeNil(forKey: .noiseReduction)
            case .type(let type): try container.encode(["type": type], forKey: .noiseReduction)
            }
            if let turnDetection {
                try container.encode(turnDetection, forKey: .turnDetection)
            } else {
                try container.encodeNil(forKey: .turnDetection)
            }
        }
    }

    struct Format: Encodable {
        var type: String
        var rate: Int
    }

    /// `audio.input.transcription`; nil fields are left out.
    struct Transcription: Encodable {
        var model: String
        var language: String?
        var prompt: String?
        var delay: String?
        var keywords: [String]?
        var languages: [String]?
    }

    /// `audio.input.noise_reduction`: left as it is, turned off (`null`), or a filter type.
    enum NoiseReduction {
        case unchanged
        case off
        case type(String)
    }

    /// `audio.input.turn_detection` when the server decides turns.
    struct TurnDetection: Encodable {
        var type: String
        var threshold: Double?
        var prefixPaddingMs: Int?
        var silenceDurationMs: Int?
        var eagerness: String?

        enum CodingKeys: String, CodingKey {
            case type, threshold, eagerness
            case prefixPaddingMs = "prefix_padding_ms"
            case silenceDurationMs = "silence_duration_ms"
        }
    }

    enum CodingKeys: String, CodingKey {
        case type, session
        case eventID = "event_id"
    }

    enum SessionKeys: String, CodingKey {
        case type, audio
    }

    enum AudioKeys: String, CodingKey {
        case input
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode("session.update", forKey: .type)
        try container.encode(eventID, forKey: .eventID)
        var session = container.nestedContainer(keyedBy: SessionKeys.self, forKey: .session)
        try session.encode("transcription", forKey: .type)
        var audio = session.nestedContainer(keyedBy: AudioKeys.self, forKey: .audio)
        try audio.encode(input, forKey: .input)
    }
}

/// Client events whose text never changes.
package enum OpenAIClientMessage {
    /// `event_id` of hark's opening `session.update`; the server echoes it on an `error`.
    static let sessionUpdateID = "hark_session_update"
    /// `event_id` of the commit sent when the stream ends.
    static let finishCommitID = "hark_finish_commit"
    /// `event_id` of the empty `session.update` sent after that commit.
    static let finishMarkerID = "hark_finish"

    /// Commits the buffered audio as one item (a turn) and starts its transcription.
    package static let commit = #"{"type":"input_audio_buffer.commit"}"#
    /// The commit sent at the end of the stream, marked so its `error` can be recognised.
    static let finishCommit = #"{"type":"input_audio_buffer.commit","event_id":"hark_finish_commit"}"#
    /// A `session.update` that changes nothing.
    ///
    /// The server answers every valid update with
    /// `session.updated` and handles events in order, so that answer tells the decoder the finish
    /// commit was processed: every item it must wait for is known by then.
    static let finishMarker = #"{"type":"session.update","event_id":"hark_finish","session":{"type":"transcription"}}"#

    private static let appendPrefix = Array(#"{"type":"input_audio_buffer.append","audio":""#.utf8)
    private static let appendSuffix = Array(#""}"#.utf8)
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// `input_audio_buffer.append` with the payload in base64, built in one buffer: this runs for
    /// every chunk (a 250 ms chunk is 12 000 bytes, 16 000 base64 characters).
    static func append(_ payload: [UInt8]) -> String {
        let encodedCount = (payload.count + 2) / 3 * 4
        let total = appendPrefix.count + encodedCount + appendSuffix.count
        let bytes = [UInt8](unsafeUninitializedCapacity: total) { output, initialized in
            var out = 0
            for byte in appendPrefix {
                output[out] = byte
                out += 1
            }
            alphabet.withUnsafeBufferPointer { table in
                payload.withUnsafeBufferPointer { input in
                    var index = 0
                    let count = input.count
                    while index + 3 <= count {
                        let value =
                            UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
                        output[out] = table[Int(value >> 18 & 63)]
                        output[out + 1] = table[Int(value >> 12 & 63)]
                        output[out + 2] = table[Int(value >> 6 & 63)]
                        output[out + 3] = table[Int(value & 63)]
                        out += 4
                        index += 3
                    }
                    let rest = count - index
                    if rest > 0 {
                        let second = rest == 2 ? UInt32(input[index + 1]) : 0
                        let value = UInt32(input[index]) << 16 | second << 8
                        output[out] = table[Int(value >> 18 & 63)]
                        output[out + 1] = table[Int(value >> 12 & 63)]
                        output[out + 2] = rest == 2 ? table[Int(value >> 6 & 63)] : UInt8(ascii: "=")
                        output[out + 3] = UInt8(ascii: "=")
                        out += 4
                    }
                }
            }
            for byte in appendSuffix {
                output[out] = byte
                out += 1
            }
            initialized = out
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Every server event hark reads, flattened: one JSON object discriminated by `type`.
///
/// Unknown
/// fields and types are ignored (OpenAI adds both over time).
struct OpenAIServerEvent: Decodable {
    var type: String
    var session: Session?
    var itemID: String?
    var previousItemID: String?
    var audioStartMs: Double?
    var audioEndMs: Double?
    var delta: String?
    var transcript: String?
    var error: ErrorDetail?

    /// The effective session configuration in `session.created` / `session.updated`.
    struct Session: Decodable {
        var type: String?
        var id: String?
        var audio: Audio?

        struct Audio: Decodable {
            var input: Input?
        }

        struct Input: Decodable {
            var format: Format?
            /// nil (JSON `null`) means transcription is off: the session would never transcribe.
            var transcription: Transcription?
        }

        struct Format: Decodable {
            var type: String?
            var rate: Int?
        }

        struct Transcription: Decodable {
            var model: String?
        }
    }

    /// The `error` of an `error` event or a `…transcription.failed` event.
    struct ErrorDetail: Decodable {
        var type: String?
        var code: String?
        var message: String?
        var param: String?
        var eventID: String?

        enum CodingKeys: String, CodingKey {
            case type, code, message, param
            case eventID = "event_id"
        }
    }

    enum CodingKeys: String, CodingKey {
        case type, session, delta, transcript, error
        case itemID = "item_id"
        case previousItemID = "previous_item_id"
        case audioStartMs = "audio_start_ms"
        case audioEndMs = "audio_end_ms"
    }
}
