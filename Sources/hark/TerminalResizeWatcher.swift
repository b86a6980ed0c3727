import Dispatch
import Hark

#if canImport(Glibc)
    import Glibc
#endif

/// Follows the width of the terminal on stdout: on SIGWINCH it reads the new width and stores
/// it in the `TerminalColumns` the live view reads at each event, so an interim wraps at the
/// new width from the next redraw on.
///
/// The handler runs on a Dispatch queue, not in signal context, so it may call `ioctl` and
/// touch the shared atomic freely.
final class TerminalResizeWatcher {
    /// The width the live view follows.
    let columns: TerminalColumns
    private let source: any DispatchSourceSignal

    /// Starts watching; `initialWidth` is the width measured at start-up.
    init(descriptor: Int32 = STDOUT_FILENO, initialWidth: Int) {
        let columns = TerminalColumns(initialWidth)
        // A parent may have started hark with signals blocked (Foundation's Process does).
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGWINCH)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        // SIGWINCH is ignored by default; the Dispatch source sees it either way.
        signal(SIGWINCH, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGWINCH, queue: DispatchQueue(label: "hark.resize"))
        source.setEventHandler { [columns] in
            if let width = TerminalColumns.query(descriptor: descriptor) { columns.update(width) }
        }
        source.resume()
        self.columns = columns
        self.source = source
    }

    func cancel() {
        source.cancel()
    }
}
