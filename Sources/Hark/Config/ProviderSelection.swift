/// Picks the provider for a run and gathers its options from configuration and environment.
package enum ProviderSelection {
    /// The provider a run uses, and why.
    package struct Choice: Sendable {
        package var adapter: any ProviderAdapter.Type
        /// True when nothing named a provider and hark fell back to the offline one.
        package var fellBackToLocal: Bool
    }

    /// The provider named by the configuration (flag, `HARK_PROVIDER`, file), else the first
    /// cloud provider that has a key, else `local`.
    package static func choose(configuration: Configuration, environment: [String: String]) throws -> Choice {
        if let name = configuration.provider ?? environment["HARK_PROVIDER"].flatMap({ $0.isEmpty ? nil : $0 }) {
            guard let adapter = ProviderRegistry.adapter(named: name) else {
                throw ConfigurationError.unknownProvider(name: name, known: ProviderRegistry.names)
            }
            return Choice(adapter: adapter, fellBackToLocal: false)
        }
        for adapter in ProviderRegistry.adapters where !adapter.descriptor.credentialVariables.isEmpty {
            if credential(for: adapter.descriptor, configuration: configuration, environment: environment) != nil {
                return Choice(adapter: adapter, fellBackToLocal: false)
            }
        }
        if let local = ProviderRegistry.adapter(named: "local") {
            return Choice(adapter: local, fellBackToLocal: true)
        }
        throw ConfigurationError.invalidSetting(
            setting: "--provider",
            message: "no provider chosen; pass --provider (one of \(ProviderRegistry.names.joined(separator: ", ")))")
    }

    /// The key for a provider: its environment variables first, then the file's `api_key`.
    package static func credential(
        for descriptor: ProviderDescriptor, configuration: Configuration, environment: [String: String]
    ) -> String? {
        for variable in descriptor.credentialVariables {
            if let value = environment[variable], !value.isEmpty { return value }
        }
        return configuration.settings(for: descriptor.name).apiKey.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The options an adapter is built with.
    package static func options(
        for descriptor: ProviderDescriptor, configuration: Configuration, environment: [String: String],
        interimResults: Bool
    ) -> ProviderOptions {
        let settings = configuration.settings(for: descriptor.name)
        return ProviderOptions(
            credential: credential(for: descriptor, configuration: configuration, environment: environment),
            endpoint: settings.endpoint, model: settings.model, language: settings.language,
            parameters: settings.parameters, encoding: configuration.encoding, bitrate: configuration.bitrate,
            interimResults: interimResults, settings: settings.settings, keyterms: configuration.keyterms,
            environment: environment)
    }
}
