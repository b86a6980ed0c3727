import Foundation
import HarkTestSupport
import Testing

@testable import Hark

@Suite("Google token endpoint against the fake", .serialized)
struct GoogleTokenEndpointTests {
    @Test("a service-account JWT verified by the fake endpoint yields a token that opens a stream")
    func serviceAccountToStream() async throws {
        let placeholder = try TestServiceAccount.make()
        let oauth = try FakeServer(
            script: "google_oauth.py", arguments: ["--public-key", placeholder.publicKeyPath, "--token", "sa-token"])
        defer { oauth.stop() }
        // The key file names the fake as its token_uri; the key pair is the one the fake trusts.
        let account = try rewriteTokenURI(placeholder, to: oauth.endpoint(scheme: "http") + "/token")
        let speech = try FakeServer(
            script: "google_speech.py", arguments: ["--script", googleScript, "--token", "sa-token"])
        defer { speech.stop() }
        let adapter = try GoogleAdapter(
            options: ProviderOptions(endpoint: speech.endpoint(scheme: "http")),
            environment: ["GOOGLE_APPLICATION_CREDENTIALS": account], tokenClient: CurlTokenEndpointClient())
        try await adapter.prepareCredentials()
        #expect(try adapter.connectionRequest().headers[header: "authorization"] == "Bearer sa-token")
        let result = try await runStream(adapter, seconds: 3)
        #expect(result.failure == nil)
        #expect(result.finals == ["hello there world", "bye now"])
        let requests = oauth.recordedEvents().filter { $0["event"] as? String == "request" }
        #expect(requests.count == 1)
        #expect(requests.first?["content_type"] as? String == "application/x-www-form-urlencoded")
    }

    @Test("a key the endpoint does not trust is refused with invalid_grant, reported as an authentication failure")
    func untrustedKey() async throws {
        let trusted = try TestServiceAccount.make()
        let other = try TestServiceAccount.make()
        let oauth = try FakeServer(script: "google_oauth.py", arguments: ["--public-key", trusted.publicKeyPath])
        defer { oauth.stop() }
        let account = try rewriteTokenURI(other, to: oauth.endpoint(scheme: "http") + "/token")
        let adapter = try GoogleAdapter(
            options: ProviderOptions(), environment: ["GOOGLE_APPLICATION_CREDENTIALS": account],
            tokenClient: CurlTokenEndpointClient())
        await #expect {
            try await adapter.prepareCredentials()
        } throws: { error in
            guard let error = error as? ProviderError else { return false }
            return caseName(error) == "authenticationFailed" && error.description.contains("invalid_grant")
        }
    }

    @Test("gcloud user credentials: the refresh token is exchanged; a revoked one says to log in again")
    func authorizedUser() async throws {
        let oauth = try FakeServer(script: "google_oauth.py", arguments: ["--token", "user-token"])
        defer { oauth.stop() }
        let directory = try PackagePaths.temporaryDirectory("hark-google-user")
        let file = directory.appendingPathComponent("adc.json")
        try writeAuthorizedUser(to: file, tokenURI: oauth.endpoint(scheme: "http") + "/token")
        let adapter = try GoogleAdapter(
            options: ProviderOptions(), environment: ["GOOGLE_APPLICATION_CREDENTIALS": file.path],
            tokenClient: CurlTokenEndpointClient())
        try await adapter.prepareCredentials()
        let request = try adapter.connectionRequest()
        #expect(request.headers[header: "authorization"] == "Bearer user-token")
        #expect(request.headers[header: "x-goog-user-project"] == "user-proj")

        let revoked = try FakeServer(script: "google_oauth.py", arguments: ["--refresh-token", "another"])
        defer { revoked.stop() }
        try writeAuthorizedUser(to: file, tokenURI: revoked.endpoint(scheme: "http") + "/token")
        let stale = try GoogleAdapter(
            options: ProviderOptions(), environment: ["GOOGLE_APPLICATION_CREDENTIALS": file.path],
            tokenClient: CurlTokenEndpointClient())
        await #expect {
            try await stale.prepareCredentials()
        } throws: { error in
            String(describing: error).contains("gcloud auth application-default login")
        }
    }

    @Test("the speech fake refuses user credentials without the quota project when asked to")
    func quotaProjectRequired() async throws {
        let speech = try FakeServer(
            script: "google_speech.py", arguments: ["--scenario", "require-user-project=billing-proj"])
        defer { speech.stop() }
        let adapter = try fakeAdapter(speech)
        let result = try await runStream(adapter, seconds: 0.3)
        let failure = try #require(result.failure)
        #expect(caseName(adapter.error(for: failure)) == "permissionDenied")
        #expect(adapter.error(for: failure).description.contains("quota project"))
    }
}

/// A copy of the account's key file with another token_uri.
func rewriteTokenURI(_ account: TestServiceAccount, to tokenURI: String) throws -> String {
    let data = try Data(contentsOf: URL(fileURLWithPath: account.path))
    var json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: String])
    json["token_uri"] = tokenURI
    let path = account.directory.appendingPathComponent("rewritten.json")
    try JSONSerialization.data(withJSONObject: json).write(to: path)
    return path.path
}
