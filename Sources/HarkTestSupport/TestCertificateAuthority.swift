package import Foundation

/// A throwaway CA and a server certificate for 127.0.0.1/localhost, made with the openssl CLI
/// for one test, so wss:// is tested with real TLS and a CA the system does not trust.
package struct TestCertificateAuthority {
    package let directory: URL
    /// The CA to trust (`--cacert`, `CAINFO`).
    package var caCertificate: String { directory.appendingPathComponent("ca.pem").path }
    package var serverCertificate: String { directory.appendingPathComponent("server.pem").path }
    package var serverKey: String { directory.appendingPathComponent("server.key").path }

    /// Makes the CA and the server certificate in a new temporary directory.
    package init() throws {
        directory = try PackagePaths.temporaryDirectory("hark-test-ca")
        let dir = directory.path
        try Self.openssl([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(dir)/ca.key", "-out", "\(dir)/ca.pem",
            "-days", "2", "-subj", "/CN=hark test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ])
        try Self.openssl([
            "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(dir)/server.key", "-out", "\(dir)/server.csr",
            "-subj", "/CN=localhost",
        ])
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
            .write(toFile: "\(dir)/server.ext", atomically: true, encoding: .utf8)
        try Self.openssl([
            "x509", "-req", "-in", "\(dir)/server.csr", "-CA", "\(dir)/ca.pem", "-CAkey", "\(dir)/ca.key",
            "-CAcreateserial", "-out", "\(dir)/server.pem", "-days", "2", "-extfile", "\(dir)/server.ext",
        ])
    }

    private static func openssl(_ arguments: [String]) throws {
        let result = try CommandRunner.run("/usr/bin/openssl", arguments, timeout: 60)
        guard result.status == 0 else { throw CertificateError(output: result.stderr) }
    }

    /// openssl refused; its stderr says why.
    package struct CertificateError: Error, CustomStringConvertible {
        package var output: String
        package var description: String { "openssl failed: \(output)" }
    }
}
