/// Every provider hark knows, by `--provider` name.
///
/// Adding a provider is one line here.
///
/// The order matters: with no provider named, hark uses the first cloud provider whose key is
/// set, so the offline `local` stays last.
package enum ProviderRegistry {
    package static let adapters: [any ProviderAdapter.Type] = [
        DeepgramAdapter.self,
        AssemblyAIAdapter.self,
        OpenAIAdapter.self,
        GoogleAdapter.self,
        LocalAdapter.self,
    ]

    /// The adapter for a `--provider` name, compared case-insensitively.
    package static func adapter(named name: String) -> (any ProviderAdapter.Type)? {
        let lowered = name.lowercased()
        return adapters.first { $0.descriptor.name == lowered }
    }

    /// All names, for messages and completions.
    package static var names: [String] { adapters.map { $0.descriptor.name } }
}
