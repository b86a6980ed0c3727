/// One connection of a session: its sending and receiving halves, the task that wakes the
/// sender at its next timer, and the bound on the wait for the last results.
extension TranscriptionSession {
    /// How a connection ended without failing.
    enum StreamEnd: Sendable, Equatable {
        /// The input ended and the provider finished all of it.
        case inputFinished
        /// No audio came for the adapter's `closeWhenIdle` interval: the provider finished what
        /// it had, and the input goes on in a new connection once audio comes.
        case closedWhenIdle
        /// The connection reached its rotation time (`RotationClock`): the input goes on in a
        /// fresh provider session at once.
        case rotationDue
    }

    /// What the sending and receiving halves of one connection share.
    struct Connection: Sendable {
        let adapter: any ProviderAdapter
        let link: any ProviderLink
        let backlog: AudioBacklog
        let options: SessionOptions
        let clock: any SessionClock
        let timeline = LockedValue(StreamTimeline())
        let ready = AsyncSignal()
        let finishSent = AsyncSignal()
        /// Set before the finish messages go out, so an answer racing their send is recognised.
        let finishing = LockedValue(false)
        /// The decoder saw the provider's last message of a finish (see `finishConfirmedByClose`).
        let lastMessageHeard = LockedValue(false)
        let finishWatch: LockedValue<FinishWatch>
        let silentServer: LockedValue<SilentServerWatch>
        let rotation: LockedValue<RotationClock>
        let timerDeadline = SenderTimerDeadline()
        let senderEnd = LockedValue(StreamEnd.inputFinished)
        /// What the sender did that the decoder must know before it reads the answers to it.
        let actions = LockedValue<[SessionAction]>([])

        init(
            adapter: any ProviderAdapter, link: any ProviderLink, backlog: AudioBacklog, options: SessionOptions,
            clock: any SessionClock
        ) {
            self.adapter = adapter
            self.link = link
            self.backlog = backlog
            self.options = options
            self.clock = clock
            let now = clock.now
            finishWatch = LockedValue(FinishWatch(timeout: options.finishTimeout))
            silentServer = LockedValue(SilentServerWatch(limit: options.silentServerTimeout, start: now))
            rotation = LockedValue(
                RotationClock(
                    limit: options.sessionLimit ?? type(of: adapter).descriptor.capabilities.maxSessionLength,
                    start: now))
        }
    }

    /// One connection: sends audio from the backlog and decodes results until the provider has
    /// finished or the connection is due for rotation (returns) or the link fails (throws).
    func stream(
        over link: any ProviderLink, backlog: AudioBacklog, replaying: Bool, replay: LockedValue<ReplayFilter>,
        emit: @escaping @Sendable (TranscriptEvent) -> Void
    ) async throws -> StreamEnd {
        let connection = Connection(adapter: adapter, link: link, backlog: backlog, options: options, clock: clock)
        let makeEncoder = self.makeEncoder
        let rotated: Bool
        do {
            for message in adapter.openingMessages() { try await link.send(message) }
            rotated = try await withThrowingTaskGroup(of: ConnectionEnd.self, returning: Bool.self) { group in
                group.addTask {
                    try await Self.receive(on: connection, replaying: replaying, replay: replay, emit: emit)
                }
                group.addTask {
                    let end = try await Self.send(on: connection, encoder: try makeEncoder(connection.adapter.audio))
                    connection.timerDeadline.set(nil)
                    if end == .rotationDue { return .rotationDue }
                    connection.senderEnd.withLock { $0 = end }
                    let now = connection.clock.now
                    connection.finishWatch.withLock { $0.finishRequested(at: now) }
                    connection.finishSent.signal()
                    return .finishSent
                }
                group.addTask {
                    try await Self.wakeSender(of: connection)
                    return .timerEnded
                }
                group.addTask {
                    // Bounds the wait for the last results once the finish messages are out;
                    // every message from the provider moves the limit on (see FinishWatch).
                    await connection.finishSent.wait()
                    while true {
                        let now = connection.clock.now
                        switch connection.finishWatch.withLock({ $0.verdict(at: now) }) {
                        case .waiting(let until)?: try await connection.clock.sleep(until: until)
                        case .silentConnection?: return .finishTimedOut
                        case .unanswered?, nil: return .finishUnanswered
                        }
                    }
                }
                while let end = try await group.next() {
                    switch end {
                    case .finishSent, .timerEnded:
                        break
                    case .rotationDue:
                        group.cancelAll()
                        return true
                    case .finished:
                        group.cancelAll()
                        backlog.acknowledgeAll()
                        return false
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
                        if connection.lastMessageHeard.value {
                            backlog.acknowledgeAll()
                            return false
                        }
                        // It answered before but not the finish: what it never finalized is
                        // reported as not transcribed (exit 75), never dropped in silence.
                        if let range = backlog.dropUnanswered() {
                            emit(
                                .status(
                                    .audioLost(
                                        from: range.lowerBound, to: range.upperBound,
                                        reason:
                                            "\(type(of: connection.adapter).descriptor.displayName) did not finish transcribing it: no answer for \(options.finishTimeout) after hark asked for its last results"
                                    )))
                        }
                        return false
                    case .closedByProvider:
                        group.cancelAll()
                        // A half-close is answered by the end of the stream with its status: that
                        // end is the evidence (an error status throws instead).
                        if connection.finishing.value, connection.adapter.finishesByHalfClose {
                            backlog.acknowledgeAll()
                            return false
                        }
                        // Any other clean close before the decoder saw the provider's last word
                        // (a session limit, a server ending the session while the finish messages
                        // were in flight) is not a finish: reconnect and replay what is not final.
                        throw LinkFailure.closed(
                            code: 1000,
                            reason: connection.finishing.value
                                ? "closed by the provider before it finished transcribing the audio"
                                : "closed by the provider before the end of the input")
                    }
                }
                return false
            }
        } catch {
            await link.abort()
            throw error
        }
        if rotated {
            // As any connection given up: what it had not finalized is replayed on the next.
            await link.abort()
            return .rotationDue
        }
        await link.close()
        return connection.senderEnd.value
    }

    enum ConnectionEnd: Sendable {
        case finished, closedByProvider, finishSent, finishTimedOut, finishUnanswered, timerEnded, rotationDue
    }

    /// The receiving half of a connection: decodes what the provider sends until it has
    /// finished (`.finished`) or closed (`.closedByProvider`); a failed link throws.
    static func receive(
        on connection: Connection, replaying: Bool, replay: LockedValue<ReplayFilter>,
        emit: @escaping @Sendable (TranscriptEvent) -> Void
    ) async throws -> ConnectionEnd {
        let adapter = connection.adapter
        var decoder = adapter.makeDecoder()
        if decoder.isReady { connection.ready.signal() }
        var messageNumber = 0
        // The provider's own way of ending a session it was asked to finish, when it is a
        // failure of the link (Deepgram Flux closes without a status code after CloseStream).
        var closedAsFinish = false
        do {
            for try await message in connection.link.inbound {
                messageNumber += 1
                let heardAt = connection.clock.now
                connection.silentServer.withLock { $0.heard(at: heardAt) }
                connection.finishWatch.withLock { $0.heard(at: heardAt) }
                for action in connection.actions.withLock({ $0.removeAllReturning() }) {
                    decoder.sessionDid(action)
                }
                let events = try decoder.decode(message)
                if decoder.isReady { connection.ready.signal() }
                for event in events {
                    let emittedFinal = deliver(event, on: connection, replaying: replaying, replay: replay, emit: emit)
                    if emittedFinal { PerformanceTrace.record("final_emitted", detail: messageNumber) }
                    // A rotation that became due must not wait for the next chunk.
                    if case .final = event, connection.rotation.withLock({ $0.finalArrived(at: heardAt) }) {
                        connection.backlog.wake()
                    }
                }
                // A provider may end the session before hark asked it to (AssemblyAI's
                // Termination before its 3008 close at the session limit): read on, so the close
                // that follows says why, and the stream continues in a new session.
                if decoder.isFinished, connection.finishing.value {
                    // Providers that close after their last message confirm the finish by
                    // closing cleanly; an error close instead throws from the loop.
                    guard adapter.finishConfirmedByClose else { return .finished }
                    connection.lastMessageHeard.withLock { $0 = true }
                }
            }
        } catch let failure as LinkFailure
            where connection.finishing.value && adapter.endsSessionAfterFinish(failure)
        {
            closedAsFinish = true
        }
        if connection.finishing.value, closedAsFinish || connection.lastMessageHeard.value {
            // The close after the finish messages is the evidence that nothing more comes: what
            // the decoder still holds is final now (Flux's last Update).
            for event in decoder.eventsAtClose() {
                deliver(event, on: connection, replaying: replaying, replay: replay, emit: emit)
            }
            return .finished
        }
        return .closedByProvider
    }

    /// Wakes the sender when its next timer (keep-alive, silent server, rotation) is due while
    /// no audio arrives; sleeps for as long as nothing is due.
    ///
    /// Deadlines instead of a periodic tick: a tick woke the process every second whatever
    /// happened (four context switches each, measured), while audio flowing every 250 ms already
    /// lets the sender check its timers on every chunk.
    static func wakeSender(of connection: Connection) async throws {
        let deadline = connection.timerDeadline
        while true {
            try Task.checkCancellation()
            guard let due = deadline.current else {
                await deadline.movedEarlier.wait()
                continue
            }
            if due <= connection.clock.now {
                deadline.clear(ifStill: due)
                connection.backlog.wake()
                continue
            }
            // Until it is due, or until the sender sets an earlier deadline.
            await withTaskGroup(of: Void.self) { group in
                group.addTask { try? await connection.clock.sleep(until: due) }
                group.addTask { await deadline.movedEarlier.wait() }
                await group.next()
                group.cancelAll()
            }
        }
    }

    /// The sending half of a connection.
    static func send(
        on connection: Connection, encoder: consuming any AudioPayloadEncoder
    ) async throws -> StreamEnd {
        let adapter = connection.adapter
        let link = connection.link
        let backlog = connection.backlog
        let clock = connection.clock
        var encoder = encoder
        if adapter.waitsForReady { try await waitForReady(on: connection) }
        var keepAlive = KeepAliveSchedule(policy: adapter.keepAlive, start: clock.now)
        // Providers that refuse audio faster than real time (AssemblyAI's 3007, Google's
        // OUT_OF_RANGE) get each connection paced to their limit past the burst they allow.
        let pace = SendPace(type(of: adapter).descriptor.capabilities)
        let connectionStart = clock.now
        var secondsOnConnection: Double = 0
        var lastInputEnd: Double = 0
        while true {
            try Task.checkCancellation()
            let now = clock.now
            let rotation = connection.rotation.value
            if rotation.isDue(at: now) { return .rotationDue }
            // Checked on every turn, not only when idle: a paced replay keeps chunks flowing for
            // as long as the backlog lasts, and a silent server must not go unnoticed meanwhile.
            let silentServer = connection.silentServer.value
            if silentServer.isSilent(at: now), let limit = silentServer.limit {
                throw SessionTimeout(phase: "waiting for the provider: it sent nothing for \(limit) while audio flowed")
            }
            // The earliest moment a timer could fire if no audio arrives before it.
            connection.timerDeadline.set(
                [rotation.hardDeadline, keepAlive.deadline, silentServer.deadline(at: now)].compactMap { $0 }.min())
            switch await backlog.next() {
            case .chunk(let chunk):
                if let pace {
                    let allowed = pace.earliestSend(afterSending: secondsOnConnection, since: connectionStart)
                    if allowed > clock.now { try await clock.sleep(until: allowed) }
                }
                secondsOnConnection += chunk.duration
                try await sendAudio(chunk, on: connection, encoder: &encoder)
                let sentAt = clock.now
                connection.silentServer.withLock { $0.audioSent(at: sentAt) }
                keepAlive.audioSent(at: sentAt)
                lastInputEnd = chunk.inputEnd
            case .idle:
                switch keepAlive.action(at: clock.now, inputHasEnded: backlog.inputHasEnded) {
                case nil:
                    break
                case .sendMessage(let message):
                    try await link.send(message)
                case .sendSilence:
                    let silence = AudioChunk(
                        samples: [Int16](repeating: 0, count: adapter.audio.sampleRate / 10),
                        sampleRate: adapter.audio.sampleRate, inputStart: lastInputEnd)
                    connection.timeline.withLock { $0.appendFiller(duration: silence.duration, at: lastInputEnd) }
                    let payload = try encoder.encode(silence)
                    for message in adapter.audioMessages(payload) { try await link.send(message) }
                case .closeIdle:
                    // `.idle` means nothing waits to be sent; audio that comes meanwhile stays in
                    // the backlog for the next connection.
                    try await finish(on: connection, encoder: &encoder)
                    return .closedWhenIdle
                }
            case .endOfInput:
                try await finish(on: connection, encoder: &encoder)
                return .inputFinished
            }
        }
    }

    /// Waits for a provider that must confirm its session before audio flows.
    static func waitForReady(on connection: Connection) async throws {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                await connection.ready.wait()
                return true
            }
            group.addTask {
                try await connection.clock.sleep(for: connection.options.readyTimeout)
                return false
            }
            let confirmed = try await group.next() ?? false
            group.cancelAll()
            if !confirmed { throw SessionTimeout(phase: "waiting for the provider to confirm the session") }
        }
    }

    /// Sends one chunk, with the end-of-speech messages of a provider that leaves turns to hark.
    static func sendAudio(
        _ chunk: AudioChunk, on connection: Connection, encoder: inout any AudioPayloadEncoder
    ) async throws {
        let adapter = connection.adapter
        let streamEnd = connection.timeline.withLock { timeline in
            timeline.append(inputStart: chunk.inputStart, duration: chunk.duration)
            return timeline.streamEnd
        }
        if let speechStart = chunk.speechStart {
            let at = streamEnd - (chunk.inputEnd - speechStart)
            connection.actions.withLock { $0.append(.speechStarted(at: max(0, at))) }
        }
        let payload = try encoder.encode(chunk)
        if !payload.isEmpty {
            for message in adapter.audioMessages(payload) { try await connection.link.send(message) }
        }
        guard chunk.endsSpeech else { return }
        let messages = adapter.speechEndedMessages()
        if !messages.isEmpty {
            // The audio from the speech's end to here is contiguous (the pause).
            let speechEnd = chunk.speechEnd.map { streamEnd - (chunk.inputEnd - $0) } ?? streamEnd
            connection.actions.withLock {
                $0.append(.speechEnded(speechEnd: min(max(0, speechEnd), streamEnd), sentAt: streamEnd))
            }
        }
        for message in messages { try await connection.link.send(message) }
    }

    /// Asks the provider to finish: the encoder's tail, the finish messages, the half-close.
    static func finish(on connection: Connection, encoder: inout any AudioPayloadEncoder) async throws {
        let adapter = connection.adapter
        let link = connection.link
        connection.finishing.withLock { $0 = true }
        let tail = try encoder.finish()
        if !tail.isEmpty {
            for message in adapter.audioMessages(tail) { try await link.send(message) }
        }
        let streamEnd = connection.timeline.withLock { $0.streamEnd }
        connection.actions.withLock { $0.append(.finishSent(at: streamEnd)) }
        for message in adapter.finishMessages() { try await link.send(message) }
        if adapter.finishesByHalfClose { await link.close() }
    }

    /// Maps an event onto the input timeline, drops what a replay repeats, acknowledges
    /// finalized audio, and emits it.
    /// - Returns: whether a final transcript was emitted (for `PerformanceTrace`).
    @discardableResult
    static func deliver(
        _ event: TranscriptEvent, on connection: Connection, replaying: Bool, replay: LockedValue<ReplayFilter>,
        emit: @Sendable (TranscriptEvent) -> Void
    ) -> Bool {
        let mapped = connection.timeline.withLock { $0.map(event) }
        guard case .final(let segment) = mapped else {
            emit(mapped)
            return false
        }
        switch replay.withLock({ $0.admit(segment, replaying: replaying) }) {
        case .repeated:
            return false
        case .acknowledgeOnly(let end):
            connection.backlog.acknowledge(through: end)
            return false
        case .emit(let kept):
            emit(.final(kept))
            connection.backlog.acknowledge(through: kept.end)
            return true
        }
    }
}

extension Array {
    /// Empties the array, returning what it held.
    fileprivate mutating func removeAllReturning() -> [Element] {
        defer { removeAll() }
        return self
    }
}
