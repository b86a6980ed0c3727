import FoundationEssentials

/// The offline recognizer as a `ProviderLink`: audio goes in as `.binary` PCM16, results come out
/// as `.text` JSON (`LocalRecognizerMessage`), so the session drives it like any provider.
///
/// PocketSphinx decoding is CPU-heavy and blocking, so a dedicated thread owns the decoder: it
/// loads the models, then takes commands from one bounded queue (audio senders suspend when it is
/// full) and pushes results into another (the thread blocks while the reader is that far behind).
/// `.text(#"{"type":"finish"}"#)` ends the open utterance and reports `finished`; `close()` does
/// the same, then ends `inbound`.
package final class LocalRecognizerLink: ProviderLink {
    /// What the recognizer thread is asked to do.
    enum Command: Sendable, Equatable {
        /// Little-endian 16-bit PCM bytes.
        case audio([UInt8])
        /// End the open utterance and report `finished`.
        case finish
        /// End the open utterance (speech ended: the gate closed); more audio may follow.
        case endUtterance
        /// Finish, then end the inbound stream and the thread.
        case close

        /// Audio counts against the queue's capacity; control commands do not, so a close is
        /// never stuck behind the limit (it still comes after the audio sent before it).
        var cost: Int {
            if case .audio = self { 1 } else { 0 }
        }
    }

    /// How long the audio may pause in the middle of speech before the utterance is ended: the
    /// detector only hears speech end in audio it is given.
    ///
    /// A closing voice-activity gate says so at once (`end_utterance`); this is the fallback for
    /// audio that just stops, long enough that a loaded machine's scheduling pauses do not cut an
    /// utterance in two.
    package static let audioGap: Duration = .seconds(3)

    /// Results that may wait for the reader before the recognizer thread blocks.
    ///
    /// The decoder
    /// emits at most a partial and a final per chunk, so 64 is well over 8 s of results at 250 ms
    /// chunks: a reader that far behind is stalled, and blocking the thread then holds the audio
    /// back through the command queue (senders suspend) instead of dropping or piling it up.
    static let resultCapacity = 64

    package let inbound: AsyncThrowingStream<WireMessage, any Error>
    private let commands: BoundedHandoffQueue<Command>

    /// Starts the recognizer thread, which loads `models` (about a second for the default model).
    ///
    /// A model that does not load ends `inbound` with `LinkFailure.connectFailed`.
    /// - Parameters:
    ///   - queueCapacity: chunks that may wait for the decoder before senders suspend; at 250 ms
    ///     chunks, 8 is 2 s.
    ///   - maxUtterance: longest utterance before it is cut into finals, in seconds.
    package init(models: PocketSphinxModels, queueCapacity: Int = 8, maxUtterance: Double = 30) {
        let commands = BoundedHandoffQueue<Command>(capacity: queueCapacity, cost: \.cost)
        let results = BoundedHandoffQueue<WireMessage>(capacity: Self.resultCapacity)
        self.commands = commands
        // A reader that stops reading ends the thread rather than leaving it decoding.
        self.inbound = results.stream(onEnd: { commands.discard(refusing: Self.closedFailure) })
        DedicatedThread.start(name: "hark-local-recognizer") {
            Self.run(
                models: models, maxUtteranceSamples: Int(maxUtterance * 16_000), commands: commands,
                results: results)
        }
    }

    deinit {
        // A link dropped without close() or abort() must not leave its thread and models behind.
        commands.discard(refusing: Self.closedFailure)
    }

    /// Sends audio (`.binary` PCM16 at 16 kHz) or the `finish` control message.
    /// - Throws: `LinkFailure.connectionLost` once closed, `LinkFailure.protocolViolation` for text
    ///   it does not understand.
    package func send(_ message: WireMessage) async throws {
        switch message {
        case .binary(let bytes):
            try await commands.send(.audio(bytes))
        case .text(let text):
            guard let control = try? JSONDecoder().decode(LocalRecognizerControl.self, from: Data(text.utf8)) else {
                throw LinkFailure.protocolViolation(detail: "the local recognizer does not understand \(text)")
            }
            switch control.type {
            case .finish: try await commands.send(.finish)
            case .endUtterance: try await commands.send(.endUtterance)
            }
        }
    }

    /// Ends the utterance after the audio already sent (audio still waiting for room goes first),
    /// reports `finished` and ends `inbound`.
    package func close() async {
        commands.close(refusingLaterSendsWith: Self.closedFailure, after: .close)
    }

    /// Ends the thread at once, dropping audio not yet decoded.
    package func abort() async {
        commands.discard(refusing: Self.closedFailure)
    }

    private static let closedFailure = LinkFailure.connectionLost(detail: "the local recognizer is closed")

    /// The recognizer thread: load, decode until close, abort or a failure, then end `inbound`.
    ///
    /// The decoder is freed before `inbound` ends, so a caller that waits for the end knows the
    /// models' memory is back.
    private static func run(
        models: PocketSphinxModels, maxUtteranceSamples: Int, commands: BoundedHandoffQueue<Command>,
        results: BoundedHandoffQueue<WireMessage>
    ) {
        let outcome = decode(
            models: models, maxUtteranceSamples: maxUtteranceSamples, commands: commands, results: results)
        // The thread stopped (the end or a failure): refuse further sends, release waiting senders.
        commands.discard(refusing: closedFailure)
        switch outcome {
        case .success: results.close()
        case .failure(let failure): results.close(throwing: failure)
        }
    }

    private static func decode(
        models: PocketSphinxModels, maxUtteranceSamples: Int, commands: BoundedHandoffQueue<Command>,
        results: BoundedHandoffQueue<WireMessage>
    ) -> Result<Void, LinkFailure> {
        var recognition: LocalRecognition
        do {
            recognition = try LocalRecognition(
                decoder: PocketSphinxDecoder(models: models), maxUtteranceSamples: maxUtteranceSamples)
        } catch {
            return .failure(.connectFailed(host: "PocketSphinx", detail: error.description))
        }
        let encoder = JSONEncoder()
        /// False once the reader has gone: there is no one left to decode for.
        func emit(_ messages: [LocalRecognizerMessage]) -> Bool {
            for message in messages {
                guard let data = try? encoder.encode(message) else { continue }
                guard results.pushWaiting(.text(String(decoding: data, as: UTF8.self))) else { return false }
            }
            return true
        }
        do {
            while true {
                let delivered: Bool
                switch commands.take(timeout: recognition.isInSpeech ? audioGap : nil) {
                case .timedOut:
                    delivered = emit(try recognition.endUtterance())
                case .element(.audio(let bytes)):
                    delivered = emit(try recognition.feed(bytes))
                case .element(.finish):
                    delivered = emit(try recognition.endUtterance() + [LocalRecognizerMessage(type: .finished)])
                case .element(.endUtterance):
                    delivered = emit(try recognition.endUtterance())
                case .element(.close):
                    _ = emit(try recognition.endUtterance() + [LocalRecognizerMessage(type: .finished)])
                    return .success(())
                case .closed:
                    // Aborted (or dropped): no last final.
                    return .success(())
                }
                if !delivered { return .success(()) }
            }
        } catch {
            return .failure(.connectionLost(detail: error.description))
        }
    }
}
