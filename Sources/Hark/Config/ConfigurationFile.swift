#if canImport(Glibc)
    import Glibc
#endif

/// Reads `config.json` and applies it over the defaults.
///
/// Where it lives: `--config FILE`, else `$XDG_CONFIG_HOME/hark/config.json`, else
/// `~/.config/hark/config.json`. A missing default file is fine; a missing `--config` file, a
/// malformed file or a wrong value is an error; an unknown key is a warning (a typo should not
/// stop a recording, but should not pass unnoticed either). Every key is documented in
/// `config.example.json`. Keys that start with `//` are comments.
package struct ConfigurationFile: Sendable {
    /// The path that was read, or would have been.
    package var path: String
    /// Whether a file was found.
    package var exists: Bool
    /// Warnings for stderr (unknown keys, a key file others can read).
    package var warnings: [String] = []
    private var document: JSONValue?

    /// The default location for this environment.
    package static func defaultPath(environment: [String: String]) -> String {
        if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty { return "\(xdg)/hark/config.json" }
        return "\(environment["HOME"] ?? "~")/.config/hark/config.json"
    }

    /// Loads `explicitPath`, or the default location when nil.
    package static func load(explicitPath: String?, environment: [String: String]) throws -> ConfigurationFile {
        let path = explicitPath ?? defaultPath(environment: environment)
        guard let text = try readFile(path, required: explicitPath != nil) else {
            return ConfigurationFile(path: path, exists: false)
        }
        return try parse(text, path: path, permissions: permissions(of: path))
    }

    /// Parses a configuration document.
    ///
    /// `permissions` are the file's mode bits, if known.
    package static func parse(_ text: String, path: String, permissions: UInt32? = nil) throws -> ConfigurationFile {
        let document: JSONValue
        do {
            document = try JSONParser.parse(text)
        } catch {
            throw ConfigurationError.malformed(
                path: path, line: error.line, column: error.column, message: error.message)
        }
        guard case .object = document else {
            throw ConfigurationError.invalidValue(
                path: path, key: "(top level)", message: "must be a JSON object { … }")
        }
        var file = ConfigurationFile(path: path, exists: true, document: document)
        var probe = Configuration()
        try file.apply(to: &probe)
        if let permissions, permissions & 0o077 != 0, file.holdsKeys {
            file.warnings.append(
                "\(path) holds API keys and other users can read it; run: chmod 600 \(path)")
        }
        return file
    }

    private var holdsKeys: Bool {
        guard case .object(let providers)? = document?["providers"] else { return false }
        return providers.contains { $0.value["api_key"] != nil }
    }

    /// Applies the file's settings over `configuration`, collecting warnings.
    package mutating func apply(to configuration: inout Configuration) throws {
        guard let document, case .object(let members) = document else { return }
        var reader = Reader(path: path)
        for (key, value) in members where !key.hasPrefix("//") {
            switch key {
            case "provider": configuration.provider = try reader.string(value, key)
            case "device": configuration.device = try reader.string(value, key)
            case "speed":
                let text: String
                if case .number(let number) = value {
                    text = String(number)
                } else {
                    text = try reader.string(value, key)
                }
                guard let speed = PacingSpeed(argument: text) else {
                    throw reader.invalid(key, "must be a positive number or \"max\"")
                }
                configuration.speed = speed
            case "chunk_ms": configuration.chunkMilliseconds = try reader.integer(value, key, in: 20...1000)
            case "vad": configuration.vad = try reader.bool(value, key)
            case "vad_level": configuration.vadLevel = try reader.integer(value, key, in: 0...3)
            case "vad_pre_roll_ms": configuration.preRollMilliseconds = try reader.integer(value, key, in: 0...5000)
            case "vad_hang_over_ms": configuration.hangOverMilliseconds = try reader.integer(value, key, in: 0...10000)
            case "denoise":
                if case .bool(let on) = value {
                    configuration.denoise = on ? 2 : nil
                } else {
                    configuration.denoise = try reader.integer(value, key, in: 0...3)
                }
            case "agc": configuration.agc = try reader.bool(value, key)
            case "high_pass": configuration.highPass = try reader.bool(value, key)
            case "encoding":
                let name = try reader.string(value, key)
                guard let encoding = AudioEncoding(rawValue: name) else {
                    throw reader.invalid(key, "must be one of linear16, opus, mulaw")
                }
                configuration.encoding = encoding
            case "bitrate": configuration.bitrate = try reader.integer(value, key, in: 6000...256_000)
            case "format":
                let name = try reader.string(value, key)
                guard let format = OutputFormat(rawValue: name) else {
                    throw reader.invalid(key, "must be one of text, jsonl, srt, vtt")
                }
                configuration.format = format
            case "interim": configuration.interim = try reader.bool(value, key)
            case "timestamps": configuration.timestamps = try reader.bool(value, key)
            case "color": configuration.color = try reader.bool(value, key)
            case "meter": configuration.meter = try reader.bool(value, key)
            case "proxy": configuration.proxy = value == .null ? nil : try reader.string(value, key)
            case "cacert": configuration.caBundle = value == .null ? nil : try reader.string(value, key)
            case "connect_timeout": configuration.connectTimeoutSeconds = try reader.number(value, key, in: 0.1...600)
            case "retry_base": configuration.retryBaseSeconds = try reader.number(value, key, in: 0.01...60)
            case "retry_cap": configuration.retryCapSeconds = try reader.number(value, key, in: 0.1...3600)
            case "retry_attempts":
                configuration.retryAttempts = value == .null ? nil : try reader.integer(value, key, in: 0...1_000_000)
            case "replay_seconds": configuration.replaySeconds = try reader.number(value, key, in: 1...3600)
            case "finish_timeout": configuration.finishTimeoutSeconds = try reader.number(value, key, in: 0.1...600)
            case "server_silence_timeout":
                configuration.serverSilenceTimeoutSeconds = try reader.number(value, key, in: 0.5...3600)
            case "session_limit":
                configuration.sessionLimitSeconds = value == .null ? nil : try reader.number(value, key, in: 1...86_400)
            case "keyterms":
                guard case .array(let items) = value else { throw reader.invalid(key, "must be a list of strings") }
                configuration.keyterms = try items.map { try reader.string($0, key) }
            case "providers":
                guard case .object(let providers) = value else { throw reader.invalid(key, "must be an object") }
                for (name, settings) in providers {
                    configuration.providers[name] = try reader.providerSettings(
                        settings, name: name, base: configuration.providers[name] ?? ProviderSettings())
                    if ProviderRegistry.adapter(named: name) == nil {
                        reader.warnings.append("\(path): unknown provider 'providers.\(name)' (ignored)")
                    }
                }
            default:
                reader.warnings.append("\(path): unknown key '\(key)' (ignored; see config.example.json)")
            }
        }
        for warning in reader.warnings where !warnings.contains(warning) { warnings.append(warning) }
    }

    /// Turns JSON values into settings, naming the key when a value is wrong.
    private struct Reader {
        let path: String
        var warnings: [String] = []

        func invalid(_ key: String, _ message: String) -> ConfigurationError {
            .invalidValue(path: path, key: key, message: message)
        }

        func string(_ value: JSONValue, _ key: String) throws -> String {
            guard case .string(let text) = value else { throw invalid(key, "must be a string, not \(value.kind)") }
            return text
        }

        func bool(_ value: JSONValue, _ key: String) throws -> Bool {
            guard case .bool(let flag) = value else { throw invalid(key, "must be true or false, not \(value.kind)") }
            return flag
        }

        func number(_ value: JSONValue, _ key: String, in range: ClosedRange<Double>) throws -> Double {
            guard case .number(let number) = value else { throw invalid(key, "must be a number, not \(value.kind)") }
            guard range.contains(number) else {
                throw invalid(key, "must be between \(range.lowerBound) and \(range.upperBound)")
            }
            return number
        }

        func integer(_ value: JSONValue, _ key: String, in range: ClosedRange<Int>) throws -> Int {
            guard case .number(let number) = value, number == number.rounded(), abs(number) < 1e15 else {
                throw invalid(key, "must be a whole number, not \(value.kind)")
            }
            guard range.contains(Int(number)) else {
                throw invalid(key, "must be between \(range.lowerBound) and \(range.upperBound)")
            }
            return Int(number)
        }

        mutating func providerSettings(_ value: JSONValue, name: String, base: ProviderSettings) throws
            -> ProviderSettings
        {
            let prefix = "providers.\(name)"
            guard case .object(let members) = value else { throw invalid(prefix, "must be an object") }
            var settings = base
            for (key, member) in members where !key.hasPrefix("//") {
                let full = "\(prefix).\(key)"
                switch key {
                case "api_key": settings.apiKey = try string(member, full)
                case "endpoint": settings.endpoint = try string(member, full)
                case "model": settings.model = try string(member, full)
                case "language": settings.language = try string(member, full)
                case "params":
                    guard case .object(let parameters) = member else { throw invalid(full, "must be an object") }
                    for (parameter, parameterValue) in parameters {
                        let values: [JSONValue]
                        if case .array(let list) = parameterValue { values = list } else { values = [parameterValue] }
                        for item in values {
                            let text: String
                            switch item {
                            case .string(let string): text = string
                            case .bool(let flag): text = flag ? "true" : "false"
                            case .number(let number):
                                text =
                                    number == number.rounded() && abs(number) < 1e15
                                    ? String(Int(number)) : String(number)
                            default: throw invalid("\(full).\(parameter)", "must be a string, number or true/false")
                            }
                            settings.parameters.append(ProviderParameter(key: parameter, value: text))
                        }
                    }
                default:
                    switch member {
                    case .string(let text): settings.settings[key] = text
                    case .number(let number): settings.settings[key] = String(number)
                    case .bool(let flag): settings.settings[key] = flag ? "true" : "false"
                    default: throw invalid(full, "must be a string, number or true/false")
                    }
                }
            }
            return settings
        }
    }

    // MARK: - File access

    private static func readFile(_ path: String, required: Bool) throws -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 {
            let code = errno
            if !required, code == ENOENT || code == ENOTDIR { return nil }
            throw ConfigurationError.unreadable(path: path, reason: String(cString: strerror(code)))
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ConfigurationError.unreadable(path: path, reason: String(cString: strerror(errno)))
            }
            if count == 0 { break }
            bytes += buffer[0..<count]
            if bytes.count > 1 << 20 {
                throw ConfigurationError.unreadable(
                    path: path, reason: "larger than 1 MiB; is it a configuration file?")
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigurationError.unreadable(path: path, reason: "not UTF-8 text")
        }
        return text
    }

    private static func permissions(of path: String) -> UInt32? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return UInt32(info.st_mode) & 0o777
    }
}
