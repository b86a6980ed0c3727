import FoundationEssentials
import _CryptoExtras

/// The RS256-signed JWT a service account exchanges for an access token (RFC 7523).
///
/// Signing goes through swift-crypto's RSA (BoringSSL underneath), never hand-rolled.
package enum ServiceAccountAssertion {
    /// The scope every Speech-to-Text call needs.
    package static let scope = "https://www.googleapis.com/auth/cloud-platform"

    /// `header.claims.signature`, each part base64url without padding.
    /// - Parameters:
    ///   - key: the service account's key file.
    ///   - audience: the token endpoint the assertion is for.
    ///   - issuedAt: seconds since 1970.
    /// - Throws: `ProviderError.invalidOption` when the private key cannot be read.
    package static func make(key: GoogleServiceAccountKey, audience: String, issuedAt: Int) throws(ProviderError)
        -> String
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
        let privateKey: _RSA.Signing.PrivateKey
        do {
            privateKey = try _RSA.Signing.PrivateKey(pemRepresentation: key.privateKey)
        } catch {
            throw .invalidOption(
                provider: "Google", option: "private_key",
                hint: "the service-account key's private_key is not a PEM RSA key; download a new JSON key")
        }
        do {
            let signature = try privateKey.signature(for: Data(signingInput.utf8), padding: .insecurePKCS1v1_5)
            return signingInput + "." + base64URL(signature.rawRepresentation)
        } catch {
            throw .invalidOption(
                provider: "Google", option: "private_key",
                hint: "signing with the service-account key failed (\(error)); download a new JSON key")
        }
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
