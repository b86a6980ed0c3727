import Synchronization

/// A request to end a run gracefully (Ctrl-C, SIGTERM): stop reading the input, send what was
/// captured, let the provider finish, print the last words.
package final class StopRequest: Sendable {
    private let signalled = AsyncSignal()
    private let requested = Mutex(false)

    package init() {}

    /// Asks the run to stop; returns true the first time.
    @discardableResult
    package func request() -> Bool {
        let first = requested.withLock { requested -> Bool in
            defer { requested = true }
            return !requested
        }
        signalled.signal()
        return first
    }

    package var isRequested: Bool { requested.withLock { $0 } }

    /// Returns once a stop is requested (or the waiting task is cancelled).
    package func wait() async {
        if isRequested { return }
        await signalled.wait()
    }
}
