import Foundation
import HarkTestSupport
import Testing

@testable import Hark

/// RS256 through OpenSSL's libcrypto, checked with the openssl command-line tool and keys it
/// makes for each run.
@Suite("RS256 signing with libcrypto")
struct RSASignerTests {
    /// A key pair and a scratch directory.
    struct KeyPair {
        var directory: URL
        var privateKey: URL
        var publicKey: URL

        static func make(_ name: String, extra: [String] = []) throws -> KeyPair {
            let directory = try PackagePaths.temporaryDirectory(name)
            let privateKey = directory.appendingPathComponent("key.pem")
            let publicKey = directory.appendingPathComponent("public.pem")
            try runTool(
                "/usr/bin/openssl",
                ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", privateKey.path] + extra)
            if extra.isEmpty {
                try runTool("/usr/bin/openssl", ["pkey", "-in", privateKey.path, "-pubout", "-out", publicKey.path])
            }
            return KeyPair(directory: directory, privateKey: privateKey, publicKey: publicKey)
        }

        var pem: String { get throws { try String(contentsOf: privateKey, encoding: .utf8) } }

        /// Whether openssl verifies `signature` over `message` with the public key.
        func verifies(_ signature: [UInt8], over message: [UInt8]) throws -> Bool {
            let input = directory.appendingPathComponent("input-\(UUID().uuidString)")
            let signatureFile = directory.appendingPathComponent("signature-\(UUID().uuidString)")
            try Data(message).write(to: input)
            try Data(signature).write(to: signatureFile)
            return
                (try? runTool(
                    "/usr/bin/openssl",
                    ["dgst", "-sha256", "-verify", publicKey.path, "-signature", signatureFile.path, input.path]))
                != nil
        }
    }

    @Test("a PKCS#8 key signs; openssl verifies the signature and makes the same bytes itself")
    func signsAndVerifies() throws {
        let pair = try KeyPair.make("hark-rsa")
        let message = Array("eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0".utf8)
        let signature = try RSASigner(pem: try pair.pem).signSHA256(message)
        #expect(signature.count == 256)
        #expect(try pair.verifies(signature, over: message))
        #expect(try !pair.verifies(signature, over: message + [0x2E]))
        // PKCS #1 v1.5 is deterministic: openssl's own signature is the same bytes.
        let input = pair.directory.appendingPathComponent("message")
        try Data(message).write(to: input)
        let reference = try runTool("/usr/bin/openssl", ["dgst", "-sha256", "-sign", pair.privateKey.path, input.path])
        #expect(signature == [UInt8](reference))
    }

    @Test("a traditional BEGIN RSA PRIVATE KEY file signs the same as its PKCS#8 form")
    func traditionalPEM() throws {
        let pair = try KeyPair.make("hark-rsa-traditional")
        let traditional = pair.directory.appendingPathComponent("rsa.pem")
        try runTool(
            "/usr/bin/openssl", ["pkey", "-in", pair.privateKey.path, "-traditional", "-out", traditional.path])
        let text = try String(contentsOf: traditional, encoding: .utf8)
        #expect(text.hasPrefix("-----BEGIN RSA PRIVATE KEY-----"))
        let message = Array("x".utf8)
        #expect(try RSASigner(pem: text).signSHA256(message) == RSASigner(pem: try pair.pem).signSHA256(message))
    }

    @Test("the assertion is a JWT: three base64url parts, RS256 header with the key id, claims, a valid signature")
    func assertionStructure() throws {
        let account = try TestServiceAccount.make()
        let key = try #require(try Self.key(from: account.path))
        let jwt = try ServiceAccountAssertion.make(
            key: key, audience: "https://oauth2.googleapis.com/token", issuedAt: 1_700_000_000, origin: "test")
        let parts = jwt.split(separator: ".", omittingEmptySubsequences: false)
        #expect(parts.count == 3)
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        #expect(parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(alphabet.contains) })
        let header = TestServiceAccount.jwtPart(jwt, 0)
        #expect(header.count == 3 && header["alg"] as? String == "RS256" && header["typ"] as? String == "JWT")
        #expect(header["kid"] as? String == TestServiceAccount.keyID)
        let claims = TestServiceAccount.jwtPart(jwt, 1)
        #expect(claims["iss"] as? String == TestServiceAccount.clientEmail)
        #expect(claims["aud"] as? String == "https://oauth2.googleapis.com/token")
        #expect(claims["iat"] as? Int == 1_700_000_000 && claims["exp"] as? Int == 1_700_003_600)
        #expect(Data(base64URL: String(parts[2]))?.count == 256)
        #expect(try account.verifies(jwt: jwt))
    }

    @Test(
        "text that is not a private key is unreadable, with OpenSSL's reason",
        arguments: [
            "", "not a key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        ])
    func unreadable(text: String) {
        #expect {
            _ = try RSASigner(pem: text)
        } throws: { error in
            guard case .unreadableKey(let detail) = error as? RSASignerError else { return false }
            return !detail.isEmpty
        }
    }

    @Test("a key cut short is unreadable; a good key still signs afterwards (the error queue was emptied)")
    func truncatedKey() throws {
        let pair = try KeyPair.make("hark-rsa-cut")
        let pem = try pair.pem
        #expect(throws: RSASignerError.self) { _ = try RSASigner(pem: String(pem.prefix(pem.count / 2))) }
        let signature = try RSASigner(pem: pem).signSHA256([1, 2, 3])
        #expect(try pair.verifies(signature, over: [1, 2, 3]))
    }

    @Test("an encrypted key is refused at once instead of prompting for a passphrase")
    func encryptedKey() throws {
        let pair = try KeyPair.make("hark-rsa-encrypted", extra: ["-aes-256-cbc", "-pass", "pass:secret"])
        let pem = try pair.pem
        #expect(pem.contains("ENCRYPTED"))
        #expect(throws: RSASignerError.self) { _ = try RSASigner(pem: pem) }
    }

    @Test("an EC key is refused: RS256 needs RSA")
    func ecKey() throws {
        let directory = try PackagePaths.temporaryDirectory("hark-ec")
        let key = directory.appendingPathComponent("ec.pem")
        try runTool(
            "/usr/bin/openssl",
            ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key.path])
        #expect(throws: RSASignerError.notRSA) { _ = try RSASigner(pem: try String(contentsOf: key, encoding: .utf8)) }
    }

    @Test("a key file with an unreadable private_key is refused when the adapter is made, naming the file")
    func badKeyFile() throws {
        let directory = try PackagePaths.temporaryDirectory("hark-google-badkey")
        let file = directory.appendingPathComponent("key.json")
        let json: [String: String] = [
            "type": "service_account", "project_id": "p", "private_key": "-----BEGIN PRIVATE KEY-----\nbroken\n",
            "client_email": "a@p.iam.gserviceaccount.com",
        ]
        try JSONSerialization.data(withJSONObject: json).write(to: file)
        let stub = StubTokenEndpoint([(200, tokenAnswer)])
        #expect {
            _ = try GoogleAdapter(
                options: ProviderOptions(), environment: ["GOOGLE_APPLICATION_CREDENTIALS": file.path],
                tokenClient: stub)
        } throws: { error in
            guard let error = error as? ProviderError, case .invalidOption = error else { return false }
            let text = error.description
            return text.contains("GOOGLE_APPLICATION_CREDENTIALS (\(file.path))") && text.contains("unreadable")
                && text.contains("OpenSSL") && !text.contains("broken")
        }
        #expect(stub.calls.isEmpty)
    }

    static func key(from path: String) throws -> GoogleServiceAccountKey? {
        let located = try GoogleCredentialLocator.locate(
            environment: ["GOOGLE_APPLICATION_CREDENTIALS": path], settings: [:])
        guard case .serviceAccount(let key) = located.credentials else { return nil }
        return key
    }
}
