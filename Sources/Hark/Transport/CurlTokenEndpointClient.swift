/// The token endpoint client hark ships: one libcurl POST per exchange, run on its own thread
/// because `curl_easy_perform` blocks.
package struct CurlTokenEndpointClient: TokenEndpointClient {
    package var options: LinkOptions

    package init(options: LinkOptions = LinkOptions()) {
        self.options = options
    }

    package func post(url: String, form: [(String, String)]) async throws -> (status: Int, body: [UInt8]) {
        let body = Array(Self.encode(form: form).utf8)
        let options = self.options
        let timeout = Int(options.connectTimeout.components.seconds) * 1000 + 20_000
        let result: Result<(status: Int, body: [UInt8]), CurlCode> = await withCheckedContinuation { done in
            DedicatedThread.start(name: "hark-token") {
                do throws(CurlCode) {
                    let handle = try CurlEasyHandle()
                    done.resume(
                        returning: .success(
                            try handle.post(
                                url: url, body: body, contentType: "application/x-www-form-urlencoded",
                                proxy: options.proxy, caBundle: options.caBundle, timeoutMilliseconds: timeout)))
                } catch {
                    done.resume(returning: .failure(error))
                }
            }
        }
        switch result {
        case .success(let answer):
            return answer
        case .failure(let code):
            throw LinkFailure.connectFailed(host: EndpointURL.host(of: url), detail: code.description)
        }
    }
}
