import Testing

@testable import Hark

@Suite("Local adapter options")
struct LocalAdapterTests {
    @Test("the registry offers local as an in-process provider with no key, 16 kHz linear16")
    func registryHasLocal() throws {
        let adapter = try #require(ProviderRegistry.adapter(named: "LOCAL"))
        #expect(adapter.descriptor.name == "local")
        #expect(adapter.descriptor.transport == .inProcess)
        #expect(adapter.descriptor.credentialVariables.isEmpty)
        let local = try LocalAdapter(options: ProviderOptions())
        #expect(local.audio == AudioRequirements(sampleRate: 16_000, encoding: .linear16))
        #expect(local.models == .debianEnglish)
    }

    @Test("English spellings are accepted as --language")
    func englishAccepted() throws {
        for language in ["en", "en-US", "en-us", "EN"] {
            _ = try LocalAdapter(options: ProviderOptions(language: language))
        }
    }

    @Test("a language other than English is refused before any audio, naming the option")
    func otherLanguagesRefused() throws {
        let error = try #require(throws: ProviderError.self) {
            try LocalAdapter(options: ProviderOptions(language: "de"))
        }
        guard case .invalidOption(let provider, let option, let hint) = error else {
            Issue.record("expected invalidOption, got \(error)")
            return
        }
        #expect(provider == "PocketSphinx")
        #expect(option == "--language de")
        #expect(hint.contains("English"))
    }

    @Test("encodings other than linear16, models, endpoints and parameters are refused")
    func networkOptionsRefused() {
        let refused = [
            ProviderOptions(encoding: .opus), ProviderOptions(model: "nova-3"),
            ProviderOptions(endpoint: "ws://127.0.0.1:1"),
            ProviderOptions(parameters: [ProviderParameter(key: "beam", value: "1e-20")]),
        ]
        for options in refused {
            #expect(throws: ProviderError.self) { try LocalAdapter(options: options) }
        }
    }

    @Test("a dictionary path from the configuration that cannot be read is named in the error")
    func missingDictionaryNamed() throws {
        let options = ProviderOptions(settings: ["dictionary": "/nonexistent/hark.dict"])
        let error = try #require(throws: ProviderError.self) { try LocalAdapter(options: options) }
        guard case .invalidOption(_, let option, let hint) = error else {
            Issue.record("expected invalidOption, got \(error)")
            return
        }
        #expect(option == "dictionary /nonexistent/hark.dict")
        #expect(hint.contains("/nonexistent/hark.dict"))
    }

    @Test("a missing acoustic model folder is refused, naming the file hark looked for")
    func missingAcousticModelNamed() throws {
        let options = ProviderOptions(settings: ["acoustic_model": "/nonexistent/en-us"])
        let error = try #require(throws: ProviderError.self) { try LocalAdapter(options: options) }
        #expect(error.description.contains("/nonexistent/en-us/mdef"))
    }

    @Test("the user's own model files are kept when they exist")
    func ownModelsKept() throws {
        let options = ProviderOptions(settings: [
            "language_model": "/usr/share/pocketsphinx/model/en-us/en-us-phone.lm.bin"
        ])
        let adapter = try LocalAdapter(options: options)
        #expect(adapter.models.languageModel == "/usr/share/pocketsphinx/model/en-us/en-us-phone.lm.bin")
        #expect(adapter.models.dictionary == PocketSphinxModels.debianEnglish.dictionary)
    }

    @Test("audio goes to the link as binary PCM, and finishing is a finish control message")
    func wireMessages() throws {
        let adapter = try LocalAdapter(options: ProviderOptions())
        #expect(adapter.audioMessages([1, 2, 3, 4]) == [.binary([1, 2, 3, 4])])
        #expect(adapter.finishMessages() == [.text(#"{"type":"finish"}"#)])
        #expect(adapter.keepAlive == .none)
    }

    @Test("a model that fails to load is reported as a request error naming the package to reinstall")
    func loadFailureNamesPackage() throws {
        let adapter = try LocalAdapter(options: ProviderOptions())
        let error = adapter.error(for: .connectFailed(host: "PocketSphinx", detail: "ps_init returned NULL"))
        guard case .invalidRequest(_, let hint) = error else {
            Issue.record("expected invalidRequest, got \(error)")
            return
        }
        #expect(hint.contains("pocketsphinx-en-us"))
    }

    @Test("the accuracy notice names the offline recognizer and asks for a cloud key")
    func accuracyNotice() {
        #expect(LocalAdapter.accuracyNotice.contains("PocketSphinx"))
        #expect(LocalAdapter.accuracyNotice.contains("less accurate"))
        #expect(!LocalAdapter.accuracyNotice.contains("\n"))
    }
}

@Suite("Local transcript decoder")
struct LocalTranscriptDecoderTests {
    private func decode(_ json: String, into decoder: inout LocalTranscriptDecoder) throws -> [TranscriptEvent] {
        try decoder.decode(.text(json))
    }

    @Test("a final drops fillers and pronunciation suffixes and keeps word times")
    func finalDropsFillers() throws {
        var decoder = LocalTranscriptDecoder()
        let json = """
            {"type":"final","words":[{"word":"<s>","start":1.88,"end":2.02},{"word":"<sil>","start":2.02,"end":2.26},
            {"word":"go","start":2.47,"end":2.65},{"word":"[NOISE]","start":2.65,"end":2.70},
            {"word":"and(2)","start":2.70,"end":3.18},{"word":"+NSN+","start":3.18,"end":3.20},
            {"word":"meters","start":3.54,"end":4.13},{"word":"</s>","start":4.13,"end":4.62}]}
            """
        let events = try decode(json, into: &decoder)
        let expected = TranscriptSegment(
            text: "go and meters", start: 2.47, end: 4.13,
            words: [
                TranscriptWord(text: "go", start: 2.47, end: 2.65), TranscriptWord(text: "and", start: 2.70, end: 3.18),
                TranscriptWord(text: "meters", start: 3.54, end: 4.13),
            ])
        #expect(events == [.final(expected)])
    }

    @Test("a partial becomes an interim; one of fillers only gives no event")
    func partialBecomesInterim() throws {
        var decoder = LocalTranscriptDecoder()
        let interim = try decode(#"{"type":"partial","words":[{"word":"go","start":0.5,"end":0.7}]}"#, into: &decoder)
        #expect(
            interim == [
                .interim(
                    TranscriptSegment(
                        text: "go", start: 0.5, end: 0.7,
                        words: [
                            TranscriptWord(text: "go", start: 0.5, end: 0.7)
                        ]))
            ])
        let fillers = try decode(#"{"type":"partial","words":[{"word":"<sil>","start":0,"end":0.2}]}"#, into: &decoder)
        #expect(fillers.isEmpty)
    }

    @Test("speech start and utterance end keep their times; finished marks the decoder finished")
    func boundariesAndFinished() throws {
        var decoder = LocalTranscriptDecoder()
        #expect(try decode(#"{"type":"speech_started","at":1.91}"#, into: &decoder) == [.speechStarted(at: 1.91)])
        #expect(try decode(#"{"type":"utterance_end","at":4.62}"#, into: &decoder) == [.utteranceEnd(at: 4.62)])
        #expect(!decoder.isFinished)
        #expect(try decode(#"{"type":"finished"}"#, into: &decoder).isEmpty)
        #expect(decoder.isFinished)
    }

    @Test("a message it does not understand is a protocol error, not a crash")
    func unknownMessageIsProtocolError() {
        var decoder = LocalTranscriptDecoder()
        #expect(throws: ProviderError.self) { try decoder.decode(.text(#"{"type":"bogus"}"#)) }
        #expect(throws: ProviderError.self) { try decoder.decode(.binary([0])) }
    }

    @Test("filler spellings are recognised and real words with brackets inside are kept")
    func fillerSpellings() {
        #expect(LocalTranscriptDecoder.spokenText("<s>") == nil)
        #expect(LocalTranscriptDecoder.spokenText("[SPEECH]") == nil)
        #expect(LocalTranscriptDecoder.spokenText("++GARBAGE++") == nil)
        #expect(LocalTranscriptDecoder.spokenText("read(2)") == "read")
        #expect(LocalTranscriptDecoder.spokenText("read(x)") == "read(x)")
        #expect(LocalTranscriptDecoder.spokenText("don't") == "don't")
    }
}
