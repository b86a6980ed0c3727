import Foundation
import Testing

@testable import Hark

/// Deepgram Flux TurnInfo messages in the shape of developers.deepgram.com/docs/flux/state (fields of
/// the asyncapi `ListenV2TurnInfo`; words without times, as Flux usually sends them).
enum FluxFixtures {
    static func turnInfo(
        _ event: String, turn: Int, start: Double, end: Double, transcript: String, languages: [String]? = nil,
        wordTimes: Bool = false
    ) -> String {
        let words = transcript.split(separator: " ").enumerated().map { index, word in
            let times =
                wordTimes ? #","start":\#(start + Double(index) * 0.3),"end":\#(start + Double(index + 1) * 0.3)"# : ""
            return #"{"word":"\#(word)","confidence":0.97\#(times)}"#
        }
        var json =
            #"{"type":"TurnInfo","request_id":"r-1","sequence_id":3,"event":"\#(event)","turn_index":\#(turn),"#
            + #""audio_window_start":\#(start),"audio_window_end":\#(end),"transcript":"\#(transcript)","#
            + #""words":[\#(words.joined(separator: ","))],"end_of_turn_confidence":0.5"#
        if let languages {
            json += #","languages":[\#(languages.map { "\"\($0)\"" }.joined(separator: ","))]"#
        }
        return json + "}"
    }
}

@Suite("Deepgram Flux: decoder")
struct DeepgramFluxDecoderTests {
    @Test("a turn's updates are interims and its EndOfTurn the one final, timed by the audio window")
    func oneFinalPerTurn() throws {
        var decoder = DeepgramFluxDecoder()
        let events = try AdapterFixtures.decodeAll(
            &decoder,
            [
                #"{"type":"Connected","request_id":"r-1","sequence_id":0}"#,
                FluxFixtures.turnInfo("StartOfTurn", turn: 0, start: 0.5, end: 0.5, transcript: ""),
                FluxFixtures.turnInfo("Update", turn: 0, start: 0.5, end: 1.0, transcript: "Hello"),
                FluxFixtures.turnInfo("EagerEndOfTurn", turn: 0, start: 0.5, end: 2.05, transcript: "Hello there."),
                FluxFixtures.turnInfo("TurnResumed", turn: 0, start: 0.5, end: 2.2, transcript: "Hello there."),
                FluxFixtures.turnInfo("EagerEndOfTurn", turn: 0, start: 0.5, end: 2.5, transcript: "Hello there, you."),
                FluxFixtures.turnInfo("EndOfTurn", turn: 0, start: 0.5, end: 2.6, transcript: "Hello there, you."),
                // A late duplicate of the finished turn changes nothing.
                FluxFixtures.turnInfo("EndOfTurn", turn: 0, start: 0.5, end: 2.6, transcript: "Hello there, you."),
                FluxFixtures.turnInfo("Update", turn: 1, start: 2.6, end: 2.85, transcript: ""),
            ])
        #expect(events.first == .metadata(requestID: "r-1", detail: nil))
        #expect(events.contains(.speechStarted(at: 0.5)))
        let finals = AdapterFixtures.finals(events)
        #expect(finals.map(\.text) == ["Hello there, you."])
        #expect(finals.first?.start == 0.5)
        #expect(finals.first?.end == 2.6)
        #expect(finals.first?.words.isEmpty == true)
        #expect(
            AdapterFixtures.interims(events).map(\.text) == [
                "Hello", "Hello there.", "Hello there.", "Hello there, you.",
            ])
        #expect(events.contains(.utteranceEnd(at: 2.6)))
        #expect(decoder.isFinished == false)
    }

    @Test("word times, when Flux sends them, time the final and its words")
    func wordTimes() throws {
        var decoder = DeepgramFluxDecoder()
        let events = try AdapterFixtures.decodeAll(
            &decoder,
            [FluxFixtures.turnInfo("EndOfTurn", turn: 0, start: 1, end: 2, transcript: "a b", wordTimes: true)])
        let final = try #require(AdapterFixtures.finals(events).first)
        #expect(final.words.map(\.start) == [1.0, 1.3])
        #expect(final.start == 1.0)
        #expect(abs(final.end - 1.6) < 1e-9)
    }

    @Test("after CloseStream the open turn's last Update becomes its final at the close, once")
    func lastUpdateAtClose() throws {
        var decoder = DeepgramFluxDecoder()
        _ = try AdapterFixtures.decodeAll(
            &decoder,
            [
                FluxFixtures.turnInfo("EndOfTurn", turn: 0, start: 0.5, end: 2.2, transcript: "First."),
                FluxFixtures.turnInfo("StartOfTurn", turn: 1, start: 2.6, end: 2.6, transcript: ""),
                FluxFixtures.turnInfo(
                    "Update", turn: 1, start: 2.6, end: 3.4, transcript: "The last words", languages: ["en", "es"]),
            ])
        let atClose = decoder.eventsAtClose()
        let final = try #require(AdapterFixtures.finals(atClose).first)
        #expect(final.text == "The last words")
        #expect(final.start == 2.6)
        #expect(final.end == 3.4)
        #expect(final.languages == ["en", "es"])
        #expect(decoder.eventsAtClose().isEmpty)
    }

    @Test("an Error frame is fatal and carries its description")
    func errorIsFatal() {
        var decoder = DeepgramFluxDecoder()
        let error = AdapterFixtures.providerError {
            _ = try decoder.decode(
                .text(
                    #"{"type":"Error","sequence_id":4,"code":"INTERNAL_SERVER_ERROR","description":"Something broke."}"#
                ))
        }
        #expect(error.map(AdapterFixtures.ErrorKind.init) == .serverError)
        #expect(error?.description.contains("Something broke.") == true)
    }

    @Test("ConfigureSuccess is quiet and ConfigureFailure a notice, not an error")
    func configureReplies() throws {
        var decoder = DeepgramFluxDecoder()
        #expect(try decoder.decode(.text(#"{"type":"ConfigureSuccess","request_id":"r","sequence_id":5}"#)).isEmpty)
        let events = try decoder.decode(
            .text(#"{"type":"ConfigureFailure","request_id":"r","sequence_id":6,"code":"X","description":"no"}"#))
        #expect(events.count == 1)
    }
}

@Suite("Deepgram Flux: connection request")
struct DeepgramFluxRequestTests {
    static func url(_ options: ProviderOptions) throws -> String {
        try DeepgramAdapter(options: options).connectionRequest().url
    }

    @Test("flux-general-en goes to /v2/listen with encoding, rate and Flux's own parameters only, in 80 ms chunks")
    func fluxQuery() throws {
        let adapter = try DeepgramAdapter(
            options: ProviderOptions(
                credential: "k", model: "flux-general-en",
                parameters: [
                    ProviderParameter(key: "eot_threshold", value: "0.8"),
                    ProviderParameter(key: "eager_eot_threshold", value: "0.5"),
                    ProviderParameter(key: "eot_timeout_ms", value: "3000"),
                ], keyterms: ["hark", "Pipe Wire"]))
        #expect(
            try adapter.connectionRequest().url
                == "wss://api.deepgram.com/v2/listen?model=flux-general-en&encoding=linear16&sample_rate=16000"
                + "&eot_threshold=0.8&eager_eot_threshold=0.5&eot_timeout_ms=3000&keyterm=hark&keyterm=Pipe%20Wire")
        #expect(adapter.chunkMilliseconds == 80)
        #expect(adapter.finishMessages() == [.text(#"{"type":"CloseStream"}"#)])
        #expect(adapter.endsSessionAfterFinish(.closed(code: 1005, reason: "")))
        #expect(!adapter.endsSessionAfterFinish(.closed(code: 1006, reason: "")))
        #expect(try DeepgramAdapter(options: ProviderOptions(credential: "k")).chunkMilliseconds == 250)
    }

    @Test("the EU host carries Flux as it carries Nova")
    func euHost() throws {
        let url = try Self.url(
            ProviderOptions(credential: "k", endpoint: "wss://api.eu.deepgram.com", model: "flux-general-en"))
        #expect(url.hasPrefix("wss://api.eu.deepgram.com/v2/listen?model=flux-general-en"))
    }

    @Test("flux-general-multi takes --language and language_hint as language hints")
    func multiHints() throws {
        let url = try Self.url(
            ProviderOptions(
                credential: "k", model: "flux-general-multi", language: "es",
                parameters: [ProviderParameter(key: "language_hint", value: "en")]))
        #expect(url.contains("language_hint=en"))
        #expect(!url.contains("language_hint=es"))
        let plain = try Self.url(ProviderOptions(credential: "k", model: "flux-general-multi", language: "de"))
        #expect(plain.contains("language_hint=de"))
    }

    @Test(
        "what Flux cannot do is refused before connecting, with the reason",
        arguments: [
            ("diarize", "true", "diarization"), ("multichannel", "true", "mono"), ("smart_format", "true", "Nova"),
            ("eot_threshold", "0.95", "0.5 to 0.9"), ("eager_eot_threshold", "0.1", "0.3 to 0.9"),
            ("eot_timeout_ms", "100", "500 to 60000"), ("language_hint", "es", "flux-general-multi"),
            ("channels", "2", "mono"), ("sample_rate", "22050", "16000"),
        ])
    func refusals(key: String, value: String, reason: String) {
        let error = AdapterFixtures.providerError {
            _ = try DeepgramAdapter(
                options: ProviderOptions(
                    credential: "k", model: "flux-general-en", parameters: [ProviderParameter(key: key, value: value)]))
        }
        #expect(error.map(AdapterFixtures.ErrorKind.init) == .invalidOption, "\(key)")
        #expect(error?.description.contains(reason) == true, "\(error?.description ?? "no error")")
    }

    @Test("a language other than English on flux-general-en is refused")
    func englishOnly() {
        let error = AdapterFixtures.providerError {
            _ = try DeepgramAdapter(options: ProviderOptions(credential: "k", model: "flux-general-en", language: "de"))
        }
        #expect(error?.description.contains("flux-general-multi") == true)
    }
}

@Suite("Deepgram keyterms and Nova-3 multilingual")
struct DeepgramKeytermTests {
    @Test("--keyterm becomes repeated keyterm parameters on Nova-3")
    func novaKeyterms() throws {
        let url = try DeepgramAdapter(options: ProviderOptions(credential: "k", keyterms: ["hark", "ALSA"]))
            .connectionRequest().url
        #expect(url.hasSuffix("&keyterm=hark&keyterm=ALSA"))
    }

    @Test("--keyterm on a model without keyterms is refused with what to use instead")
    func olderModel() {
        let error = AdapterFixtures.providerError {
            _ = try DeepgramAdapter(options: ProviderOptions(credential: "k", model: "nova-2", keyterms: ["hark"]))
        }
        #expect(error?.description.contains("keywords") == true)
    }

    @Test("keyterms over Deepgram's 500-token limit are refused before connecting")
    func tokenLimit() {
        #expect(DeepgramAdapter.keytermTokens("hark") == 1)
        #expect(DeepgramAdapter.keytermTokens("PipeWire 1.2") == 5)
        let terms = (0..<260).map { "term\($0)x" }
        let error = AdapterFixtures.providerError {
            _ = try DeepgramAdapter(options: ProviderOptions(credential: "k", keyterms: terms))
        }
        #expect(error?.description.contains("500") == true)
        #expect(throws: Never.self) {
            _ = try DeepgramAdapter(options: ProviderOptions(credential: "k", keyterms: Array(terms.prefix(200))))
        }
    }

    @Test("Nova-3 multi: language_hint passes with --language multi, and detected languages reach the segment")
    func novaMultilingual() throws {
        let url = try DeepgramAdapter(
            options: ProviderOptions(
                credential: "k", language: "multi",
                parameters: [
                    ProviderParameter(key: "language_hint", value: "en"),
                    ProviderParameter(key: "language_hint", value: "es"),
                ])
        ).connectionRequest().url
        #expect(url.contains("language=multi"))
        #expect(url.contains("language_hint=en&language_hint=es"))
        let error = AdapterFixtures.providerError {
            _ = try DeepgramAdapter(
                options: ProviderOptions(
                    credential: "k", parameters: [ProviderParameter(key: "language_hint", value: "es")]))
        }
        #expect(error?.description.contains("--language multi") == true)
        var decoder = DeepgramTranscriptDecoder()
        let message = """
            {"type":"Results","channel_index":[0,1],"duration":1.0,"start":0.0,"is_final":true,"speech_final":true,
             "channel":{"alternatives":[{"transcript":"hola hello","confidence":0.9,"languages":["es","en"],
               "words":[{"word":"hola","start":0.1,"end":0.4,"language":"es"},{"word":"hello","start":0.5,"end":0.9,"language":"en"}]}]}}
            """
        let final = try #require(AdapterFixtures.finals(try decoder.decode(.text(message))).first)
        #expect(final.languages == ["es", "en"])
    }
}
