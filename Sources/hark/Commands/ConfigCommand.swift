import ArgumentParser
import Hark

/// `hark config`: the effective configuration, keys redacted.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Print the effective configuration (file, environment and defaults), keys redacted.")

    @Option(name: .long, help: ArgumentHelp("Read this configuration file.", valueName: "FILE"))
    var config: String?

    func run() throws {
        let environment = Environment.current
        let loaded = try Environment.loadConfiguration(explicitPath: config, environment: environment)
        Environment.printWarnings(loaded.file.warnings)
        print(ConfigurationReport.render(loaded.configuration, file: loaded.file, environment: environment))
    }
}
