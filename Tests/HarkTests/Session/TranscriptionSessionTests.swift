import Synchronization
import Testing

@testable import Hark
@testable import HarkTestSupport

/// A provider that needs no network, for testing the session: it reads the audio it receives
/// and, for every full second of its stream, sends a final whose text is the value of that
/// second's first sample.
///
/// The audio the tests send encodes its own input second in every sample, so a transcript of "s0 s1
/// s2 …" proves every second arrived exactly once.
struct SecondsAdapter: ProviderAdapter {
    static let descriptor = ProviderDescriptor(
        name: "seconds", displayName: "Seconds", summary: "test provider", credentialVariables: [],
        defaultEndpoint: "ws://127.0.0.1", defaultModel: nil, transport: .inProcess,
        capabilities: ProviderCapabilities(
            interimResults: false, wordTimings: true, diarization: false, encodings: [.linear16]))

    init(options: ProviderOptions) {}
    var audio: AudioRequirements { AudioRequirements(sampleRate: 1000, encoding: .linear16) }
    func connectionRequest() -> ConnectionRequest { ConnectionRequest(url: "memory://", headers: []) }
    func audioMessages(_ payload: [UInt8]) -> [WireMessage] { [.binary(payload)] }
    func finishMessages() -> [WireMessage] { [.text("finish")] }
    func makeDecoder() -> any TranscriptDecoder { Decoder() }
    func error(for failure: LinkFailure) -> ProviderError {
        .unavailable(provider: "Seconds", hint: failure.description)
    }

    struct Decoder: TranscriptDecoder {
        var isFinished = false
        mutating func decode(_ message: WireMessage) throws -> [TranscriptEvent] {
            guard case .text(let text) = message else { return [] }
            if text == "done" {
                isFinished = true
                return []
            }
            let parts = text.split(separator: " ")
            let start = Double(parts[1]) ?? 0
            let end = Double(parts[2]) ?? 0
            let word = TranscriptWord(text: String(parts[0]), start: start, end: end)
            return [.final(TranscriptSegment(text: String(parts[0]), start: start, end: end, words: [word]))]
        }
    }
}

/// The in-memory provider behind `SecondsAdapter`; can break after a number of bytes, or end
/// its session there the way AssemblyAI does at its limit (its final message, then a close).
final class SecondsLink: ProviderLink, Sendable {
    /// What the provider does with hark's finish message.
    enum FinishAnswer: Sendable {
        /// Its last finals, "done", and a clean close.
        case answer
        /// A clean close with nothing before it, as a server that reached its session limit.
        case closeWithoutAnswer
        /// A connection reset, before any answer.
        case reset
        /// Nothing at all: no final, no "done", no close.
        case ignore
    }

    let inbound: AsyncThrowingStream<WireMessage, any Error>
    private let continuation: AsyncThrowingStream<WireMessage, any Error>.Continuation
    private let state = Mutex<(bytes: [UInt8], reported: Int, total: Int)>(([], 0, 0))
    let breakAfterBytes: Int?
    let endsSession: Bool
    /// Finalizes a second only once the next one has begun, and the last one at the finish, as
    /// a real recognizer holds the words it heard last until it is asked to flush.
    let holdsLastSecond: Bool
    let finishAnswer: FinishAnswer
    /// Says nothing at all, whatever it receives (a dead server behind a live socket).
    let isSilent: Bool
    /// Moved on by the duration of the audio received, as if the provider heard it in real time.
    let clock: ManualSessionClock?

    init(
        breakAfterBytes: Int?, endsSession: Bool = false, holdsLastSecond: Bool = false,
        finishAnswer: FinishAnswer = .answer, isSilent: Bool = false, clock: ManualSessionClock? = nil
    ) {
        (inbound, continuation) = AsyncThrowingStream.makeStream()
        self.breakAfterBytes = breakAfterBytes
        self.endsSession = endsSession
        self.holdsLastSecond = holdsLastSecond
        self.finishAnswer = finishAnswer
        self.isSilent = isSilent
        self.clock = clock
    }

    /// Finals for every full second received not yet reported (while `holding`, all but the last).
    private static func finals(
        _ state: inout (bytes: [UInt8], reported: Int, total: Int), holding: Bool
    ) -> [WireMessage] {
        var out: [WireMessage] = []
        let held = holding ? 2000 : 0
        while state.bytes.count - state.reported * 2000 >= 2000 + held {
            let offset = state.reported * 2000
            let value = Int16(bitPattern: UInt16(state.bytes[offset]) | UInt16(state.bytes[offset + 1]) << 8)
            out.append(.text("s\(value) \(state.reported) \(state.reported + 1)"))
            state.reported += 1
        }
        return out
    }

    func send(_ message: WireMessage) async throws {
        if case .binary(let payload) = message {
            // 1000 samples of 2 bytes make one second of stream.
            clock?.advance(by: .milliseconds(payload.count / 2))
        }
        if isSilent { return }
        switch message {
        case .binary(let payload):
            let (messages, broken) = state.withLock { state -> ([WireMessage], Bool) in
                state.total += payload.count
                if let limit = breakAfterBytes, state.total > limit { return ([], true) }
                state.bytes += payload
                // 1000 samples (2000 bytes) make one second of stream.
                return (Self.finals(&state, holding: holdsLastSecond), false)
            }
            if broken, endsSession {
                // Swallowed, as a server that already ended the session ignores late audio.
                continuation.yield(.text("done"))
                continuation.finish(throwing: LinkFailure.closed(code: 3008, reason: "session expired"))
                return
            }
            if broken {
                continuation.finish(throwing: LinkFailure.connectionLost(detail: "reset by test"))
                throw LinkFailure.connectionLost(detail: "reset by test")
            }
            for message in messages { continuation.yield(message) }
        case .text("finish"):
            switch finishAnswer {
            case .answer:
                for message in state.withLock({ Self.finals(&$0, holding: false) }) { continuation.yield(message) }
                continuation.yield(.text("done"))
                continuation.finish()
            case .closeWithoutAnswer:
                continuation.finish()
            case .reset:
                continuation.finish(throwing: LinkFailure.connectionLost(detail: "reset by test at the finish"))
            case .ignore:
                break
            }
        case .text:
            break
        }
    }

    func close() async { continuation.finish() }
    func abort() async { continuation.finish() }
}

/// Samples whose value is their input second, at 1000 Hz.
func secondsAudio(_ seconds: Int) -> [Float] {
    (0..<seconds * 1000).map { Float($0 / 1000) / 32767 }
}

/// Runs a session of `seconds` of `secondsAudio` against `SecondsLink`s, on a clock that moves
/// only when the test (or a link, with `linksMoveClock`) moves it.
/// - Parameters:
///   - breaks: per connection, the bytes after which its link breaks (nil: never).
///   - silentConnections: how many connections, first to last, say nothing at all (and move
///     the clock by the audio they receive, as a provider hearing it in real time).
///   - observe: sees every event as it is emitted (for tests that wait on hark's output).
func runSession(
    seconds: Int, breaks: [Int?], options: SessionOptions = .instantRetries, clock: ManualSessionClock = .init(),
    linksMoveClock: Bool = false, endsSession: Bool = false, holdsLastSecond: Bool = false,
    finishAnswers: [SecondsLink.FinishAnswer] = [], silentConnections: Int = 0, blockFrames: Int = 100,
    beforeBlock: (@Sendable (_ inputStart: Double) async -> Void)? = nil,
    observe: (@Sendable (TranscriptEvent) -> Void)? = nil
) async throws -> (events: [TranscriptEvent], outcome: SessionOutcome, connections: Int) {
    let links = Mutex(breaks)
    let answers = Mutex(finishAnswers)
    let connections = Mutex(0)
    let session = TranscriptionSession(
        adapter: SecondsAdapter(options: ProviderOptions()), options: options,
        openLink: { _, _ in
            connections.withLock { $0 += 1 }
            let limit = links.withLock { $0.isEmpty ? nil : $0.removeFirst() }
            let answer = answers.withLock { $0.isEmpty ? .answer : $0.removeFirst() }
            let number = connections.withLock { $0 }
            return SecondsLink(
                breakAfterBytes: limit, endsSession: endsSession, holdsLastSecond: holdsLastSecond,
                finishAnswer: answer, isSilent: number <= silentConnections,
                clock: linksMoveClock || number <= silentConnections ? clock : nil)
        },
        makeEncoder: { _ in Linear16Encoder() }, clock: clock)
    let events = Mutex<[TranscriptEvent]>([])
    let source = MemoryAudioSource(
        samples: secondsAudio(seconds), sampleRate: 1000, blockFrames: blockFrames,
        beforeBlock: beforeBlock)
    let outcome = try await session.run(
        source: source,
        makePipeline: { AudioPipeline(inputRate: 1000, inputChannels: 1, configuration: .init(outputRate: 1000)) },
        stop: StopRequest(),
        emit: { event in
            events.withLock { $0.append(event) }
            observe?(event)
        })
    return (events.withLock { $0 }, outcome, connections.withLock { $0 })
}

extension SessionOptions {
    /// The default timers, and retries at once.
    ///
    /// On a `ManualSessionClock` no timer runs out unless the test moves time past it, however
    /// slowly a loaded machine runs the test.
    static var instantRetries: SessionOptions {
        SessionOptions(backoff: Backoff(base: 0, cap: 0))
    }
}

/// The finals a session emitted, for a test that waits on them.
final class EmittedFinals: Sendable {
    private struct State {
        var texts: Set<String> = []
        var waiters: [(text: String, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state = Mutex(State())

    func record(_ event: TranscriptEvent) {
        guard case .final(let segment) = event else { return }
        let ready = state.withLock { state in
            state.texts.insert(segment.text)
            let ready = state.waiters.filter { $0.text == segment.text }
            state.waiters.removeAll { $0.text == segment.text }
            return ready.map(\.continuation)
        }
        for continuation in ready { continuation.resume() }
    }

    /// Returns once a final with this text has been emitted.
    func wait(for text: String) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let seen = state.withLock { state in
                if state.texts.contains(text) { return true }
                state.waiters.append((text, continuation))
                return false
            }
            if seen { continuation.resume() }
        }
    }
}

func finals(_ events: [TranscriptEvent]) -> [TranscriptSegment] {
    events.compactMap { if case .final(let segment) = $0 { segment } else { nil } }
}

@Suite("Transcription session")
struct TranscriptionSessionTests {
    @Test("every second of input reaches the provider once and each final is emitted once, in order")
    func streamsEverything() async throws {
        let (events, outcome, connections) = try await runSession(seconds: 12, breaks: [])
        #expect(finals(events).map(\.text) == (0..<12).map { "s\($0)" })
        #expect(finals(events).map(\.start) == (0..<12).map(Double.init))
        #expect(connections == 1)
        #expect(abs(outcome.summary.secondsCaptured - 12) < 1e-9)
        #expect(outcome.summary.secondsSent == 12)
        #expect(outcome.lostRanges.isEmpty)
    }

    @Test("a connection lost mid-stream is replaced and the unfinalized audio replayed, without loss or repeats")
    func reconnectsAndReplays() async throws {
        // Break the first connection after 5.3 s of audio and the second after 2.1 s more.
        let (events, outcome, connections) = try await runSession(seconds: 12, breaks: [10_600, 4_200])
        #expect(finals(events).map(\.text) == (0..<12).map { "s\($0)" })
        // Times stay on the input timeline across reconnects.
        #expect(finals(events).map(\.start) == (0..<12).map(Double.init))
        #expect(connections == 3)
        #expect(outcome.summary.reconnects == 2)
        let reconnecting = events.filter { if case .status(.reconnecting) = $0 { true } else { false } }
        #expect(reconnecting.count == 2)
    }

    @Test("a provider that ends its session before the end of the input is continued in a new one, not finished")
    func providerEndsSessionEarly() async throws {
        // The provider's closing message arrives before hark asked for it (AssemblyAI's Termination
        // then 3008 at its limit): the run must go on, not take it as the end of the transcript.
        // Each second of input waits until the final of the second before the last was emitted,
        // so the provider's end comes while audio still flows, as at a real limit.
        let printed = EmittedFinals()
        let (events, _, connections) = try await runSession(
            seconds: 12, breaks: [5_300, 6_100], endsSession: true, blockFrames: 1000,
            beforeBlock: { inputStart in
                let second = Int(inputStart)
                if second >= 2 { await printed.wait(for: "s\(second - 2)") }
            },
            observe: { printed.record($0) })
        #expect(finals(events).map(\.text) == (0..<12).map { "s\($0)" })
        #expect(finals(events).map(\.start) == (0..<12).map(Double.init))
        #expect(connections == 3)
    }

    @Test("sessions are rotated before the provider's limit without losing or repeating a word")
    func rotatesBeforeLimit() async throws {
        // The provider hears its audio in real time (each link moves the clock by what it
        // receives), so a connection rotates once it has received 4 s at most, and 12 s of
        // audio need at least three. Each second of input waits until the final of the second
        // before the last has been emitted: a connection never gets 2 s ahead of what hark
        // printed, so none reaches its limit without finalizing words, and every rotation
        // makes progress however the threads interleave.
        var options = SessionOptions.instantRetries
        options.sessionLimit = .seconds(4)
        let printed = EmittedFinals()
        let (events, outcome, connections) = try await runSession(
            seconds: 12, breaks: [], options: options, linksMoveClock: true, blockFrames: 1000,
            beforeBlock: { inputStart in
                let second = Int(inputStart)
                if second >= 2 { await printed.wait(for: "s\(second - 2)") }
            },
            observe: { printed.record($0) })
        #expect(finals(events).map(\.text) == (0..<12).map { "s\($0)" })
        #expect(connections >= 3)
        #expect(outcome.summary.reconnects == 0)
    }

    @Test("a provider that says nothing while audio flows is replaced after the silent-server limit")
    func silentServerReplaced() async throws {
        // The first provider hears the audio in real time and never answers: 2 s into it the
        // connection is given up, and the next one transcribes everything.
        var options = SessionOptions.instantRetries
        options.silentServerTimeout = .seconds(2)
        let (events, outcome, connections) = try await runSession(
            seconds: 6, breaks: [], options: options, silentConnections: 1)
        #expect(finals(events).map(\.text) == (0..<6).map { "s\($0)" })
        #expect(connections == 2)
        #expect(outcome.summary.reconnects == 1)
        let reasons = events.compactMap { event -> String? in
            if case .status(.reconnecting(let reason, _, _)) = event { reason } else { nil }
        }
        #expect(reasons.count == 1)
        #expect(reasons.allSatisfy { $0.contains("it sent nothing for 2.0 seconds while audio flowed") })
        #expect(outcome.lostRanges.isEmpty)
    }

    @Test("a provider that closes its session while the finish is in flight is not finished: the rest is replayed")
    func closedDuringFinish() async throws {
        let (events, outcome, connections) = try await runSession(
            seconds: 6, breaks: [], holdsLastSecond: true, finishAnswers: [.closeWithoutAnswer])
        #expect(finals(events).map(\.text) == (0..<6).map { "s\($0)" })
        #expect(connections == 2)
        #expect(outcome.lostRanges.isEmpty)
    }

    @Test("a reset during the finish is a reconnect that replays what was not final")
    func resetDuringFinish() async throws {
        let (events, outcome, connections) = try await runSession(
            seconds: 6, breaks: [], holdsLastSecond: true, finishAnswers: [.reset])
        #expect(finals(events).map(\.text) == (0..<6).map { "s\($0)" })
        #expect(connections == 2)
        #expect(outcome.lostRanges.isEmpty)
    }

    @Test("a provider that never answers the finish: the seconds it did not finalize are reported lost, not dropped")
    func finishNeverAnswered() async throws {
        // Time moves past the finish limit only once the finals already sent were emitted and
        // the session waits on that limit: no stalled process can make it run out earlier.
        var options = SessionOptions.instantRetries
        options.finishTimeout = .seconds(3)
        let clock = ManualSessionClock()
        let (emitted, emitting) = AsyncStream<TranscriptEvent>.makeStream()
        let mover = Task {
            for await event in emitted {
                if case .final(let segment) = event, segment.text == "s4" { break }
            }
            await clock.waitForSleeper(dueWithin: .seconds(3))
            clock.advance(by: .seconds(3))
        }
        defer { mover.cancel() }
        let (events, outcome, connections) = try await runSession(
            seconds: 6, breaks: [], options: options, clock: clock, holdsLastSecond: true, finishAnswers: [.ignore],
            observe: { emitting.yield($0) })
        #expect(finals(events).map(\.text) == (0..<5).map { "s\($0)" })
        #expect(connections == 1)
        #expect(outcome.lostRanges == [5...6])
        let lost = events.compactMap { event -> ClosedRange<Double>? in
            if case .status(.audioLost(let from, let to, _)) = event { from...to } else { nil }
        }
        #expect(lost == [5...6])
    }

    @Test("a provider that keeps failing is given up after the attempt limit")
    func givesUp() async throws {
        // On the manual clock no connection lives long enough to count as healthy, however
        // slowly a loaded machine runs this test.
        let options = SessionOptions(backoff: Backoff(base: 0, cap: 0, maxAttempts: 3))
        await #expect(throws: SessionError.self) {
            _ = try await runSession(seconds: 5, breaks: [100, 100, 100, 100, 100], options: options)
        }
    }

    @Test("a stop request ends the input early and still delivers the finals for what was read")
    func stopRequest() async throws {
        let stop = StopRequest()
        stop.request()
        let events = Mutex<[TranscriptEvent]>([])
        let session = TranscriptionSession(
            adapter: SecondsAdapter(options: ProviderOptions()), options: SessionOptions(),
            openLink: { _, _ in SecondsLink(breakAfterBytes: nil) }, makeEncoder: { _ in Linear16Encoder() })
        let outcome = try await session.run(
            source: MemoryAudioSource(samples: secondsAudio(3), sampleRate: 1000),
            makePipeline: { AudioPipeline(inputRate: 1000, inputChannels: 1, configuration: .init(outputRate: 1000)) },
            stop: stop, emit: { event in events.withLock { $0.append(event) } })
        // However much was read before the stop took effect, it was all transcribed.
        let texts = finals(events.withLock { $0 }).map(\.text)
        #expect(texts == (0..<texts.count).map { "s\($0)" })
        #expect(outcome.summary.secondsSent <= 3)
    }
}

@Suite("Retry table and backoff")
struct RetryPolicyTests {
    @Test("credentials, permission and request errors are never retried")
    func permanentErrors() {
        for error in [
            ProviderError.authenticationFailed(provider: "p", hint: ""), .missingCredentials(provider: "p", hint: ""),
            .permissionDenied(provider: "p", hint: ""), .invalidRequest(provider: "p", hint: ""),
            .unsupportedAudio(provider: "p", hint: ""), .invalidOption(provider: "p", option: "o", hint: ""),
        ] {
            #expect(RetryPolicy.verdict(for: error) == .fail)
        }
    }

    @Test("network, server, rate-limit and session-limit errors are retried, honouring Retry-After")
    func transientErrors() {
        #expect(RetryPolicy.verdict(for: .unavailable(provider: "p", hint: "")) == .retry(after: nil))
        #expect(RetryPolicy.verdict(for: .serverError(provider: "p", hint: "")) == .retry(after: nil))
        #expect(RetryPolicy.verdict(for: .sessionLimitReached(provider: "p", hint: "")) == .retry(after: nil))
        #expect(RetryPolicy.verdict(for: .rateLimited(provider: "p", retryAfter: 7, hint: "")) == .retry(after: 7))
    }

    @Test("backoff grows exponentially to its cap, with full jitter, and honours a minimum")
    func backoffBounds() {
        let backoff = Backoff(base: 0.5, cap: 30, maxAttempts: 4)
        #expect((1...8).map { backoff.ceiling(attempt: $0) } == [0.5, 1, 2, 4, 8, 16, 30, 30])
        var generator = SystemRandomNumberGenerator()
        for attempt in 1...8 {
            let delay = backoff.delay(attempt: attempt, using: &generator)
            #expect(delay >= 0 && delay <= backoff.ceiling(attempt: attempt))
        }
        #expect(backoff.delay(attempt: 1, minimum: 5, using: &generator) == 5)
        #expect(backoff.allows(attempt: 4) && !backoff.allows(attempt: 5))
        #expect(Backoff(maxAttempts: nil).allows(attempt: 1000))
    }
}

@Suite("Stream timeline")
struct StreamTimelineTests {
    @Test("provider times map back to input times across skipped silence and filler")
    func mapsAcrossGaps() {
        var timeline = StreamTimeline()
        timeline.append(inputStart: 0, duration: 1)
        timeline.append(inputStart: 1, duration: 1)
        timeline.append(inputStart: 10, duration: 2)  // 8 s of silence skipped
        timeline.appendFiller(duration: 0.5, at: 12)
        timeline.append(inputStart: 20, duration: 1)
        #expect(timeline.inputTime(0.5) == 0.5)
        #expect(timeline.inputTime(1.5) == 1.5)
        #expect(timeline.inputTime(2.25) == 10.25)
        #expect(timeline.inputTime(4.2) == 12)
        #expect(timeline.inputTime(4.75) == 20.25)
        #expect(timeline.streamEnd == 5.5)
    }
}

/// A provider that, like Deepgram Flux after `CloseStream`, answers the finish with text it
/// never confirms and then closes without a status code (1005).
struct CloseFinishedAdapter: ProviderAdapter {
    static let descriptor = ProviderDescriptor(
        name: "close-finished", displayName: "CloseFinished", summary: "test provider", credentialVariables: [],
        defaultEndpoint: "ws://127.0.0.1", defaultModel: nil, transport: .inProcess,
        capabilities: ProviderCapabilities(
            interimResults: true, wordTimings: false, diarization: false, encodings: [.linear16]))

    /// Whether the adapter takes the close without status as the end of a finished session.
    var acceptsClose = true

    init(options: ProviderOptions) {}
    var audio: AudioRequirements { AudioRequirements(sampleRate: 1000, encoding: .linear16) }
    func connectionRequest() -> ConnectionRequest { ConnectionRequest(url: "memory://", headers: []) }
    func audioMessages(_ payload: [UInt8]) -> [WireMessage] { [.binary(payload)] }
    func finishMessages() -> [WireMessage] { [.text("finish")] }
    func makeDecoder() -> any TranscriptDecoder { Decoder() }
    func endsSessionAfterFinish(_ failure: LinkFailure) -> Bool {
        guard acceptsClose, case .closed(1005, _) = failure else { return false }
        return true
    }
    func error(for failure: LinkFailure) -> ProviderError {
        .unavailable(provider: "CloseFinished", hint: failure.description)
    }

    struct Decoder: TranscriptDecoder {
        let isFinished = false
        var held: TranscriptSegment?
        mutating func decode(_ message: WireMessage) throws -> [TranscriptEvent] {
            guard case .text(let text) = message else { return [] }
            held = TranscriptSegment(text: text, start: 0.5, end: 2.5)
            return [.interim(TranscriptSegment(text: text, start: 0.5, end: 2.5))]
        }
        mutating func eventsAtClose() -> [TranscriptEvent] {
            defer { held = nil }
            return held.map { [.final($0)] } ?? []
        }
    }
}

final class CloseFinishedLink: ProviderLink, Sendable {
    let inbound: AsyncThrowingStream<WireMessage, any Error>
    private let continuation: AsyncThrowingStream<WireMessage, any Error>.Continuation

    init() { (inbound, continuation) = AsyncThrowingStream.makeStream() }

    func send(_ message: WireMessage) async throws {
        guard case .text("finish") = message else { return }
        continuation.yield(.text("the last words"))
        continuation.finish(throwing: LinkFailure.closed(code: 1005, reason: ""))
    }

    func close() async { continuation.finish() }
    func abort() async { continuation.finish() }
}

@Suite("Transcription session: a provider that finishes by closing")
struct CloseFinishedSessionTests {
    static func run(acceptsClose: Bool) async throws -> (finals: [String], connections: Int) {
        let connections = Mutex(0)
        var adapter = CloseFinishedAdapter(options: ProviderOptions())
        adapter.acceptsClose = acceptsClose
        let session = TranscriptionSession(
            adapter: adapter,
            options: SessionOptions(backoff: Backoff(base: 0, cap: 0, maxAttempts: 2)),
            openLink: { _, _ in
                connections.withLock { $0 += 1 }
                return CloseFinishedLink()
            },
            makeEncoder: { _ in Linear16Encoder() }, clock: ManualSessionClock())
        let events = Mutex<[TranscriptEvent]>([])
        _ = try await session.run(
            source: MemoryAudioSource(samples: secondsAudio(3), sampleRate: 1000),
            makePipeline: { AudioPipeline(inputRate: 1000, inputChannels: 1, configuration: .init(outputRate: 1000)) },
            stop: StopRequest(), emit: { event in events.withLock { $0.append(event) } })
        return (finals(events.withLock { $0 }).map(\.text), connections.withLock { $0 })
    }

    @Test("the close after the finish ends the session, and what the decoder held becomes final once")
    func closeIsTheEvidence() async throws {
        let (texts, connections) = try await Self.run(acceptsClose: true)
        #expect(texts == ["the last words"])
        #expect(connections == 1)
    }

    @Test("for a provider that does not finish that way, the same close is a failure and is retried")
    func otherwiseAFailure() async throws {
        await #expect(throws: SessionError.self) { _ = try await Self.run(acceptsClose: false) }
    }
}
