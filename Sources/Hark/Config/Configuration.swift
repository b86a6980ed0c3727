/// What is written to stdout.
package enum OutputFormat: String, Sendable, Equatable, CaseIterable {
    case text, jsonl, srt, vtt
}

/// Settings for one provider, from the configuration file's `providers.NAME` object.
package struct ProviderSettings: Sendable, Equatable {
    package var apiKey: String?
    package var endpoint: String?
    package var model: String?
    package var language: String?
    /// Extra provider parameters (`params`), in file order.
    package var parameters: [ProviderParameter] = []
    /// Any other string keys (`region`, `project`, `dictionary`, …) for the adapter.
    package var settings: [String: String] = [:]

    package init() {}
}

/// Everything a run needs, after defaults, the configuration file, the environment and the
/// command line were applied, in that order.
package struct Configuration: Sendable, Equatable {
    // Input
    package var device = "default"
    package var speed = PacingSpeed.realTime
    /// nil: the provider's own chunk length (`ProviderAdapter.chunkMilliseconds`).
    package var chunkMilliseconds: Int?

    // Audio processing
    /// nil: on for a microphone, off for files.
    package var vad: Bool?
    package var vadLevel = AudioProcessingOptions.defaultVADLevel
    package var preRollMilliseconds = 300
    package var hangOverMilliseconds = 800
    /// nil: off; 0–3: noise suppression level.
    package var denoise: Int?
    package var agc = false
    package var highPass = false
    package var encoding: AudioEncoding?
    package var bitrate: Int?

    // Provider
    /// nil: the first provider with a key, else `local`.
    package var provider: String?
    package var providers: [String: ProviderSettings] = [:]
    /// Words and phrases to favour (`--keyterm`, the file's `keyterms`), for whichever provider
    /// runs; each adapter sends them in its own form or refuses them.
    package var keyterms: [String] = []

    // Output
    package var format = OutputFormat.text
    /// nil: interim text on a terminal only.
    package var interim: Bool?
    package var timestamps = false
    package var color = true
    package var outputFile: String?
    package var appendOutput = false
    package var saveAudio: String?
    package var meter = false

    // Network and reliability
    package var proxy: String?
    package var caBundle: String?
    package var connectTimeoutSeconds = 10.0
    package var retryBaseSeconds = 0.5
    package var retryCapSeconds = 30.0
    /// nil: unlimited for a microphone, 5 for files.
    package var retryAttempts: Int?
    package var replaySeconds = 120.0
    package var finishTimeoutSeconds = 10.0
    /// A provider silent this long while audio flows is treated as gone.
    package var serverSilenceTimeoutSeconds = 30.0
    /// Rotate to a new provider session before this many seconds; nil: the provider's own limit.
    package var sessionLimitSeconds: Double?

    package init() {}

    /// The settings for a provider (empty when the file has none).
    package func settings(for provider: String) -> ProviderSettings {
        providers[provider] ?? ProviderSettings()
    }
}
