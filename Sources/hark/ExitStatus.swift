import ArgumentParser
import Hark

/// The one place errors become messages and exit statuses (the sysexits family).
///
/// | status | meaning |
/// |---|---|
/// | 0 | the transcript is complete (also after Ctrl-C) |
/// | 64 | usage: a bad flag or value, an unknown provider |
/// | 65 | bad input data: not audio hark can read, an empty or truncated file, an unusable rate |
/// | 66 | no input: a missing file, a missing or busy capture device |
/// | 69 | the provider stayed unavailable through every retry, or a library hark opens on first use is missing |
/// | 70 | an internal error |
/// | 74 | an I/O error while reading input or writing output |
/// | 75 | the transcript is incomplete: some audio was never transcribed |
/// | 77 | the provider rejected the credentials or the request's permissions |
/// | 78 | configuration: a malformed file, a missing key |
enum ExitStatus {
    static let usage: Int32 = 64
    static let dataError: Int32 = 65
    static let noInput: Int32 = 66
    static let unavailable: Int32 = 69
    static let software: Int32 = 70
    static let ioError: Int32 = 74
    static let incompleteTranscript: Int32 = 75
    static let permission: Int32 = 77
    static let configuration: Int32 = 78

    /// Prints the error's message on stderr and returns the exit to throw.
    static func report(_ error: any Error) -> any Error {
        if error is ExitCode || error is ValidationError || error is CleanExit { return error }
        let (status, message) = classify(error)
        Environment.printError("hark: \(message)")
        return ExitCode(status)
    }

    static func classify(_ error: any Error) -> (Int32, String) {
        switch error {
        case let error as ConfigurationError:
            switch error {
            case .unknownProvider, .invalidSetting: return (usage, error.description)
            default: return (configuration, error.description)
            }
        case let error as AudioSourceError:
            switch error {
            case .cannotOpen, .deviceNotFound, .deviceBusy, .deviceUnusable: return (noInput, error.description)
            case .unsupportedFormat, .empty, .truncated: return (dataError, error.description)
            case .readFailed, .deviceLost: return (ioError, error.description)
            case .libraryMissing: return (unavailable, error.description)
            }
        case let error as SessionError:
            switch error {
            case .providerUnavailable(let underlying, _):
                return (classify(provider: underlying) == permission ? permission : unavailable, error.description)
            case .providerFailed(let underlying):
                return (classify(provider: underlying), error.description)
            }
        case let error as ProviderError:
            return (classify(provider: error), error.description)
        case let error as OutputError:
            return (ioError, error.description)
        case let error as ServeError:
            return (unavailable, error.description)
        case let error as DSPError:
            switch error {
            case .invalidOption: return (usage, error.description)
            case .unsupportedSampleRate: return (dataError, error.description)
            // The C libraries failing on valid input is hark's fault: the message asks for a report.
            case .resamplerFailed, .audioProcessingFailed, .encoderFailed: return (software, error.description)
            case .libraryMissing: return (unavailable, error.description)
            }
        default:
            return (software, "internal error: \(error). Please report it with the command you ran.")
        }
    }

    private static func classify(provider error: ProviderError) -> Int32 {
        switch error {
        case .missingCredentials: configuration
        case .authenticationFailed, .permissionDenied: permission
        case .invalidOption, .invalidRequest: usage
        case .unsupportedAudio: dataError
        case .rateLimited, .serverError, .unavailable, .sessionLimitReached, .notInstalled: unavailable
        case .protocolError: software
        }
    }
}
