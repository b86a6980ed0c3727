#if canImport(Glibc)
    import Glibc
#endif

/// A wake-up for a thread blocked in `poll` (new outgoing frames, room for inbound messages, a
/// close or an abort), the way swift-nio's selector wakes its loop.
///
/// Built on a non-blocking `socketpair` rather than `eventfd`: Swift's Glibc module does not
/// export `<sys/eventfd.h>` (measured on 6.3.1), and a socket pair is what libcurl's own
/// `curl_multi_wakeup` falls back to. Sendable without locks: the descriptors never change, and
/// `send`/`recv` on them are atomic in the kernel.
package final class WakeupEvent: Sendable {
    /// The descriptor to put in a `pollfd` with `POLLIN`.
    package let descriptor: Int32
    private let signalDescriptor: Int32

    /// Creates the pair.
    /// - Throws: the errno text when the kernel refuses one (descriptor limit).
    package init() throws(WakeupEventError) {
        var pair: [Int32] = [-1, -1]
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        guard socketpair(AF_UNIX, type, 0, &pair) == 0 else {
            throw WakeupEventError(detail: String(cString: strerror(errno)))
        }
        descriptor = pair[0]
        signalDescriptor = pair[1]
    }

    deinit {
        close(descriptor)
        close(signalDescriptor)
    }

    /// Makes `descriptor` readable; safe from any thread.
    ///
    /// A full pair already means "wake up", so a failed write needs no retry.
    package func signal() {
        var byte: UInt8 = 1
        _ = send(signalDescriptor, &byte, 1, Int32(MSG_NOSIGNAL))
    }

    /// Clears the readable state; called by the woken thread before it looks for work.
    package func drain() {
        var bytes = [UInt8](repeating: 0, count: 64)
        while recv(descriptor, &bytes, bytes.count, 0) > 0 {}
    }
}

/// The kernel refused the wake-up descriptors.
package struct WakeupEventError: Error, Sendable, Equatable {
    package var detail: String
}
