import Dispatch
import Hark

#if canImport(Glibc)
    import Glibc
#endif

/// Turns SIGINT and SIGTERM into a graceful stop: the first asks the run to finish (stop
/// capturing, send what is buffered, print the last words); a second exits at once.
///
/// Before audio flows (while a device or stdin is being opened) there is nothing to save, so a
/// signal exits at once.
final class SignalWatcher {
    private let sources: [any DispatchSourceSignal]
    private let streaming: LockedValue<Bool>

    init(stop: StopRequest) {
        let streaming = LockedValue(false)
        // A parent may have started hark with these blocked (Foundation's Process does).
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGINT)
        sigaddset(&unblock, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        let queue = DispatchQueue(label: "hark.signals")
        sources = [SIGINT, SIGTERM].map { number in
            // The default action would kill hark before the last words are printed.
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [streaming] in
                if !streaming.value || !stop.request() {
                    // Nothing captured yet, or a second signal: the user wants out now.
                    _exit(128 + number)
                }
            }
            source.resume()
            return source
        }
        self.streaming = streaming
    }

    /// From now on the first signal stops gracefully.
    func startedStreaming() {
        streaming.withLock { $0 = true }
    }

    func cancel() {
        for source in sources { source.cancel() }
    }
}
