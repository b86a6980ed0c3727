package import ServeWire
import Synchronization

/// Where `hark serve` listens and what each browser may use.
package struct ServeOptions: Sendable {
    package var host: String
    package var port: UInt16
    package var certificatePath: String?
    package var keyPath: String?
    package var limits: ServeLimits

    package init(host: String, port: UInt16, certificatePath: String?, keyPath: String?, limits: ServeLimits) {
        self.host = host
        self.port = port
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        self.limits = limits
    }
}

/// What a finished `hark serve` reports.
package struct ServeResult: Sendable {
    /// Sessions whose audio was not all transcribed.
    package var incompleteSessions: Int
    /// The reader of stdout went away.
    package var outputClosed: Bool
}

/// `hark serve`: browsers' microphones, relayed by a web server, transcribed here.
///
/// The web server is the `hark-serve` helper; each browser session is one
/// `TranscriptionSession` here, with hark's provider, key, pipeline and outputs. Finals go to stdout (and `-o`) as in any run, and every event goes back to its
/// page as hark's JSON Lines object.
package enum ServeRun {
    /// Chooses the provider and checks the options.
    ///
    /// As `TranscriptionRun.prepare` does for a live source. The source in the result only names the input; each session has its own.
    package static func prepare(_ request: RunRequest) throws -> PreparedRun {
        let configuration = request.configuration
        let choice = try ProviderSelection.choose(configuration: configuration, environment: request.environment)
        let options = ProviderSelection.options(
            for: choice.adapter.descriptor, configuration: configuration, environment: request.environment,
            interimResults: true)
        let adapter = try choice.adapter.init(options: options)
        let pipeline = TranscriptionRun.pipeline(configuration, adapter: adapter, sourceIsLive: true)
        // Browsers capture at 48 kHz almost always; other rates are checked per session.
        try AudioPipeline.validate(inputRate: 48000, configuration: pipeline)
        let session = TranscriptionRun.sessionOptions(configuration, sourceIsLive: true)
        let linkOptions = TranscriptionRun.linkOptions(configuration)
        return PreparedRun(
            request: request, source: RelayAudioSource(sampleRate: 48000, name: "browser"), adapter: adapter,
            pipeline: pipeline, session: session, linkOptions: linkOptions, fellBackToLocal: choice.fellBackToLocal,
            sourceWarnings: nil)
    }

    /// A fresh token for the page's URL: 128 random bits, hex.
    package static func makeToken() -> String {
        var generator = SystemRandomNumberGenerator()
        var text = ""
        for _ in 0..<2 {
            let value = generator.next() as UInt64
            let hex = String(value, radix: 16)
            text += String(repeating: "0", count: 16 - hex.count) + hex
        }
        return text
    }

    private enum RelayPhase: Sendable {
        case stopWatcher
        case relay(ServeError?)
    }

    private enum RenderInput: Sendable {
        case event(session: UInt32, TranscriptEvent)
        case ended(session: UInt32, reason: String)
    }

    /// Runs until `stop` (Ctrl-C), then lets every open session finish and the server close.
    /// - Parameters:
    ///   - onListening: receives the page's URL (with the token) once the server listens.
    ///   - diagnostics: receives lines for stderr.
    package static func run(
        _ prepared: PreparedRun, options: ServeOptions, token: String, stop: StopRequest,
        onListening: @escaping @Sendable (String) -> Void, diagnostics: @escaping @Sendable (String) -> Void
    ) async throws -> ServeResult {
        let executable = try ServeLocator.locate()
        let process: GRPCBridgeProcess
        do throws(GRPCBridgeError) {
            process = try GRPCBridgeProcess.spawn(executable: executable, name: ServeLocator.executableName)
        } catch {
            throw ServeError.cannotStart(error.description)
        }
        defer {
            process.kill()
            _ = process.waitForExit()
        }
        let pipe = ServePipeWriter(descriptor: process.stdinDescriptor)
        defer { pipe.close() }
        ServePipeReader.forwardLines(descriptor: process.stderrDescriptor, to: diagnostics)
        let frames = ServePipeReader.frames(descriptor: process.stdoutDescriptor)
        pipe.send(
            .setup(
                ServeSetup(
                    host: options.host, port: options.port, certificatePath: options.certificatePath,
                    keyPath: options.keyPath, token: token, limits: options.limits)))

        let sessions = ServeSessions()
        let incomplete = LockedValue(0)
        let outputClosed = LockedValue(false)
        let (inputs, renderContinuation) = AsyncStream.makeStream(of: RenderInput.self)
        let provider = prepared.descriptor.name
        let configuration = prepared.request.configuration

        let startup: ServeError? = try await withThrowingTaskGroup(of: ServeError?.self) { outer in
            outer.addTask {
                var output = try OutputSet(prepared: prepared)
                for await input in inputs {
                    switch input {
                    case .event(let id, let event):
                        pipe.send(.event(session: id, json: JSONLinesRenderer.line(for: event, provider: provider)))
                        do {
                            try output.render(event, diagnostics: diagnostics)
                        } catch OutputError.readerClosed {
                            outputClosed.withLock { $0 = true }
                            stop.request()
                        }
                    case .ended(let id, let reason):
                        pipe.send(.ended(session: id, reason: reason))
                        if sessions.remove(id) { pipe.close() }
                    }
                }
                try? output.finish()
                return nil
            }
            // Ctrl-C: every session's audio ends; the server closes once their last words are out.
            let relay = await withTaskGroup(of: RelayPhase.self) { phases in
                phases.addTask {
                    await stop.wait()
                    if sessions.stopAll() { pipe.close() }
                    return .stopWatcher
                }
                phases.addTask {
                    let outcome = await withTaskGroup(of: Void.self) { group -> ServeError? in
                        var listening = false
                        do {
                            for try await frame in frames {
                                switch frame {
                                case .listening(let url):
                                    listening = true
                                    onListening(url)
                                case .startupFailed(let message):
                                    return ServeError.startupFailed(message)
                                case .open(let id, let rate):
                                    let source = RelayAudioSource(sampleRate: Int(rate), name: "browser session \(id)")
                                    guard sessions.add(id, source) else {
                                        pipe.send(.ended(session: id, reason: "hark is stopping"))
                                        continue
                                    }
                                    group.addTask {
                                        let reason = await runSession(
                                            id, source: source, prepared: prepared, configuration: configuration,
                                            emit: { renderContinuation.yield(.event(session: id, $0)) },
                                            incomplete: incomplete, diagnostics: diagnostics)
                                        renderContinuation.yield(.ended(session: id, reason: reason))
                                    }
                                case .audio(let id, let bytes):
                                    sessions.source(id)?.feed(bytes)
                                case .end(let id):
                                    sessions.source(id)?.finish()
                                case .setup, .event, .ended:
                                    break
                                }
                            }
                        } catch {
                            diagnostics("hark: the pipe from hark-serve is broken: \(error)")
                        }
                        // The server has gone: the sessions still finish with what they have.
                        _ = sessions.stopAll()
                        await group.waitForAll()
                        return listening ? nil : ServeError.exitedEarly("see the messages above")
                    }
                    return .relay(outcome)
                }
                // A stop lets the sessions finish (the relay phase ends after them); the relay
                // ending first (the server gone) cancels the watcher, whose stop will not come.
                var outcome: ServeError?
                while let phase = await phases.next() {
                    if case .relay(let error) = phase {
                        outcome = error
                        phases.cancelAll()
                    }
                }
                return outcome
            }
            renderContinuation.finish()
            try await outer.waitForAll()
            return relay
        }
        if let startup { throw startup }
        return ServeResult(incompleteSessions: incomplete.value, outputClosed: outputClosed.value)
    }

    /// One browser session; returns "" when it ended normally, else why not (for the page).
    private static func runSession(
        _ id: UInt32, source: RelayAudioSource, prepared: PreparedRun, configuration: Configuration,
        emit: @escaping @Sendable (TranscriptEvent) -> Void, incomplete: LockedValue<Int>,
        diagnostics: @escaping @Sendable (String) -> Void
    ) async -> String {
        let rate = source.format.sampleRate
        do {
            try AudioPipeline.validate(inputRate: rate, configuration: prepared.pipeline)
        } catch {
            return "hark cannot use audio at \(rate) Hz: \(error)"
        }
        let pipelineConfiguration = prepared.pipeline
        let session = TranscriptionSession(
            adapter: prepared.adapter, options: prepared.session,
            openLink: TranscriptionRun.linkOpener(options: prepared.linkOptions),
            makeEncoder: { requirements in
                try makePayloadEncoder(
                    requirements.encoding, sampleRate: requirements.sampleRate, bitrate: configuration.bitrate)
            })
        do {
            // The source ends the session (stop in the page, or the page gone); never a stop request.
            let outcome = try await session.run(
                source: source,
                makePipeline: {
                    AudioPipeline(inputRate: rate, inputChannels: 1, configuration: pipelineConfiguration)
                },
                stop: StopRequest(), emit: emit)
            if !outcome.lostRanges.isEmpty { incomplete.withLock { $0 += 1 } }
            return ""
        } catch {
            incomplete.withLock { $0 += 1 }
            diagnostics("hark: browser session \(id): \(error)")
            return "\(error)"
        }
    }
}

/// The relays of the open sessions, and whether hark is stopping.
final class ServeSessions: Sendable {
    private let state = Mutex<(sources: [UInt32: RelayAudioSource], stopping: Bool)>(([:], false))

    /// False when hark is stopping (the session is refused).
    func add(_ id: UInt32, _ source: RelayAudioSource) -> Bool {
        state.withLock { state in
            guard !state.stopping else { return false }
            state.sources[id] = source
            return true
        }
    }

    func source(_ id: UInt32) -> RelayAudioSource? { state.withLock { $0.sources[id] } }

    /// Forgets a finished session; true when hark is stopping and it was the last.
    func remove(_ id: UInt32) -> Bool {
        state.withLock { state in
            state.sources[id] = nil
            return state.stopping && state.sources.isEmpty
        }
    }

    /// Ends every session's audio; true when none is open (the server may close now).
    func stopAll() -> Bool {
        let sources = state.withLock { state in
            state.stopping = true
            return Array(state.sources.values)
        }
        for source in sources { source.finish() }
        return sources.isEmpty
    }
}
