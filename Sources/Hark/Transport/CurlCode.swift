/// A libcurl `CURLcode` with libcurl's own text for it, so errors keep their cause.
package struct CurlCode: Error, Sendable, Equatable, CustomStringConvertible {
    /// The `CURLcode` value.
    package var rawValue: Int
    /// `curl_easy_strerror`, or the handle's error buffer when it says more.
    package var message: String

    package init(rawValue: Int, message: String) {
        self.rawValue = rawValue
        self.message = message
    }

    package var description: String { "\(message) (curl error \(rawValue))" }

    // The codes hark tells apart; values from curl/curl.h (7.88.1), stable across versions.
    package static let couldntResolveProxy = 5
    package static let couldntResolveHost = 6
    package static let couldntConnect = 7
    package static let operationTimedOut = 28
    package static let sslConnectError = 35
    package static let gotNothing = 52
    package static let sendError = 55
    package static let recvError = 56
    package static let sslCertProblem = 58
    package static let sslCipher = 59
    package static let peerFailedVerification = 60
    package static let sslCACertBadFile = 77
    package static let again = 81
    package static let sslShutdownFailed = 80
    package static let sslCRLBadFile = 82
    package static let sslIssuerError = 83
    package static let sslPinnedPubKeyNotMatch = 90
    package static let sslInvalidCertStatus = 91
    package static let proxyError = 97
    package static let sslClientCert = 98

    /// True for failures of TLS itself (certificate, CA, cipher, handshake).
    package var isTLSFailure: Bool {
        [
            Self.sslConnectError, Self.sslCertProblem, Self.sslCipher, Self.peerFailedVerification,
            Self.sslCACertBadFile, Self.sslShutdownFailed, Self.sslCRLBadFile, Self.sslIssuerError,
            Self.sslPinnedPubKeyNotMatch, Self.sslInvalidCertStatus, Self.sslClientCert,
        ].contains(rawValue)
    }
}
