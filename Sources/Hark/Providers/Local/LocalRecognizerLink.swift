import FoundationEssentials

/// The offline recognizer as a `ProviderLink`: audio goes in as `.binary` PCM16, results come out
/// as `.text` JSON (`LocalRecognizerMessage`), so the session drives it like any provider.
///
/// PocketSphinx decoding is CPU-heavy and blocking, so a dedicated thread owns the decoder: it
/// loads the models, then takes commands from a bounded `LocalRecognizerInbox` (senders suspend
/// when it is full) and yields results to `inbound`. `.text(#"{"type":"finish"}"#)` ends the open
/// utterance and reports `finished`; `close()` does the same, then ends `inbound`.
package final class LocalRecognizerLink: ProviderLink {
    /// How long the audio may pause in the middle of speech before the utterance is ended: the
    /// detector only hears speech end in audio it is given.
    ///
    /// A closing voice-activity gate says so at once (`end_utterance`); this is the fallback for
    /// audio that just stops, long enough that a loaded machine's scheduling pauses do not cut an
    /// utterance in two.
    package static let audioGap: Duration = .seconds(3)

    package let inbound: AsyncThrowingStream<WireMessage, any Error>
    private let inbox: LocalRecognizerInbox

    /// Starts the recognizer thread, which loads `models` (about a second for the default model).
    ///
    /// A model that does not load ends `inbound` with `LinkFailure.connectFailed`.
    /// - Parameters:
    ///   - queueCapacity: chunks that may wait for the decoder before senders suspend.
    ///   - maxUtterance: longest utterance before it is cut into finals, in seconds.
    package init(models: PocketSphinxModels, queueCapacity: Int = 8, maxUtterance: Double = 30) {
        let (stream, continuation) = AsyncThrowingStream<WireMessage, any Error>.makeStream(
            bufferingPolicy: .unbounded)
        let inbox = LocalRecognizerInbox(capacity: queueCapacity)
        self.inbound = stream
        self.inbox = inbox
        // A consumer that stops reading ends the thread rather than leaving it decoding.
        continuation.onTermination = { _ in inbox.sendControl(.abort) }
        DedicatedThread.start(name: "hark-local-recognizer") {
            Self.run(
                models: models, maxUtteranceSamples: Int(maxUtterance * 16_000), inbox: inbox,
                continuation: continuation)
        }
    }

    deinit {
        // A link dropped without close() or abort() must not leave its thread and models behind.
        inbox.sendControl(.abort)
    }

    /// Sends audio (`.binary` PCM16 at 16 kHz) or the `finish` control message.
    /// - Throws: `LinkFailure.connectionLost` once closed, `LinkFailure.protocolViolation` for text
    ///   it does not understand.
    package func send(_ message: WireMessage) async throws {
        switch message {
        case .binary(let bytes):
            try await inbox.sendAudio(bytes)
        case .text(let text):
            guard let control = try? JSONDecoder().decode(LocalRecognizerControl.self, from: Data(text.utf8)) else {
                throw LinkFailure.protocolViolation(detail: "the local recognizer does not understand \(text)")
            }
            switch control.type {
            case .finish: inbox.sendControl(.finish)
            case .endUtterance: inbox.sendControl(.endUtterance)
            }
        }
    }

    package func close() async {
        inbox.sendControl(.close)
    }

    package func abort() async {
        inbox.sendControl(.abort)
    }

    /// The recognizer thread: load, decode until close, abort or a failure, then end `inbound`.
    ///
    /// The decoder is freed before `inbound` ends, so a caller that waits for the end knows the
    /// models' memory is back.
    private static func run(
        models: PocketSphinxModels, maxUtteranceSamples: Int, inbox: LocalRecognizerInbox,
        continuation: AsyncThrowingStream<WireMessage, any Error>.Continuation
    ) {
        let outcome = decode(
            models: models, maxUtteranceSamples: maxUtteranceSamples, inbox: inbox, continuation: continuation)
        inbox.markStopped()
        switch outcome {
        case .success: continuation.finish()
        case .failure(let failure): continuation.finish(throwing: failure)
        }
    }

    private static func decode(
        models: PocketSphinxModels, maxUtteranceSamples: Int, inbox: LocalRecognizerInbox,
        continuation: AsyncThrowingStream<WireMessage, any Error>.Continuation
    ) -> Result<Void, LinkFailure> {
        var recognition: LocalRecognition
        do {
            recognition = try LocalRecognition(
                decoder: PocketSphinxDecoder(models: models), maxUtteranceSamples: maxUtteranceSamples)
        } catch {
            return .failure(.connectFailed(host: "PocketSphinx", detail: error.description))
        }
        let encoder = JSONEncoder()
        func emit(_ messages: [LocalRecognizerMessage]) {
            for message in messages {
                guard let data = try? encoder.encode(message) else { continue }
                continuation.yield(.text(String(decoding: data, as: UTF8.self)))
            }
        }
        do {
            while true {
                let command = inbox.take(timeout: recognition.isInSpeech ? audioGap : nil)
                switch command {
                case nil:
                    emit(try recognition.endUtterance())
                case .audio(let bytes):
                    emit(try recognition.feed(bytes))
                case .finish:
                    emit(try recognition.endUtterance())
                    emit([LocalRecognizerMessage(type: .finished)])
                case .endUtterance:
                    emit(try recognition.endUtterance())
                case .close:
                    emit(try recognition.endUtterance())
                    emit([LocalRecognizerMessage(type: .finished)])
                    return .success(())
                case .abort:
                    return .success(())
                }
            }
        } catch {
            return .failure(.connectionLost(detail: error.description))
        }
    }
}
