/// The DSP stage between the resampler and the chunker: WebRTC enhancement (high-pass filter,
/// noise suppression, gain control), then the voice-activity gate and the turn detector.
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
    /// Where turns begin and end: whenever voice is detected (the gate's closes are turn ends).
    private var turns: TurnDetector?
    /// Keeps steady noise from counting as voice.
    private var noiseFloor = NoiseFloorTracker()
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
        turns =
            options.detectsVoice ? TurnDetector(pause: options.hangOver, maxLength: options.maxTurnLength) : nil
    }

    /// What the stage hands on: audio, and where turns begin and end, in order.
    package enum Output: Sendable, Equatable {
        case audio(AudioBlock)
        case turn(TurnDetector.Mark)
    }

    /// What the gate did so far; nil when the gate is off.
    package var gateStatistics: GateStatistics? { gate?.statistics }

    /// True while audio is being sent.
    ///
    /// Always with the gate off; with it on, while speech (or its hang-over) lasts. When false
    /// the session must keep the provider's connection alive itself.
    package var isSending: Bool { gate?.isOpen ?? true }

    /// Takes mono audio at `sampleRate`; returns what goes on to the chunker.
    package mutating func process(_ block: AudioBlock) throws(DSPError) -> [Output] {
        guard let processing else { return [.audio(block)] }
        precondition(
            block.channels == 1 && block.sampleRate == sampleRate,
            "VoiceProcessingStage at \(sampleRate) Hz got \(block.channels) channels at \(block.sampleRate) Hz")
        if pending.isEmpty {
            origin = block.inputStart
            originOffset = 0
        }
        pending.append(contentsOf: block.samples)
        let frameLength = processing.frameLength
        var output: [Output] = []
        var start = 0
        while pending.count - start >= frameLength {
            var frame = Array(pending[start..<start + frameLength])
            // Judged on the frame as it came in, before noise suppression lowers the floor.
            let aboveFloor = noiseFloor.isAboveFloor(level: NoiseFloorTracker.level(of: frame))
            let detected = try processing.process(&frame)
            let isVoice = detected && aboveFloor && framesProcessed >= Self.detectorWarmUpFrames
            framesProcessed += 1
            let frameBlock = AudioBlock(
                samples: frame, sampleRate: sampleRate, channels: 1,
                inputStart: origin + Double(originOffset) / Double(sampleRate))
            originOffset += frameLength
            start += frameLength
            append(emit(frameBlock, isVoice: isVoice), to: &output)
            if let marks = turns?.process(
                frameStart: frameBlock.inputStart, duration: frameBlock.duration, isVoice: isVoice)
            {
                output += marks.map(Output.turn)
            }
        }
        pending.removeFirst(start)
        return output
    }

    /// Ends the stream.
    ///
    /// The last partial frame is sent as it is if audio is flowing (WebRTC cannot process less
    /// than 10 ms), dropped if the gate is closed. A turn still open ends after it when the
    /// provider asked hark to decide turns.
    package mutating func finish() -> [Output] {
        guard processing != nil else { return [] }
        let tail = AudioBlock(
            samples: pending, sampleRate: sampleRate, channels: 1,
            inputStart: origin + Double(originOffset) / Double(sampleRate))
        originOffset += pending.count
        pending.removeAll()
        // Optional chaining mutates the gate in place (a copy would duplicate its pre-roll).
        let blocks = gate?.finish(remainder: tail) ?? (tail.samples.isEmpty ? [] : [tail])
        var output = blocks.map(Output.audio)
        if options.maxTurnLength != nil, let marks = turns?.finish() { output += marks.map(Output.turn) }
        return output
    }

    private mutating func emit(_ frame: AudioBlock, isVoice: Bool) -> [AudioBlock] {
        gate?.process(frame, isVoice: isVoice) ?? [frame]
    }

    /// Appends, merging a block into the previous one when they touch.
    private func append(_ blocks: [AudioBlock], to output: inout [Output]) {
        for block in blocks {
            if case .audio(var last) = output.last, last.isFollowed(by: block) {
                last.samples.append(contentsOf: block.samples)
                output[output.count - 1] = .audio(last)
            } else {
                output.append(.audio(block))
            }
        }
    }
}

@available(*, unavailable)
extension VoiceProcessingStage: Sendable {}
