package import Foundation
package import Hark

/// A service-account key file made for one test run: a fresh RSA key (openssl CLI), its public
/// half to verify the JWTs hark signs, and the JSON file Google would hand out.
package struct TestServiceAccount: Sendable {
    package let directory: URL
    /// The key file (`GOOGLE_APPLICATION_CREDENTIALS`).
    package let path: String
    package let publicKeyPath: String
    package static let clientEmail = "hark-test@sa-proj.iam.gserviceaccount.com"
    package static let keyID = "test-key-id"
    package static let project = "sa-proj"

    /// Makes the key pair and the JSON file.
    package static func make(tokenURI: String = "https://oauth2.googleapis.com/token", quotaProject: String? = nil)
        throws -> TestServiceAccount
    {
        let directory = try PackagePaths.temporaryDirectory("hark-google-sa")
        let key = directory.appendingPathComponent("key.pem").path
        let publicKey = directory.appendingPathComponent("public.pem").path
        try runTool(
            "/usr/bin/openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key])
        try runTool("/usr/bin/openssl", ["pkey", "-in", key, "-pubout", "-out", publicKey])
        var json: [String: String] = [
            "type": "service_account", "project_id": project, "private_key_id": keyID,
            "private_key": try String(contentsOfFile: key, encoding: .utf8), "client_email": clientEmail,
            "client_id": "1234567890", "token_uri": tokenURI, "universe_domain": "googleapis.com",
        ]
        if let quotaProject { json["quota_project_id"] = quotaProject }
        let path = directory.appendingPathComponent("service-account.json")
        try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]).write(to: path)
        return TestServiceAccount(directory: directory, path: path.path, publicKeyPath: publicKey)
    }

    /// Whether `jwt`'s RS256 signature verifies with the public key (openssl CLI, not hark's code).
    package func verifies(jwt: String) throws -> Bool {
        let parts = jwt.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let signature = Data(base64URL: String(parts[2])) else { return false }
        let input = directory.appendingPathComponent("input-\(UUID().uuidString)")
        let signatureFile = directory.appendingPathComponent("signature-\(UUID().uuidString)")
        try Data("\(parts[0]).\(parts[1])".utf8).write(to: input)
        try signature.write(to: signatureFile)
        return
            (try? runTool(
                "/usr/bin/openssl",
                ["dgst", "-sha256", "-verify", publicKeyPath, "-signature", signatureFile.path, input.path])) != nil
    }

    /// The decoded JSON of a JWT part (0 header, 1 claims).
    package static func jwtPart(_ jwt: String, _ index: Int) -> [String: Any] {
        let parts = jwt.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let data = Data(base64URL: String(parts[index])) else { return [:] }
        return (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }
}

/// A gcloud `authorized_user` file, as `gcloud auth application-default login` writes it.
package func writeAuthorizedUser(to url: URL, tokenURI: String? = nil, quotaProject: String? = "user-proj") throws {
    var json = [
        "type": "authorized_user", "client_id": "client-1.apps.googleusercontent.com", "client_secret": "secret-1",
        "refresh_token": "refresh-1", "account": "",
    ]
    if let tokenURI { json["token_uri"] = tokenURI }
    if let quotaProject { json["quota_project_id"] = quotaProject }
    try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]).write(to: url)
}

/// Runs a tool to completion; throws with its stderr when it fails.
@discardableResult
package func runTool(_ executable: String, _ arguments: [String]) throws -> Data {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw ToolFailure(tool: executable, output: errorText) }
    return data
}

/// A command-line tool that failed in test setup.
package struct ToolFailure: Error, CustomStringConvertible {
    package var tool: String
    package var output: String
    package var description: String { "\(tool) failed: \(output)" }
}

extension Data {
    /// Decodes base64url without padding.
    package init?(base64URL text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        self.init(base64Encoded: base64)
    }
}

/// The enum case of a provider error ("unavailable", "authenticationFailed"…), for table tests.
package func caseName(_ error: ProviderError) -> String {
    Mirror(reflecting: error).children.first?.label ?? ""
}
