import FoundationEssentials

/// Google credentials as the user's tools leave them, found in the order Google's own libraries
/// use (Application Default Credentials), then a plain access token.
package enum GoogleCredentials: Sendable, Equatable {
    /// A service-account key file: a JWT signed with its key is exchanged for an access token.
    case serviceAccount(GoogleServiceAccountKey)
    /// `gcloud auth application-default login`: its refresh token is exchanged for an access token.
    case authorizedUser(GoogleAuthorizedUser)
    /// A token from `gcloud auth print-access-token`, used as it is until it expires.
    case accessToken(String)

    /// The project the credentials belong to, if they name one.
    package var project: String? {
        switch self {
        case .serviceAccount(let key): key.projectID ?? key.quotaProjectID
        case .authorizedUser(let user): user.quotaProjectID
        case .accessToken: nil
        }
    }

    /// The project billed for the calls (`x-goog-user-project`), if the credentials name one.
    package var quotaProject: String? {
        switch self {
        case .serviceAccount(let key): key.quotaProjectID
        case .authorizedUser(let user): user.quotaProjectID
        case .accessToken: nil
        }
    }
}

/// The fields of a `"type": "service_account"` key file that the token exchange needs.
package struct GoogleServiceAccountKey: Sendable, Equatable, Decodable {
    package var clientEmail: String
    package var privateKey: String
    package var privateKeyID: String?
    package var tokenURI: String?
    package var projectID: String?
    package var quotaProjectID: String?

    enum CodingKeys: String, CodingKey {
        case clientEmail = "client_email"
        case privateKey = "private_key"
        case privateKeyID = "private_key_id"
        case tokenURI = "token_uri"
        case projectID = "project_id"
        case quotaProjectID = "quota_project_id"
    }
}

/// The fields of a `"type": "authorized_user"` file (gcloud's application-default login).
package struct GoogleAuthorizedUser: Sendable, Equatable, Decodable {
    package var clientID: String
    package var clientSecret: String
    package var refreshToken: String
    package var quotaProjectID: String?
    package var tokenURI: String?

    enum CodingKeys: String, CodingKey {
        case clientID = "client_id"
        case clientSecret = "client_secret"
        case refreshToken = "refresh_token"
        case quotaProjectID = "quota_project_id"
        case tokenURI = "token_uri"
    }
}

/// Credentials together with where they were found, for messages.
package struct LocatedGoogleCredentials: Sendable, Equatable {
    package var credentials: GoogleCredentials
    /// Where they came from, such as `GOOGLE_APPLICATION_CREDENTIALS (/path/key.json)`.
    package var origin: String
}

/// Finds Google credentials: `GOOGLE_APPLICATION_CREDENTIALS`, then gcloud's application-default
/// credentials file, then `GOOGLE_ACCESS_TOKEN` or the configuration's `access_token`.
package enum GoogleCredentialLocator {
    /// Google's default token endpoint, used when a key file names none.
    package static let defaultTokenURI = "https://oauth2.googleapis.com/token"

    /// What to do when nothing was found.
    package static let setupHint =
        "set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file, run 'gcloud auth application-default "
        + "login', or set GOOGLE_ACCESS_TOKEN=$(gcloud auth print-access-token)"

    /// Reads a file's bytes, or nil when it does not exist.
    package typealias FileReader = @Sendable (String) -> [UInt8]?

    /// Reads files from disk.
    package static let diskReader: FileReader = { path in
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path)) else { return nil }
        return [UInt8](data)
    }

    /// The credentials to use.
    /// - Throws: `ProviderError.missingCredentials` when none exist, `.invalidOption` when a file
    ///   is unreadable or not a key hark understands.
    package static func locate(
        environment: [String: String], settings: [String: String], readFile: FileReader = diskReader
    ) throws(ProviderError) -> LocatedGoogleCredentials {
        if let path = nonEmpty(environment["GOOGLE_APPLICATION_CREDENTIALS"]) {
            guard let bytes = readFile(path) else {
                throw .missingCredentials(
                    provider: "Google",
                    hint: "GOOGLE_APPLICATION_CREDENTIALS names \(path), which cannot be read; point it at a "
                        + "service-account or authorized-user JSON file, or unset it")
            }
            let credentials = try parse(bytes, origin: "GOOGLE_APPLICATION_CREDENTIALS (\(path))")
            return LocatedGoogleCredentials(
                credentials: credentials, origin: "GOOGLE_APPLICATION_CREDENTIALS (\(path))")
        }
        let adcPath: String? =
            if let config = nonEmpty(environment["CLOUDSDK_CONFIG"]) {
                config + "/application_default_credentials.json"
            } else if let home = nonEmpty(environment["HOME"]) {
                home + "/.config/gcloud/application_default_credentials.json"
            } else {
                nil
            }
        if let adcPath, let bytes = readFile(adcPath) {
            let origin = "gcloud application-default credentials (\(adcPath))"
            return LocatedGoogleCredentials(credentials: try parse(bytes, origin: origin), origin: origin)
        }
        if let token = nonEmpty(environment["GOOGLE_ACCESS_TOKEN"]) {
            return LocatedGoogleCredentials(credentials: .accessToken(token), origin: "GOOGLE_ACCESS_TOKEN")
        }
        if let token = nonEmpty(settings["access_token"]) {
            return LocatedGoogleCredentials(credentials: .accessToken(token), origin: "configuration access_token")
        }
        throw .missingCredentials(provider: "Google", hint: setupHint)
    }

    /// Parses a credentials JSON file of a type hark supports.
    package static func parse(_ bytes: [UInt8], origin: String) throws(ProviderError) -> GoogleCredentials {
        struct Kind: Decodable { var type: String? }
        let decoder = JSONDecoder()
        let kind: Kind
        do {
            kind = try decoder.decode(Kind.self, from: Data(bytes))
        } catch {
            throw .invalidOption(
                provider: "Google", option: origin,
                hint: "the file is not JSON; download the key again or run 'gcloud auth application-default login'")
        }
        do {
            switch kind.type {
            case "service_account":
                return .serviceAccount(try decoder.decode(GoogleServiceAccountKey.self, from: Data(bytes)))
            case "authorized_user":
                return .authorizedUser(try decoder.decode(GoogleAuthorizedUser.self, from: Data(bytes)))
            default:
                throw ProviderError.invalidOption(
                    provider: "Google", option: origin,
                    hint: "credentials of type '\(kind.type ?? "none")' are not supported; use a service-account "
                        + "key or 'gcloud auth application-default login', or set GOOGLE_ACCESS_TOKEN")
            }
        } catch let error as ProviderError {
            throw error
        } catch {
            throw .invalidOption(
                provider: "Google", option: origin,
                hint: "the file lacks a field the token exchange needs (\(fieldName(in: error))); "
                    + "download the key again")
        }
    }

    private static func fieldName(in error: any Error) -> String {
        if case DecodingError.keyNotFound(let key, _) = error { return key.stringValue }
        return "a malformed field"
    }

    private static func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }
}
