import Foundation
import HarkTestSupport
import Testing

/// The `hark` binary with `--provider google` against the grpcio StreamingRecognize fake over
/// TLS (a test CA through `--cacert`), through the `hark-grpc` bridge, with real credential files
/// whose tokens come from the OAuth fake.
@Suite("hark end to end: Google over gRPC", .serialized)
struct GoogleEndToEndTests {
    static let script = """
        [{"start": 0.4, "end": 1.4, "text": "hello from the first stream"},
         {"start": 2.1, "end": 3.1, "text": "and a second sentence"}]
        """
    static let expected = ["hello from the first stream", "and a second sentence"]

    /// A fresh HOME with no gcloud files, so the developer's own credentials never leak in.
    static func environment(_ extra: [String: String]) throws -> [String: String] {
        let home = try PackagePaths.temporaryDirectory("hark-google-e2e-home")
        var environment = [
            "HOME": home.path, "CLOUDSDK_CONFIG": "", "GOOGLE_CLOUD_PROJECT": "", "GOOGLE_ACCESS_TOKEN": "",
            "GOOGLE_APPLICATION_CREDENTIALS": "",
        ]
        environment.merge(extra) { $1 }
        return environment
    }

    /// The speech fake over TLS, the OAuth fake, and a WAV file of `seconds`.
    struct Fixture {
        let authority: TestCertificateAuthority
        let speech: FakeServer
        let oauth: FakeServer
        /// The service-account key file, naming the OAuth fake as its token_uri.
        let accountPath: String
        let wavPath: String
        let pcm: Data
        let directory: URL

        /// - Parameter audio: the WAV file's samples; nil for `seconds` of the generic pattern.
        init(
            script: String = GoogleEndToEndTests.script, seconds: Double = 4, audio: Data? = nil,
            speechArguments: [String] = []
        ) throws {
            directory = try PackagePaths.temporaryDirectory("hark-google-e2e")
            authority = try TestCertificateAuthority()
            let scriptURL = directory.appendingPathComponent("script.json")
            try script.write(to: scriptURL, atomically: true, encoding: .utf8)
            speech = try FakeServer(
                script: "google_speech.py",
                arguments: [
                    "--script", scriptURL.path, "--tls-cert", authority.serverCertificate, "--tls-key",
                    authority.serverKey, "--location", "us",
                ] + speechArguments)
            // The key pair first: the OAuth fake verifies JWTs with its public half.
            let account = try TestServiceAccount.make()
            oauth = try FakeServer(script: "google_oauth.py", arguments: ["--public-key", account.publicKeyPath])
            let keyFile = URL(fileURLWithPath: account.path)
            var json = try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: keyFile)) as? [String: String])
            json["token_uri"] = oauth.endpoint(scheme: "http") + "/token"
            try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]).write(to: keyFile)
            accountPath = account.path
            pcm = audio ?? DeepgramEndToEndTests.pcm(seconds: seconds)
            wavPath = directory.appendingPathComponent("speech.wav").path
            try DeepgramEndToEndTests.wav(pcm).write(to: URL(fileURLWithPath: wavPath))
        }

        func hark(_ arguments: [String], environment: [String: String]) throws -> CommandResult {
            try CommandRunner.hark(
                [
                    "--provider", "google", "--endpoint", speech.endpoint(scheme: "https"), "--cacert",
                    authority.caCertificate,
                ] + arguments + [wavPath],
                environment: try GoogleEndToEndTests.environment(environment), timeout: 120)
        }

        func stop() {
            speech.stop()
            oauth.stop()
        }

        /// The speech fake's events of one type, in order.
        func speechEvents(_ type: String) -> [[String: Any]] {
            speech.recordedEvents().filter { $0["event"] as? String == type }
        }
    }

    @Test("service account: a signed JWT becomes a token, the file's finals print once, in order, over TLS")
    func serviceAccount() throws {
        let fixture = try Fixture()
        defer { fixture.stop() }
        let result = try fixture.hark([], environment: ["GOOGLE_APPLICATION_CREDENTIALS": fixture.accountPath])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutLines == Self.expected, "\(result.stderr)")
        // Every sample reached the server, once (one stream, no replays).
        #expect(fixture.speech.recorded("audio.bin") == fixture.pcm)
        // The token came from the jwt-bearer grant and was sent as a bearer token.
        let grants = fixture.oauth.recordedEvents().filter { $0["event"] as? String == "request" }
        #expect(grants.count == 1)
        #expect(grants.first.map { "\($0)".contains("jwt-bearer") } == true, "\(grants)")
        let opens = fixture.speechEvents("open")
        #expect(opens.count == 1)
        // The recognizer names the service account's project and the host's location.
        let config = fixture.speechEvents("config").first.map { "\($0)" } ?? ""
        #expect(config.contains("projects/\(TestServiceAccount.project)/locations/us/recognizers/_"), "\(config)")
    }

    @Test("--keyterm becomes an inline phrase set on the streaming config; --speed max streams at real time")
    func keytermsAndSpeedMax() throws {
        let fixture = try Fixture()
        defer { fixture.stop() }
        let result = try fixture.hark(
            ["--keyterm", "hark", "--keyterm", "Pipe Wire", "--speed", "max"],
            environment: ["GOOGLE_APPLICATION_CREDENTIALS": fixture.accountPath])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutLines == Self.expected, "\(result.stderr)")
        #expect(result.stderr.contains("--speed max streams at real time"), "\(result.stderr)")
        let request = try #require(fixture.speechEvents("config").first?["request"] as? [String: Any])
        let streaming = try #require(request["streamingConfig"] as? [String: Any])
        let config = try #require(streaming["config"] as? [String: Any])
        let adaptation = try #require(config["adaptation"] as? [String: Any], "\(config)")
        let sets = try #require(adaptation["phraseSets"] as? [[String: Any]])
        let inline = try #require(sets.first?["inlinePhraseSet"] as? [String: Any])
        let phrases = (inline["phrases"] as? [[String: Any]] ?? []).compactMap { $0["value"] as? String }
        #expect(phrases == ["hark", "Pipe Wire"])
    }

    @Test("authorized user (gcloud application-default): the refresh token is exchanged, the quota project sent")
    func authorizedUser() throws {
        let fixture = try Fixture(speechArguments: ["--scenario", "require-user-project=user-proj"])
        defer { fixture.stop() }
        let file = fixture.directory.appendingPathComponent("application_default_credentials.json")
        try writeAuthorizedUser(to: file, tokenURI: "\(fixture.oauth.endpoint(scheme: "http"))/token")
        // gcloud's own place for it: $CLOUDSDK_CONFIG/application_default_credentials.json.
        let result = try fixture.hark(
            ["--project", "my-proj", "--format", "jsonl"], environment: ["CLOUDSDK_CONFIG": fixture.directory.path])
        #expect(result.status == 0, "\(result.stderr)")
        let finals = result.stdoutLines.compactMap { line -> String? in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                object["type"] as? String == "final"
            else { return nil }
            return object["text"] as? String
        }
        #expect(finals == Self.expected, "\(result.stdout)\n\(result.stderr)")
        let grants = fixture.oauth.recordedEvents().filter { $0["event"] as? String == "request" }
        #expect(grants.count == 1 && "\(grants)".contains("refresh_token"), "\(grants)")
        #expect(fixture.speech.recorded("audio.bin") == fixture.pcm)
    }

    @Test("streams rotate at Google's stream limit: each sentence once, in order, across several streams")
    func rotation() throws {
        // Six utterances over 12 s, streams cut at 3 s of audio by the fake (Google: about 5 min).
        var utterances: [String] = []
        var expected: [String] = []
        for index in 0..<6 {
            let start = 0.3 + Double(index) * 2
            let text = "sentence number \(index + 1)"
            utterances.append(#"{"start": \#(start), "end": \#(start + 1.2), "text": "\#(text)"}"#)
            expected.append(text)
        }
        let fixture = try Fixture(
            script: "[" + utterances.joined(separator: ",") + "]", seconds: 12,
            speechArguments: ["--stream-limit", "3"])
        defer { fixture.stop() }
        let result = try fixture.hark([], environment: ["GOOGLE_APPLICATION_CREDENTIALS": fixture.accountPath])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutLines == expected, "\(result.stderr)")
        #expect(fixture.speechEvents("open").count >= 3, "\(fixture.speech.recordedEvents())")
        // One token for the whole run: it is cached across streams until shortly before expiry.
        let grants = fixture.oauth.recordedEvents().filter { $0["event"] as? String == "request" }
        #expect(grants.count == 1)
    }

    @Test("with --vad, a long pause closes the idle stream instead of feeding it: no audio timeout, silence unsent")
    func idleStreamClosedDuringPause() throws {
        // Speech at 1 s, 12+ s of digital silence, speech at 15 s: longer than Google's ~10 s
        // audio timeout, which the fake enforces on the wall clock as Google does.
        let first = try SpeechCorpus.espeak("Hello there.").samples
        let second = try SpeechCorpus.espeak("This is the second sentence, after a long pause.").samples
        var samples = [Int16](repeating: 0, count: 16000)
        samples += first
        samples += [Int16](repeating: 0, count: 16000 * 15 - samples.count)
        samples += second
        samples += [Int16](repeating: 0, count: 16000)
        var pcm = Data()
        samples.withUnsafeBytes { pcm.append(contentsOf: $0) }
        // Script times are stream audio. The first stream hears the gate's pre-roll, "Hello
        // there." and the hang-over (about 2 s): its utterance ends at 0.9, so the fake starts
        // the second stream at 0.9 and the second utterance (3.5-4.0) falls 2.6-3.1 s into it,
        // inside the pre-roll and the longer second sentence, and beyond the first stream.
        let script = """
            [{"start": 0.3, "end": 0.9, "text": "hello there"},
             {"start": 3.5, "end": 4.0, "text": "this is the second sentence"}]
            """
        let fixture = try Fixture(script: script, audio: pcm, speechArguments: ["--audio-timeout", "10"])
        defer { fixture.stop() }
        let result = try fixture.hark(
            ["--vad", "--format", "jsonl"], environment: ["GOOGLE_APPLICATION_CREDENTIALS": fixture.accountPath])
        #expect(result.status == 0, "\(result.stderr)")
        let events = result.stdoutLines.compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let finals = events.filter { $0["type"] as? String == "final" }
        #expect(finals.compactMap { $0["text"] as? String } == ["hello there", "this is the second sentence"])
        // On the input timeline: the second sentence is spoken from 15 s.
        let starts = finals.compactMap { $0["start"] as? Double }
        #expect(starts.count == 2 && starts[1] > 14.5, "\(starts)")
        #expect(!events.contains { $0["status"] as? String == "reconnecting" }, "\(result.stdout)")

        // Two streams, both ended by hark's half-close with OK: none by OUT_OF_RANGE.
        #expect(fixture.speechEvents("open").count == 2, "\(fixture.speech.recordedEvents())")
        #expect(fixture.speechEvents("half-close").count == 2, "\(fixture.speech.recordedEvents())")
        let codes = fixture.speechEvents("status").compactMap { $0["code"] as? Int }
        #expect(codes == [0, 0], "\(fixture.speechEvents("status"))")
        // The silence was not sent: the speech with its pre-roll and hang-over is a third of the file.
        let received = fixture.speech.recorded("audio.bin").count
        #expect(received > 0 && received < pcm.count / 2, "received \(received) of \(pcm.count) bytes")
        let summary = try #require(events.first { $0["status"] as? String == "summary" })
        #expect(summary["reconnects"] as? Int == 0, "\(summary)")
    }

    @Test("PERMISSION_DENIED names the API to enable and exits 77, without retrying")
    func permissionDenied() throws {
        let fixture = try Fixture(speechArguments: [
            "--scenario",
            "fail=7:Cloud Speech-to-Text API has not been used in project sa-proj before or it is disabled.",
        ])
        defer { fixture.stop() }
        let result = try fixture.hark([], environment: ["GOOGLE_APPLICATION_CREDENTIALS": fixture.accountPath])
        #expect(result.status == 77, "\(result.stderr)")
        #expect(result.stderr.contains("speech.googleapis.com"), "\(result.stderr)")
        #expect(fixture.speechEvents("open").count == 1)
    }

    @Test("a token the server rejects (UNAUTHENTICATED) exits 77 naming where the credentials came from")
    func unauthenticated() throws {
        let fixture = try Fixture()
        defer { fixture.stop() }
        let result = try fixture.hark(
            [], environment: ["GOOGLE_ACCESS_TOKEN": "not-the-token", "GOOGLE_CLOUD_PROJECT": "p"])
        #expect(result.status == 77, "\(result.stderr)")
        #expect(result.stderr.contains("GOOGLE_ACCESS_TOKEN"), "\(result.stderr)")
        #expect(!result.stderr.contains("not-the-token"))
    }

    @Test("UNAVAILABLE once is retried: the transcript is complete and printed once")
    func unavailableRetried() throws {
        let fixture = try Fixture(speechArguments: ["--scenario", "fail-once=14:The service is currently unavailable."])
        defer { fixture.stop() }
        let result = try fixture.hark([], environment: ["GOOGLE_APPLICATION_CREDENTIALS": fixture.accountPath])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutLines == Self.expected, "\(result.stderr)")
        #expect(fixture.speechEvents("open").count == 2)
    }

    @Test("without --cacert the fake's certificate is refused with a message naming --cacert")
    func unknownAuthority() throws {
        let fixture = try Fixture()
        defer { fixture.stop() }
        let result = try CommandRunner.hark(
            ["--provider", "google", "--endpoint", fixture.speech.endpoint(scheme: "https"), fixture.wavPath],
            environment: try Self.environment(["GOOGLE_APPLICATION_CREDENTIALS": fixture.accountPath]),
            timeout: 120)
        #expect(result.status != 0)
        #expect(result.stderr.contains("--cacert"), "\(result.stderr)")
    }

    @Test("a missing hark-grpc helper says where hark looked and how to install it, exit 69, no retries")
    func bridgeMissing() throws {
        let fixture = try Fixture()
        defer { fixture.stop() }
        let result = try fixture.hark(
            [],
            environment: [
                "GOOGLE_APPLICATION_CREDENTIALS": fixture.accountPath, "HARK_GRPC_BRIDGE": "/nonexistent/hark-grpc",
            ])
        #expect(result.status == 69, "\(result.stderr)")
        #expect(result.stderr.contains("hark-grpc") && result.stderr.contains("make install"), "\(result.stderr)")
        #expect(!result.stderr.contains("retrying"), "\(result.stderr)")
        #expect(fixture.speechEvents("open").isEmpty)
    }
}
