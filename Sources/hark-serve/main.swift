// hark-serve: the web server of `hark serve`. It owns HTTP, WebSocket, TLS, the token, the
// Origin checks and the limits, and relays each browser session's audio to hark (which owns
// the provider, its key and the transcript) over its stdin and stdout; see ServeFrame. It is a
// separate executable so that hark itself never links swift-nio (see Package.swift).
import NIOCore
import NIOPosix
import ServeWire

#if canImport(Glibc)
    import Glibc
#endif

/// Reads the setup frame before anything else: hark sends nothing more until `listening`.
func readSetup() -> ServeSetup? {
    var decoder = ServeFrameDecoder()
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        do {
            if let frame = try decoder.next() {
                guard case .setup(let setup) = frame else { return nil }
                return setup
            }
        } catch {
            ServeLog.write("hark-serve: \(error)")
            return nil
        }
        let count = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        guard count > 0 else { return nil }
        decoder.append(buffer[..<count])
    }
}

signal(SIGPIPE, SIG_IGN)
guard let setup = readSetup() else {
    ServeLog.write("hark-serve: hark sent no setup; it is started by 'hark serve', not by hand")
    exit(64)
}
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let hub: ServeHub
do {
    let page = try PageFiles.load()
    hub = try ServeHub(setup: setup, page: page, loop: group.next())
} catch {
    FrameOutput.writeBlocking(.startupFailed("\(error)"))
    exit(1)
}
do {
    let url = try hub.start(group: group)
    // From here on, frames to hark go through the event loop's pipe channel.
    try hub.connectPipe(group: group, firstFrame: .listening(url: url))
} catch {
    FrameOutput.writeBlocking(.startupFailed(ServeHub.describe(error, setup: setup)))
    exit(1)
}
// Runs until hark closes the pipe (see HarkPipeHandler).
while true { pause() }
