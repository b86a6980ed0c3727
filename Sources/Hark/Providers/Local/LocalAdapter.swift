#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `--provider local`: offline English recognition with PocketSphinx, in-process, no network and no
/// key.
///
/// Protocol: none on the wire. `LocalRecognizerLink` runs the decoder on its own thread and speaks
/// `LocalRecognizerMessage` JSON, which `LocalTranscriptDecoder` turns into events. Far less
/// accurate than the cloud providers (measured word error rates in `LocalRecognizerTests`), and
/// hark says so (`accuracyNotice`) when it falls back to it.
///
/// Settings from the configuration, for users who bring their own model: `acoustic_model` (the
/// folder PocketSphinx calls `-hmm`), `language_model` (`-lm`), `dictionary` (`-dict`).
package struct LocalAdapter: ProviderAdapter {
    package static let descriptor = ProviderDescriptor(
        name: "local",
        displayName: "PocketSphinx",
        summary: "offline English with PocketSphinx: no network or key, far less accurate than cloud providers",
        credentialVariables: [],
        defaultEndpoint: "",
        defaultModel: "en-us",
        transport: .inProcess,
        capabilities: ProviderCapabilities(
            interimResults: true, wordTimings: true, diarization: false, encodings: [.linear16]))

    /// The line hark prints once on stderr when it falls back to `local`.
    ///
    /// For when no provider is configured and no cloud key is set. One line, no "hark:" prefix (the
    /// printer adds its own); it names every key variable in `ProviderRegistry`.
    package static let accuracyNotice: String = {
        let variables = ProviderRegistry.adapters.flatMap { $0.descriptor.credentialVariables }
        let keys: String
        switch variables.count {
        case 0: keys = "a cloud provider's key and choose it with --provider"
        case 1: keys = variables[0]
        default: keys = variables.dropLast().joined(separator: ", ") + " or " + (variables.last ?? "")
        }
        return "no provider configured and no cloud key set: transcribing offline with PocketSphinx, "
            + "which is far less accurate than the cloud providers. For better transcripts set \(keys)."
    }()

    /// Languages the bundled model speaks.
    static let acceptedLanguages: Set<String> = ["en", "en-us"]

    /// The models this adapter loads.
    package let models: PocketSphinxModels

    package let audio = AudioRequirements(sampleRate: 16_000, encoding: .linear16)

    package init(options: ProviderOptions) throws {
        let name = Self.descriptor.displayName
        if let language = options.language, !Self.acceptedLanguages.contains(language.lowercased()) {
            throw ProviderError.invalidOption(
                provider: name, option: "--language \(language)",
                hint: "the offline model only knows English (en, en-US); choose a cloud provider for other languages")
        }
        if !options.keyterms.isEmpty {
            throw ProviderError.invalidOption(
                provider: name, option: "--keyterm",
                hint: "the offline recognizer has no keyterm boosting; drop --keyterm (and the configuration's "
                    + "keyterms), or choose a cloud provider")
        }
        if let encoding = options.encoding, encoding != .linear16 {
            throw ProviderError.invalidOption(
                provider: name, option: "--encoding \(encoding.rawValue)",
                hint: "the offline recognizer takes linear16 only; drop --encoding")
        }
        if let model = options.model, model.lowercased() != "en-us" {
            throw ProviderError.invalidOption(
                provider: name, option: "--model \(model)",
                hint: "the offline recognizer has one model, en-us; give your own with the acoustic_model, "
                    + "language_model and dictionary settings in the configuration")
        }
        if options.endpoint != nil {
            throw ProviderError.invalidOption(
                provider: name, option: "--endpoint", hint: "the offline recognizer runs inside hark; drop --endpoint")
        }
        if let parameter = options.parameters.first {
            throw ProviderError.invalidOption(
                provider: name, option: "--param \(parameter.key)",
                hint: "the offline recognizer takes no provider parameters; drop --param")
        }
        let defaults = PocketSphinxModels.debianEnglish
        let models = PocketSphinxModels(
            acousticModel: options.settings["acoustic_model"] ?? defaults.acousticModel,
            languageModel: options.settings["language_model"] ?? defaults.languageModel,
            dictionary: options.settings["dictionary"] ?? defaults.dictionary)
        try Self.checkReadable(models, defaults: defaults)
        self.models = models
    }

    /// Not used: the session links in-process providers with `makeInProcessLink()`.
    package func connectionRequest() throws -> ConnectionRequest {
        ConnectionRequest(url: "local://pocketsphinx", headers: [])
    }

    package func audioMessages(_ payload: [UInt8]) -> [WireMessage] { [.binary(payload)] }

    package func finishMessages() -> [WireMessage] { [.text(LocalRecognizerControl.finishText)] }

    /// The gate closed: PocketSphinx hears no silence to end the utterance on, so say it ended.
    package func speechEndedMessages() -> [WireMessage] { [.text(LocalRecognizerControl.endUtteranceText)] }

    package func makeDecoder() -> any TranscriptDecoder { LocalTranscriptDecoder() }

    package func makeInProcessLink() throws -> any ProviderLink { LocalRecognizerLink(models: models) }

    package func error(for failure: LinkFailure) -> ProviderError {
        let name = Self.descriptor.displayName
        // A model that does not load is the one failure the user can mend; any other is hark's.
        guard case .connectFailed(_, let detail) = failure else {
            return .serverError(provider: name, hint: "the offline recognizer failed: \(failure)")
        }
        return .invalidRequest(
            provider: name,
            hint: "\(detail). Reinstall the model (sudo apt-get install --reinstall pocketsphinx-en-us) "
                + "or fix the acoustic_model, language_model and dictionary settings")
    }

    /// Refuses model paths that cannot be read, naming the package for the default model and the
    /// setting for the user's own.
    private static func checkReadable(_ models: PocketSphinxModels, defaults: PocketSphinxModels) throws {
        let checks: [(setting: String, path: String, probe: String, isDefault: Bool)] = [
            (
                "acoustic_model", models.acousticModel, models.acousticModel + "/mdef",
                models.acousticModel == defaults.acousticModel
            ),
            (
                "language_model", models.languageModel, models.languageModel,
                models.languageModel == defaults.languageModel
            ),
            ("dictionary", models.dictionary, models.dictionary, models.dictionary == defaults.dictionary),
        ]
        for check in checks where access(check.probe, R_OK) != 0 {
            if check.isDefault {
                throw ProviderError.invalidRequest(
                    provider: descriptor.displayName,
                    hint: "the English model is missing (\(check.probe) cannot be read); "
                        + "install it with: sudo apt-get install pocketsphinx-en-us")
            }
            throw ProviderError.invalidOption(
                provider: descriptor.displayName, option: "\(check.setting) \(check.path)",
                hint: "\(check.probe) cannot be read; fix the \(check.setting) setting in the configuration "
                    + "or remove it to use the bundled English model")
        }
    }
}
