import Synchronization

/// Opens a link for a connection request; the CLI passes the real one (WebSocket, gRPC,
/// in-process), tests pass in-memory links.
package typealias LinkOpener =
    @Sendable (_ adapter: any ProviderAdapter, _ request: ConnectionRequest) async throws ->
    any ProviderLink

/// Makes the payload encoder for one connection.
package typealias PayloadEncoderFactory =
    @Sendable (_ requirements: AudioRequirements) throws ->
    any AudioPayloadEncoder

/// Limits and timers of a run.
package struct SessionOptions: Sendable {
    package var backoff: Backoff
    /// Seconds of unacknowledged audio kept for replay after a reconnect.
    package var replayCapacity: Double
    /// Live sources drop the oldest audio when the backlog is full; files wait instead.
    package var dropsOldestWhenFull: Bool
    /// How long to wait for the provider's last results after asking it to finish.
    package var finishTimeout: Duration
    /// How long to wait for a provider that must confirm its session before audio flows.
    package var readyTimeout: Duration
    /// A connection that sends nothing for this long while audio flows is treated as dead.
    package var silentServerTimeout: Duration?
    /// A connection that lived this long resets the backoff.
    package var healthyAfter: Duration
    /// Rotate to a new provider session before this age (from the provider's maximum session
    /// length): after the first final past 85 % of it, or at 95 % regardless.
    package var sessionLimit: Duration?

    package init(
        backoff: Backoff = Backoff(), replayCapacity: Double = 120, dropsOldestWhenFull: Bool = false,
        finishTimeout: Duration = .seconds(10), readyTimeout: Duration = .seconds(10),
        silentServerTimeout: Duration? = .seconds(30), healthyAfter: Duration = .seconds(10),
        sessionLimit: Duration? = nil
    ) {
        self.backoff = backoff
        self.replayCapacity = replayCapacity
        self.dropsOldestWhenFull = dropsOldestWhenFull
        self.finishTimeout = finishTimeout
        self.readyTimeout = readyTimeout
        self.silentServerTimeout = silentServerTimeout
        self.healthyAfter = healthyAfter
        self.sessionLimit = sessionLimit
    }
}

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
    private let makeEncoder: PayloadEncoderFactory

    package init(
        adapter: any ProviderAdapter, options: SessionOptions, openLink: @escaping LinkOpener,
        makeEncoder: @escaping PayloadEncoderFactory
    ) {
        self.adapter = adapter
        self.options = options
        self.openLink = openLink
        self.makeEncoder = makeEncoder
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
                        // tests) each yield waits behind every other ready job.
                        let now = ContinuousClock.now
                        if source.isLive, now - lastYield >= .milliseconds(20) {
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
        let lastFinalEnd = LockedValue<Double>(-1)
        var attempt = 0
        var generation = 0
        while true {
            let started = ContinuousClock.now
            let finalsBefore = lastFinalEnd.value
            do {
                try await adapter.prepareCredentials()
                let request = try adapter.connectionRequest()
                let link = try await openLink(adapter, request)
                emit(.status(.connected(provider: descriptor.name, requestID: nil)))
                let end = try await stream(
                    over: link, backlog: backlog, generation: generation, lastFinalEnd: lastFinalEnd, emit: emit)
                if end == .inputFinished { return }
                // Closed while idle (the gate held audio back): the provider delivered everything
                // it heard and nothing is pending, so this is neither a failure nor a reconnect.
                // The next stream opens only when audio comes, or never if the input ends first.
                attempt = 0
                guard try await backlog.waitForAudio() else { return }
                continue
            } catch is SessionRotation {
                // Planned: a fresh session before the provider's limit, at once, replaying
                // what the old one had not finalized. Not a failure, so no backoff.
                generation += 1
                backlog.rewind()
                continue
            } catch {
                try Task.checkCancellation()
                let failure = providerError(for: error)
                // A connection that lived a while, or got words finalized, was healthy: the
                // failure after it starts a new series of attempts.
                let wasHealthy =
                    ContinuousClock.now - started >= options.healthyAfter || lastFinalEnd.value > finalsBefore
                if wasHealthy { attempt = 0 }
                if case .sessionLimitReached = failure, wasHealthy {
                    // The provider ended a healthy session at its limit: continue in a new one at
                    // once, as a rotation does, so the stream shows no gap. (An unhealthy one
                    // goes through the backoff, so a provider that ends every session at once
                    // is not hammered.)
                    emit(.status(.reconnecting(reason: failure.description, delay: 0, attempt: 1)))
                    reconnects.withLock { $0 += 1 }
                    generation += 1
                    backlog.rewind()
                    continue
                }
                attempt += 1
                switch RetryPolicy.verdict(for: failure) {
                case .fail:
                    throw SessionError.providerFailed(failure)
                case .retry(let after):
                    // Once the input has ended (end of file, Ctrl-C), even an unlimited budget
                    // (a microphone) gets a bounded number of attempts: the user is waiting.
                    let limit =
                        backlog.inputHasEnded ? min(options.backoff.maxAttempts ?? 5, 5) : options.backoff.maxAttempts
                    guard limit.map({ attempt <= $0 }) ?? true else {
                        if let pending = backlog.pendingRange {
                            emit(
                                .status(
                                    .audioLost(
                                        from: pending.lowerBound, to: pending.upperBound,
                                        reason: "\(descriptor.displayName) could not be reached to transcribe it")))
                        }
                        throw SessionError.providerUnavailable(failure, attempts: attempt)
                    }
                    var generator = SystemRandomNumberGenerator()
                    let delay = options.backoff.delay(attempt: attempt, minimum: after, using: &generator)
                    emit(.status(.reconnecting(reason: failure.description, delay: delay, attempt: attempt)))
                    try await Task.sleep(for: .milliseconds(Int((delay * 1000).rounded())))
                    reconnects.withLock { $0 += 1 }
                    generation += 1
                    backlog.rewind()
                }
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

    /// How a connection ended without failing.
    private enum StreamEnd: Sendable, Equatable {
        /// The input ended and the provider finished all of it.
        case inputFinished
        /// No audio came for the adapter's `closeWhenIdle` interval: the provider finished what
        /// it had, and the input goes on in a new connection once audio comes.
        case closedWhenIdle
    }

    /// One connection: sends audio from the backlog and decodes results until the provider has
    /// finished (returns) or the link fails (throws).
    private func stream(
        over link: any ProviderLink, backlog: AudioBacklog, generation: Int, lastFinalEnd: LockedValue<Double>,
        emit: @escaping @Sendable (TranscriptEvent) -> Void
    ) async throws -> StreamEnd {
        let timeline = LockedValue(StreamTimeline())
        let ready = AsyncSignal()
        let finishSent = AsyncSignal()
        // Set before the finish messages go out, so an answer racing their send is recognised.
        let finishing = LockedValue(false)
        let lastHeard = LockedValue(ContinuousClock.now)
        let finishWatch = LockedValue(FinishWatch(timeout: options.finishTimeout))
        // The decoder saw the provider's last message of a finish (see `finishConfirmedByClose`).
        let lastMessageHeard = LockedValue(false)
        let rotation = RotationClock(
            limit: options.sessionLimit ?? type(of: adapter).descriptor.capabilities.maxSessionLength)
        let adapter = self.adapter
        let options = self.options
        let makeEncoder = self.makeEncoder
        let timerDeadline = SenderTimerDeadline()
        let senderEnd = LockedValue(StreamEnd.inputFinished)
        // What the sender did that the decoder must know before it reads the answers to it.
        let actions = LockedValue<[SessionAction]>([])

        do {
            for message in adapter.openingMessages() { try await link.send(message) }
            try await withThrowingTaskGroup(of: ConnectionEnd.self) { group in
                group.addTask {
                    var decoder = adapter.makeDecoder()
                    if decoder.isReady { ready.signal() }
                    var messageNumber = 0
                    // The provider's own way of ending a session it was asked to finish, when it
                    // is a failure of the link (Deepgram Flux closes without a status code after
                    // CloseStream).
                    var closedAsFinish = false
                    do {
                        for try await message in link.inbound {
                            messageNumber += 1
                            let heardAt = ContinuousClock.now
                            lastHeard.withLock { $0 = heardAt }
                            finishWatch.withLock { $0.heard(at: heardAt) }
                            for action in actions.withLock({ $0.removeAllReturning() }) {
                                decoder.sessionDid(action)
                            }
                            let events = try decoder.decode(message)
                            if decoder.isReady { ready.signal() }
                            for event in events {
                                let emittedFinal = Self.deliver(
                                    event, timeline: timeline, backlog: backlog, lastFinalEnd: lastFinalEnd,
                                    replaying: generation > 0, emit: emit)
                                if emittedFinal { PerformanceTrace.record("final_emitted", detail: messageNumber) }
                                // A rotation that became due must not wait for the next chunk.
                                if case .final = event, rotation.finalArrived() { backlog.wake() }
                            }
                            // A provider may end the session before hark asked it to (AssemblyAI's
                            // Termination before its 3008 close at the session limit): read on, so
                            // the close that follows says why, and the stream continues in a new session.
                            if decoder.isFinished, finishing.value {
                                // Providers that close after their last message confirm the finish
                                // by closing cleanly; an error close instead throws from the loop.
                                guard adapter.finishConfirmedByClose else { return .finished }
                                lastMessageHeard.withLock { $0 = true }
                            }
                        }
                    } catch let failure as LinkFailure
                        where finishing.value && adapter.endsSessionAfterFinish(failure)
                    {
                        closedAsFinish = true
                    }
                    if finishing.value, closedAsFinish || lastMessageHeard.value {
                        // The close after the finish messages is the evidence that nothing more
                        // comes: what the decoder still holds is final now (Flux's last Update).
                        for event in decoder.eventsAtClose() {
                            Self.deliver(
                                event, timeline: timeline, backlog: backlog, lastFinalEnd: lastFinalEnd,
                                replaying: generation > 0, emit: emit)
                        }
                        return .finished
                    }
                    return .closedByProvider
                }
                group.addTask {
                    let end = try await Self.send(
                        adapter: adapter, encoder: try makeEncoder(adapter.audio), link: link, backlog: backlog,
                        timeline: timeline, ready: ready, lastHeard: lastHeard, rotation: rotation,
                        finishing: finishing, timerDeadline: timerDeadline, actions: actions, options: options)
                    senderEnd.withLock { $0 = end }
                    timerDeadline.set(nil)
                    finishWatch.withLock { $0.finishRequested(at: .now) }
                    finishSent.signal()
                    return .finishSent
                }
                group.addTask {
                    try await Self.wakeSender(at: timerDeadline, backlog: backlog)
                    return .timerEnded
                }
                group.addTask {
                    // Bounds the wait for the last results once the finish messages are out;
                    // every message from the provider moves the limit on (see FinishWatch).
                    await finishSent.wait()
                    while true {
                        switch finishWatch.withLock({ $0.verdict(at: .now) }) {
                        case .waiting(let until)?: try await Task.sleep(until: until, clock: .continuous)
                        case .silentConnection?: return .finishTimedOut
                        case .unanswered?, nil: return .finishUnanswered
                        }
                    }
                }
                while let end = try await group.next() {
                    switch end {
                    case .finishSent, .timerEnded:
                        break
                    case .finished:
                        group.cancelAll()
                        backlog.acknowledgeAll()
                        return
                    case .finishTimedOut:
                        group.cancelAll()
                        // A connection that never said a word is gone, not slow: replace it, so
                        // the audio it never answered is sent again.
                        throw SessionTimeout(
                            phase:
                                "waiting for the provider's last results: it sent nothing for \(options.finishTimeout) after the end of the audio"
                        )
                    case .finishUnanswered:
                        group.cancelAll()
                        // Its last message came but not the close after it: finished all the same.
                        if lastMessageHeard.value {
                            backlog.acknowledgeAll()
                            return
                        }
                        // It answered before but not the finish: what it never finalized is
                        // reported as not transcribed (exit 75), never dropped in silence.
                        if let range = backlog.dropUnanswered() {
                            emit(
                                .status(
                                    .audioLost(
                                        from: range.lowerBound, to: range.upperBound,
                                        reason:
                                            "\(type(of: adapter).descriptor.displayName) did not finish transcribing it: no answer for \(options.finishTimeout) after hark asked for its last results"
                                    )))
                        }
                        return
                    case .closedByProvider:
                        group.cancelAll()
                        // A half-close is answered by the end of the stream with its status: that
                        // end is the evidence (an error status throws instead).
                        if finishing.value, adapter.finishesByHalfClose {
                            backlog.acknowledgeAll()
                            return
                        }
                        // Any other clean close before the decoder saw the provider's last word
                        // (a session limit, a server ending the session while the finish messages
                        // were in flight) is not a finish: reconnect and replay what is not final.
                        throw LinkFailure.closed(
                            code: 1000,
                            reason: finishing.value
                                ? "closed by the provider before it finished transcribing the audio"
                                : "closed by the provider before the end of the input")
                    }
                }
            }
        } catch {
            await link.abort()
            throw error
        }
        await link.close()
        return senderEnd.value
    }

    private enum ConnectionEnd: Sendable {
        case finished, closedByProvider, finishSent, finishTimedOut, finishUnanswered, timerEnded
    }

    /// Wakes the sender when its next timer (keep-alive, silent server, rotation) is due while
    /// no audio arrives; sleeps for as long as nothing is due.
    ///
    /// Deadlines instead of a periodic tick: a tick woke the process every second whatever
    /// happened (four context switches each, measured), while audio flowing every 250 ms already
    /// lets the sender check its timers on every chunk.
    private static func wakeSender(at deadline: SenderTimerDeadline, backlog: AudioBacklog) async throws {
        while true {
            try Task.checkCancellation()
            guard let due = deadline.current else {
                await deadline.movedEarlier.wait()
                continue
            }
            if due <= .now {
                deadline.clear(ifStill: due)
                backlog.wake()
                continue
            }
            // Until it is due, or until the sender sets an earlier deadline.
            await withTaskGroup(of: Void.self) { group in
                group.addTask { try? await RunThreadExecutor.sleep(until: due) }
                group.addTask { await deadline.movedEarlier.wait() }
                await group.next()
                group.cancelAll()
            }
        }
    }

    /// The sending half of a connection.
    private static func send(
        adapter: any ProviderAdapter, encoder: consuming any AudioPayloadEncoder, link: any ProviderLink,
        backlog: AudioBacklog, timeline: LockedValue<StreamTimeline>, ready: AsyncSignal,
        lastHeard: LockedValue<ContinuousClock.Instant>, rotation: RotationClock, finishing: LockedValue<Bool>,
        timerDeadline: SenderTimerDeadline, actions: LockedValue<[SessionAction]>, options: SessionOptions
    ) async throws -> StreamEnd {
        var encoder = encoder
        if adapter.waitsForReady {
            try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    await ready.wait()
                    return true
                }
                group.addTask {
                    try await Task.sleep(for: options.readyTimeout)
                    return false
                }
                let confirmed = try await group.next() ?? false
                group.cancelAll()
                if !confirmed { throw SessionTimeout(phase: "waiting for the provider to confirm the session") }
            }
        }
        var lastAudio = ContinuousClock.now
        var lastKeepAlive = ContinuousClock.now
        // Providers that refuse audio faster than real time (AssemblyAI's 3007, Google's
        // OUT_OF_RANGE) get each connection paced to their limit past the burst they allow.
        let pace = SendPace(type(of: adapter).descriptor.capabilities)
        let connectionStart = ContinuousClock.now
        var secondsOnConnection: Double = 0
        var lastInputEnd: Double = 0
        var sentAudio = false
        while true {
            try Task.checkCancellation()
            if rotation.isDue { throw SessionRotation() }
            // Checked on every turn, not only when idle: a paced replay keeps chunks flowing for
            // as long as the backlog lasts, and a silent server must not go unnoticed meanwhile.
            let now = ContinuousClock.now
            if let limit = options.silentServerTimeout, sentAudio, now - lastAudio < limit,
                now - lastHeard.withLock({ $0 }) >= limit
            {
                throw SessionTimeout(phase: "waiting for the provider: it sent nothing for \(limit) while audio flowed")
            }
            // The earliest moment a timer below could fire if no audio arrives before it.
            var due = rotation.hardDeadline
            switch adapter.keepAlive {
            case .none: break
            case .message(_, let interval), .silence(let interval):
                due = earliest(due, max(lastAudio, lastKeepAlive) + interval)
            case .closeWhenIdle(let after):
                due = earliest(due, lastAudio + after)
            }
            if let limit = options.silentServerTimeout, sentAudio, now - lastAudio < limit {
                due = earliest(due, lastHeard.value + limit)
            }
            timerDeadline.set(due)
            switch await backlog.next() {
            case .chunk(let chunk):
                if let pace {
                    let allowed = pace.earliestSend(afterSending: secondsOnConnection, since: connectionStart)
                    if allowed > .now { try await Task.sleep(until: allowed) }
                }
                secondsOnConnection += chunk.duration
                let streamEnd = timeline.withLock { timeline in
                    timeline.append(inputStart: chunk.inputStart, duration: chunk.duration)
                    return timeline.streamEnd
                }
                if let speechStart = chunk.speechStart {
                    let at = streamEnd - (chunk.inputEnd - speechStart)
                    actions.withLock { $0.append(.speechStarted(at: max(0, at))) }
                }
                let payload = try encoder.encode(chunk)
                if !payload.isEmpty {
                    for message in adapter.audioMessages(payload) { try await link.send(message) }
                }
                if chunk.endsSpeech {
                    let messages = adapter.speechEndedMessages()
                    if !messages.isEmpty {
                        // The audio from the speech's end to here is contiguous (the pause).
                        let speechEnd = chunk.speechEnd.map { streamEnd - (chunk.inputEnd - $0) } ?? streamEnd
                        actions.withLock {
                            $0.append(.speechEnded(speechEnd: min(max(0, speechEnd), streamEnd), sentAt: streamEnd))
                        }
                    }
                    for message in messages { try await link.send(message) }
                }
                if !sentAudio { lastHeard.withLock { $0 = .now } }
                sentAudio = true
                lastAudio = .now
                lastInputEnd = chunk.inputEnd
            case .idle:
                let now = ContinuousClock.now
                switch adapter.keepAlive {
                case .none:
                    break
                case .message(let message, let interval):
                    if now - lastAudio >= interval, now - lastKeepAlive >= interval {
                        try await link.send(message)
                        lastKeepAlive = now
                    }
                case .silence(let interval):
                    if now - lastAudio >= interval, now - lastKeepAlive >= interval {
                        let silence = AudioChunk(
                            samples: [Int16](repeating: 0, count: adapter.audio.sampleRate / 10),
                            sampleRate: adapter.audio.sampleRate, inputStart: lastInputEnd)
                        timeline.withLock { $0.appendFiller(duration: silence.duration, at: lastInputEnd) }
                        let payload = try encoder.encode(silence)
                        for message in adapter.audioMessages(payload) { try await link.send(message) }
                        lastKeepAlive = now
                    }
                case .closeWhenIdle(let after):
                    // `.idle` means nothing waits to be sent; audio that comes meanwhile stays in
                    // the backlog for the next connection. At the end of the input the sender
                    // finishes below instead.
                    if now - lastAudio >= after, !backlog.inputHasEnded {
                        try await Self.finish(
                            adapter: adapter, encoder: &encoder, link: link, finishing: finishing, timeline: timeline,
                            actions: actions)
                        return .closedWhenIdle
                    }
                }
            case .endOfInput:
                try await Self.finish(
                    adapter: adapter, encoder: &encoder, link: link, finishing: finishing, timeline: timeline,
                    actions: actions)
                return .inputFinished
            }
        }
    }

    /// Asks the provider to finish: the encoder's tail, the finish messages, the half-close.
    private static func finish(
        adapter: any ProviderAdapter, encoder: inout any AudioPayloadEncoder, link: any ProviderLink,
        finishing: LockedValue<Bool>, timeline: LockedValue<StreamTimeline>, actions: LockedValue<[SessionAction]>
    ) async throws {
        finishing.withLock { $0 = true }
        let tail = try encoder.finish()
        if !tail.isEmpty {
            for message in adapter.audioMessages(tail) { try await link.send(message) }
        }
        let streamEnd = timeline.withLock { $0.streamEnd }
        actions.withLock { $0.append(.finishSent(at: streamEnd)) }
        for message in adapter.finishMessages() { try await link.send(message) }
        if adapter.finishesByHalfClose { await link.close() }
    }

    /// Maps an event onto the input timeline, drops what a replay repeats, acknowledges
    /// finalized audio, and emits it.
    /// - Returns: whether a final transcript was emitted (for `PerformanceTrace`).
    @discardableResult
    private static func deliver(
        _ event: TranscriptEvent, timeline: LockedValue<StreamTimeline>, backlog: AudioBacklog,
        lastFinalEnd: LockedValue<Double>, replaying: Bool, emit: @Sendable (TranscriptEvent) -> Void
    ) -> Bool {
        let mapped = timeline.withLock { $0.map(event) }
        guard case .final(var segment) = mapped else {
            emit(mapped)
            return false
        }
        let previousEnd = lastFinalEnd.withLock { $0 }
        if replaying, segment.start < previousEnd - 0.005 {
            // A reconnect re-sent audio the provider had partly finalized before: keep only
            // the words that end after what was already printed.
            if segment.end <= previousEnd + 0.005 { return false }
            if !segment.words.isEmpty {
                segment.words = segment.words.filter { $0.end > previousEnd + 0.005 }
                guard let first = segment.words.first else { return false }
                segment.text = segment.words.map(\.text).joined(separator: " ")
                segment.start = first.start
            }
        }
        var emitted = false
        if !segment.text.isEmpty || !segment.words.isEmpty {
            lastFinalEnd.withLock { $0 = max($0, segment.end) }
            emit(.final(segment))
            emitted = true
        }
        backlog.acknowledge(through: segment.end)
        return emitted
    }
}

private func earliest(_ instant: ContinuousClock.Instant?, _ other: ContinuousClock.Instant) -> ContinuousClock.Instant
{
    instant.map { min($0, other) } ?? other
}

/// When the sender of a connection next has a timer to check, shared with the task that wakes
/// it then.
final class SenderTimerDeadline: Sendable {
    private let deadline = LockedValue<ContinuousClock.Instant?>(nil)
    /// Signalled when a deadline appears or moves earlier, so a longer sleep is cut short.
    let movedEarlier = AsyncSignal()

    var current: ContinuousClock.Instant? { deadline.value }

    /// Replaces the deadline (nil: no timer).
    func set(_ instant: ContinuousClock.Instant?) {
        let earlier = deadline.withLock { deadline -> Bool in
            defer { deadline = instant }
            guard let instant else { return false }
            return deadline.map { instant < $0 } ?? true
        }
        if earlier { movedEarlier.signal() }
    }

    /// Forgets a deadline that has been acted on, unless the sender already set a new one.
    func clear(ifStill instant: ContinuousClock.Instant) {
        deadline.withLock { if $0 == instant { $0 = nil } }
    }
}

/// Thrown inside a connection to replace it with a fresh provider session before the
/// provider's own limit ends it.
struct SessionRotation: Error {}

/// When a connection should be rotated: after a final once it is past 85 % of the provider's
/// session limit (a clean cut between utterances), or at 95 % whatever is happening.
final class RotationClock: Sendable {
    private let started = ContinuousClock.now
    private let soft: Duration?
    private let hard: Duration?
    private let finalPastSoft = LockedValue(false)

    init(limit: Duration?) {
        soft = limit.map { $0 * 0.85 }
        hard = limit.map { $0 * 0.95 }
    }

    /// Called for every final: one past the soft limit makes rotation due.
    /// - Returns: true when this final made rotation due.
    @discardableResult
    func finalArrived() -> Bool {
        guard let soft, ContinuousClock.now - started >= soft else { return false }
        return finalPastSoft.withLock { pastSoft in
            defer { pastSoft = true }
            return !pastSoft
        }
    }

    /// When rotation becomes due whatever happens; nil without a session limit.
    var hardDeadline: ContinuousClock.Instant? { hard.map { started + $0 } }

    var isDue: Bool {
        guard let hard else { return false }
        return finalPastSoft.value || ContinuousClock.now - started >= hard
    }
}

/// A timer of the session ran out (no confirmation, a silent server).
package struct SessionTimeout: Error, Sendable, CustomStringConvertible {
    package var phase: String
    package var description: String { "timed out \(phase)" }
}

extension Array {
    /// Empties the array, returning what it held.
    fileprivate mutating func removeAllReturning() -> [Element] {
        defer { removeAll() }
        return self
    }
}
