/// A run that has been checked and opened: the source is open, the provider chosen and its
/// options validated, so everything the user can get wrong has failed before audio flows.
package struct PreparedRun: Sendable {
    package let request: RunRequest
    package let source: any AudioSource
    package let adapter: any ProviderAdapter
    package let pipeline: AudioPipeline.Configuration
    package let session: SessionOptions
    package let linkOptions: LinkOptions
    /// True when no provider was named and none had a key: the offline recognizer is used.
    package let fellBackToLocal: Bool
    /// Non-fatal findings from the source (truncation), read once the run has ended.
    package let sourceWarnings: AudioSourceWarnings?

    package var descriptor: ProviderDescriptor { type(of: adapter).descriptor }
}

/// What a finished run reports to the command line.
package struct RunResult: Sendable {
    package var outcome: SessionOutcome
    /// Source findings that did not stop the run (truncation), for stderr.
    package var warnings: [AudioSourceError]
    /// The reader of stdout went away (`hark | head -1`): end quietly.
    package var outputClosed: Bool
}

/// Builds and runs one transcription: source → pipeline → session → renderers.
package enum TranscriptionRun {
    /// Opens the input and checks the provider and options.
    package static func prepare(_ request: RunRequest, onNotice: (@Sendable (String) -> Void)? = nil) async throws
        -> PreparedRun
    {
        let configuration = request.configuration
        let choice = try ProviderSelection.choose(configuration: configuration, environment: request.environment)
        let descriptor = choice.adapter.descriptor
        let isLive: Bool
        if case .microphone = request.input { isLive = true } else { isLive = false }
        let options = ProviderSelection.options(
            for: descriptor, configuration: configuration, environment: request.environment,
            interimResults: true)
        let adapter = try choice.adapter.init(options: options)

        if case .times(let factor) = configuration.speed, !isLive, let limit = descriptor.capabilities.maxSpeed,
            factor > limit
        {
            throw ConfigurationError.invalidSetting(
                setting: "--speed",
                message:
                    "\(descriptor.displayName) accepts audio at most \(limit)x real time; use --speed \(limit) or lower"
            )
        }
        // `--speed max` means as fast as the provider accepts: for a provider that refuses audio
        // faster than some pace, that pace, said once on stderr. Where the provider allows a
        // head start (AssemblyAI's look-ahead budget), the file is read unpaced and the session's
        // SendPace sends that much at once, then holds to the pace.
        var speed = configuration.speed
        if case .unlimited = configuration.speed, !isLive, let limit = descriptor.capabilities.maxSpeed {
            let pace = limit == 1 ? "real time" : "\(limit)x real time"
            let burst = descriptor.capabilities.speedBurstSeconds
            if burst >= 1 {
                onNotice?(
                    "\(descriptor.displayName) accepts audio no faster than \(pace) after a \(Int(burst)) s head start: --speed max sends the first \(Int(burst)) s at once, then streams at \(pace)"
                )
            } else {
                speed = .times(limit)
                onNotice?(
                    "\(descriptor.displayName) accepts audio no faster than \(pace): --speed max streams at \(pace)")
            }
        }

        let pipeline = Self.pipeline(configuration, adapter: adapter, sourceIsLive: isLive)

        let source: any AudioSource
        var warnings: AudioSourceWarnings?
        switch request.input {
        case .microphone(let device):
            var captureNotice: (@Sendable (CaptureNotice) -> Void)?
            if let onNotice {
                captureNotice = { notice in onNotice(notice.description) }
            }
            source = try ALSACapture(
                device: device, preferredRate: adapter.audio.sampleRate, onNotice: captureNotice)
        case .file(let path):
            let file = try await FileAudioSource.open(
                path: path, rawFormat: request.rawFormat,
                blockDuration: Self.fileBlockDuration(configuration, speed: speed, adapter: adapter))
            warnings = file.warnings
            source = Self.paced(file, speed: speed)
        case .standardInput:
            let file = try await FileAudioSource.open(
                path: FileAudioSource.standardInputPath, rawFormat: request.rawFormat)
            warnings = file.warnings
            source = Self.paced(file, speed: speed)
        }
        try AudioPipeline.validate(inputRate: source.format.sampleRate, configuration: pipeline)

        return PreparedRun(
            request: request, source: source, adapter: adapter, pipeline: pipeline,
            session: Self.sessionOptions(configuration, sourceIsLive: isLive),
            linkOptions: Self.linkOptions(configuration),
            fellBackToLocal: choice.fellBackToLocal, sourceWarnings: warnings)
    }

    /// The audio path for a provider: its rate, its chunk length, and the DSP the configuration
    /// asks for, with hark's turn detector on for providers that leave turns to the client.
    package static func pipeline(
        _ configuration: Configuration, adapter: any ProviderAdapter, sourceIsLive: Bool
    ) -> AudioPipeline.Configuration {
        var processing = AudioProcessingOptions(configuration: configuration, sourceIsLive: sourceIsLive)
        processing.maxTurnLength = adapter.maxClientTurnLength
        return AudioPipeline.Configuration(
            outputRate: adapter.audio.sampleRate,
            chunkDuration: .milliseconds(chunkMilliseconds(configuration, adapter: adapter)),
            processing: processing)
    }

    /// Retry, replay and timer settings from the configuration.
    ///
    /// A live source keeps trying and drops its oldest audio when the replay buffer is full; a
    /// file gives up after 5 attempts and waits for room.
    package static func sessionOptions(_ configuration: Configuration, sourceIsLive: Bool) -> SessionOptions {
        SessionOptions(
            backoff: Backoff(
                base: configuration.retryBaseSeconds, cap: configuration.retryCapSeconds,
                maxAttempts: configuration.retryAttempts ?? (sourceIsLive ? nil : 5)),
            replayCapacity: configuration.replaySeconds, dropsOldestWhenFull: sourceIsLive,
            finishTimeout: .milliseconds(Int(configuration.finishTimeoutSeconds * 1000)),
            // Confirming the session (OpenAI's session.updated) is the last step of connecting.
            readyTimeout: .milliseconds(Int(configuration.connectTimeoutSeconds * 1000)),
            silentServerTimeout: .milliseconds(Int(configuration.serverSilenceTimeoutSeconds * 1000)),
            sessionLimit: configuration.sessionLimitSeconds.map { .milliseconds(Int($0 * 1000)) })
    }

    /// Proxy, CA bundle and connect timeout for the transport.
    package static func linkOptions(_ configuration: Configuration) -> LinkOptions {
        LinkOptions(
            proxy: configuration.proxy, caBundle: configuration.caBundle,
            connectTimeout: .milliseconds(Int(configuration.connectTimeoutSeconds * 1000)))
    }

    /// Seconds per block read from a file: one chunk when paced, 40 ms when unpaced.
    ///
    /// A paced file wakes the process once per block, and the provider sees nothing before a
    /// chunk is complete anyway, so blocks of one chunk cost no latency. `make bench` measured
    /// 40 ms blocks at live pace at 0.39 CPU-seconds per audio minute, almost all of it in the
    /// 25 wake-ups a second (futex, timer and epoll calls), against 0.05 unpaced.
    static func fileBlockDuration(_ configuration: Configuration, speed: PacingSpeed, adapter: any ProviderAdapter)
        -> Double
    {
        guard case .times = speed else { return 0.04 }
        return Double(chunkMilliseconds(configuration, adapter: adapter)) / 1000
    }

    /// `--chunk-ms` when given, else the length the provider (or its model) asks for.
    static func chunkMilliseconds(_ configuration: Configuration, adapter: any ProviderAdapter) -> Int {
        configuration.chunkMilliseconds ?? adapter.chunkMilliseconds
    }

    private static func paced(_ source: FileAudioSource, speed: PacingSpeed) -> any AudioSource {
        PacedAudioSource(source, speed: speed)
    }

    /// Opens the right link for a provider's transport.
    package static func linkOpener(options: LinkOptions) -> LinkOpener {
        { adapter, request in
            switch type(of: adapter).descriptor.transport {
            case .webSocket:
                return try await WebSocketLink.connect(request, options: options)
            case .inProcess:
                return try adapter.makeInProcessLink()
            case .grpc:
                let provider = type(of: adapter).descriptor.displayName
                // grpc-swift's HTTP/2 transport has no proxy support: say so rather than
                // connect around the proxy the user asked for.
                if options.proxy != nil {
                    throw ProviderError.invalidOption(
                        provider: provider, option: "--proxy",
                        hint: "\(provider) streams over gRPC, which hark cannot send through a proxy. "
                            + "Remove --proxy (and the proxy setting in the configuration file) to connect directly")
                }
                do throws(GRPCBridgeError) {
                    return try GRPCBridgeLink.connect(request, options: options)
                } catch {
                    // A missing or broken installation: retrying cannot help.
                    throw ProviderError.notInstalled(provider: provider, hint: error.description)
                }
            }
        }
    }

    /// What the rendering task receives: the session's events, and stderr lines from other
    /// tasks, which must not be written while the live view's interim is on the terminal.
    private enum RenderInput: Sendable {
        case event(TranscriptEvent)
        case statusLine(String)
        /// The level meter's latest text, drawn by the live view's owner.
        case meter(String)
    }

    /// Renders events until the session ends; a reader that went away stops the run quietly.
    private static func render(
        _ inputs: AsyncStream<RenderInput>, prepared: PreparedRun, stop: StopRequest,
        outputClosed: LockedValue<Bool>, diagnostics: @escaping @Sendable (String) -> Void
    ) async throws {
        var output = try OutputSet(prepared: prepared)
        for await input in inputs {
            do {
                switch input {
                case .event(let event): try output.render(event, diagnostics: diagnostics)
                case .statusLine(let line): try output.printStatus(line, diagnostics: diagnostics)
                case .meter(let text): output.showMeter(text)
                }
            } catch OutputError.readerClosed {
                // `hark | head -1`: the reader has what it wanted; stop quietly.
                outputClosed.withLock { $0 = true }
                stop.request()
                return
            }
        }
        do {
            try output.finish()
        } catch OutputError.readerClosed {
            // The reader left just as the last line was written: still not a failure.
            outputClosed.withLock { $0 = true }
        }
    }

    /// Runs a prepared transcription until the input ends or `stop` is requested.
    ///
    /// Every task of the run prefers one `RunThreadExecutor`: their many hand-offs per chunk
    /// then stay on one thread instead of waking pool threads, and its timers pace the input.
    /// - Parameter diagnostics: receives lines for stderr (status, notices).
    package static func run(
        _ prepared: PreparedRun, stop: StopRequest, diagnostics: @escaping @Sendable (String) -> Void
    ) async throws -> RunResult {
        let executor = RunThreadExecutor(name: "hark run")
        defer { executor.shutdown() }
        return try await RunThreadExecutor.$current.withValue(executor) {
            try await withTaskExecutorPreference(executor) {
                try await runOnPreferredExecutor(prepared, stop: stop, diagnostics: diagnostics)
            }
        }
    }

    private static func runOnPreferredExecutor(
        _ prepared: PreparedRun, stop: StopRequest, diagnostics: @escaping @Sendable (String) -> Void
    ) async throws -> RunResult {
        let request = prepared.request
        let configuration = request.configuration
        let adapter = prepared.adapter
        let pipelineConfiguration = prepared.pipeline
        let format = prepared.source.format
        let session = TranscriptionSession(
            adapter: adapter, options: prepared.session, openLink: linkOpener(options: prepared.linkOptions),
            makeEncoder: { requirements in
                try makePayloadEncoder(
                    requirements.encoding, sampleRate: requirements.sampleRate, bitrate: configuration.bitrate)
            })
        let (inputs, continuation) = AsyncStream.makeStream(of: RenderInput.self)
        let outputClosed = LockedValue(false)

        let runSource = prepared.source
        let recorder = try configuration.saveAudio.map {
            try WAVFileWriter(path: $0, sampleRate: format.sampleRate, channels: format.channels)
        }
        defer {
            if let recorder, let failure = recorder.close() {
                diagnostics("hark: could not write all of \(recorder.path): \(failure)")
            }
        }
        let isFile = !runSource.isLive
        // On one terminal with the transcript, the meter is drawn by the rendering task, which
        // knows when the row is free.
        var meterToRenderer: (@Sendable (String) -> Void)?
        if request.stdoutIsTerminal && request.stderrIsTerminal {
            meterToRenderer = { text in _ = continuation.yield(.meter(text)) }
        }
        let monitor = InputMonitor(
            showMeter: configuration.meter && request.stderrIsTerminal,
            showProgress: isFile && request.stderrIsTerminal && !request.stdoutIsTerminal,
            watchSilence: runSource.isLive, duration: runSource.duration,
            hint: { line in
                // Through the rendering task while it runs; directly once it has ended.
                if case .terminated = continuation.yield(.statusLine(line)) { diagnostics(line) }
            },
            redraw: meterToRenderer)
        let observe: @Sendable (AudioBlock) -> Void = { block in
            recorder?.append(block)
            if monitor.isActive { monitor.observe(block) }
        }
        let makePipeline: @Sendable () throws -> AudioPipeline = {
            AudioPipeline(
                inputRate: format.sampleRate, inputChannels: format.channels, configuration: pipelineConfiguration)
        }
        let statusLines: @Sendable (String) -> Void = { line in
            monitor.clearLine()
            if let capture = runSource as? ALSACapture {
                let counters = capture.counters
                if counters.overruns > 0 || counters.droppedBlocks > 0 || counters.suspensions > 0 {
                    let dropped = Double(counters.droppedFrames) / Double(max(format.sampleRate, 1))
                    diagnostics(
                        "hark: capture from '\(capture.device)': \(counters.overruns) overrun(s), \(counters.suspensions) suspension(s), \(counters.droppedBlocks) block(s) (\(Int(dropped * 1000)) ms) dropped because processing fell behind"
                    )
                }
            }
            diagnostics(line)
        }

        let outcome: SessionOutcome?
        do {
            outcome = try await withThrowingTaskGroup(of: SessionOutcome?.self) { group in
                group.addTask {
                    defer { continuation.finish() }
                    return try await session.run(
                        source: runSource, makePipeline: makePipeline, stop: stop,
                        emit: { continuation.yield(.event($0)) }, observe: observe)
                }
                group.addTask {
                    try await Self.render(
                        inputs, prepared: prepared, stop: stop, outputClosed: outputClosed, diagnostics: statusLines)
                    return nil
                }
                var outcome: SessionOutcome?
                while let result = try await group.next() {
                    if let result { outcome = result }
                    if outputClosed.value { group.cancelAll() }
                }
                return outcome
            }
        } catch  where outputClosed.value {
            outcome = nil
        }
        monitor.clearLine()
        return RunResult(
            outcome: outcome ?? SessionOutcome(summary: SessionSummary(), sourceError: nil, lostRanges: []),
            warnings: prepared.sourceWarnings?.all ?? [], outputClosed: outputClosed.value)
    }
}
