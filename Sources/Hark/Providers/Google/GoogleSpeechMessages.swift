/// The Google Cloud Speech-to-Text v2 messages hark streams, with the names and field numbers of
/// `Protos/google/cloud/speech/v2/cloud_speech.proto` (package `google.cloud.speech.v2`).
///
/// Requests only encode and responses only decode: hark never reads what it sends nor sends what
/// it reads. Field numbers are written out at each use, next to the field, as in the `.proto`.
package enum GoogleSpeech {
    /// `google.protobuf.Duration`: seconds and nanoseconds of the same sign.
    package struct Duration: Sendable, Equatable, ProtobufEncodable, ProtobufDecodable {
        package var seconds: Int64 = 0
        package var nanos: Int32 = 0

        package init() {}

        package init(seconds: Int64, nanos: Int32 = 0) {
            self.seconds = seconds
            self.nanos = nanos
        }

        /// The duration in seconds.
        package var timeInterval: Double { Double(seconds) + Double(nanos) / 1e9 }

        package func encode(to writer: inout ProtobufWriter) {
            writer.writeInt64(1, seconds)
            writer.writeInt32(2, nanos)
        }

        package mutating func merge(_ field: ProtobufField, from reader: inout ProtobufReader)
            throws(ProtobufWireError)
        {
            switch (field.number, field.wireType) {
            case (1, .varint): seconds = try reader.readInt64()
            case (2, .varint): nanos = try reader.readInt32()
            default: try reader.skip(field)
            }
        }
    }

    // MARK: Requests

    /// One message of the request stream: the first carries the recognizer and the configuration,
    /// every later one only audio.
    package struct StreamingRecognizeRequest: Sendable, Equatable, ProtobufEncodable {
        /// The `streaming_request` oneof.
        package enum Payload: Sendable, Equatable {
            case streamingConfig(StreamingRecognitionConfig)
            /// At most 15 KB per message.
            case audio([UInt8])
        }

        /// `projects/{project}/locations/{location}/recognizers/{recognizer}`.
        package var recognizer = ""
        package var payload: Payload?

        package init(recognizer: String = "", payload: Payload? = nil) {
            self.recognizer = recognizer
            self.payload = payload
        }

        package func encode(to writer: inout ProtobufWriter) {
            writer.writeString(3, recognizer)
            switch payload {
            case .audio(let audio): writer.writeLengthDelimited(5, audio)
            case .streamingConfig(let config): writer.writeMessage(6, config)
            case nil: break
            }
        }
    }

    package struct StreamingRecognitionConfig: Sendable, Equatable, ProtobufEncodable {
        package var config: RecognitionConfig?
        package var streamingFeatures: StreamingRecognitionFeatures?

        package init(config: RecognitionConfig? = nil, streamingFeatures: StreamingRecognitionFeatures? = nil) {
            self.config = config
            self.streamingFeatures = streamingFeatures
        }

        package func encode(to writer: inout ProtobufWriter) {
            writer.writeMessage(1, config)
            writer.writeMessage(2, streamingFeatures)
        }
    }

    package struct StreamingRecognitionFeatures: Sendable, Equatable, ProtobufEncodable {
        /// How eagerly Google decides an utterance has ended.
        package enum EndpointingSensitivity: Int32, Sendable {
            case unspecified = 0
            case standard = 1
            case supershort = 2
            case short = 3
        }

        /// Ends the stream when no speech starts, or speech stays absent, for this long.
        package struct VoiceActivityTimeout: Sendable, Equatable, ProtobufEncodable {
            package var speechStartTimeout: Duration?
            package var speechEndTimeout: Duration?

            package init(speechStartTimeout: Duration? = nil, speechEndTimeout: Duration? = nil) {
                self.speechStartTimeout = speechStartTimeout
                self.speechEndTimeout = speechEndTimeout
            }

            package func encode(to writer: inout ProtobufWriter) {
                writer.writeMessage(1, speechStartTimeout)
                writer.writeMessage(2, speechEndTimeout)
            }
        }

        package var enableVoiceActivityEvents = false
        package var interimResults = false
        package var voiceActivityTimeout: VoiceActivityTimeout?
        package var endpointingSensitivity = EndpointingSensitivity.unspecified

        package init(
            enableVoiceActivityEvents: Bool = false, interimResults: Bool = false,
            voiceActivityTimeout: VoiceActivityTimeout? = nil,
            endpointingSensitivity: EndpointingSensitivity = .unspecified
        ) {
            self.enableVoiceActivityEvents = enableVoiceActivityEvents
            self.interimResults = interimResults
            self.voiceActivityTimeout = voiceActivityTimeout
            self.endpointingSensitivity = endpointingSensitivity
        }

        package func encode(to writer: inout ProtobufWriter) {
            writer.writeBool(1, enableVoiceActivityEvents)
            writer.writeBool(2, interimResults)
            writer.writeMessage(3, voiceActivityTimeout)
            writer.writeInt32(8, endpointingSensitivity.rawValue)
        }
    }

    package struct RecognitionConfig: Sendable, Equatable, ProtobufEncodable {
        /// The `decoding_config` oneof.
        package enum Decoding: Sendable, Equatable {
            /// `AutoDetectDecodingConfig`, an empty message: for self-describing formats only.
            case automatic
            case explicit(ExplicitDecodingConfig)
        }

        package var features: RecognitionFeatures?
        package var decoding: Decoding?
        package var model = ""
        package var languageCodes: [String] = []
        /// Phrase hints (`--keyterm`); nil sends none.
        package var adaptation: SpeechAdaptation?

        package init(
            features: RecognitionFeatures? = nil, decoding: Decoding? = nil, model: String = "",
            languageCodes: [String] = [], adaptation: SpeechAdaptation? = nil
        ) {
            self.features = features
            self.decoding = decoding
            self.model = model
            self.languageCodes = languageCodes
            self.adaptation = adaptation
        }

        package func encode(to writer: inout ProtobufWriter) {
            writer.writeMessage(2, features)
            writer.writeMessage(6, adaptation)
            switch decoding {
            // A set oneof member is written even when its message is empty (`3A 00`).
            case .automatic: writer.writeLengthDelimited(7, [])
            case .explicit(let explicit): writer.writeMessage(8, explicit)
            case nil: break
            }
            writer.writeString(9, model)
            // Every element, the empty string included, as protobuf does for repeated strings.
            for code in languageCodes { writer.writeLengthDelimited(10, code.utf8) }
        }
    }

    /// `SpeechAdaptation` with inline phrase sets only; boosts are left at Google's default.
    ///
    /// Field numbers from Google's v2 cloud_speech.proto (googleapis/google-cloud-python,
    /// speech_v2 types): phrase_sets 1; AdaptationPhraseSet.inline_phrase_set 2;
    /// PhraseSet.phrases 3; Phrase.value 1.
    package struct SpeechAdaptation: Sendable, Equatable, ProtobufEncodable {
        /// Each inline phrase set's phrases.
        package var inlinePhraseSets: [[String]]

        package init(inlinePhraseSets: [[String]]) {
            self.inlinePhraseSets = inlinePhraseSets
        }

        package func encode(to writer: inout ProtobufWriter) {
            for phrases in inlinePhraseSets {
                writer.writeMessage(1, AdaptationPhraseSet(phrases: phrases))
            }
        }

        /// `AdaptationPhraseSet` holding `inline_phrase_set`, written even when it has no phrases.
        struct AdaptationPhraseSet: ProtobufEncodable {
            var phrases: [String]

            func encode(to writer: inout ProtobufWriter) {
                writer.writeMessage(2, PhraseSet(phrases: phrases))
            }
        }

        struct PhraseSet: ProtobufEncodable {
            var phrases: [String]

            func encode(to writer: inout ProtobufWriter) {
                for phrase in phrases { writer.writeMessage(3, Phrase(value: phrase)) }
            }
        }

        struct Phrase: ProtobufEncodable {
            var value: String

            func encode(to writer: inout ProtobufWriter) {
                writer.writeString(1, value)
            }
        }
    }

    package struct ExplicitDecodingConfig: Sendable, Equatable, ProtobufEncodable {
        /// v2 numbering (v1's differs).
        package enum AudioEncoding: Int32, Sendable, CaseIterable {
            case unspecified = 0
            case linear16 = 1
            case mulaw = 2
            case alaw = 3
            case amr = 4
            case amrWB = 5
            case flac = 6
            case mp3 = 7
            case oggOpus = 8
            case webmOpus = 9
            case mp4AAC = 10
            case m4aAAC = 11
            case movAAC = 12
        }

        package var encoding = AudioEncoding.unspecified
        package var sampleRateHertz: Int32 = 0
        package var audioChannelCount: Int32 = 0

        package init(encoding: AudioEncoding = .unspecified, sampleRateHertz: Int32 = 0, audioChannelCount: Int32 = 0) {
            self.encoding = encoding
            self.sampleRateHertz = sampleRateHertz
            self.audioChannelCount = audioChannelCount
        }

        package func encode(to writer: inout ProtobufWriter) {
            writer.writeInt32(1, encoding.rawValue)
            writer.writeInt32(2, sampleRateHertz)
            writer.writeInt32(3, audioChannelCount)
        }
    }

    package struct RecognitionFeatures: Sendable, Equatable, ProtobufEncodable {
        package var profanityFilter = false
        package var enableWordTimeOffsets = false
        package var enableWordConfidence = false
        package var enableAutomaticPunctuation = false
        /// Present (even empty) turns diarization on.
        package var diarizationConfig: SpeakerDiarizationConfig?
        package var enableSpokenPunctuation = false
        package var enableSpokenEmojis = false
        package var maxAlternatives: Int32 = 0

        package init() {}

        package func encode(to writer: inout ProtobufWriter) {
            writer.writeBool(1, profanityFilter)
            writer.writeBool(2, enableWordTimeOffsets)
            writer.writeBool(3, enableWordConfidence)
            writer.writeBool(4, enableAutomaticPunctuation)
            writer.writeMessage(9, diarizationConfig)
            writer.writeBool(14, enableSpokenPunctuation)
            writer.writeBool(15, enableSpokenEmojis)
            writer.writeInt32(16, maxAlternatives)
        }
    }

    package struct SpeakerDiarizationConfig: Sendable, Equatable, ProtobufEncodable {
        package var minSpeakerCount: Int32 = 0
        package var maxSpeakerCount: Int32 = 0

        package init(minSpeakerCount: Int32 = 0, maxSpeakerCount: Int32 = 0) {
            self.minSpeakerCount = minSpeakerCount
            self.maxSpeakerCount = maxSpeakerCount
        }

        package func encode(to writer: inout ProtobufWriter) {
            writer.writeInt32(2, minSpeakerCount)
            writer.writeInt32(3, maxSpeakerCount)
        }
    }

    // MARK: Responses

    /// One message of the response stream: results, or a speech event.
    package struct StreamingRecognizeResponse: Sendable, Equatable, ProtobufDecodable {
        /// An open enum, as proto3 enums are: values newer than hark keep their number.
        package struct SpeechEventType: RawRepresentable, Sendable, Equatable {
            package var rawValue: Int32
            package init(rawValue: Int32) { self.rawValue = rawValue }

            package static let unspecified = Self(rawValue: 0)
            package static let endOfSingleUtterance = Self(rawValue: 1)
            package static let speechActivityBegin = Self(rawValue: 2)
            package static let speechActivityEnd = Self(rawValue: 3)
        }

        /// At most one final (the newly settled stretch), then interims for later stretches.
        package var results: [StreamingRecognitionResult] = []
        package var speechEventType = SpeechEventType.unspecified
        /// From the start of this stream's audio.
        package var speechEventOffset: Duration?
        package var metadata: RecognitionResponseMetadata?

        package init() {}

        package mutating func merge(_ field: ProtobufField, from reader: inout ProtobufReader)
            throws(ProtobufWireError)
        {
            switch (field.number, field.wireType) {
            case (3, .varint): speechEventType = SpeechEventType(rawValue: try reader.readInt32())
            case (5, .lengthDelimited): metadata = try reader.readMessage(merging: metadata)
            case (6, .lengthDelimited): results.append(try reader.readMessage(merging: nil))
            case (7, .lengthDelimited): speechEventOffset = try reader.readMessage(merging: speechEventOffset)
            default: try reader.skip(field)
            }
        }
    }

    package struct StreamingRecognitionResult: Sendable, Equatable, ProtobufDecodable {
        /// The most likely first.
        package var alternatives: [SpeechRecognitionAlternative] = []
        package var isFinal = false
        /// Interim results only; 0 means unset.
        package var stability: Float = 0
        /// From the start of this stream's audio.
        package var resultEndOffset: Duration?
        /// 1…N with per-channel recognition, else 0.
        package var channelTag: Int32 = 0
        package var languageCode = ""

        package init() {}

        package mutating func merge(_ field: ProtobufField, from reader: inout ProtobufReader)
            throws(ProtobufWireError)
        {
            switch (field.number, field.wireType) {
            case (1, .lengthDelimited): alternatives.append(try reader.readMessage(merging: nil))
            case (2, .varint): isFinal = try reader.readBool()
            case (3, .fixed32): stability = try reader.readFloat()
            case (4, .lengthDelimited): resultEndOffset = try reader.readMessage(merging: resultEndOffset)
            case (5, .varint): channelTag = try reader.readInt32()
            case (6, .lengthDelimited): languageCode = try reader.readString(field: 6)
            default: try reader.skip(field)
            }
        }
    }

    package struct SpeechRecognitionAlternative: Sendable, Equatable, ProtobufDecodable {
        package var transcript = ""
        /// Final results' top alternative only; 0 means unset.
        package var confidence: Float = 0
        /// With word time offsets or confidence turned on, in the top alternative.
        package var words: [WordInfo] = []

        package init() {}

        package mutating func merge(_ field: ProtobufField, from reader: inout ProtobufReader)
            throws(ProtobufWireError)
        {
            switch (field.number, field.wireType) {
            case (1, .lengthDelimited): transcript = try reader.readString(field: 1)
            case (2, .fixed32): confidence = try reader.readFloat()
            case (3, .lengthDelimited): words.append(try reader.readMessage(merging: nil))
            default: try reader.skip(field)
            }
        }
    }

    package struct WordInfo: Sendable, Equatable, ProtobufDecodable {
        package var startOffset: Duration?
        package var endOffset: Duration?
        package var word = ""
        package var confidence: Float = 0
        /// With diarization: "1", "2", … per distinct speaker.
        package var speakerLabel = ""

        package init() {}

        package mutating func merge(_ field: ProtobufField, from reader: inout ProtobufReader)
            throws(ProtobufWireError)
        {
            switch (field.number, field.wireType) {
            case (1, .lengthDelimited): startOffset = try reader.readMessage(merging: startOffset)
            case (2, .lengthDelimited): endOffset = try reader.readMessage(merging: endOffset)
            case (3, .lengthDelimited): word = try reader.readString(field: 3)
            case (4, .fixed32): confidence = try reader.readFloat()
            case (6, .lengthDelimited): speakerLabel = try reader.readString(field: 6)
            default: try reader.skip(field)
            }
        }
    }

    package struct RecognitionResponseMetadata: Sendable, Equatable, ProtobufDecodable {
        package var totalBilledDuration: Duration?
        package var requestID = ""

        package init() {}

        package mutating func merge(_ field: ProtobufField, from reader: inout ProtobufReader)
            throws(ProtobufWireError)
        {
            switch (field.number, field.wireType) {
            case (6, .lengthDelimited): totalBilledDuration = try reader.readMessage(merging: totalBilledDuration)
            case (9, .lengthDelimited): requestID = try reader.readString(field: 9)
            default: try reader.skip(field)
            }
        }
    }
}
