/// The effective configuration as JSON for `hark config`, with every key redacted.
package enum ConfigurationReport {
    package static func render(
        _ configuration: Configuration, file: ConfigurationFile, environment: [String: String]
    ) -> String {
        var lines: [String] = ["{"]
        func add(_ key: String, _ value: String, last: Bool = false) {
            lines.append("  \"\(key)\": \(value)\(last ? "" : ",")")
        }
        func quoted(_ text: String?) -> String {
            guard let text else { return "null" }
            var escaped = ""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": escaped += "\\\""
                case "\\": escaped += "\\\\"
                case "\n": escaped += "\\n"
                default: escaped.unicodeScalars.append(scalar)
                }
            }
            return "\"\(escaped)\""
        }
        let chosen = try? ProviderSelection.choose(configuration: configuration, environment: environment)
        add("config_file", quoted(file.path + (file.exists ? "" : " (not found; defaults used)")))
        add("provider", quoted(chosen.map { $0.adapter.descriptor.name } ?? configuration.provider))
        add("device", quoted(configuration.device))
        add("speed", quoted(configuration.speed.description))
        add("chunk_ms", configuration.chunkMilliseconds.map(String.init) ?? "\"provider default\"")
        add("vad", configuration.vad.map { $0 ? "true" : "false" } ?? "\"auto (on for a microphone)\"")
        add("vad_level", String(configuration.vadLevel))
        add("vad_pre_roll_ms", String(configuration.preRollMilliseconds))
        add("vad_hang_over_ms", String(configuration.hangOverMilliseconds))
        add("denoise", configuration.denoise.map(String.init) ?? "false")
        add("agc", configuration.agc ? "true" : "false")
        add("keyterms", "[" + configuration.keyterms.map { quoted($0) }.joined(separator: ", ") + "]")
        add("encoding", quoted(configuration.encoding?.rawValue ?? "provider default"))
        add("format", quoted(configuration.format.rawValue))
        add("interim", configuration.interim.map { $0 ? "true" : "false" } ?? "\"auto (on a terminal)\"")
        add("timestamps", configuration.timestamps ? "true" : "false")
        add("color", configuration.color ? "true" : "false")
        add("proxy", quoted(configuration.proxy))
        add("cacert", quoted(configuration.caBundle))
        add("retry_base", String(configuration.retryBaseSeconds))
        add("retry_cap", String(configuration.retryCapSeconds))
        add(
            "retry_attempts",
            configuration.retryAttempts.map(String.init) ?? "\"auto (unlimited for a microphone, 5 for files)\"")
        add("replay_seconds", String(configuration.replaySeconds))
        add("session_limit", configuration.sessionLimitSeconds.map { String($0) } ?? "\"the provider's maximum\"")
        lines.append("  \"providers\": {")
        let adapters = ProviderRegistry.adapters
        for (index, adapter) in adapters.enumerated() {
            let descriptor = adapter.descriptor
            let settings = configuration.settings(for: descriptor.name)
            let source: String
            if let variable = descriptor.credentialVariables.first(where: { !(environment[$0] ?? "").isEmpty }) {
                source = "set (from \(variable))"
            } else if settings.apiKey != nil {
                source = "set (from the config file)"
            } else if descriptor.credentialVariables.isEmpty {
                source = "not needed"
            } else {
                source = "missing (set \(descriptor.credentialVariables[0]))"
            }
            var fields = [
                "\"api_key\": \(quoted(source))",
                "\"endpoint\": \(quoted(settings.endpoint ?? descriptor.defaultEndpoint))",
                "\"model\": \(quoted(settings.model ?? descriptor.defaultModel))",
                "\"language\": \(quoted(settings.language))",
            ]
            if !settings.parameters.isEmpty {
                fields.append(
                    "\"params\": {"
                        + settings.parameters.map { "\(quoted($0.key)): \(quoted($0.value))" }
                        .joined(separator: ", ") + "}")
            }
            for key in settings.settings.keys.sorted() {
                fields.append("\(quoted(key)): \(quoted(settings.settings[key]))")
            }
            lines.append(
                "    \(quoted(descriptor.name)): { " + fields.joined(separator: ", ") + " }"
                    + (index == adapters.count - 1 ? "" : ","))
        }
        lines.append("  }")
        lines.append("}")
        return lines.joined(separator: "\n")
    }
}
