import ArgumentParser
import Hark

/// Which provider, and how to talk to it.
struct ProviderOptionGroup: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Speech-to-text provider: \(ProviderRegistry.names.joined(separator: ", ")). Default: the first with a key, else local.",
            valueName: "name"),
        completion: .list(ProviderRegistry.names))
    var provider: String?

    @Option(help: ArgumentHelp("Provider model (e.g. nova-3).", valueName: "model"))
    var model: String?

    @Option(help: ArgumentHelp("Spoken language (e.g. en, en-US, de).", valueName: "code"))
    var language: String?

    @Option(
        help: ArgumentHelp(
            "Provider region: Google's location (us, eu, global, us-central1, …; default us) or AssemblyAI's (edge, us, eu).",
            valueName: "region"))
    var region: String?

    @Option(
        help: ArgumentHelp(
            "Google Cloud project id (default: the credentials' project or GOOGLE_CLOUD_PROJECT).",
            valueName: "id"))
    var project: String?

    @Option(
        name: .customLong("param"),
        help: ArgumentHelp("A provider parameter passed through as is (repeatable).", valueName: "key=value"))
    var parameters: [String] = []

    @Option(
        name: .customLong("keyterm"),
        help: ArgumentHelp(
            "A word or phrase to favour (repeatable; replaces the configuration's keyterms): Deepgram keyterm, AssemblyAI keyterms_prompt, OpenAI keywords, Google phrase hints.",
            valueName: "term"))
    var keyterms: [String] = []

    @Option(
        help: ArgumentHelp(
            "Base URL replacing the provider's scheme, host and port (e.g. wss://api.eu.deepgram.com, ws://127.0.0.1:8080).",
            valueName: "url"))
    var endpoint: String?

    @Option(help: ArgumentHelp("HTTP(S) proxy for provider connections.", valueName: "url"))
    var proxy: String?

    @Option(
        help: ArgumentHelp("PEM file of CA certificates to trust instead of the system's.", valueName: "file"),
        completion: .file(extensions: ["pem", "crt"]))
    var cacert: String?

    @Option(
        help: ArgumentHelp("Read this configuration file instead of ~/.config/hark/config.json.", valueName: "file"),
        completion: .file(extensions: ["json"]))
    var config: String?

    /// `--region` and `--project` as adapter settings, for the providers that read them.
    var namedSettings: [NamedProviderSetting] {
        var named: [NamedProviderSetting] = []
        if let region { named.append(NamedProviderSetting(flag: "--region", key: "region", value: region)) }
        if let project { named.append(NamedProviderSetting(flag: "--project", key: "project", value: project)) }
        return named
    }

    /// `--param` values split at the first '='.
    func parsedParameters() throws -> [ProviderParameter] {
        try parameters.map { text in
            guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
                throw ValidationError("--param '\(text)' must look like key=value.")
            }
            return ProviderParameter(
                key: String(text[..<equals]), value: String(text[text.index(after: equals)...]))
        }
    }

    func validate() throws {
        _ = try parsedParameters()
        if keyterms.contains(where: { $0.allSatisfy(\.isWhitespace) }) {
            throw ValidationError("--keyterm needs a word or phrase, not an empty string.")
        }
        if let provider, ProviderRegistry.adapter(named: provider) == nil {
            throw ValidationError(
                "unknown provider '\(provider)'; choose one of: \(ProviderRegistry.names.joined(separator: ", ")).")
        }
    }
}

/// A provider-specific flag and the adapter setting it fills.
struct NamedProviderSetting {
    var flag: String
    var key: String
    var value: String
}
