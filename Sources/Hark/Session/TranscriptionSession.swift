import Synchronization

/// One transcription run: audio from a source through the pipeline to a provider, events back.
///
/// The session is the only owner of links and the tasks around them. It connects while capture
/// already runs (audio waits in the backlog), sends chunks, keeps idle sessions alive, maps
/// provider times onto the input timeline, reconnects with backoff after transient failures and
/// replays every chunk the provider had not finalized, and at the end asks the provider to
/// finish and waits for its last results. Adapters stay free of I/O.
package struct TranscriptionSession: Sendable {
    package let adapter: any ProviderAdapter
    package let options: SessionOptions
    private let openLink: LinkOpener
    let makeEncoder: PayloadEncoderFactory
    /// What every timer of the session reads and waits on; tests pass one they move themselves.
    let clock: any SessionClock

    package init(
        adapter: any ProviderAdapter, options: SessionOptions, openLink: @escaping LinkOpener,
        makeEncoder: @escaping PayloadEncoderFactory, clock: any SessionClock = RunClock()
    ) {
        self.adapter = adapter
        self.options = options
        self.openLink = openLink
        self.makeEncoder = makeEncoder
        self.clock = clock
    }

    /// Runs until the input ends (or `stop` is requested) and the provider has delivered its
    /// last results.
    /// - Parameters:
    ///   - source: where audio comes from.
    ///   - makePipeline: makes the pipeline that turns the source's blocks into chunks at the
    ///     provider's rate (made inside the task that owns it: its C stages are not Sendable).
    ///   - stop: a graceful stop request (Ctrl-C).
    ///   - emit: receives every event, with times on the input timeline, in order.
    ///   - observe: sees every block read from the source (recording, level meter, progress).
    /// - Throws: `SessionError` when the provider fails for good.
    package func run(
        source: any AudioSource, makePipeline: @escaping @Sendable () throws -> AudioPipeline, stop: StopRequest,
        emit: @escaping @Sendable (TranscriptEvent) -> Void, observe: (@Sendable (AudioBlock) -> Void)? = nil
    ) async throws -> SessionOutcome {
        let backlog = AudioBacklog(
            capacity: options.replayCapacity, dropsOldestWhenFull: options.dropsOldestWhenFull)
        let captured = LockedValue<Double>(0)
        let sourceError = LockedValue<AudioSourceError?>(nil)
        let reconnects = LockedValue(0)

        try await withThrowingTaskGroup(of: RunPart.self) { group in
            group.addTask {
                try await Self.feed(
                    source: source, makePipeline: makePipeline, backlog: backlog, stop: stop, captured: captured,
                    sourceError: sourceError, emit: emit, observe: observe)
                return .input
            }
            group.addTask {
                try await self.transcribe(backlog: backlog, reconnects: reconnects, emit: emit)
                return .transcript
            }
            // The run ends when the transcript is complete, or when anything throws.
            do {
                while let part = try await group.next() {
                    if part == .transcript { break }
                }
            } catch {
                group.cancelAll()
                throw error
            }
            group.cancelAll()
            while (try? await group.next()) != nil {}
        }
        let lost = backlog.lostRanges
        let summary = SessionSummary(
            secondsCaptured: captured.withLock { $0 }, secondsSent: backlog.secondsSent,
            secondsLost: lost.reduce(0) { $0 + ($1.upperBound - $1.lowerBound) },
            reconnects: reconnects.withLock { $0 })
        emit(.status(.summary(summary)))
        return SessionOutcome(summary: summary, sourceError: sourceError.withLock { $0 }, lostRanges: lost)
    }

    private enum RunPart: Sendable {
        case input, transcript
    }

    // MARK: - Capture side

    /// Reads the source through the pipeline into the backlog until the input ends, fails, or a
    /// stop is requested; then flushes the pipeline and marks the end of the input.
    private static func feed(
        source: any AudioSource, makePipeline: @escaping @Sendable () throws -> AudioPipeline, backlog: AudioBacklog,
        stop: StopRequest,
        captured: LockedValue<Double>, sourceError: LockedValue<AudioSourceError?>,
        emit: @escaping @Sendable (TranscriptEvent) -> Void, observe: (@Sendable (AudioBlock) -> Void)?
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                var pipeline = try makePipeline()
                // The real clock, not the session's: this is about sharing the run's thread.
                let isLive = source.isLive
                var lastYield = ContinuousClock.now
                do {
                    for try await block in source.blocks() {
                        let blockArrived = PerformanceTrace.isEnabled ? PerformanceTrace.now() : 0
                        captured.withLock { $0 += block.duration }
                        observe?(block)
                        for chunk in try pipeline.process(block) {
                            PerformanceTrace.record("chunk_ready", at: blockArrived)
                            await Self.append(chunk, to: backlog, emit: emit)
                        }
                        // The run's tasks share one thread (RunThreadExecutor), and a live
                        // source that always has the next block ready (an unpaced capture
                        // device, a machine slower than real time) never suspends here: let the
                        // session's tasks run at least every 20 ms, or it never connects, sends
                        // or sees a stop request. Only for live sources, and only then: a file
                        // waits for room in the backlog instead, and on a shared pool (the
                        // tests) each yield waits behind every other ready job. (The clock is
                        // read only for live sources.)
                        if isLive, ContinuousClock.now - lastYield >= .milliseconds(20) {
                            await Task.yield()
                            lastYield = ContinuousClock.now
                        }
                    }
                } catch let error as AudioSourceError {
                    // Everything read before the failure is still transcribed; the error is
                    // reported after that.
                    sourceError.withLock { $0 = error }
                }
                // Reached at the end of the input, and when a stop cancelled the reading.
                for chunk in try pipeline.finish() {
                    PerformanceTrace.record("chunk_ready")
                    await Self.append(chunk, to: backlog, emit: emit)
                }
                backlog.finishInput()
            }
            group.addTask {
                await stop.wait()
            }
            // Whichever ends first: the input, or a stop request that cancels the reading.
            try await group.next()
            group.cancelAll()
            try await group.waitForAll()
        }
    }

    private static func append(
        _ chunk: AudioChunk, to backlog: AudioBacklog, emit: @Sendable (TranscriptEvent) -> Void
    ) async {
        if let lost = await backlog.append(chunk) {
            emit(
                .status(
                    .audioLost(
                        from: lost.lowerBound, to: lost.upperBound,
                        reason: "the provider was unreachable for longer than the replay buffer holds")))
        }
    }

    // MARK: - Provider side

    /// Connects, streams, and reconnects until the provider has finished the whole input.
    private func transcribe(
        backlog: AudioBacklog, reconnects: LockedValue<Int>, emit: @escaping @Sendable (TranscriptEvent) -> Void
    ) async throws {
        let descriptor = type(of: adapter).descriptor
        let replay = LockedValue(ReplayFilter())
        var retries = RetryPolicy.Series(backoff: options.backoff, healthyAfter: options.healthyAfter)
        var generation = 0
        while true {
            let started = clock.now
            let finalsBefore = replay.value.lastFinalEnd
            let end: StreamEnd
            do {
                try await adapter.prepareCredentials()
                let request = try adapter.connectionRequest()
                let link = try await openLink(adapter, request)
                emit(.status(.connected(provider: descriptor.name, requestID: nil)))
                end = try await stream(
                    over: link, backlog: backlog, replaying: generation > 0, replay: replay, emit: emit)
            } catch {
                try Task.checkCancellation()
                let failure = providerError(for: error)
                var generator = SystemRandomNumberGenerator()
                let decision = retries.decision(
                    after: failure, lived: clock.now - started,
                    finalsAdvanced: replay.value.lastFinalEnd > finalsBefore,
                    inputHasEnded: backlog.inputHasEnded, using: &generator)
                switch decision {
                case .fail:
                    throw SessionError.providerFailed(failure)
                case .giveUp(let attempts):
                    if let pending = backlog.pendingRange {
                        emit(
                            .status(
                                .audioLost(
                                    from: pending.lowerBound, to: pending.upperBound,
                                    reason: "\(descriptor.displayName) could not be reached to transcribe it")))
                    }
                    throw SessionError.providerUnavailable(failure, attempts: attempts)
                case .continueAtOnce:
                    emit(.status(.reconnecting(reason: failure.description, delay: 0, attempt: 1)))
                case .retry(let attempt, let delay):
                    emit(.status(.reconnecting(reason: failure.description, delay: delay, attempt: attempt)))
                    try await clock.sleep(for: .milliseconds(Int((delay * 1000).rounded())))
                }
                reconnects.withLock { $0 += 1 }
                generation += 1
                backlog.rewind()
                continue
            }
            switch end {
            case .inputFinished:
                return
            case .rotationDue:
                // Planned: a fresh session before the provider's limit, at once, replaying what
                // the old one had not finalized. Not a failure, so no backoff.
                generation += 1
                backlog.rewind()
            case .closedWhenIdle:
                // Closed while idle (the gate held audio back): the provider delivered everything
                // it heard and nothing is pending, so this is neither a failure nor a reconnect.
                // The next stream opens only when audio comes, or never if the input ends first.
                retries.connectionEndedCleanly()
                guard try await backlog.waitForAudio() else { return }
            }
        }
    }

    /// What an error from a link or decoder means.
    private func providerError(for error: any Error) -> ProviderError {
        let name = type(of: adapter).descriptor.displayName
        switch error {
        case let error as ProviderError: return error
        case let failure as LinkFailure: return adapter.error(for: failure)
        case let error as SessionTimeout: return .unavailable(provider: name, hint: error.description)
        default: return .protocolError(provider: name, hint: String(describing: error))
        }
    }
}
