import COggOpus

/// Ogg Opus for the wire (what `AudioEncoding.opus` means), one Ogg page out per chunk; the one
/// owner of a libopusenc `OggOpusEnc`.
///
/// libopusenc's defaults hold pages back for about 3 s (measured), which would delay every
/// transcript by as much. hark sets `OPE_SET_DECISION_DELAY(0)`, sends the headers with the
/// first chunk (`ope_encoder_flush_header`) and flushes a page after every chunk
/// (`ope_encoder_get_page(…, flush: 1)`), so each 250 ms chunk leaves at once.
package final class OggOpusEncoder: AudioPayloadEncoder {
    package let sampleRate: Int
    private let handle: OpaquePointer
    /// libopusenc's functions (opened on first use).
    private let ope: hark_ope_functions
    private var headerSent = false
    private var finished = false

    /// libopus's effort, 0–10.
    ///
    /// Its default, 10, costs 1.2 s of CPU per minute through libopusenc (which always encodes at
    /// 48 kHz); 5 costs 0.8 s and 0 costs 0.5 s (`make bench`, this machine). 5 is the usual
    /// real-time voice setting.
    package static let defaultComplexity = 5

    /// Bits per second when none is asked for.
    ///
    /// libopusenc's own choice at 48 kHz is about 52 kbit/s for mono speech; 24 kbit/s keeps
    /// wideband speech clean at half of that.
    package static let defaultBitrate = 24_000

    /// - Parameters:
    ///   - bitrate: bits per second, or nil for `OggOpusEncoder.defaultBitrate`.
    ///   - complexity: libopus's effort, 0–10.
    /// - Throws: `DSPError.unsupportedSampleRate` or `.encoderFailed` with libopusenc's text.
    package init(sampleRate: Int, bitrate: Int? = nil, complexity: Int = OggOpusEncoder.defaultComplexity)
        throws(DSPError)
    {
        // libopusenc resamples anything else to 48 kHz itself; hark only feeds provider rates.
        guard (8_000...192_000).contains(sampleRate) else {
            throw .unsupportedSampleRate(stage: "Ogg Opus encoder", rate: sampleRate, supported: "8000 to 192000 Hz")
        }
        let ope: hark_ope_functions
        do {
            ope = try MissingLibrary.load(
                HARK_OPE_SONAME, debianPackage: "libopusenc0", neededFor: "--encoding opus", hark_ope_load)
        } catch {
            throw .libraryMissing(error)
        }
        guard let comments = ope.ope_comments_create() else {
            throw Self.failure(ope, OPE_ALLOC_FAIL, while: "creating the stream's comments")
        }
        defer { ope.ope_comments_destroy(comments) }
        _ = ope.ope_comments_add(comments, "ENCODER", "hark")
        var error: Int32 = 0
        guard let handle = ope.ope_encoder_create_pull(comments, Int32(sampleRate), 1, 0, &error), error == OPE_OK
        else {
            throw Self.failure(ope, error, while: "creating an encoder at \(sampleRate) Hz")
        }
        self.handle = handle
        self.ope = ope
        self.sampleRate = sampleRate
        try check(hark_ope_encoder_set_decision_delay(ope, handle, 0), while: "turning off the decision delay")
        try check(hark_ope_encoder_set_comment_padding(ope, handle, 0), while: "setting the comment padding")
        try check(hark_ope_encoder_set_signal_voice(ope, handle), while: "tuning the encoder for voice")
        try check(
            hark_ope_encoder_set_complexity(ope, handle, Int32(clamping: complexity)),
            while: "setting complexity \(complexity)")
        let bitrate = bitrate ?? OggOpusEncoder.defaultBitrate
        try check(
            hark_ope_encoder_set_bitrate(ope, handle, Int32(clamping: bitrate)), while: "setting \(bitrate) bit/s")
    }

    deinit {
        ope.ope_encoder_destroy(handle)
    }

    package var encoding: AudioEncoding { .opus }

    /// The Ogg pages for this chunk (the first call includes the two header pages).
    package func encode(_ chunk: AudioChunk) throws -> [UInt8] {
        if !headerSent {
            try check(ope.ope_encoder_flush_header(handle), while: "writing the stream headers")
            headerSent = true
        }
        let count = Int32(chunk.samples.count)
        let status = chunk.samples.withUnsafeBufferPointer { samples in
            ope.ope_encoder_write(handle, samples.baseAddress, count)
        }
        try check(status, while: "encoding a \(chunk.samples.count)-sample chunk")
        return takePages()
    }

    /// Drains the encoder: the last frames and the end-of-stream page.
    package func finish() throws -> [UInt8] {
        guard !finished else { return [] }
        finished = true
        if !headerSent {
            try check(ope.ope_encoder_flush_header(handle), while: "writing the stream headers")
            headerSent = true
        }
        try check(ope.ope_encoder_drain(handle), while: "finishing the stream")
        return takePages()
    }

    private func takePages() -> [UInt8] {
        var bytes: [UInt8] = []
        var page: UnsafeMutablePointer<UInt8>?
        var length: Int32 = 0
        while ope.ope_encoder_get_page(handle, &page, &length, 1) != 0 {
            if let page, length > 0 {
                bytes.append(contentsOf: UnsafeBufferPointer(start: page, count: Int(length)))
            }
        }
        return bytes
    }

    private func check(_ status: Int32, while activity: String) throws(DSPError) {
        guard status == OPE_OK else { throw Self.failure(ope, status, while: activity) }
    }

    private static func failure(_ ope: hark_ope_functions, _ status: Int32, while activity: String) -> DSPError {
        .encoderFailed(
            library: "libopusenc", code: status,
            reason: ope.ope_strerror(status).map { String(cString: $0) } ?? "unknown error", while: activity)
    }
}

@available(*, unavailable)
extension OggOpusEncoder: Sendable {}
