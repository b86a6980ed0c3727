import Foundation
import HarkTestSupport
import Testing

/// The `hark` binary's checks for Google that need no server: every one ends the run before a
/// connection is opened, with a message naming what to change and its exit status.
@Suite("hark end to end: Google options and credentials")
struct GoogleOptionsEndToEndTests {
    static var sample: String { PackagePaths.samples.appendingPathComponent("sample.wav").path }

    /// A home without gcloud credentials, so the developer's own never leak into a test.
    static func cleanEnvironment(_ extra: [String: String] = [:]) throws -> [String: String] {
        let home = try PackagePaths.temporaryDirectory("hark-google-home")
        var environment = ["HOME": home.path, "CLOUDSDK_CONFIG": "", "GOOGLE_CLOUD_PROJECT": ""]
        environment.merge(extra) { $1 }
        return environment
    }

    static func google(_ arguments: [String], environment: [String: String]) throws -> CommandResult {
        try CommandRunner.hark(["--provider", "google"] + arguments + [sample], environment: environment, timeout: 60)
    }

    @Test("no credentials anywhere names both ways to give them and exits 78")
    func missingCredentials() throws {
        let result = try Self.google([], environment: try Self.cleanEnvironment())
        #expect(result.status == 78, "\(result.stderr)")
        #expect(result.stderr.contains("GOOGLE_APPLICATION_CREDENTIALS"))
        #expect(result.stderr.contains("GOOGLE_ACCESS_TOKEN"))
        #expect(result.stderr.contains("gcloud auth application-default login"))
    }

    @Test("a token without a project asks for --project or GOOGLE_CLOUD_PROJECT")
    func missingProject() throws {
        let result = try Self.google([], environment: try Self.cleanEnvironment(["GOOGLE_ACCESS_TOKEN": "t"]))
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains("--project") && result.stderr.contains("GOOGLE_CLOUD_PROJECT"))
    }

    @Test(
        "options Google cannot take are refused with the flag to change, before any connection",
        arguments: [
            (["--speed", "2"], "--speed"), (["--model", "chirp"], "--model"),
            (["--region", "global"], "--region"), (["--region", "us/central"], "--region"),
            (["--encoding", "mulaw"], "--encoding"), (["--project", "a/b"], "--project"),
        ])
    func refusedOptions(arguments: [String], flag: String) throws {
        let result = try Self.google(
            ["--project", "my-proj"] + arguments, environment: try Self.cleanEnvironment(["GOOGLE_ACCESS_TOKEN": "t"]))
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains(flag), "\(result.stderr)")
        #expect(!result.stderr.contains("could not connect"))
    }

    @Test("--speed above 1 explains that Google needs real time")
    func speedExplained() throws {
        let result = try Self.google(
            ["--project", "p", "--speed", "4"], environment: try Self.cleanEnvironment(["GOOGLE_ACCESS_TOKEN": "t"]))
        #expect(result.stderr.contains("at most 1.0x real time"), "\(result.stderr)")
    }

    @Test("--project and --region are refused for providers that do not take them")
    func flagsForOtherProviders() throws {
        let environment = try Self.cleanEnvironment(["DEEPGRAM_API_KEY": "k"])
        let project = try CommandRunner.hark(
            ["--provider", "deepgram", "--project", "p", Self.sample], environment: environment)
        #expect(project.status == 64 && project.stderr.contains("--project"), "\(project.stderr)")
        let region = try CommandRunner.hark(
            ["--provider", "deepgram", "--region", "eu", Self.sample], environment: environment)
        #expect(region.status == 64 && region.stderr.contains("--region"), "\(region.stderr)")
    }

    @Test("a service-account file whose key OpenSSL cannot read names the file and says it is unreadable")
    func unreadableKey() throws {
        let directory = try PackagePaths.temporaryDirectory("hark-google-key")
        let file = directory.appendingPathComponent("key.json")
        let json = [
            "type": "service_account", "project_id": "p", "client_email": "a@p.iam.gserviceaccount.com",
            "private_key": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----\n",
        ]
        try JSONSerialization.data(withJSONObject: json).write(to: file)
        let result = try Self.google(
            [], environment: try Self.cleanEnvironment(["GOOGLE_APPLICATION_CREDENTIALS": file.path]))
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains(file.path) && result.stderr.contains("unreadable"), "\(result.stderr)")
        #expect(!result.stderr.contains("MIIEvQIBADANBg"))
    }

    @Test("hark providers lists Google with its credentials, gRPC, real-time limit and regions")
    func providersList() throws {
        let result = try CommandRunner.hark(["providers"])
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let start = try #require(lines.firstIndex { $0.hasPrefix("google\t") })
        let entry = lines[start...].prefix(3).joined(separator: "\n")
        #expect(entry.contains("gRPC") && entry.contains("GOOGLE_APPLICATION_CREDENTIALS or GOOGLE_ACCESS_TOKEN"))
        #expect(entry.contains("chirp_3") && entry.contains("at most 1.0x real time") && entry.contains("europe-west4"))
    }

    @Test("hark config shows Google's settings from the file, the token's source, and never the token")
    func configReport() throws {
        let directory = try PackagePaths.temporaryDirectory("hark-google-config")
        let path = directory.appendingPathComponent("config.json").path
        try #"{"provider": "google", "providers": {"google": {"region": "eu", "project": "my-proj"}}}"#.write(
            toFile: path, atomically: true, encoding: .utf8)
        let result = try CommandRunner.hark(
            ["config", "--config", path],
            environment: try Self.cleanEnvironment(["GOOGLE_ACCESS_TOKEN": "ya29.secret"]))
        #expect(result.status == 0, "\(result.stderr)")
        let google = try #require(result.stdout.split(separator: "\n").first { $0.contains("\"google\": {") })
        #expect(google.contains(#""region": "eu""#) && google.contains(#""project": "my-proj""#))
        #expect(google.contains("GOOGLE_ACCESS_TOKEN"))
        #expect(!result.stdout.contains("ya29.secret"))
    }
}
