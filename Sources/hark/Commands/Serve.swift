import ArgumentParser
import Hark
import ServeWire

#if canImport(Glibc)
    import Glibc
#endif

/// `hark serve`: a web page as the microphone; the key stays in hark.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a web page that streams a browser's microphone to hark; keys stay on this machine.",
        discussion: """
            Prints the page's URL (with a token made for this start) on stderr. Each browser session is its own \
            provider session; finals go to stdout (or -o) as in any run, and back to the page.

            On this machine: hark serve, then open the printed http://127.0.0.1:8765/?token=… URL.
            From another device: browsers give the microphone only to secure pages, so listening on anything \
            but loopback needs a certificate: hark serve --listen 0.0.0.0:8765 --tls-cert cert.pem --tls-key key.pem
            """)

    @Option(help: ArgumentHelp("Address and port to listen on.", valueName: "host:port"))
    var listen: String = "127.0.0.1:8765"

    @Option(
        name: .customLong("tls-cert"),
        help: ArgumentHelp("PEM certificate (chain) for HTTPS; needed to listen beyond loopback.", valueName: "file"),
        completion: .file(extensions: ["pem", "crt"]))
    var tlsCert: String?

    @Option(
        name: .customLong("tls-key"), help: ArgumentHelp("PEM private key for --tls-cert.", valueName: "file"),
        completion: .file(extensions: ["pem", "key"]))
    var tlsKey: String?

    @Option(help: ArgumentHelp("Browser connections open at once.", valueName: "n"))
    var maxConnections: UInt32 = 4

    @Option(help: ArgumentHelp("Largest WebSocket message in bytes (larger ones close with 1009).", valueName: "bytes"))
    var maxMessageBytes: UInt32 = 65536

    @Option(help: ArgumentHelp("WebSocket messages a second on one connection.", valueName: "n"))
    var maxMessageRate: UInt32 = 50

    @Option(help: ArgumentHelp("Longest browser session, in seconds.", valueName: "seconds"))
    var maxSession: UInt32 = 4 * 3600

    @Option(
        help: ArgumentHelp(
            "Seconds a session waits for its page to reconnect before it finishes.", valueName: "seconds"))
    var resumeGrace: UInt32 = 30

    @OptionGroup(title: "Provider") var provider: ProviderOptionGroup
    @OptionGroup(title: "Audio processing") var audio: AudioProcessingOptionGroup
    @OptionGroup(title: "Output") var output: OutputOptionGroup

    /// The host and port of `--listen`; `[::1]:8765` for IPv6.
    var listenAddress: (host: String, port: UInt16)? {
        guard let colon = listen.lastIndex(of: ":"), let port = UInt16(listen[listen.index(after: colon)...]) else {
            return nil
        }
        var host = String(listen[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }

    func validate() throws {
        guard let address = listenAddress else {
            throw ValidationError("--listen takes HOST:PORT, for example 127.0.0.1:8765 or 0.0.0.0:8765.")
        }
        if (tlsCert == nil) != (tlsKey == nil) {
            throw ValidationError("--tls-cert and --tls-key go together: give both files.")
        }
        let loopback = ServeAdmission.isLoopbackHost(address.host) || address.host == "::1"
        if !loopback && tlsCert == nil {
            throw ValidationError(
                "listening on \(address.host) (beyond this machine) needs --tls-cert and --tls-key: browsers give the "
                    + "microphone only to secure pages, and the token must not cross the network in clear text.")
        }
        if maxConnections == 0 || maxMessageRate == 0 || maxSession == 0 || maxMessageBytes < 1024 {
            throw ValidationError(
                "--max-connections, --max-message-rate and --max-session must be at least 1, --max-message-bytes 1024.")
        }
    }

    func run() async throws {
        let environment = Environment.current
        let configuration = try Environment.runConfiguration(configPath: provider.config, environment: environment) {
            try Transcribe.apply(provider: provider, audio: audio, output: output, to: &$0, environment: environment)
        }
        guard let address = listenAddress else { throw ExitCode(ExitStatus.usage) }
        // The live view redraws interims in place; several browsers at once want plain lines.
        let request = RunRequest(
            configuration: configuration, input: .standardInput, rawFormat: nil, environment: environment,
            stdoutIsTerminal: false, stderrIsTerminal: Environment.isTerminal(STDERR_FILENO),
            terminalWidth: Environment.terminalWidth())
        signal(SIGPIPE, SIG_IGN)
        let stop = StopRequest()
        let signals = SignalWatcher(stop: stop)
        defer { signals.cancel() }
        let options = ServeOptions(
            host: address.host, port: address.port, certificatePath: tlsCert, keyPath: tlsKey,
            limits: ServeLimits(
                maxConnections: maxConnections, maxMessageBytes: maxMessageBytes, maxMessagesPerSecond: maxMessageRate,
                maxSessionSeconds: maxSession, resumeGraceSeconds: resumeGrace))
        let result: ServeResult
        do {
            let prepared = try ServeRun.prepare(request)
            if prepared.fellBackToLocal {
                Environment.printError("hark: \(LocalAdapter.accuracyNotice)")
            }
            signals.startedStreaming()
            result = try await ServeRun.run(
                prepared, options: options, token: ServeRun.makeToken(), stop: stop,
                onListening: { url in
                    Environment.printError("hark: serving \(prepared.descriptor.displayName) at \(url)")
                    Environment.printError("hark: open it in a browser and press Start; Ctrl-C ends hark serve.")
                },
                diagnostics: { Environment.printError($0) })
        } catch {
            throw ExitStatus.report(error)
        }
        if result.outputClosed { return }
        if result.incompleteSessions > 0 {
            Environment.printError(
                "hark: \(result.incompleteSessions) browser session(s) did not get all their audio transcribed.")
            throw ExitCode(ExitStatus.incompleteTranscript)
        }
    }
}
