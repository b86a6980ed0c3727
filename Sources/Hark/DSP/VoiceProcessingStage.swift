/// The DSP stage between the resampler and the chunker: WebRTC enhancement (high-pass filter,
/// noise suppression, gain control), then the voice-activity gate.
///
/// WebRTC works on 10 ms frames, so the stage cuts whatever blocks arrive into frames and keeps
/// the remainder for the next block. It runs at the provider's rate, after resampling: the
/// detector works at 16 kHz or below internally anyway, and that is the cheapest place.
/// With every option off it passes blocks through untouched and costs nothing.
package struct VoiceProcessingStage {
    package let sampleRate: Int
    package let options: AudioProcessingOptions
    private let processing: AudioProcessingModule?
    private var gate: VoiceActivityGate?
    /// Samples not yet making up a whole 10 ms frame.
    private var pending: [Float] = []
    /// Where `pending` begins on the input's timeline: `origin + originOffset / sampleRate`.
    private var origin = 0.0
    private var originOffset = 0
    /// Frames processed so far, to ignore the detector while it warms up.
    private var framesProcessed = 0

    /// Frames at the start whose voice decisions are ignored.
    ///
    /// WebRTC's detector calls the first 70–100 ms of any faint noise "voice" while its noise
    /// model settles (measured: white noise at -66 and -46 dBFS, levels 0–3), which would open
    /// the gate at every start. Its decisions for the first 150 ms are ignored; speech there
    /// still goes out, because the detector keeps flagging it afterwards and the 300 ms
    /// pre-roll reaches back over the warm-up.
    static let detectorWarmUpFrames = 15

    /// - Throws: `DSPError` when the options are out of range or WebRTC refuses the rate.
    package init(sampleRate: Int, options: AudioProcessingOptions) throws(DSPError) {
        try options.validate()
        self.sampleRate = sampleRate
        self.options = options
        processing =
            options.needsAudioProcessing ? try AudioProcessingModule(sampleRate: sampleRate, options: options) : nil
        gate =
            options.voiceActivityGate
            ? VoiceActivityGate(sampleRate: sampleRate, preRoll: options.preRoll, hangOver: options.hangOver) : nil
    }

    /// What the gate did so far; nil when the gate is off.
    package var gateStatistics: GateStatistics? { gate?.statistics }

    /// True while audio is being sent.
    ///
    /// Always with the gate off; with it on, while speech (or its hang-over) lasts. When false
    /// the session must keep the provider's connection alive itself.
    package var isSending: Bool { gate?.isOpen ?? true }

    /// Takes mono audio at `sampleRate`; returns what goes on to the chunker.
    package mutating func process(_ block: AudioBlock) throws(DSPError) -> [AudioBlock] {
        guard let processing else { return [block] }
        precondition(
            block.channels == 1 && block.sampleRate == sampleRate,
            "VoiceProcessingStage at \(sampleRate) Hz got \(block.channels) channels at \(block.sampleRate) Hz")
        if pending.isEmpty {
            origin = block.inputStart
            originOffset = 0
        }
        pending.append(contentsOf: block.samples)
        let frameLength = processing.frameLength
        var output: [AudioBlock] = []
        var start = 0
        while pending.count - start >= frameLength {
            var frame = Array(pending[start..<start + frameLength])
            let detected = try processing.process(&frame)
            let isVoice = detected && framesProcessed >= Self.detectorWarmUpFrames
            framesProcessed += 1
            let frameBlock = AudioBlock(
                samples: frame, sampleRate: sampleRate, channels: 1,
                inputStart: origin + Double(originOffset) / Double(sampleRate))
            originOffset += frameLength
            start += frameLength
            append(emit(frameBlock, isVoice: isVoice), to: &output)
        }
        pending.removeFirst(start)
        return output
    }

    /// Ends the stream: the last partial frame is sent as it is if audio is flowing (WebRTC
    /// cannot process less than 10 ms), dropped if the gate is closed.
    package mutating func finish() -> [AudioBlock] {
        guard processing != nil else { return [] }
        let tail = AudioBlock(
            samples: pending, sampleRate: sampleRate, channels: 1,
            inputStart: origin + Double(originOffset) / Double(sampleRate))
        originOffset += pending.count
        pending.removeAll()
        // Optional chaining mutates the gate in place (a copy would duplicate its pre-roll).
        return gate?.finish(remainder: tail) ?? (tail.samples.isEmpty ? [] : [tail])
    }

    private mutating func emit(_ frame: AudioBlock, isVoice: Bool) -> [AudioBlock] {
        gate?.process(frame, isVoice: isVoice) ?? [frame]
    }

    /// Appends, merging a block into the previous one when they touch.
    private func append(_ blocks: [AudioBlock], to output: inout [AudioBlock]) {
        for block in blocks {
            if var last = output.last, last.isFollowed(by: block) {
                last.samples.append(contentsOf: block.samples)
                output[output.count - 1] = last
            } else {
                output.append(block)
            }
        }
    }
}

@available(*, unavailable)
extension VoiceProcessingStage: Sendable {}
