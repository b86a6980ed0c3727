import COpenSSL

/// Why an RSA key could not be used; `detail` is OpenSSL's own reason text.
package enum RSASignerError: Error, Equatable, CustomStringConvertible {
    /// The PEM text is not an unencrypted private key OpenSSL can read.
    case unreadableKey(detail: String)
    /// The key is readable but not RSA (RS256 needs RSA).
    case notRSA
    /// OpenSSL failed to sign with a key it had read.
    case signingFailed(detail: String)

    package var description: String {
        switch self {
        case .unreadableKey(let detail): "unreadable as an unencrypted PEM private key (OpenSSL: \(detail))"
        case .notRSA: "not an RSA key"
        case .signingFailed(let detail): "OpenSSL could not sign with it (\(detail))"
        }
    }
}

/// An RSA private key in OpenSSL's libcrypto that makes JWS `RS256` signatures.
///
/// RS256 is RSASSA-PKCS1-v1_5 with SHA-256, for service-account assertions; the signing is
/// OpenSSL's, never hand-rolled.
///
/// Owns its `EVP_PKEY` (freed in `deinit`) and is not `Sendable`: it lives within the one call
/// that signs an assertion. libcurl already loads libcrypto, so this costs hark no memory.
package final class RSASigner {
    private let key: OpaquePointer

    /// Reads an unencrypted PEM private key.
    ///
    /// PKCS#8 (`BEGIN PRIVATE KEY`, as Google's key files hold) or the traditional
    /// `BEGIN RSA PRIVATE KEY`. An encrypted key is refused, never prompted for.
    package init(pem: String) throws(RSASignerError) {
        ERR_clear_error()
        let text = Array(pem.utf8)
        guard text.count < Int32.max else { throw .unreadableKey(detail: "the key text is too long") }
        let key = text.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                hark_openssl_read_private_key($0.baseAddress, Int32($0.count))
            }
        }
        guard let key else { throw .unreadableKey(detail: Self.drainErrors()) }
        guard EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA else {
            EVP_PKEY_free(key)
            throw .notRSA
        }
        self.key = key
    }

    deinit {
        EVP_PKEY_free(key)
    }

    /// The RS256 signature of `message`: as many bytes as the key's modulus.
    package func signSHA256(_ message: [UInt8]) throws(RSASignerError) -> [UInt8] {
        ERR_clear_error()
        guard let context = EVP_MD_CTX_new() else { throw .signingFailed(detail: Self.drainErrors()) }
        defer { EVP_MD_CTX_free(context) }
        // An RSA key's default padding in EVP_DigestSign is PKCS #1 v1.5, which RS256 is.
        guard EVP_DigestSignInit(context, nil, EVP_sha256(), nil, key) == 1 else {
            throw .signingFailed(detail: Self.drainErrors())
        }
        var length = 0
        let sized = message.withUnsafeBufferPointer {
            EVP_DigestSign(context, nil, &length, $0.baseAddress, $0.count)
        }
        guard sized == 1, length > 0 else { throw .signingFailed(detail: Self.drainErrors()) }
        var signature = [UInt8](repeating: 0, count: length)
        let signed = signature.withUnsafeMutableBufferPointer { output in
            message.withUnsafeBufferPointer {
                EVP_DigestSign(context, output.baseAddress, &length, $0.baseAddress, $0.count)
            }
        }
        guard signed == 1, length <= signature.count else { throw .signingFailed(detail: Self.drainErrors()) }
        signature.removeSubrange(length...)
        return signature
    }

    /// Every reason on this thread's OpenSSL error queue, oldest first, emptying the queue.
    private static func drainErrors() -> String {
        var reasons: [String] = []
        var code = ERR_get_error()
        while code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if !reasons.contains(text) { reasons.append(text) }
            code = ERR_get_error()
        }
        return reasons.isEmpty ? "no reason given" : reasons.joined(separator: "; ")
    }
}
