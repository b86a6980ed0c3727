import Dispatch
import Hark

#if canImport(Glibc)
    import Glibc
#endif

/// Turns SIGINT and SIGTERM into a graceful stop: the first asks the run to finish (stop
/// capturing, send what is buffered, print the last words); a second exits at once.
final class SignalWatcher {
    private let sources: [any DispatchSourceSignal]

    init(stop: StopRequest) {
        let queue = DispatchQueue(label: "hark.signals")
        sources = [SIGINT, SIGTERM].map { number in
            // The default action would kill hark before the last words are printed.
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                if !stop.request() {
                    // Second signal: the user wants out now.
                    _exit(128 + number)
                }
            }
            source.resume()
            return source
        }
    }

    func cancel() {
        for source in sources { source.cancel() }
    }
}
