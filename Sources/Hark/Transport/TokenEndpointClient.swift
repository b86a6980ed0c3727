/// Posts an OAuth 2 form to a token endpoint and returns the answer, whatever its status.
///
/// Google's credentials exchange a signed JWT or a refresh token for an access token over one
/// HTTPS POST. The credential logic depends only on this protocol, so it is tested with a stub;
/// the libcurl implementation lives with the curl wrapper.
package protocol TokenEndpointClient: Sendable {
    /// POSTs `form` as `application/x-www-form-urlencoded` to `url`.
    /// - Returns: the HTTP status and body.
    /// - Throws: `LinkFailure` when no answer arrived (connection, TLS, timeout).
    func post(url: String, form: [(String, String)]) async throws -> (status: Int, body: [UInt8])
}

extension TokenEndpointClient {
    /// The form body, each name and value percent-encoded.
    package static func encode(form: [(String, String)]) -> String {
        form.map { "\(EndpointURL.percentEncode($0.0))=\(EndpointURL.percentEncode($0.1))" }.joined(separator: "&")
    }
}
