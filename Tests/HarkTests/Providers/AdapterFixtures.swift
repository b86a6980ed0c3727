@testable import Hark

/// Helpers for adapter tests that feed recorded messages to decoders.
enum AdapterFixtures {
    /// The case of a `ProviderError` without its text, so tests can check what an error means
    /// (which decides whether it is retried) apart from its wording.
    enum ErrorKind: String, Sendable {
        case missingCredentials, authenticationFailed, permissionDenied, rateLimited, invalidRequest
        case unsupportedAudio, serverError, unavailable, sessionLimitReached, protocolError, invalidOption
        case notInstalled

        init(_ error: ProviderError) {
            switch error {
            case .missingCredentials: self = .missingCredentials
            case .authenticationFailed: self = .authenticationFailed
            case .permissionDenied: self = .permissionDenied
            case .rateLimited: self = .rateLimited
            case .invalidRequest: self = .invalidRequest
            case .unsupportedAudio: self = .unsupportedAudio
            case .serverError: self = .serverError
            case .unavailable: self = .unavailable
            case .sessionLimitReached: self = .sessionLimitReached
            case .protocolError: self = .protocolError
            case .invalidOption: self = .invalidOption
            case .notInstalled: self = .notInstalled
            }
        }
    }

    /// Events of several text messages fed to one decoder, in order.
    static func decodeAll<Decoder: TranscriptDecoder>(_ decoder: inout Decoder, _ messages: [String]) throws
        -> [TranscriptEvent]
    {
        var events: [TranscriptEvent] = []
        for message in messages { events += try decoder.decode(.text(message)) }
        return events
    }

    /// The final segments, in order.
    static func finals(_ events: [TranscriptEvent]) -> [TranscriptSegment] {
        events.compactMap {
            if case .final(let segment) = $0 { return segment }
            return nil
        }
    }

    /// The interim segments, in order.
    static func interims(_ events: [TranscriptEvent]) -> [TranscriptSegment] {
        events.compactMap {
            if case .interim(let segment) = $0 { return segment }
            return nil
        }
    }

    /// The error a throwing call threw, as a `ProviderError`.
    static func providerError(_ body: () throws -> Void) -> ProviderError? {
        do {
            try body()
            return nil
        } catch let error as ProviderError {
            return error
        } catch {
            return nil
        }
    }
}
