import FoundationEssentials

/// The RS256-signed JWT a service account exchanges for an access token (RFC 7523).
///
/// Signing goes through OpenSSL's libcrypto (`RSASigner`), never hand-rolled.
package enum ServiceAccountAssertion {
    /// The scope every Speech-to-Text call needs.
    package static let scope = "https://www.googleapis.com/auth/cloud-platform"

    /// `header.claims.signature`, each part base64url without padding.
    /// - Parameters:
    ///   - key: the service account's key file.
    ///   - audience: the token endpoint the assertion is for.
    ///   - issuedAt: seconds since 1970.
    ///   - origin: where the key file was found, for messages.
    /// - Throws: `ProviderError.invalidOption` naming the key file when its private key cannot be
    ///   read or used.
    package static func make(key: GoogleServiceAccountKey, audience: String, issuedAt: Int, origin: String)
        throws(ProviderError) -> String
    {
        struct Header: Encodable {
            var alg = "RS256"
            var typ = "JWT"
            var kid: String?
        }
        struct Claims: Encodable {
            var iss: String
            var scope: String
            var aud: String
            var iat: Int
            var exp: Int
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let signingInput: String
        do {
            let header = try encoder.encode(Header(kid: key.privateKeyID))
            let claims = try encoder.encode(
                Claims(iss: key.clientEmail, scope: scope, aud: audience, iat: issuedAt, exp: issuedAt + 3600))
            signingInput = base64URL(header) + "." + base64URL(claims)
        } catch {
            throw .protocolError(provider: "Google", hint: "could not encode the token request: \(error)")
        }
        let signer = try signer(for: key, origin: origin)
        do {
            return signingInput + "." + base64URL(Data(try signer.signSHA256(Array(signingInput.utf8))))
        } catch {
            throw unusableKey(error, origin: origin)
        }
    }

    /// The key file's private key, ready to sign; `GoogleAdapter` also calls this to refuse a bad
    /// key before any audio is captured.
    /// - Throws: `ProviderError.invalidOption` naming the key file and OpenSSL's reason.
    package static func signer(for key: GoogleServiceAccountKey, origin: String) throws(ProviderError) -> RSASigner {
        do {
            return try RSASigner(pem: key.privateKey)
        } catch {
            throw unusableKey(error, origin: origin)
        }
    }

    private static func unusableKey(_ error: RSASignerError, origin: String) -> ProviderError {
        .invalidOption(
            provider: "Google", option: origin,
            hint: "its private_key is \(error); download a new JSON key for the service account and point "
                + "GOOGLE_APPLICATION_CREDENTIALS at it")
    }

    /// Base64url without padding (RFC 7515 §2).
    static func base64URL(_ data: Data) -> String {
        var text = ""
        for character in data.base64EncodedString() {
            switch character {
            case "+": text.append("-")
            case "/": text.append("_")
            case "=": continue
            default: text.append(character)
            }
        }
        return text
    }
}
