import ArgumentParser
import Hark

/// `hark providers`: what each provider supports.
struct Providers: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the providers and what each supports.")

    func run() throws {
        for adapter in ProviderRegistry.adapters {
            let descriptor = adapter.descriptor
            let capabilities = descriptor.capabilities
            var features: [String] = []
            if capabilities.interimResults { features.append("interim results") }
            if capabilities.wordTimings { features.append("word times") }
            if capabilities.diarization { features.append("speakers") }
            features.append("encodings: " + capabilities.encodings.map(\.rawValue).joined(separator: ", "))
            if let limit = capabilities.maxSessionLength {
                features.append("sessions up to \(Int(limit.components.seconds / 60)) min (rotated)")
            }
            if let speed = capabilities.maxSpeed { features.append("at most \(speed)x real time") }
            if !capabilities.regions.isEmpty {
                features.append("regions: " + capabilities.regions.joined(separator: ", "))
            }
            let key =
                descriptor.credentialVariables.isEmpty
                ? "no key needed" : "key: " + descriptor.credentialVariables.joined(separator: " or ")
            print("\(descriptor.name)\t\(descriptor.summary)")
            print("\t\(key); model: \(descriptor.defaultModel ?? "built in")")
            print("\t\(features.joined(separator: "; "))")
        }
    }
}
