/// One chunk of mono 16-bit PCM at the provider's rate, as the chunker cuts it (250 ms by default).
///
/// Chunks are what the session sends, keeps for replay after a reconnect, and maps provider
/// times back from: `inputStart` is where the chunk's first sample sits on the input's timeline,
/// which may jump forward where the voice-activity gate skipped silence.
package struct AudioChunk: Sendable, Equatable {
    package var samples: [Int16]
    package var sampleRate: Int
    /// Seconds from the start of the input to the first sample of this chunk.
    package var inputStart: Double
    /// A turn of speech ended after this chunk: the voice-activity gate closed (no audio follows
    /// until the next speech), or hark decides turns for the provider and a pause or the longest
    /// turn came.
    package var endsSpeech: Bool
    /// Where speech began inside this chunk, on the input's timeline (the detector's first voice frame).
    package var speechStart: Double?
    /// Where the turn's speech ended, on the input's timeline, on a chunk that `endsSpeech`.
    ///
    /// It may lie in an earlier chunk; the audio from there to this chunk's end is contiguous (the pause).
    package var speechEnd: Double?

    package init(
        samples: [Int16], sampleRate: Int, inputStart: Double, endsSpeech: Bool = false, speechStart: Double? = nil,
        speechEnd: Double? = nil
    ) {
        self.samples = samples
        self.sampleRate = sampleRate
        self.inputStart = inputStart
        self.endsSpeech = endsSpeech
        self.speechStart = speechStart
        self.speechEnd = speechEnd
    }

    /// Length in seconds.
    package var duration: Double { Double(samples.count) / Double(sampleRate) }

    /// Seconds from the start of the input to just after the last sample.
    package var inputEnd: Double { inputStart + duration }
}

/// How audio is put on the wire.
package enum AudioEncoding: String, Sendable, CaseIterable, Equatable {
    /// Raw signed 16-bit little-endian PCM.
    case linear16
    /// Opus in an Ogg container, one page flushed per chunk.
    case opus
    /// G.711 µ-law, 8 bits a sample.
    case mulaw
}
