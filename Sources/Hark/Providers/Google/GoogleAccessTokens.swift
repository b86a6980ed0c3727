import FoundationEssentials
import Synchronization

/// An OAuth access token and when it stops working.
package struct GoogleAccessToken: Sendable, Equatable {
    package var value: String
    /// Seconds since 1970; nil when unknown (a token the user pasted).
    package var expiresAt: Double?
}

/// Turns located credentials into access tokens, caching each until shortly before it expires.
///
/// The session asks for a token before every connection (`prepare()`, which may do a token
/// exchange); the synchronous `connectionRequest()` then reads the cached one (`current`).
package final class GoogleAccessTokens: Sendable {
    /// Refresh when less than this is left (google-auth's threshold: 3 min 45 s).
    package static let refreshMargin: Double = 225

    package let located: LocatedGoogleCredentials
    private let client: any TokenEndpointClient
    private let clock: @Sendable () -> Double
    private let cached: Mutex<GoogleAccessToken?>

    /// - Parameters:
    ///   - clock: seconds since 1970 (tests pass a fixed one).
    package init(
        located: LocatedGoogleCredentials, client: any TokenEndpointClient,
        clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
    ) {
        self.located = located
        self.client = client
        self.clock = clock
        if case .accessToken(let token) = located.credentials {
            cached = Mutex(GoogleAccessToken(value: token, expiresAt: nil))
        } else {
            cached = Mutex(nil)
        }
    }

    /// The cached token if it is still good for longer than the refresh margin.
    package var current: GoogleAccessToken? {
        let now = clock()
        return cached.withLock { token in
            guard let token else { return nil }
            if let expiresAt = token.expiresAt, expiresAt - now < Self.refreshMargin { return nil }
            return token
        }
    }

    /// A token good for at least the refresh margin, exchanging credentials when needed.
    /// - Throws: `ProviderError` saying what to fix.
    @discardableResult
    package func prepare() async throws(ProviderError) -> GoogleAccessToken {
        if let token = current { return token }
        let token: GoogleAccessToken
        switch located.credentials {
        case .accessToken(let value):
            token = GoogleAccessToken(value: value, expiresAt: nil)
        case .serviceAccount(let key):
            let tokenURI = key.tokenURI ?? GoogleCredentialLocator.defaultTokenURI
            let assertion = try ServiceAccountAssertion.make(
                key: key, audience: tokenURI, issuedAt: Int(clock()), origin: located.origin)
            token = try await exchange(
                url: tokenURI,
                form: [
                    ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", assertion),
                ],
                fix: "the service-account key may be deleted or disabled, or this machine's clock is off; "
                    + "create a new key for the service account and point GOOGLE_APPLICATION_CREDENTIALS at it")
        case .authorizedUser(let user):
            token = try await exchange(
                url: user.tokenURI ?? GoogleCredentialLocator.defaultTokenURI,
                form: [
                    ("grant_type", "refresh_token"), ("client_id", user.clientID),
                    ("client_secret", user.clientSecret), ("refresh_token", user.refreshToken),
                ],
                fix: "the login has expired or was revoked; run 'gcloud auth application-default login' again")
        }
        cached.withLock { $0 = token }
        return token
    }

    /// One POST to the token endpoint, its answer turned into a token or an error.
    private func exchange(url: String, form: [(String, String)], fix: String) async throws(ProviderError)
        -> GoogleAccessToken
    {
        struct Answer: Decodable {
            var accessToken: String?
            var expiresIn: Double?
            var error: String?
            var errorDescription: String?
            enum CodingKeys: String, CodingKey {
                case accessToken = "access_token"
                case expiresIn = "expires_in"
                case error
                case errorDescription = "error_description"
            }
        }
        let requested = clock()
        let status: Int
        let body: [UInt8]
        do {
            (status, body) = try await client.post(url: url, form: form)
        } catch {
            throw .unavailable(
                provider: "Google",
                hint: "could not reach the token endpoint \(EndpointURL.host(of: url)) for \(located.origin) "
                    + "(\(error)); check the network or proxy")
        }
        let answer = try? JSONDecoder().decode(Answer.self, from: Data(body))
        if status == 200, let value = answer?.accessToken, !value.isEmpty {
            return GoogleAccessToken(value: value, expiresAt: requested + (answer?.expiresIn ?? 3600))
        }
        let reason = [answer?.error, answer?.errorDescription].compactMap { $0 }.joined(separator: ": ")
        let said = reason.isEmpty ? "HTTP \(status)" : "HTTP \(status), \(reason)"
        switch status {
        case 400, 401, 403:
            throw .authenticationFailed(
                provider: "Google", hint: "the token endpoint refused \(located.origin) (\(said)): \(fix)")
        case 429:
            throw .rateLimited(
                provider: "Google", retryAfter: nil, hint: "the token endpoint is rate limiting (\(said))")
        case 500...:
            throw .serverError(provider: "Google", hint: "the token endpoint failed (\(said)); hark retries")
        default:
            throw .protocolError(
                provider: "Google",
                hint: "the token endpoint answered without an access token (\(said)); check token_uri in "
                    + located.origin)
        }
    }
}
