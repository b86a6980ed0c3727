/// What the recognizer thread does with audio: feeds the decoder, cuts utterances where
/// PocketSphinx's voice-activity detection hears speech end, and turns hypotheses into
/// `LocalRecognizerMessage`s with times in seconds of audio received.
///
/// Not Sendable: it owns the decoder and lives on the recognizer thread.
package struct LocalRecognition {
    /// PocketSphinx's frame: 10 ms.
    static let frameSeconds = 0.01
    static let sampleRate = 16_000

    private let decoder: PocketSphinxDecoder
    /// How much audio must pass between two partials (~250 ms at 16 kHz).
    private let partialInterval: Int
    /// Longest utterance before it is cut: PocketSphinx's search grows with the utterance, and
    /// speech with no pause (or steady noise the detector takes for speech) would never end one.
    private let maxUtterance: Int
    private var speechStartedAt = 0
    private var samplesReceived = 0
    /// A byte left over when a message held an odd number of bytes.
    private var carry: UInt8?
    /// PocketSphinx's detector heard speech in the open utterance.
    private var heardSpeech = false
    private var lastPartialText: String?
    private var lastPartialAt = 0

    package init(
        decoder: PocketSphinxDecoder, partialIntervalSamples: Int = 4_000, maxUtteranceSamples: Int = 30 * 16_000
    ) throws(PocketSphinxError) {
        self.decoder = decoder
        self.partialInterval = partialIntervalSamples
        self.maxUtterance = maxUtteranceSamples
        try self.decoder.startUtterance()
    }

    /// Whether an utterance with speech is open (a gap in the audio then ends it).
    package var isInSpeech: Bool { heardSpeech }

    /// Seconds of audio received.
    package var secondsReceived: Double { Double(samplesReceived) / Double(Self.sampleRate) }

    /// Feeds little-endian PCM16 bytes; returns what happened: speech starting, a changed partial
    /// (throttled), or an utterance's final when the detector hears speech end.
    package mutating func feed(_ bytes: [UInt8]) throws(PocketSphinxError) -> [LocalRecognizerMessage] {
        let samples = decodeSamples(bytes)
        guard !samples.isEmpty else { return [] }
        if !decoder.isInUtterance { try decoder.startUtterance() }
        try decoder.process(samples)
        samplesReceived += samples.count
        var messages: [LocalRecognizerMessage] = []
        let inSpeech = decoder.inSpeech
        if inSpeech && !heardSpeech {
            heardSpeech = true
            // The detector reports speech after it passed its pre-speech frames to the search, so
            // the frames searched so far reach back to where speech began.
            let start = max(0, secondsReceived - Double(decoder.framesSearched) * Self.frameSeconds)
            messages.append(LocalRecognizerMessage(type: .speechStarted, at: start))
            lastPartialAt = samplesReceived - partialInterval
            speechStartedAt = samplesReceived
        }
        if heardSpeech && (!inSpeech || samplesReceived - speechStartedAt >= maxUtterance) {
            messages += try endUtterance()
        } else if heardSpeech && samplesReceived - lastPartialAt >= partialInterval {
            let text = decoder.hypothesis() ?? ""
            if !text.isEmpty && text != lastPartialText {
                messages.append(LocalRecognizerMessage(type: .partial, words: words()))
                lastPartialText = text
                lastPartialAt = samplesReceived
            }
        }
        return messages
    }

    /// Ends the open utterance and returns its final (when it has words) and its end; opens the
    /// next utterance.
    package mutating func endUtterance() throws(PocketSphinxError) -> [LocalRecognizerMessage] {
        guard decoder.isInUtterance else { return [] }
        try decoder.endUtterance()
        let words = words()
        let hadSpeech = heardSpeech
        heardSpeech = false
        lastPartialText = nil
        try decoder.startUtterance()
        guard hadSpeech || !words.isEmpty else { return [] }
        var messages: [LocalRecognizerMessage] = []
        if !words.isEmpty { messages.append(LocalRecognizerMessage(type: .final, words: words)) }
        let end = words.last?.end ?? secondsReceived
        messages.append(LocalRecognizerMessage(type: .utteranceEnd, at: end))
        return messages
    }

    /// The segmentation of the current best hypothesis, in seconds of audio received.
    ///
    /// Segment frames count from the start of the stream (`ps_start_stream`), including the silence
    /// the detector dropped, so they sit on the link's timeline as they are.
    private func words() -> [LocalRecognizerWord] {
        let limit = secondsReceived
        return decoder.segments().map { segment in
            let start = min(Double(segment.startFrame) * Self.frameSeconds, limit)
            let end = min(Double(segment.endFrame + 1) * Self.frameSeconds, limit)
            return LocalRecognizerWord(word: segment.word, start: start, end: max(start, end))
        }
    }

    private mutating func decodeSamples(_ bytes: [UInt8]) -> [Int16] {
        var bytes = bytes
        if let carry {
            bytes.insert(carry, at: 0)
            self.carry = nil
        }
        if bytes.count % 2 == 1 { carry = bytes.removeLast() }
        var samples = [Int16](repeating: 0, count: bytes.count / 2)
        for index in samples.indices {
            samples[index] = Int16(bitPattern: UInt16(bytes[2 * index]) | UInt16(bytes[2 * index + 1]) << 8)
        }
        return samples
    }
}
