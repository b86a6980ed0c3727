import FoundationEssentials
import Hark

#if canImport(Glibc)
    import Glibc
#endif

/// The process environment and the shared steps every command takes with it.
enum Environment {
    static var current: [String: String] { ProcessInfo.processInfo.environment }

    /// Defaults, then the configuration file.
    static func loadConfiguration(explicitPath: String?, environment: [String: String]) throws -> (
        configuration: Configuration, file: ConfigurationFile
    ) {
        var file = try ConfigurationFile.load(explicitPath: explicitPath, environment: environment)
        var configuration = Configuration()
        try file.apply(to: &configuration)
        if let noColor = environment["NO_COLOR"], !noColor.isEmpty { configuration.color = false }
        return (configuration, file)
    }

    /// The configuration a run starts from: defaults, the configuration file (its warnings
    /// printed), then the command's flags; a bad file or flag ends the command with its message.
    static func runConfiguration(
        configPath: String?, environment: [String: String], applyingFlags apply: (inout Configuration) throws -> Void
    ) throws -> Configuration {
        do {
            let loaded = try loadConfiguration(explicitPath: configPath, environment: environment)
            printWarnings(loaded.file.warnings)
            var configuration = loaded.configuration
            try apply(&configuration)
            return configuration
        } catch {
            throw ExitStatus.report(error)
        }
    }

    /// Writes a line to stderr.
    static func printError(_ message: String) {
        let bytes = Array((message + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            if written <= 0 { return }
            offset += written
        }
    }

    static func printWarnings(_ warnings: [String]) {
        for warning in warnings { printError("hark: warning: \(warning)") }
    }

    /// Columns of the terminal on stdout, or 80.
    static func terminalWidth() -> Int {
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        if let columns = current["COLUMNS"].flatMap(Int.init), columns > 0 { return columns }
        return 80
    }

    /// True when the file descriptor is a terminal.
    static func isTerminal(_ descriptor: Int32) -> Bool { isatty(descriptor) == 1 }
}
