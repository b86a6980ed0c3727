#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An OS thread for one blocking resource (an ALSA device, a socket, a file read loop).
///
/// Blocking C calls never run on Swift's cooperative pool; each resource gets a thread running
/// a plain synchronous loop and meets async code through streams. The body receives its
/// non-Sendable state as a `sending` capture, so ownership moves to the thread and the compiler
/// proves nothing else touches it.
package enum DedicatedThread {
    /// Starts `body` on a new detached thread ; `name` appears in the error if it cannot start.
    package static func start(name: String, _ body: sending @escaping () -> Void) {
        let box = Unmanaged.passRetained(ThreadBody(name: name, body: body))
        var thread = pthread_t()
        let result = pthread_create(
            &thread, nil,
            { raw in
                guard let raw else { return nil }
                let body = Unmanaged<ThreadBody>.fromOpaque(raw).takeRetainedValue()
                body.body()
                return nil
            }, box.toOpaque())
        if result != 0 {
            box.release()
            // A thread that cannot start is an exhausted system, not a user error.
            fatalError("pthread_create failed for thread '\(name)': error \(result)")
        }
        pthread_detach(thread)
    }
}

private final class ThreadBody {
    let name: String
    let body: () -> Void

    init(name: String, body: @escaping () -> Void) {
        self.name = name
        self.body = body
    }
}
