/// A configuration problem, phrased so the user can fix it.
package enum ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file named with --config does not exist or cannot be read.
    case unreadable(path: String, reason: String)
    /// The file is not valid JSON.
    case malformed(path: String, line: Int, column: Int, message: String)
    /// A key holds the wrong kind of value, or a value out of range.
    case invalidValue(path: String, key: String, message: String)
    /// A flag or environment value that is not allowed.
    case invalidSetting(setting: String, message: String)
    /// `--provider` (or the file's `provider`) names no known provider.
    case unknownProvider(name: String, known: [String])

    package var description: String {
        switch self {
        case .unreadable(let path, let reason):
            "cannot read the configuration file \(path): \(reason). Fix the path given to --config."
        case .malformed(let path, let line, let column, let message):
            "\(path):\(line):\(column): \(message). Fix the JSON there (see config.example.json)."
        case .invalidValue(let path, let key, let message):
            "\(path): '\(key)' \(message) (see config.example.json)."
        case .invalidSetting(let setting, let message):
            "\(setting): \(message)"
        case .unknownProvider(let name, let known):
            "unknown provider '\(name)'; choose one of: \(known.joined(separator: ", ")) (see 'hark providers')."
        }
    }
}
