import CCurl

#if canImport(Glibc)
    import Glibc
#endif

/// The one owner of a libcurl easy handle used in `CURLOPT_CONNECT_ONLY` mode: libcurl does DNS,
/// TCP, proxies and TLS, and hark moves the bytes with `curl_easy_send`/`curl_easy_recv`.
///
/// Debian 12's libcurl 7.88.1 has no WebSocket support (`curl_ws_send` returns
/// CURLE_NOT_BUILT_IN, measured), so hark frames RFC 6455 itself over this raw stream. A handle
/// must stay on one thread: the class is not Sendable and moves to its connection's thread.
package final class CurlEasyHandle {
    let handle: UnsafeMutableRawPointer
    /// `CURLOPT_ERRORBUFFER`: libcurl writes the precise reason here (the TLS verify error text).
    private let errorBuffer: UnsafeMutablePointer<CChar>

    /// The outcome of a non-blocking send or receive.
    package enum TransferResult: Equatable {
        /// This many bytes moved (0 from `receive` means the peer closed: EOF).
        case transferred(Int)
        /// Nothing can move now (CURLE_AGAIN): poll the socket and retry with the same bytes.
        case wouldBlock
    }

    /// `curl_global_init`, once per process before the first handle (it is not thread-safe).
    private static let globalInit: Void = {
        _ = curl_global_init(Int(CURL_GLOBAL_DEFAULT))
    }()

    /// A fresh handle (`curl_easy_init`).
    package init() throws(CurlCode) {
        Self.globalInit
        guard let handle = curl_easy_init() else {
            throw CurlCode(rawValue: Int(CURLE_FAILED_INIT.rawValue), message: "curl_easy_init failed")
        }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        _ = hark_curl_easy_setopt_pointer(handle, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(errorBuffer))
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// Configures a raw connection to `url` (http or https): `CONNECT_ONLY`, HTTP/1.1 (so ALPN
    /// cannot pick h2 and hand hark HTTP/2 bytes), `NOSIGNAL`, proxy tunnelling.
    /// - Parameters:
    ///   - proxy: nil leaves libcurl's environment handling (`https_proxy`, `no_proxy`) on.
    ///   - caBundle: a PEM file to trust instead of the system store.
    package func configureConnectOnly(
        url: String, proxy: String?, caBundle: String?, connectTimeoutMilliseconds: Int
    ) throws(CurlCode) {
        try check(hark_curl_easy_setopt_string(handle, CURLOPT_URL, url))
        try check(hark_curl_easy_setopt_long(handle, CURLOPT_CONNECT_ONLY, 1))
        try check(hark_curl_easy_setopt_long(handle, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_1_1)))
        try check(hark_curl_easy_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
        try check(hark_curl_easy_setopt_long(handle, CURLOPT_HTTPPROXYTUNNEL, 1))
        try check(hark_curl_easy_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, connectTimeoutMilliseconds))
        if let proxy { try check(hark_curl_easy_setopt_string(handle, CURLOPT_PROXY, proxy)) }
        if let caBundle { try check(hark_curl_easy_setopt_string(handle, CURLOPT_CAINFO, caBundle)) }
    }

    /// Connects (DNS, TCP, proxy CONNECT, TLS) and returns; blocks up to the connect timeout
    /// (`curl_easy_perform` with `CONNECT_ONLY`).
    ///
    /// libcurl calls its progress function (`CURLOPT_XFERINFOFUNCTION`) about once a second
    /// and more often while bytes move, also while connecting; `shouldAbort` is asked there, so
    /// an abort ends a slow connect (CURLE_ABORTED_BY_CALLBACK) instead of waiting out the
    /// timeout.
    package func connect(shouldAbort: @escaping () -> Bool) throws(CurlCode) {
        let check = AbortCheck(shouldAbort)
        let pointer = Unmanaged.passRetained(check).toOpaque()
        defer {
            _ = hark_curl_easy_setopt_long(handle, CURLOPT_NOPROGRESS, 1)
            _ = hark_curl_easy_setopt_pointer(handle, CURLOPT_XFERINFODATA, nil)
            Unmanaged<AbortCheck>.fromOpaque(pointer).release()
        }
        try self.check(hark_curl_easy_setopt_pointer(handle, CURLOPT_XFERINFODATA, pointer))
        try self.check(
            hark_curl_easy_setopt_xferinfo_function(handle) { clientData, _, _, _, _ in
                guard let clientData else { return 0 }
                return Unmanaged<AbortCheck>.fromOpaque(clientData).takeUnretainedValue().shouldAbort() ? 1 : 0
            })
        try self.check(hark_curl_easy_setopt_long(handle, CURLOPT_NOPROGRESS, 0))
        try self.check(curl_easy_perform(handle))
    }

    /// True when `code` is libcurl's CURLE_ABORTED_BY_CALLBACK.
    package static func isAbortedByCallback(_ code: CurlCode) -> Bool {
        code.rawValue == Int(CURLE_ABORTED_BY_CALLBACK.rawValue)
    }

    /// The connected socket (`CURLINFO_ACTIVESOCKET`), for `poll`.
    package func activeSocket() throws(CurlCode) -> Int32 {
        var socket = curl_socket_t(CURL_SOCKET_BAD)
        try check(hark_curl_easy_getinfo_socket(handle, CURLINFO_ACTIVESOCKET, &socket))
        guard socket != CURL_SOCKET_BAD else {
            throw CurlCode(rawValue: Int(CURLE_UNSUPPORTED_PROTOCOL.rawValue), message: "libcurl has no active socket")
        }
        return Int32(socket)
    }

    /// Sends what it can of `bytes[offset...]` without blocking (`curl_easy_send`).
    package func send(_ bytes: [UInt8], from offset: Int) throws(CurlCode) -> TransferResult {
        guard offset < bytes.count else { return .transferred(0) }
        var sent = 0
        let code = bytes.withUnsafeBytes { raw in
            curl_easy_send(handle, raw.baseAddress.map { $0 + offset }, raw.count - offset, &sent)
        }
        if code == CURLE_AGAIN { return sent > 0 ? .transferred(sent) : .wouldBlock }
        try check(code)
        return .transferred(sent)
    }

    /// Receives up to `buffer.count` bytes into an array (`curl_easy_recv`).
    package func receive(into buffer: inout [UInt8]) throws(CurlCode) -> TransferResult {
        var received = 0
        let code = buffer.withUnsafeMutableBytes { raw in
            curl_easy_recv(handle, raw.baseAddress, raw.count, &received)
        }
        if code == CURLE_AGAIN { return .wouldBlock }
        try check(code)
        return .transferred(received)
    }

    /// Receives up to `buffer.count` bytes without blocking (`curl_easy_recv`).
    package func receive(into buffer: UnsafeMutableRawBufferPointer) throws(CurlCode) -> TransferResult {
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return .transferred(0) }
        var received = 0
        let code = curl_easy_recv(handle, base, buffer.count, &received)
        if code == CURLE_AGAIN { return .wouldBlock }
        try check(code)
        return .transferred(received)
    }

    func check(_ code: CURLcode) throws(CurlCode) {
        guard code != CURLE_OK else { return }
        let detail = String(cString: errorBuffer)
        let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        errorBuffer[0] = 0
        throw CurlCode(rawValue: Int(code.rawValue), message: message)
    }
}

@available(*, unavailable)
extension CurlEasyHandle: Sendable {}

/// The abort question handed to libcurl's progress callback as its user data (C callbacks
/// cannot capture context).
private final class AbortCheck {
    let shouldAbort: () -> Bool

    init(_ shouldAbort: @escaping () -> Bool) {
        self.shouldAbort = shouldAbort
    }
}
