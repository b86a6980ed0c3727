import Foundation
import Testing

@testable import Hark

/// Recorded Deepgram messages, in the shapes of Deepgram's asyncapi spec (the official SDK
/// fixture, a third-party wire capture and the docs examples), trimmed where noted.
enum DeepgramFixtures {
    /// A4 Example 1: final with `speech_final`, punctuated words (deepgram-python-sdk fixture).
    static let speechFinal = """
        {"channel":{"alternatives":[{"transcript":"Testing. 123. Testing. 123.","confidence":0.987885,
         "words":[{"word":"testing","start":1.22,"end":1.62,"confidence":0.483064,"punctuated_word":"Testing."},
                  {"word":"123","start":1.62,"end":2.12,"confidence":0.93632686,"punctuated_word":"123."},
                  {"word":"testing","start":2.1799998,"end":2.6799998,"confidence":0.987885,"punctuated_word":"Testing."},
                  {"word":"123","start":3.1399999,"end":3.6399999,"confidence":0.99418044,"punctuated_word":"123."}]}]},
         "metadata":{"model_info":{"name":"2-general-nova","version":"2024-01-18.26916","arch":"nova-3"},
                     "request_id":"26dd8cc9-77e6-4db7-a0ae-3034c013cb64","model_uuid":"c0d1a568-ce81-4fea-97e7-bd45cb1fdf3c"},
         "type":"Results","channel_index":[0,1],"duration":3.08,"start":0.74,
         "is_final":true,"from_finalize":false,"speech_final":true}
        """

    /// The same fixture set's empty final for a silent window.
    static let emptyFinal = """
        {"type":"Results","channel_index":[0,1],"duration":0.74,"start":0.0,"is_final":true,"speech_final":true,
         "channel":{"alternatives":[{"transcript":"","confidence":0.0,"words":[]}]}}
        """

    /// A4 Example 2: interim with words (wire capture).
    static let interim = """
        {"type":"Results","channel_index":[0,1],"duration":3.119938,"start":12.08,"is_final":false,"speech_final":false,
         "channel":{"alternatives":[{"transcript":"This is the","confidence":0.95703125,
           "words":[{"word":"this","start":14.08,"end":14.4,"confidence":0.95703125,"punctuated_word":"This"},
                    {"word":"is","start":14.4,"end":14.8,"confidence":0.9970703,"punctuated_word":"is"},
                    {"word":"the","start":14.8,"end":15.199938,"confidence":0.43286133,"punctuated_word":"the"}]}]},
         "metadata":{"request_id":"01a03ac2-b34c-7433-9df5-62b0600b10bf",
           "model_info":{"name":"2-phonecall-nova","version":"2024-02-07.20824","arch":"nova-2"},
           "model_uuid":"7e3b5bdf-85ed-4fd2-9f7a-7721bbcad97b"},"from_finalize":false}
        """

    /// A4 `Metadata` after `CloseStream` with audio (wire capture).
    static let metadata = """
        {"type":"Metadata","transaction_key":"deprecated","request_id":"01a03ac3-92a1-79f0-ad85-2cee59754422",
         "sha256":"incomplete","created":"2026-08-25T21:11:31.685Z","duration":44.259937,"channels":1,
         "models":["7e3b5bdf-85ed-4fd2-9f7a-7721bbcad97b"],
         "model_info":{"7e3b5bdf-85ed-4fd2-9f7a-7721bbcad97b":{"name":"2-phonecall-nova","version":"2024-02-07.20824","arch":"nova-2"}}}
        """

    static let utteranceEnd = #"{"channel":[0,1],"last_word_end":2.395,"type":"UtteranceEnd"}"#
    static let speechStarted = #"{"type":"SpeechStarted","channel":[0,1],"timestamp":91.2}"#

    /// A4 `Error` produced by a misspelled KeepAlive (public Android client comment).
    static let schemaError = """
        {"type":"Error","variant":"SchemaError","description":"Could not deserialize last text message: unknown variant `KeepAlive `, expected one of `CloseStream`, `Configure`, `Sync`, `KeepAlive`, `Finalize` at line 1 column 22","message":"{ \\"type\\": \\"KeepAlive \\"}"}
        """

    /// A `Results` message built in the shape of the fixtures, for sequences.
    static func results(
        _ words: [(String, Double, Double)], start: Double, duration: Double, isFinal: Bool, speechFinal: Bool = false,
        fromFinalize: Bool = false, channel: Int = 0, channels: Int = 1, speaker: Int? = nil
    ) -> String {
        let wordJSON = words.map { word, wordStart, wordEnd in
            let speakerField = speaker.map { #","speaker":\#($0)"# } ?? ""
            return #"{"word":"\#(word.lowercased())","start":\#(wordStart),"end":\#(wordEnd),"confidence":0.9,"#
                + #""punctuated_word":"\#(word)"\#(speakerField)}"#
        }
        let transcript = words.map(\.0).joined(separator: " ")
        return #"{"type":"Results","channel_index":[\#(channel),\#(channels)],"start":\#(start),"#
            + #""duration":\#(duration),"is_final":\#(isFinal),"speech_final":\#(speechFinal),"#
            + #""from_finalize":\#(fromFinalize),"channel":{"alternatives":[{"transcript":"\#(transcript)","#
            + #""confidence":0.9,"words":[\#(wordJSON.joined(separator: ","))]}]}}"#
    }
}

@Suite("Deepgram adapter: connection request and messages")
struct DeepgramAdapterRequestTests {
    static func adapter(_ options: ProviderOptions = ProviderOptions(credential: "key123")) throws -> DeepgramAdapter {
        try DeepgramAdapter(options: options)
    }

    /// The query of a URL as pairs, still percent-encoded.
    static func query(_ url: String) -> [(String, String)] {
        guard let question = url.firstIndex(of: "?") else { return [] }
        return url[url.index(after: question)...].split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1)
            return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
        }
    }

    static func values(_ key: String, in url: String) -> [String] {
        query(url).filter { $0.0 == key }.map(\.1)
    }

    @Test("the default request asks for nova-3 linear16 at 16 kHz mono with interims, VAD events and utterance ends")
    func defaultQuery() throws {
        let request = try Self.adapter().connectionRequest()
        #expect(
            request.url
                == "wss://api.deepgram.com/v1/listen?model=nova-3&encoding=linear16&sample_rate=16000&channels=1"
                + "&interim_results=true&punctuate=true&smart_format=true&vad_events=true&utterance_end_ms=1000")
    }

    @Test("the key goes in an Authorization Token header and nowhere in the URL")
    func authorizationHeader() throws {
        let request = try Self.adapter().connectionRequest()
        #expect(request.headers == [HTTPHeader("Authorization", "Token key123")])
        #expect(!request.url.contains("key123"))
    }

    @Test("a temporary token (a JWT) is sent as Bearer")
    func jwtIsBearer() throws {
        let request = try Self.adapter(ProviderOptions(credential: "eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl"))
            .connectionRequest()
        #expect(request.headers[header: "authorization"] == "Bearer eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl")
    }

    @Test("model, language and endpoint come from the options")
    func modelLanguageEndpoint() throws {
        let adapter = try Self.adapter(
            ProviderOptions(
                credential: "k", endpoint: "ws://127.0.0.1:8080", model: "nova-2-phonecall", language: "en-US"))
        let url = try adapter.connectionRequest().url
        #expect(url.hasPrefix("ws://127.0.0.1:8080/v1/listen?model=nova-2-phonecall&language=en-US&"))
    }

    @Test("user parameters pass through, repeated keys stay repeated and a user value replaces hark's default")
    func parametersPassThrough() throws {
        let adapter = try Self.adapter(
            ProviderOptions(
                credential: "k",
                parameters: [
                    ProviderParameter(key: "keyterm", value: "hark"),
                    ProviderParameter(key: "utterance_end_ms", value: "1500"),
                    ProviderParameter(key: "keyterm", value: "speech to text"),
                    ProviderParameter(key: "smart_format", value: "false"),
                ]))
        let url = try adapter.connectionRequest().url
        #expect(Self.values("keyterm", in: url) == ["hark", "speech%20to%20text"])
        #expect(Self.values("utterance_end_ms", in: url) == ["1500"])
        #expect(Self.values("smart_format", in: url) == ["false"])
        #expect(Self.values("punctuate", in: url) == ["true"])
    }

    @Test("turning interim results off also drops the utterance_end_ms that needs them")
    func interimsOffDropsUtteranceEnd() throws {
        let adapter = try Self.adapter(
            ProviderOptions(credential: "k", parameters: [ProviderParameter(key: "interim_results", value: "false")]))
        let url = try adapter.connectionRequest().url
        #expect(Self.values("interim_results", in: url) == ["false"])
        #expect(Self.values("utterance_end_ms", in: url).isEmpty)
    }

    @Test("Ogg Opus is sent as a container: no encoding, sample_rate or channels")
    func oggOpusOmitsEncoding() throws {
        let adapter = try Self.adapter(ProviderOptions(credential: "k", encoding: .opus))
        let url = try adapter.connectionRequest().url
        #expect(Self.values("encoding", in: url).isEmpty)
        #expect(Self.values("sample_rate", in: url).isEmpty)
        #expect(Self.values("channels", in: url).isEmpty)
        #expect(adapter.audio == AudioRequirements(sampleRate: 16000, encoding: .opus))
    }

    @Test("mu-law is declared with its rate")
    func mulawDeclared() throws {
        let url = try Self.adapter(ProviderOptions(credential: "k", encoding: .mulaw)).connectionRequest().url
        #expect(Self.values("encoding", in: url) == ["mulaw"])
        #expect(Self.values("sample_rate", in: url) == ["16000"])
    }

    @Test("a sample_rate parameter changes the rate the pipeline produces and the rate declared")
    func sampleRateParameter() throws {
        let adapter = try Self.adapter(
            ProviderOptions(credential: "k", parameters: [ProviderParameter(key: "sample_rate", value: "8000")]))
        #expect(adapter.audio.sampleRate == 8000)
        #expect(Self.values("sample_rate", in: try adapter.connectionRequest().url) == ["8000"])
    }

    @Test("parameters that would misdescribe the audio or that Deepgram rejects are refused before connecting")
    func badParametersRefused() {
        for parameter in [
            ProviderParameter(key: "encoding", value: "mulaw"), ProviderParameter(key: "channels", value: "2"),
            ProviderParameter(key: "sample_rate", value: "fast"), ProviderParameter(key: "diarize", value: "True"),
        ] {
            #expect(throws: ProviderError.self) {
                try DeepgramAdapter(options: ProviderOptions(credential: "k", parameters: [parameter]))
            }
        }
    }

    @Test("a missing key is reported with the variable to set")
    func missingKey() {
        #expect {
            try DeepgramAdapter(options: ProviderOptions())
        } throws: { error in
            guard case .missingCredentials(let provider, let hint) = error as? ProviderError else { return false }
            return provider == "Deepgram" && hint.contains("DEEPGRAM_API_KEY")
        }
    }

    @Test("a malformed endpoint is refused before connecting")
    func malformedEndpoint() {
        #expect {
            try DeepgramAdapter(options: ProviderOptions(credential: "k", endpoint: "api.deepgram.com"))
        } throws: { error in
            guard case .invalidOption(_, let option, _) = error as? ProviderError else { return false }
            return option == "--endpoint"
        }
    }

    @Test("audio is one binary message and an empty payload sends nothing (it would close the stream)")
    func audioMessages() throws {
        let adapter = try Self.adapter()
        #expect(adapter.audioMessages([1, 2, 3]) == [.binary([1, 2, 3])])
        #expect(adapter.audioMessages([]) == [])
    }

    @Test("keep-alive is a KeepAlive text message every 5 s, finishing is Finalize then CloseStream")
    func controlMessages() throws {
        let adapter = try Self.adapter()
        #expect(adapter.keepAlive == .message(.text(#"{"type":"KeepAlive"}"#), interval: .seconds(5)))
        #expect(adapter.finishMessages() == [.text(#"{"type":"Finalize"}"#), .text(#"{"type":"CloseStream"}"#)])
        #expect(adapter.openingMessages() == [])
        #expect(!adapter.waitsForReady)
    }

    @Test("the registry finds the adapter by name")
    func registered() {
        #expect(ProviderRegistry.adapter(named: "Deepgram") is DeepgramAdapter.Type)
        #expect(DeepgramAdapter.descriptor.credentialVariables == ["DEEPGRAM_API_KEY"])
    }
}

@Suite("Deepgram adapter: assembling results")
struct DeepgramDecoderTests {
    static func decode(_ messages: [String], interims: Bool = true) throws -> ([TranscriptEvent], Bool) {
        var decoder = DeepgramTranscriptDecoder(emitsInterims: interims)
        var events: [TranscriptEvent] = []
        for message in messages { events += try decoder.decode(.text(message)) }
        return (events, decoder.isFinished)
    }

    static func finals(_ events: [TranscriptEvent]) -> [String] {
        events.compactMap { if case .final(let segment) = $0 { segment.text } else { nil } }
    }

    @Test("a speech_final result is one final with punctuated words and times, then the utterance end")
    func speechFinalFixture() throws {
        let (events, finished) = try Self.decode([DeepgramFixtures.speechFinal])
        #expect(events.count == 2)
        guard case .final(let segment) = try #require(events.first) else {
            Issue.record("expected a final, got \(events)")
            return
        }
        #expect(segment.text == "Testing. 123. Testing. 123.")
        #expect(segment.words.map(\.text) == ["Testing.", "123.", "Testing.", "123."])
        #expect(segment.start == 1.22)
        #expect(segment.end == 3.6399999)
        #expect(segment.channel == 0)
        #expect(segment.confidence == 0.987885)
        #expect(segment.words[1] == TranscriptWord(text: "123.", start: 1.62, end: 2.12, confidence: 0.93632686))
        #expect(events.last == .utteranceEnd(at: 3.6399999))
        #expect(!finished)
    }

    @Test("an interim becomes an interim event with its words")
    func interimFixture() throws {
        let (events, _) = try Self.decode([DeepgramFixtures.interim])
        guard case .interim(let segment) = try #require(events.first) else {
            Issue.record("expected an interim, got \(events)")
            return
        }
        #expect(events.count == 1)
        #expect(segment.text == "This is the")
        #expect(segment.words.map(\.text) == ["This", "is", "the"])
        #expect(segment.start == 14.08)
    }

    @Test("interims are not emitted when the user does not want them")
    func interimsSuppressed() throws {
        let (events, _) = try Self.decode([DeepgramFixtures.interim], interims: false)
        #expect(events.isEmpty)
    }

    @Test("empty finals on silence are not emitted and end no utterance")
    func emptyFinalIgnored() throws {
        let (events, _) = try Self.decode([DeepgramFixtures.emptyFinal])
        #expect(events.isEmpty)
    }

    @Test("finals of a long utterance are concatenated once each, never repeated, until speech_final")
    func longUtteranceNoRepeats() throws {
        let messages = [
            DeepgramFixtures.results([("Hello", 0.5, 0.9)], start: 0, duration: 1, isFinal: false),
            DeepgramFixtures.results(
                [("Hello", 0.5, 0.9), ("wide", 1.0, 1.4)], start: 0, duration: 1.5, isFinal: false),
            DeepgramFixtures.results(
                [("Hello", 0.5, 0.9), ("world,", 1.0, 1.4)], start: 0, duration: 2, isFinal: true),
            DeepgramFixtures.results([("this", 2.1, 2.4)], start: 2, duration: 0.5, isFinal: false),
            DeepgramFixtures.results([("this", 2.1, 2.4), ("is", 2.5, 2.6)], start: 2, duration: 1, isFinal: false),
            DeepgramFixtures.results(
                [("this", 2.1, 2.4), ("is", 2.5, 2.6), ("hark.", 2.7, 3.0)], start: 2, duration: 1.2, isFinal: true,
                speechFinal: true),
            DeepgramFixtures.utteranceEnd.replacingOccurrences(of: "2.395", with: "3.0"),
        ]
        let (events, _) = try Self.decode(messages)
        #expect(Self.finals(events) == ["Hello world,", "this is hark."])
        #expect(events.filter { if case .utteranceEnd = $0 { true } else { false } } == [.utteranceEnd(at: 3.0)])
        #expect(events.last == .utteranceEnd(at: 3.0))
        let interims = events.compactMap { if case .interim(let segment) = $0 { segment.text } else { nil } }
        #expect(interims == ["Hello", "Hello wide", "this", "this is"])
    }

    @Test("UtteranceEnd ends an utterance that never got speech_final, at its last word end")
    func utteranceEndWithoutSpeechFinal() throws {
        let (events, _) = try Self.decode([
            DeepgramFixtures.results(
                [("Noisy", 1.0, 1.5), ("room", 1.6, 2.395)], start: 0.5, duration: 2, isFinal: true),
            DeepgramFixtures.utteranceEnd,
            DeepgramFixtures.utteranceEnd,
        ])
        #expect(Self.finals(events) == ["Noisy room"])
        #expect(events.last == .utteranceEnd(at: 2.395))
        #expect(events.count == 2)
    }

    @Test("UtteranceEnd with nothing said since the last end is ignored")
    func utteranceEndAfterSpeechFinalIgnored() throws {
        let (events, _) = try Self.decode([DeepgramFixtures.speechFinal, DeepgramFixtures.utteranceEnd])
        #expect(events.count == 2)
    }

    @Test("Finalize responses are finals like any other, and what the final revised away is cleared")
    func finalizeResponses() throws {
        let (events, _) = try Self.decode([
            DeepgramFixtures.results([("push", 0.2, 0.5), ("to", 0.5, 0.6)], start: 0, duration: 0.7, isFinal: false),
            DeepgramFixtures.results(
                [("push", 0.2, 0.5), ("to", 0.5, 0.6), ("talk", 0.6, 0.9)], start: 0, duration: 1, isFinal: true,
                fromFinalize: true),
            DeepgramFixtures.results([("um", 1.2, 1.3)], start: 1, duration: 0.5, isFinal: false),
            DeepgramFixtures.results([], start: 1, duration: 0.6, isFinal: true, fromFinalize: true),
        ])
        #expect(Self.finals(events) == ["push to talk"])
        guard case .interim(let cleared) = try #require(events.last) else {
            Issue.record("expected the stale interim to be cleared, got \(events)")
            return
        }
        #expect(cleared.text.isEmpty)
    }

    @Test("speech_final is final even when is_final is false")
    func speechFinalImpliesFinal() throws {
        let message = DeepgramFixtures.results([("odd", 0.1, 0.3)], start: 0, duration: 1, isFinal: false)
            .replacingOccurrences(of: #""speech_final":false"#, with: #""speech_final":true"#)
        let (events, _) = try Self.decode([message])
        #expect(Self.finals(events) == ["odd"])
        #expect(events.last == .utteranceEnd(at: 0.3))
    }

    @Test("channels are assembled separately and labelled, with the speaker when all words agree")
    func channelsAndSpeakers() throws {
        let (events, _) = try Self.decode([
            DeepgramFixtures.results(
                [("left", 0.1, 0.4)], start: 0, duration: 1, isFinal: true, channel: 0, channels: 2),
            DeepgramFixtures.results(
                [("right", 0.2, 0.5)], start: 0, duration: 1, isFinal: true, speechFinal: true, channel: 1, channels: 2,
                speaker: 3),
            #"{"type":"UtteranceEnd","channel":[0,2],"last_word_end":0.4}"#,
        ])
        guard case .final(let left) = events[0], case .final(let right) = events[1] else {
            Issue.record("expected two finals, got \(events)")
            return
        }
        #expect(left.channel == 0)
        #expect(left.speaker == nil)
        #expect(right.channel == 1)
        #expect(right.speaker == 3)
        #expect(right.words.first?.speaker == 3)
        #expect(Array(events.dropFirst(2)) == [.utteranceEnd(at: 0.5), .utteranceEnd(at: 0.4)])
    }

    @Test("SpeechStarted becomes speechStarted at its timestamp")
    func speechStarted() throws {
        let (events, _) = try Self.decode([DeepgramFixtures.speechStarted])
        #expect(events == [.speechStarted(at: 91.2)])
    }

    @Test("Metadata reports the request id, ends an open utterance and marks the stream finished")
    func metadataFinishes() throws {
        let (events, finished) = try Self.decode([
            DeepgramFixtures.results(
                [("last", 4.0, 4.3), ("words", 4.3, 4.8)], start: 3.5, duration: 1.5, isFinal: true),
            DeepgramFixtures.metadata,
        ])
        #expect(finished)
        #expect(Self.finals(events) == ["last words"])
        #expect(events[1] == .utteranceEnd(at: 4.8))
        guard case .metadata(let requestID, _) = events[2] else {
            Issue.record("expected metadata, got \(events)")
            return
        }
        #expect(requestID == "01a03ac3-92a1-79f0-ad85-2cee59754422")
    }

    @Test("the stream is not finished before Metadata")
    func notFinishedBeforeMetadata() throws {
        let (_, finished) = try Self.decode([DeepgramFixtures.speechFinal, DeepgramFixtures.utteranceEnd])
        #expect(!finished)
    }

    @Test("unknown message types are ignored")
    func unknownTypesIgnored() throws {
        let (events, _) = try Self.decode([
            #"{"type":"ConfigureSuccess","request_id":"x","keyterms":[]}"#, #"{"type":"SomethingNew","x":1}"#,
        ])
        #expect(events.isEmpty)
    }

    @Test("a SchemaError frame is thrown as a protocol error naming hark as the cause")
    func schemaErrorThrows() {
        #expect {
            try Self.decode([DeepgramFixtures.schemaError])
        } throws: { error in
            guard case .protocolError(let provider, let hint) = error as? ProviderError else { return false }
            return provider == "Deepgram" && hint.contains("SchemaError") && hint.contains("bug in hark")
        }
    }

    @Test("an Error frame about undecodable audio is unsupportedAudio, any other is a server error")
    func errorFrames() throws {
        #expect {
            try Self.decode([#"{"type":"Error","description":"DATA-0000: bad audio"}"#])
        } throws: { error in
            if case .unsupportedAudio = error as? ProviderError { true } else { false }
        }
        #expect {
            try Self.decode([#"{"type":"Error","variant":"Internal","description":"boom"}"#])
        } throws: { error in
            if case .serverError(_, let hint) = error as? ProviderError { hint.contains("boom") } else { false }
        }
    }

    @Test("text that is not JSON, or a Results message of the wrong shape, is a protocol error")
    func malformedMessages() {
        for message in ["not json", #"{"type":"Results","channel_index":"zero"}"#] {
            #expect {
                try Self.decode([message])
            } throws: { error in
                if case .protocolError = error as? ProviderError { true } else { false }
            }
        }
    }

    @Test("binary messages carry nothing and are ignored")
    func binaryIgnored() throws {
        var decoder = DeepgramTranscriptDecoder()
        #expect(try decoder.decode(.binary([1, 2])).isEmpty)
    }
}

@Suite("Deepgram adapter: what failures mean")
struct DeepgramErrorTests {
    static let adapter: DeepgramAdapter? = try? DeepgramAdapter(options: ProviderOptions(credential: "secret-key"))

    static func error(_ failure: LinkFailure) throws -> ProviderError {
        try #require(adapter).error(for: failure)
    }

    static func rejected(_ status: Int, _ body: String, headers: [HTTPHeader] = []) -> LinkFailure {
        .handshakeRejected(
            status: status, headers: [HTTPHeader("dg-request-id", "req-42")] + headers, body: body)
    }

    @Test("401 is an authentication failure naming DEEPGRAM_API_KEY, Deepgram's reason and request id, not the key")
    func unauthorized() throws {
        let error = try Self.error(
            Self.rejected(
                401, #"{"err_code":"INVALID_AUTH","err_msg":"Invalid credentials.","request_id":"req-42"}"#,
                headers: [HTTPHeader("dg-error", "Invalid credentials.")]))
        guard case .authenticationFailed(let provider, let hint) = error else {
            Issue.record("expected authenticationFailed, got \(error)")
            return
        }
        #expect(provider == "Deepgram")
        #expect(hint.contains("DEEPGRAM_API_KEY"))
        #expect(hint.contains("INVALID_AUTH: Invalid credentials."))
        #expect(hint.contains("req-42"))
        #expect(hint.contains("api.deepgram.com"))
        #expect(!error.description.contains("secret-key"))
    }

    @Test("400 is an invalid request carrying Deepgram's err_code and err_msg")
    func badRequest() throws {
        let error = try Self.error(
            Self.rejected(
                400,
                #"{"err_code":"Bad Request","err_msg":"Bad Request: No such model/language/tier combination found.","request_id":"r"}"#
            ))
        guard case .invalidRequest(_, let hint) = error else {
            Issue.record("expected invalidRequest, got \(error)")
            return
        }
        #expect(hint.contains("No such model/language/tier combination found."))
        #expect(hint.contains("HTTP 400"))
        #expect(hint.contains("req-42"))
        #expect(hint.contains("--model 'nova-3'"))
    }

    @Test("without a JSON body the dg-error header explains the rejection")
    func dgErrorHeaderFallback() throws {
        let error = try Self.error(Self.rejected(400, "", headers: [HTTPHeader("DG-Error", "Bad sample rate")]))
        #expect(error.description.contains("Bad sample rate"))
    }

    @Test("402 and 403 are permission problems with what to do")
    func paymentAndPermission() throws {
        let payment = try Self.error(
            Self.rejected(
                402, #"{"err_code":"ASR_PAYMENT_REQUIRED","err_msg":"Project does not have enough credits."}"#))
        let forbidden = try Self.error(
            Self.rejected(403, #"{"err_code":"INSUFFICIENT_PERMISSIONS","err_msg":"No access to the model."}"#))
        guard case .permissionDenied(_, let paymentHint) = payment,
            case .permissionDenied(_, let forbiddenHint) = forbidden
        else {
            Issue.record("expected permissionDenied twice, got \(payment) and \(forbidden)")
            return
        }
        #expect(paymentHint.contains("credits"))
        #expect(forbiddenHint.contains("--model"))
    }

    @Test("429 is rate limiting with Retry-After in seconds")
    func tooManyRequests() throws {
        let limited = try Self.error(
            Self.rejected(
                429, #"{"err_code":"TOO_MANY_REQUESTS","err_msg":"Too many requests. Please try again later"}"#,
                headers: [HTTPHeader("Retry-After", " 3 ")]))
        guard case .rateLimited(_, let retryAfter, let hint) = limited else {
            Issue.record("expected rateLimited, got \(limited)")
            return
        }
        #expect(retryAfter == 3)
        #expect(hint.contains("TOO_MANY_REQUESTS"))
        guard case .rateLimited(_, nil, _) = try Self.error(Self.rejected(429, "")) else {
            Issue.record("a 429 without Retry-After should have no delay")
            return
        }
    }

    @Test("5xx at the upgrade is a server error, other statuses say to check the endpoint")
    func serverAndOtherStatuses() throws {
        guard case .serverError = try Self.error(Self.rejected(503, "")) else {
            Issue.record("503 should be a server error")
            return
        }
        guard case .invalidRequest(_, let notFound) = try Self.error(Self.rejected(404, "")) else {
            Issue.record("404 should be an invalid request")
            return
        }
        #expect(notFound.contains("--endpoint"))
        guard case .protocolError(_, let redirect) = try Self.error(Self.rejected(302, "")) else {
            Issue.record("302 should be a protocol error")
            return
        }
        #expect(redirect.contains("--endpoint"))
    }

    @Test("close 1008 (DATA-0000) means undecodable audio and names what hark declared")
    func close1008() throws {
        let error = try Self.error(.closed(code: 1008, reason: "DATA-0000"))
        guard case .unsupportedAudio(_, let hint) = error else {
            Issue.record("expected unsupportedAudio, got \(error)")
            return
        }
        #expect(hint.contains("DATA-0000"))
        #expect(hint.contains("encoding=linear16, sample_rate=16000"))
    }

    @Test("close 1011 NET-0001 is a server-side close explained as a stalled input, NET-0000 as no result")
    func close1011() throws {
        let idle = try Self.error(
            .closed(
                code: 1011,
                reason: "Deepgram did not receive audio data or a text message within the timeout window. "
                    + "See https://dpgr.am/net0001"))
        let noResult = try Self.error(.closed(code: 1011, reason: "NET-0000"))
        guard case .serverError(_, let idleHint) = idle, case .serverError(_, let noResultHint) = noResult else {
            Issue.record("expected two server errors, got \(idle) and \(noResult)")
            return
        }
        #expect(idleHint.contains("no audio or KeepAlive"))
        #expect(noResultHint.contains("no result"))
    }

    @Test("transport failures are unavailability naming the host, without the query")
    func transportFailures() throws {
        for failure in [
            LinkFailure.connectFailed(host: "api.deepgram.com", detail: "Could not resolve host"),
            .tlsFailed(host: "api.deepgram.com", detail: "unknown CA"), .connectionLost(detail: "reset"),
            .timedOut(phase: "waiting for the upgrade"), .closed(code: 1006, reason: ""),
        ] {
            let error = try Self.error(failure)
            guard case .unavailable(_, let hint) = error else {
                Issue.record("expected unavailable for \(failure), got \(error)")
                continue
            }
            #expect(hint.contains("api.deepgram.com"))
            #expect(!hint.contains("?"))
        }
        guard case .protocolError = try Self.error(.protocolViolation(detail: "bad accept key")) else {
            Issue.record("a protocol violation should be a protocol error")
            return
        }
    }
}
