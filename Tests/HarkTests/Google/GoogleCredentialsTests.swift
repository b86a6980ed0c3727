import Foundation
import HarkTestSupport
import Synchronization
import Testing

@testable import Hark

/// A token endpoint that answers from a script and remembers what it was asked.
final class StubTokenEndpoint: TokenEndpointClient {
    struct Call: Sendable {
        var url: String
        var form: [String: String]
    }

    private let answers: Mutex<[(status: Int, body: String)]>
    private let recorded = Mutex<[Call]>([])

    init(_ answers: [(status: Int, body: String)]) {
        self.answers = Mutex(answers)
    }

    var calls: [Call] { recorded.withLock { $0 } }

    func post(url: String, form: [(String, String)]) async throws -> (status: Int, body: [UInt8]) {
        recorded.withLock { $0.append(Call(url: url, form: Dictionary(form, uniquingKeysWith: { $1 }))) }
        let answer = answers.withLock { $0.isEmpty ? nil : $0.removeFirst() }
        guard let answer else { throw LinkFailure.connectFailed(host: "stub", detail: "no answer scripted") }
        return (answer.status, Array(answer.body.utf8))
    }
}

/// A clock the test moves.
final class TestClock: Sendable {
    let now = Mutex<Double>(1_800_000_000)
    var read: @Sendable () -> Double { { [self] in now.withLock { $0 } } }
}

let tokenAnswer = #"{"access_token":"ya29.first","expires_in":3599,"token_type":"Bearer"}"#

@Suite("Google credentials")
struct GoogleCredentialsTests {
    @Test("GOOGLE_APPLICATION_CREDENTIALS wins over the gcloud file and GOOGLE_ACCESS_TOKEN")
    func order() throws {
        let account = try TestServiceAccount.make()
        let home = try PackagePaths.temporaryDirectory("hark-google-home")
        let gcloud = home.appendingPathComponent(".config/gcloud")
        try FileManager.default.createDirectory(at: gcloud, withIntermediateDirectories: true)
        try writeAuthorizedUser(to: gcloud.appendingPathComponent("application_default_credentials.json"))
        var environment = [
            "GOOGLE_APPLICATION_CREDENTIALS": account.path, "HOME": home.path, "GOOGLE_ACCESS_TOKEN": "pasted",
        ]
        var located = try GoogleCredentialLocator.locate(environment: environment, settings: [:])
        guard case .serviceAccount(let key) = located.credentials else {
            Issue.record("expected the service account, got \(located.origin)")
            return
        }
        #expect(key.clientEmail == TestServiceAccount.clientEmail)
        #expect(located.credentials.project == TestServiceAccount.project)

        environment["GOOGLE_APPLICATION_CREDENTIALS"] = nil
        located = try GoogleCredentialLocator.locate(environment: environment, settings: [:])
        guard case .authorizedUser(let user) = located.credentials else {
            Issue.record("expected the gcloud file, got \(located.origin)")
            return
        }
        #expect(user.refreshToken == "refresh-1")
        #expect(located.credentials.quotaProject == "user-proj")

        environment["HOME"] = "/nonexistent"
        located = try GoogleCredentialLocator.locate(environment: environment, settings: ["access_token": "file"])
        #expect(located.credentials == .accessToken("pasted"))
        environment["GOOGLE_ACCESS_TOKEN"] = nil
        located = try GoogleCredentialLocator.locate(environment: environment, settings: ["access_token": "file"])
        #expect(located.credentials == .accessToken("file"))
    }

    @Test("CLOUDSDK_CONFIG moves the gcloud file")
    func cloudSDKConfig() throws {
        let config = try PackagePaths.temporaryDirectory("hark-gcloud-config")
        try writeAuthorizedUser(to: config.appendingPathComponent("application_default_credentials.json"))
        let located = try GoogleCredentialLocator.locate(
            environment: ["CLOUDSDK_CONFIG": config.path, "HOME": "/nonexistent"], settings: [:])
        #expect(located.origin.contains(config.path))
    }

    @Test("no credentials anywhere says how to get them")
    func missing() {
        #expect {
            _ = try GoogleCredentialLocator.locate(environment: ["HOME": "/nonexistent"], settings: [:])
        } throws: { error in
            guard case .missingCredentials(_, let hint) = error as? ProviderError else { return false }
            return hint.contains("GOOGLE_APPLICATION_CREDENTIALS") && hint.contains("application-default login")
                && hint.contains("GOOGLE_ACCESS_TOKEN")
        }
    }

    @Test("an unreadable, non-JSON or unsupported credentials file is named in the error")
    func badFiles() throws {
        let directory = try PackagePaths.temporaryDirectory("hark-google-bad")
        let missing = directory.appendingPathComponent("missing.json").path
        #expect {
            _ = try GoogleCredentialLocator.locate(
                environment: ["GOOGLE_APPLICATION_CREDENTIALS": missing], settings: [:])
        } throws: { error in
            guard case .missingCredentials(_, let hint) = error as? ProviderError else { return false }
            return hint.contains(missing)
        }
        let notJSON = directory.appendingPathComponent("bad.json")
        try Data("not json".utf8).write(to: notJSON)
        #expect(throws: ProviderError.self) {
            _ = try GoogleCredentialLocator.locate(
                environment: ["GOOGLE_APPLICATION_CREDENTIALS": notJSON.path], settings: [:])
        }
        let external = directory.appendingPathComponent("external.json")
        try Data(#"{"type":"external_account"}"#.utf8).write(to: external)
        #expect {
            _ = try GoogleCredentialLocator.locate(
                environment: ["GOOGLE_APPLICATION_CREDENTIALS": external.path], settings: [:])
        } throws: { error in
            String(describing: error).contains("external_account")
        }
        let incomplete = directory.appendingPathComponent("incomplete.json")
        try Data(#"{"type":"service_account","client_email":"a@b"}"#.utf8).write(to: incomplete)
        #expect {
            _ = try GoogleCredentialLocator.locate(
                environment: ["GOOGLE_APPLICATION_CREDENTIALS": incomplete.path], settings: [:])
        } throws: { error in
            String(describing: error).contains("private_key")
        }
    }

    @Test("a service account signs an RS256 JWT for its token_uri and exchanges it with the jwt-bearer grant")
    func serviceAccountExchange() async throws {
        let account = try TestServiceAccount.make(tokenURI: "https://tokens.example/token")
        let stub = StubTokenEndpoint([(200, tokenAnswer)])
        let clock = TestClock()
        let adapter = try GoogleAdapter(
            options: ProviderOptions(), environment: ["GOOGLE_APPLICATION_CREDENTIALS": account.path],
            tokenClient: stub, clock: clock.read)
        try await adapter.prepareCredentials()
        let call = try #require(stub.calls.first)
        #expect(call.url == "https://tokens.example/token")
        #expect(call.form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer")
        let jwt = try #require(call.form["assertion"])
        #expect(try account.verifies(jwt: jwt))
        let header = TestServiceAccount.jwtPart(jwt, 0)
        #expect(header["alg"] as? String == "RS256")
        #expect(header["kid"] as? String == TestServiceAccount.keyID)
        let claims = TestServiceAccount.jwtPart(jwt, 1)
        #expect(claims["iss"] as? String == TestServiceAccount.clientEmail)
        #expect(claims["aud"] as? String == "https://tokens.example/token")
        #expect(claims["scope"] as? String == "https://www.googleapis.com/auth/cloud-platform")
        let issued = try #require(claims["iat"] as? Int)
        #expect(issued == 1_800_000_000)
        #expect(claims["exp"] as? Int == issued + 3600)

        let request = try adapter.connectionRequest()
        #expect(request.headers[header: "authorization"] == "Bearer ya29.first")
        // The project comes from the key file.
        #expect(adapter.target.recognizer == "projects/sa-proj/locations/us/recognizers/_")
    }

    @Test("a token is reused until shortly before it expires, then refreshed")
    func caching() async throws {
        let account = try TestServiceAccount.make()
        let stub = StubTokenEndpoint([
            (200, tokenAnswer), (200, #"{"access_token":"ya29.second","expires_in":3600}"#),
        ])
        let clock = TestClock()
        let adapter = try GoogleAdapter(
            options: ProviderOptions(), environment: ["GOOGLE_APPLICATION_CREDENTIALS": account.path],
            tokenClient: stub, clock: clock.read)
        try await adapter.prepareCredentials()
        clock.now.withLock { $0 += 3000 }
        try await adapter.prepareCredentials()
        #expect(stub.calls.count == 1)
        #expect(try adapter.connectionRequest().headers[header: "authorization"] == "Bearer ya29.first")
        clock.now.withLock { $0 += 400 }  // 3400 s in: less than 3 min 45 s left
        #expect(throws: ProviderError.self) { _ = try adapter.connectionRequest() }
        try await adapter.prepareCredentials()
        #expect(stub.calls.count == 2)
        #expect(try adapter.connectionRequest().headers[header: "authorization"] == "Bearer ya29.second")
    }

    @Test("gcloud user credentials exchange the refresh token and send the quota project")
    func authorizedUser() async throws {
        let directory = try PackagePaths.temporaryDirectory("hark-google-user")
        let file = directory.appendingPathComponent("adc.json")
        try writeAuthorizedUser(to: file)
        let stub = StubTokenEndpoint([(200, tokenAnswer)])
        let adapter = try GoogleAdapter(
            options: ProviderOptions(), environment: ["GOOGLE_APPLICATION_CREDENTIALS": file.path],
            tokenClient: stub)
        try await adapter.prepareCredentials()
        let call = try #require(stub.calls.first)
        #expect(call.url == GoogleCredentialLocator.defaultTokenURI)
        #expect(call.form["grant_type"] == "refresh_token")
        #expect(call.form["refresh_token"] == "refresh-1")
        #expect(call.form["client_id"] == "client-1.apps.googleusercontent.com")
        #expect(call.form["client_secret"] == "secret-1")
        let request = try adapter.connectionRequest()
        #expect(request.headers[header: "x-goog-user-project"] == "user-proj")
        #expect(adapter.target.recognizer == "projects/user-proj/locations/us/recognizers/_")
    }

    @Test(
        "token endpoint failures say what to fix and never include the secret",
        arguments: [
            (
                400, #"{"error":"invalid_grant","error_description":"Token has been expired or revoked."}"#,
                "authenticationFailed"
            ),
            (503, "unavailable", "serverError"), (429, "{}", "rateLimited"), (200, "{}", "protocolError"),
        ])
    func exchangeFailures(status: Int, body: String, expected: String) async throws {
        let directory = try PackagePaths.temporaryDirectory("hark-google-user")
        let file = directory.appendingPathComponent("adc.json")
        try writeAuthorizedUser(to: file)
        let adapter = try GoogleAdapter(
            options: ProviderOptions(), environment: ["GOOGLE_APPLICATION_CREDENTIALS": file.path],
            tokenClient: StubTokenEndpoint([(status, body)]))
        do {
            try await adapter.prepareCredentials()
            Issue.record("no error")
        } catch let error as ProviderError {
            #expect(caseName(error) == expected)
            #expect(!error.description.contains("refresh-1") && !error.description.contains("secret-1"))
            if status == 400 { #expect(error.description.contains("gcloud auth application-default login")) }
        }
    }

    @Test("an unreachable token endpoint is a retryable unavailable error")
    func unreachable() async throws {
        let account = try TestServiceAccount.make()
        let adapter = try GoogleAdapter(
            options: ProviderOptions(), environment: ["GOOGLE_APPLICATION_CREDENTIALS": account.path],
            tokenClient: StubTokenEndpoint([]))
        await #expect {
            try await adapter.prepareCredentials()
        } throws: { error in
            guard let error = error as? ProviderError else { return false }
            return RetryPolicy.verdict(for: error) != .fail && caseName(error) == "unavailable"
        }
    }

    @Test("credentials without a project need --project; --project overrides the key's project")
    func project() throws {
        #expect {
            _ = try GoogleAdapter(
                options: ProviderOptions(), environment: ["GOOGLE_ACCESS_TOKEN": "t"],
                tokenClient: StubTokenEndpoint([]), readFile: { _ in nil })
        } throws: { error in
            String(describing: error).contains("--project")
        }
        let adapter = try GoogleAdapter(
            options: ProviderOptions(settings: ["project": "chosen"]),
            environment: ["GOOGLE_ACCESS_TOKEN": "t"], tokenClient: StubTokenEndpoint([]), readFile: { _ in nil })
        #expect(adapter.target.recognizer.hasPrefix("projects/chosen/"))
    }
}
