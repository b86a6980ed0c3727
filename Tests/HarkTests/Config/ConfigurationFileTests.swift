import Foundation
import HarkTestSupport
import Testing

@testable import Hark

@Suite("Configuration file")
struct ConfigurationFileTests {
    @Test("a malformed file is an error naming the file, line and column")
    func malformedNamesPosition() {
        let text = "{\n  \"provider\": \"deepgram\",\n  \"chunk_ms\": 250,\n}\n"
        #expect(
            throws: ConfigurationError.malformed(
                path: "c.json", line: 4, column: 1, message: "a trailing ',' before '}'")
        ) {
            try ConfigurationFile.parse(text, path: "c.json")
        }
        #expect(throws: ConfigurationError.self) { try ConfigurationFile.parse("{\"a\": tru}", path: "c.json") }
        do {
            _ = try ConfigurationFile.parse("{\n\"speed\": 1,\n  \"x\" 2}", path: "c.json")
            Issue.record("expected an error")
        } catch let error as ConfigurationError {
            guard case .malformed(_, let line, let column, _) = error else {
                Issue.record("wrong error \(error)")
                return
            }
            #expect(line == 3 && column == 7)
            #expect(error.description.hasPrefix("c.json:3:7:"))
        } catch {
            Issue.record("wrong error \(error)")
        }
    }

    @Test("an unknown key is a warning, not an error; keys starting with // are comments")
    func unknownKeyWarns() throws {
        let file = try ConfigurationFile.parse(
            "{\"// note\": \"hi\", \"chunk_msec\": 200, \"format\": \"jsonl\"}", path: "c.json")
        #expect(file.warnings == ["c.json: unknown key 'chunk_msec' (ignored; see config.example.json)"])
        var configuration = Configuration()
        var applied = file
        try applied.apply(to: &configuration)
        #expect(configuration.format == .jsonl)
    }

    @Test("a value of the wrong kind or out of range names the key")
    func wrongValueNamesKey() {
        #expect(
            throws: ConfigurationError.invalidValue(
                path: "c.json", key: "chunk_ms", message: "must be between 20 and 1000")
        ) { try ConfigurationFile.parse("{\"chunk_ms\": 5}", path: "c.json") }
        #expect(
            throws: ConfigurationError.invalidValue(
                path: "c.json", key: "providers.deepgram.model", message: "must be a string, not a number")
        ) { try ConfigurationFile.parse("{\"providers\": {\"deepgram\": {\"model\": 3}}}", path: "c.json") }
    }

    @Test("session_limit sets the rotation age in seconds; null leaves the provider's own limit; 0 is refused")
    func sessionLimit() throws {
        var configuration = Configuration()
        var file = try ConfigurationFile.parse("{\"session_limit\": 90.5}", path: "c.json")
        try file.apply(to: &configuration)
        #expect(configuration.sessionLimitSeconds == 90.5)
        file = try ConfigurationFile.parse("{\"session_limit\": null}", path: "c.json")
        try file.apply(to: &configuration)
        #expect(configuration.sessionLimitSeconds == nil)
        #expect(throws: ConfigurationError.self) {
            try ConfigurationFile.parse("{\"session_limit\": 0}", path: "c.json")
        }
    }

    @Test("provider settings, repeated parameters and extra keys are read in order")
    func providerSettings() throws {
        var file = try ConfigurationFile.parse(
            """
            {"providers": {"deepgram": {"api_key": "k", "endpoint": "ws://127.0.0.1:1", "params":
              {"keyterm": ["a", "b"], "smart_format": true, "utterance_end_ms": 1000}, "region": "eu"}}}
            """, path: "c.json")
        var configuration = Configuration()
        try file.apply(to: &configuration)
        let settings = configuration.settings(for: "deepgram")
        #expect(settings.apiKey == "k")
        #expect(settings.endpoint == "ws://127.0.0.1:1")
        #expect(
            settings.parameters.map { "\($0.key)=\($0.value)" } == [
                "keyterm=a", "keyterm=b", "smart_format=true", "utterance_end_ms=1000",
            ])
        #expect(settings.settings["region"] == "eu")
    }

    @Test("a file holding keys that others can read gets a warning")
    func readableKeyFileWarns() throws {
        let withKey = "{\"providers\": {\"deepgram\": {\"api_key\": \"k\"}}}"
        func chmodWarnings(_ text: String, _ mode: UInt32) throws -> [String] {
            try ConfigurationFile.parse(text, path: "c.json", permissions: mode).warnings.filter {
                $0.contains("chmod 600")
            }
        }
        #expect(try chmodWarnings(withKey, 0o644).count == 1)
        #expect(try chmodWarnings(withKey, 0o600).isEmpty)
        #expect(try chmodWarnings("{}", 0o644).isEmpty)
    }

    @Test("a missing default file means defaults; a missing --config file is an error")
    func missingFiles() throws {
        let directory = try PackagePaths.temporaryDirectory()
        let absent = try ConfigurationFile.load(
            explicitPath: nil, environment: ["XDG_CONFIG_HOME": directory.path])
        #expect(!absent.exists)
        #expect(absent.path == directory.path + "/hark/config.json")
        #expect(throws: ConfigurationError.self) {
            try ConfigurationFile.load(explicitPath: directory.path + "/nope.json", environment: [:])
        }
    }

    @Test("config.example.json parses with no warning about its keys")
    func exampleParses() throws {
        let text = try String(
            contentsOf: PackagePaths.root.appendingPathComponent("config.example.json"), encoding: .utf8)
        let file = try ConfigurationFile.parse(text, path: "config.example.json")
        #expect(file.warnings.filter { !$0.contains("unknown provider") }.isEmpty)
    }
}

@Suite("JSON parser")
struct JSONParserTests {
    @Test("values, escapes and surrogate pairs parse as RFC 8259 says")
    func parsesValues() throws {
        let value = try JSONParser.parse(#"{"a": [1, -2.5e1, true, false, null], "s": "x\"\\\/\n\u00e9\ud83d\ude00"}"#)
        #expect(value["a"] == .array([.number(1), .number(-25), .bool(true), .bool(false), .null]))
        #expect(value["s"] == .string("x\"\\/\né😀"))
    }

    @Test("malformed documents are rejected, never crash")
    func rejectsMalformed() {
        for text in ["", "{", "[1,]", "{\"a\":}", "01x", "\"\u{01}\"", "{\"a\" 1}", "[1 2]", "nul", "1 2", "-"] {
            #expect(throws: JSONSyntaxError.self, "\(text)") { try JSONParser.parse(text) }
        }
    }
}
