package import Hark

/// Drives an in-process provider (`local`) the way the session does, with no session: 250 ms chunks
/// of PCM16 through the adapter's `audioMessages` into its link, the adapter's finish messages, and
/// every inbound message through the adapter's decoder until it reports `isFinished`; then the link
/// is closed and read to its end.
package enum InProcessTranscriber {
    /// All events for `samples` (16 kHz mono), in the order the decoder produced them.
    package static func transcribe(
        _ samples: [Int16], adapter: some ProviderAdapter, chunkSamples: Int = 4_000
    ) async throws -> [TranscriptEvent] {
        let link = try adapter.makeInProcessLink()
        var decoder = adapter.makeDecoder()
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                var encoder = Linear16Encoder()
                var start = 0
                while start < samples.count {
                    let end = min(samples.count, start + chunkSamples)
                    let chunk = AudioChunk(
                        samples: Array(samples[start..<end]), sampleRate: 16_000, inputStart: Double(start) / 16_000)
                    for message in adapter.audioMessages(encoder.encode(chunk)) { try await link.send(message) }
                    start = end
                }
                for message in adapter.finishMessages() { try await link.send(message) }
            }
            var events: [TranscriptEvent] = []
            var closing = false
            // Read on after close() until the link ends, as the session does, so the recognizer
            // has released its models when this returns.
            for try await message in link.inbound {
                events += try decoder.decode(message)
                if decoder.isFinished && !closing {
                    closing = true
                    await link.close()
                }
            }
            if !closing { await link.close() }
            try await group.waitForAll()
            return events
        }
    }

    /// The text of the final events, joined by spaces.
    package static func finalText(_ events: [TranscriptEvent]) -> String {
        events.compactMap { event -> String? in
            guard case .final(let segment) = event else { return nil }
            return segment.text
        }.joined(separator: " ")
    }
}
