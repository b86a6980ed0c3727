import COpus

/// Raw Opus packets, one per 20 ms of mono speech; the one owner of a libopus `OpusEncoder`.
///
/// For providers that take raw Opus one packet per message (AssemblyAI's newer `opus`), use
/// `encodePackets(_:)`. As an `AudioPayloadEncoder` it returns the packets of a chunk back to
/// back, which only a reader that knows their lengths can split; `AudioEncoding.opus` on the
/// wire means Ogg Opus (`OggOpusEncoder`), which is self-delimiting.
package final class OpusEncoder: AudioPayloadEncoder {
    package let sampleRate: Int
    /// Samples in one 20 ms frame.
    package let frameLength: Int
    private let handle: OpaquePointer
    /// libopus's functions (opened on first use).
    private let opus: hark_opus_functions
    private var pending: [Int16] = []
    private var packet = [UInt8](repeating: 0, count: 4000)

    /// libopus's effort, 0–10.
    ///
    /// Its default, 10, costs 1.2 s of CPU per minute through libopusenc
    /// (which always encodes at 48 kHz); 5 costs 0.8 s and 0 costs 0.5 s (`make bench`, this
    /// machine). 5 is the usual real-time voice setting.
    package static let defaultComplexity = 5

    /// Bits per second when none is asked for.
    ///
    /// libopusenc's own choice at 48 kHz is about
    /// 52 kbit/s for mono speech; 24 kbit/s keeps wideband speech clean at half of that.
    package static let defaultBitrate = 24_000

    /// Rates libopus encodes natively, in Hz.
    package static let supportedRates = [8_000, 12_000, 16_000, 24_000, 48_000]

    /// - Parameters:
    ///   - bitrate: bits per second, or nil for `OpusEncoder.defaultBitrate`.
    ///   - complexity: libopus's effort, 0–10.
    /// - Throws: `DSPError.unsupportedSampleRate` or `.encoderFailed` with libopus's text.
    package init(sampleRate: Int, bitrate: Int? = nil, complexity: Int = OpusEncoder.defaultComplexity) throws(DSPError)
    {
        guard Self.supportedRates.contains(sampleRate) else {
            throw .unsupportedSampleRate(stage: "Opus encoder", rate: sampleRate, supported: "8, 12, 16, 24 or 48 kHz")
        }
        let opus: hark_opus_functions
        do {
            opus = try MissingLibrary.load(
                HARK_OPUS_SONAME, debianPackage: "libopus0", neededFor: "Opus encoding", hark_opus_load)
        } catch {
            throw .libraryMissing(error)
        }
        var error: Int32 = 0
        guard let handle = opus.opus_encoder_create(Int32(sampleRate), 1, OPUS_APPLICATION_VOIP, &error),
            error == OPUS_OK
        else {
            throw Self.failure(opus, error, while: "creating an encoder at \(sampleRate) Hz")
        }
        self.handle = handle
        self.opus = opus
        self.sampleRate = sampleRate
        self.frameLength = sampleRate / 50
        try check(hark_opus_encoder_set_signal_voice(opus, handle), while: "tuning the encoder for voice")
        try check(
            hark_opus_encoder_set_complexity(opus, handle, Int32(clamping: complexity)),
            while: "setting complexity \(complexity)")
        let bitrate = bitrate ?? OpusEncoder.defaultBitrate
        try check(
            hark_opus_encoder_set_bitrate(opus, handle, Int32(clamping: bitrate)), while: "setting \(bitrate) bit/s")
    }

    deinit {
        opus.opus_encoder_destroy(handle)
    }

    package var encoding: AudioEncoding { .opus }

    /// Encodes every whole 20 ms frame available; the rest waits for the next chunk.
    package func encodePackets(_ chunk: AudioChunk) throws(DSPError) -> [[UInt8]] {
        pending.append(contentsOf: chunk.samples)
        var packets: [[UInt8]] = []
        var start = 0
        while pending.count - start >= frameLength {
            packets.append(try encodeFrame(at: start))
            start += frameLength
        }
        pending.removeFirst(start)
        return packets
    }

    /// Encodes what is left, padded with silence to a whole frame.
    package func finishPackets() throws(DSPError) -> [[UInt8]] {
        guard !pending.isEmpty else { return [] }
        pending.append(contentsOf: repeatElement(0, count: frameLength - pending.count))
        let last = try encodeFrame(at: 0)
        pending.removeAll()
        return [last]
    }

    package func encode(_ chunk: AudioChunk) throws -> [UInt8] {
        try encodePackets(chunk).flatMap { $0 }
    }

    package func finish() throws -> [UInt8] {
        try finishPackets().flatMap { $0 }
    }

    private func encodeFrame(at start: Int) throws(DSPError) -> [UInt8] {
        let capacity = Int32(packet.count)
        let frameLength = Int32(self.frameLength)
        let length = pending.withUnsafeBufferPointer { samples in
            packet.withUnsafeMutableBufferPointer { bytes -> Int32 in
                guard let input = samples.baseAddress, let output = bytes.baseAddress else { return OPUS_BAD_ARG }
                return opus.opus_encode(handle, input + start, frameLength, output, capacity)
            }
        }
        guard length >= 0 else { throw Self.failure(opus, length, while: "encoding a 20 ms frame") }
        return Array(packet.prefix(Int(length)))
    }

    private func check(_ status: Int32, while activity: String) throws(DSPError) {
        guard status == OPUS_OK else { throw Self.failure(opus, status, while: activity) }
    }

    private static func failure(_ opus: hark_opus_functions, _ status: Int32, while activity: String) -> DSPError {
        .encoderFailed(
            library: "libopus", code: status,
            reason: opus.opus_strerror(status).map { String(cString: $0) } ?? "unknown error", while: activity)
    }
}

@available(*, unavailable)
extension OpusEncoder: Sendable {}
