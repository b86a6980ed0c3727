import CCurl

/// One plain HTTP(S) request on the handle: for OAuth token exchanges, not for streaming.
extension CurlEasyHandle {
    /// POSTs `body` to `url` and returns the status and response body; blocks until the answer
    /// arrives or `timeoutMilliseconds` pass (`curl_easy_perform`), so call it on a dedicated
    /// thread.
    /// - Throws: `CurlCode` when no HTTP answer arrived (DNS, connect, TLS, timeout).
    package func post(
        url: String, body: [UInt8], contentType: String, proxy: String?, caBundle: String?,
        timeoutMilliseconds: Int
    ) throws(CurlCode) -> (status: Int, body: [UInt8]) {
        let response = ResponseBody()
        let pointer = Unmanaged.passRetained(response).toOpaque()
        var headers: UnsafeMutablePointer<curl_slist>? = curl_slist_append(nil, "Content-Type: \(contentType)")
        headers = curl_slist_append(headers, "Expect:")
        defer {
            _ = hark_curl_easy_setopt_pointer(handle, CURLOPT_WRITEDATA, nil)
            _ = hark_curl_easy_setopt_slist(handle, CURLOPT_HTTPHEADER, nil)
            curl_slist_free_all(headers)
            Unmanaged<ResponseBody>.fromOpaque(pointer).release()
        }
        try check(hark_curl_easy_setopt_string(handle, CURLOPT_URL, url))
        try check(hark_curl_easy_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
        try check(hark_curl_easy_setopt_long(handle, CURLOPT_TIMEOUT_MS, timeoutMilliseconds))
        try check(hark_curl_easy_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, timeoutMilliseconds))
        try check(hark_curl_easy_setopt_long(handle, CURLOPT_POST, 1))
        try check(hark_curl_easy_setopt_long(handle, CURLOPT_POSTFIELDSIZE, body.count))
        // COPYPOSTFIELDS copies POSTFIELDSIZE bytes now, so `body` need not outlive this call.
        let copied = body.withUnsafeBytes { raw in
            hark_curl_easy_setopt_pointer(
                handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress))
        }
        try check(copied)
        try check(hark_curl_easy_setopt_slist(handle, CURLOPT_HTTPHEADER, headers))
        if let proxy { try check(hark_curl_easy_setopt_string(handle, CURLOPT_PROXY, proxy)) }
        if let caBundle { try check(hark_curl_easy_setopt_string(handle, CURLOPT_CAINFO, caBundle)) }
        try check(hark_curl_easy_setopt_pointer(handle, CURLOPT_WRITEDATA, pointer))
        try check(
            hark_curl_easy_setopt_write_function(handle) { data, size, count, userData in
                guard let userData, let data else { return 0 }
                let bytes = UnsafeRawBufferPointer(start: data, count: size * count)
                Unmanaged<ResponseBody>.fromOpaque(userData).takeUnretainedValue().bytes.append(contentsOf: bytes)
                return size * count
            })
        try check(curl_easy_perform(handle))
        var status = 0
        try check(hark_curl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status))
        return (status, response.bytes)
    }
}

/// The response body handed to libcurl's write callback as its user data.
private final class ResponseBody {
    var bytes: [UInt8] = []
}
