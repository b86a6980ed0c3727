import Synchronization

/// The audio between capture and the provider: every chunk since the last point the provider
/// finalized, so that after a reconnect it can be sent again and no word is lost.
///
/// The producer appends chunks; the sending side of the current connection takes them in
/// order; finals acknowledge audio, which then leaves the backlog. Its size is bounded: a live
/// source drops the oldest audio when it is full (and the loss is reported), a file source
/// waits (back-pressure), because a file can be read later but a microphone cannot pause.
package final class AudioBacklog: Sendable {
    /// What the sending side gets next.
    package enum Next: Sendable, Equatable {
        case chunk(AudioChunk)
        /// Nothing new yet; woken to check keep-alive timers.
        case idle
        /// The input ended and every chunk has been handed out on this connection.
        case endOfInput
    }

    private struct State {
        var chunks: [AudioChunk] = []
        /// Index in `chunks` of the next chunk to hand out on the current connection.
        var nextToSend = 0
        var bufferedSeconds: Double = 0
        var inputEnded = false
        /// Input audio never sent because the backlog overflowed, as input-time ranges.
        var lost: [ClosedRange<Double>] = []
        /// Seconds handed out for the first time (replays not counted).
        var secondsSentOnce: Double = 0
        /// End of the furthest chunk ever handed out, on the input timeline.
        var furthestSent: Double = -1
    }

    private let state = Mutex(State())
    private let available = AsyncSignal()
    private let room = AsyncSignal()
    /// Most seconds held before the oldest are dropped (live) or the producer waits (files).
    package let capacity: Double
    package let dropsOldestWhenFull: Bool

    package init(capacity: Double = 120, dropsOldestWhenFull: Bool) {
        self.capacity = capacity
        self.dropsOldestWhenFull = dropsOldestWhenFull
    }

    /// Adds a chunk from the pipeline.
    ///
    /// Waits for room when full and not dropping; a cancelled producer (shutting down) appends
    /// without waiting so its last chunks are kept.
    /// - Returns: a lost range when old audio had to be dropped.
    @discardableResult
    package func append(_ chunk: AudioChunk) async -> ClosedRange<Double>? {
        while !dropsOldestWhenFull, !Task.isCancelled {
            let full = state.withLock { $0.bufferedSeconds + chunk.duration > capacity + 1e-9 }
            if !full { break }
            await room.wait()
        }
        let lost = state.withLock { state -> ClosedRange<Double>? in
            state.chunks.append(chunk)
            state.bufferedSeconds += chunk.duration
            var lostRange: ClosedRange<Double>?
            while dropsOldestWhenFull, state.bufferedSeconds > capacity + 1e-9, state.chunks.count > 1 {
                let dropped = state.chunks.removeFirst()
                state.bufferedSeconds -= dropped.duration
                if state.nextToSend > 0 {
                    // Already sent on the live connection: only a later reconnect could miss it.
                    state.nextToSend -= 1
                } else {
                    let range = dropped.inputStart...dropped.inputEnd
                    lostRange = lostRange.map { min($0.lowerBound, range.lowerBound)...range.upperBound } ?? range
                }
            }
            if let lostRange {
                // Chunks dropped one after another make one range, not hundreds.
                if let last = state.lost.last, abs(last.upperBound - lostRange.lowerBound) < 1e-3 {
                    state.lost[state.lost.count - 1] = last.lowerBound...lostRange.upperBound
                } else {
                    state.lost.append(lostRange)
                }
            }
            return lostRange
        }
        available.signal()
        return lost
    }

    /// Marks the end of the input: once every chunk is sent, `next()` says `.endOfInput`.
    package func finishInput() {
        state.withLock { $0.inputEnded = true }
        available.signal()
    }

    /// The next chunk for the current connection; waits until there is one, the input ends,
    /// or `wake()` is called.
    package func next() async -> Next {
        if let ready = takeNext() { return ready }
        await available.wait()
        return takeNext() ?? .idle
    }

    private func takeNext() -> Next? {
        state.withLock { state -> Next? in
            if state.nextToSend < state.chunks.count {
                let chunk = state.chunks[state.nextToSend]
                state.nextToSend += 1
                if chunk.inputEnd > state.furthestSent + 1e-9 {
                    state.secondsSentOnce += chunk.duration
                    state.furthestSent = chunk.inputEnd
                }
                return .chunk(chunk)
            }
            return state.inputEnded ? .endOfInput : nil
        }
    }

    /// Waits, with no connection open, until there is audio to send or the input has ended.
    /// - Returns: true when audio waits to be sent; false when the input ended with none left.
    /// - Throws: `CancellationError` when the run is cancelled meanwhile.
    package func waitForAudio() async throws -> Bool {
        while true {
            let (hasAudio, ended) = state.withLock { ($0.nextToSend < $0.chunks.count, $0.inputEnded) }
            if hasAudio { return true }
            if ended { return false }
            await available.wait()
            try Task.checkCancellation()
        }
    }

    /// Wakes a waiting `next()` so the sender can check its timers.
    package func wake() { available.signal() }

    /// Starts a new connection: everything not yet acknowledged will be handed out again.
    package func rewind() {
        state.withLock { $0.nextToSend = 0 }
        available.signal()
    }

    /// The provider finalized everything up to `inputTime`: chunks that end by then leave.
    package func acknowledge(through inputTime: Double) {
        let removed = state.withLock { state -> Int in
            var count = 0
            while let first = state.chunks.first, first.inputEnd <= inputTime + 1e-6, count < state.nextToSend {
                state.chunks.removeFirst()
                state.bufferedSeconds -= first.duration
                count += 1
            }
            state.nextToSend -= count
            return count
        }
        if removed > 0 { room.signal() }
    }

    /// Everything handed out is finished: the provider confirmed the end of the stream.
    package func acknowledgeAll() {
        state.withLock { state in
            state.chunks.removeFirst(state.nextToSend)
            state.bufferedSeconds = state.chunks.reduce(0) { $0 + $1.duration }
            state.nextToSend = 0
        }
        room.signal()
    }

    /// Gives up on the audio handed out on this connection that no final acknowledged: it
    /// leaves the backlog and is recorded as lost, like audio that overflowed.
    ///
    /// For a provider that stopped answering before it finished: nothing waits to be sent
    /// then, and replaying to a provider that does not finish would only repeat the wait.
    /// - Returns: the input range given up on, nil when every chunk handed out was final.
    package func dropUnanswered() -> ClosedRange<Double>? {
        let dropped = state.withLock { state -> ClosedRange<Double>? in
            let unanswered = state.chunks.prefix(state.nextToSend)
            guard let first = unanswered.first, let last = unanswered.last else { return nil }
            let range = first.inputStart...last.inputEnd
            state.chunks.removeFirst(state.nextToSend)
            state.bufferedSeconds = state.chunks.reduce(0) { $0 + $1.duration }
            state.nextToSend = 0
            state.lost.append(range)
            return range
        }
        room.signal()
        return dropped
    }

    /// Whether the input has ended (end of file, or a stop request).
    package var inputHasEnded: Bool { state.withLock { $0.inputEnded } }

    /// The input range still waiting to be sent or acknowledged, if any.
    package var pendingRange: ClosedRange<Double>? {
        state.withLock { state in
            guard let first = state.chunks.first, let last = state.chunks.last else { return nil }
            return first.inputStart...last.inputEnd
        }
    }

    /// Seconds of audio waiting to be sent or acknowledged.
    package var bufferedSeconds: Double { state.withLock { $0.bufferedSeconds } }

    /// Seconds of input sent at least once.
    package var secondsSent: Double { state.withLock { $0.secondsSentOnce } }

    /// Input ranges that were dropped before they could be sent.
    package var lostRanges: [ClosedRange<Double>] { state.withLock { $0.lost } }
}
