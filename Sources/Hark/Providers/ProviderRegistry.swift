/// Every provider hark knows, by `--provider` name. Adding a provider is one line here.
package enum ProviderRegistry {
    package static let adapters: [any ProviderAdapter.Type] = [
        GoogleAdapter.self,
    ]

    /// The adapter for a `--provider` name, compared case-insensitively.
    package static func adapter(named name: String) -> (any ProviderAdapter.Type)? {
        let lowered = name.lowercased()
        return adapters.first { $0.descriptor.name == lowered }
    }

    /// All names, for messages and completions.
    package static var names: [String] { adapters.map { $0.descriptor.name } }
}
