internal import CALSA

#if canImport(Glibc)
    import Glibc
#endif

/// An ALSA return code: a negative `errno` value, described by alsa-lib's own text.
///
/// The named values are the ones capture treats specially (see `ALSACaptureLoop`); every other
/// code still prints as alsa-lib words it.
package struct ALSAErrorCode: RawRepresentable, Hashable, Sendable, Error, CustomStringConvertible {
    /// The negative errno value alsa-lib returned.
    package var rawValue: Int32

    package init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    /// `-EPIPE`: an overrun; the device wrote faster than hark read and samples were lost.
    package static let overrun = ALSAErrorCode(rawValue: -EPIPE)
    /// `-ESTRPIPE`: the device was suspended (system sleep) and must be resumed.
    package static let suspended = ALSAErrorCode(rawValue: -ESTRPIPE)
    /// `-ENODEV`: the device is gone (USB unplug), or at open an unparsable card name.
    package static let noDevice = ALSAErrorCode(rawValue: -ENODEV)
    /// `-ENOENT`: at open, "Unknown PCM" or a card that does not exist.
    package static let notFound = ALSAErrorCode(rawValue: -ENOENT)
    /// `-EBUSY`: another program holds the device.
    package static let busy = ALSAErrorCode(rawValue: -EBUSY)
    /// `-EAGAIN`: nothing to do yet (a resume still in progress, or no frames in non-blocking mode).
    package static let tryAgain = ALSAErrorCode(rawValue: -EAGAIN)
    /// `-EINTR`: a signal interrupted the call; it can simply be repeated.
    package static let interrupted = ALSAErrorCode(rawValue: -EINTR)
    /// `-EACCES`: the user may not open the device (not in the `audio` group).
    package static let permissionDenied = ALSAErrorCode(rawValue: -EACCES)
    /// `-EINVAL`: the device refused a parameter.
    package static let invalidArgument = ALSAErrorCode(rawValue: -EINVAL)
    /// `-ELIBACC`: alsa-lib itself could not be loaded (see `ALSAPCM.library`).
    package static let libraryMissing = ALSAErrorCode(rawValue: -ELIBACC)

    /// alsa-lib's text for the code, like "Broken pipe (-32)".
    package var description: String {
        // Without alsa-lib (it failed to load) the code is a plain errno value.
        let text =
            ((try? ALSAPCM.library.get())?.snd_strerror(rawValue) ?? strerror(-rawValue).map { UnsafePointer($0) })
            .map { String(cString: $0) } ?? "unknown error"
        return "\(text) (\(rawValue))"
    }
}

/// An ALSA call that failed: which C function, its code, and what hark wanted from it.
package struct ALSAError: Error, Equatable, Sendable, CustomStringConvertible {
    package var code: ALSAErrorCode
    /// The C function that returned `code`, for anyone reading the man page.
    package var function: String
    /// What hark asked for, when the code alone does not say: the formats it tried, say.
    package var detail: String?

    package init(code: ALSAErrorCode, function: String, detail: String? = nil) {
        self.code = code
        self.function = function
        self.detail = detail
    }

    package var description: String {
        "\(function): \(code)" + (detail.map { "; \($0)" } ?? "")
    }
}

/// What capture asks of a device's hardware parameters.
package struct ALSAHardwareRequest: Sendable, Equatable {
    /// Sample encodings in order of preference; the first the device offers wins.
    package var sampleFormats: [SampleFormat]
    /// The rate to use when the device offers it exactly (the provider's rate); nil means the
    /// device's native rate.
    package var preferredRate: Int?
    /// Rates tried in order when the preferred rate is not offered: the usual native rates.
    package var nativeRates: [Int]
    /// Channels wanted; the device may only offer more (many `hw:` devices are stereo only).
    package var channels: Int
    /// How much audio one period holds; capture hands over one period at a time.
    package var periodDuration: Double
    /// The device buffer in periods: headroom before an overrun when hark is slow to read.
    package var periodsPerBuffer: Int

    package init(
        sampleFormats: [SampleFormat] = [.s16le, .s32le, .s24le, .f32le], preferredRate: Int?,
        nativeRates: [Int] = [48000, 44100, 32000, 16000], channels: Int = 1, periodDuration: Double = 0.02,
        periodsPerBuffer: Int = 8
    ) {
        self.sampleFormats = sampleFormats
        self.preferredRate = preferredRate
        self.nativeRates = nativeRates
        self.channels = channels
        self.periodDuration = periodDuration
        self.periodsPerBuffer = periodsPerBuffer
    }
}

/// What a device agreed to: the stream format, and the period and buffer it will use.
package struct ALSAHardwareSetup: Sendable, Equatable {
    package var format: AudioFormat
    package var periodFrames: Int
    package var bufferFrames: Int

    package init(format: AudioFormat, periodFrames: Int, bufferFrames: Int) {
        self.format = format
        self.periodFrames = periodFrames
        self.bufferFrames = bufferFrames
    }
}

/// The one owner of an ALSA capture handle (`snd_pcm_t *`).
///
/// Not Sendable: the handle is opened on the caller's thread, then handed whole to the capture
/// thread with `sending`, and closed when the last reference goes (`deinit`).
package final class ALSAPCM {
    private let handle: OpaquePointer
    /// alsa-lib's functions (opened on first use).
    private let alsa: hark_alsa_functions
    /// The name the device was opened with (what `--device` took).
    package let deviceName: String

    /// Opens `deviceName` for capture.
    ///
    /// The device is opened non-blocking so that a device held by another program fails at
    /// once with `-EBUSY` (a blocking open waits for it to be released), then switched back to
    /// blocking mode for reading. The corresponding C function is `snd_pcm_open`.
    package init(captureDevice deviceName: String) throws(ALSAError) {
        guard case .success(let alsa) = ALSAPCM.library else {
            throw ALSAError(code: .libraryMissing, function: "dlopen", detail: HARK_ALSA_SONAME)
        }
        _ = ALSAPCM.libraryMessagesSilenced
        var pcm: OpaquePointer?
        let opened = alsa.snd_pcm_open(&pcm, deviceName, SND_PCM_STREAM_CAPTURE, SND_PCM_NONBLOCK)
        guard opened >= 0, let pcm else {
            throw ALSAError(code: ALSAErrorCode(rawValue: opened), function: "snd_pcm_open")
        }
        let blocking = alsa.snd_pcm_nonblock(pcm, 0)
        guard blocking >= 0 else {
            _ = alsa.snd_pcm_close(pcm)
            throw ALSAError(code: ALSAErrorCode(rawValue: blocking), function: "snd_pcm_nonblock")
        }
        self.handle = pcm
        self.alsa = alsa
        self.deviceName = deviceName
    }

    deinit {
        _ = alsa.snd_pcm_close(handle)
    }

    /// Discards alsa-lib's own stderr lines, once per process.
    ///
    /// alsa-lib prints "ALSA lib pcm.c:2666:(snd_pcm_open_noupdate) Unknown PCM" and the like;
    /// hark reports every failure in its own words, and stray lines would break the display.
    /// The corresponding C function is `snd_lib_error_set_handler`.
    static let libraryMessagesSilenced: Bool = (try? library.get()).map { hark_snd_lib_error_silence($0) == 0 } ?? false

    /// alsa-lib's functions, opened on first use: only capture and `hark devices` need it.
    static let library = Result { () throws(MissingLibrary) -> hark_alsa_functions in
        try MissingLibrary.load(
            HARK_ALSA_SONAME, debianPackage: "libasound2", neededFor: "microphone capture and 'hark devices'",
            hark_alsa_load)
    }

    /// Chooses and installs the hardware parameters, leaving the device prepared.
    ///
    /// Access is interleaved read/write; the sample format is the first of
    /// `request.sampleFormats` the device offers; the channel count the nearest the device
    /// offers; the rate the preferred one when offered exactly, else a native rate. alsa-lib's
    /// own resampler is switched off (`snd_pcm_hw_params_set_rate_resample`), so a `plughw:`
    /// device shows its real rates and hark's soxr resampler, far cleaner than alsa-lib's linear
    /// one, does the conversion. The corresponding C function is `snd_pcm_hw_params`.
    package func negotiate(_ request: ALSAHardwareRequest) throws(ALSAError) -> ALSAHardwareSetup {
        var allocated: OpaquePointer?
        try check(alsa.snd_pcm_hw_params_malloc(&allocated), "snd_pcm_hw_params_malloc")
        guard let params = allocated else {
            throw ALSAError(code: ALSAErrorCode(rawValue: -ENOMEM), function: "snd_pcm_hw_params_malloc")
        }
        defer { alsa.snd_pcm_hw_params_free(params) }

        try check(alsa.snd_pcm_hw_params_any(handle, params), "snd_pcm_hw_params_any")
        try check(
            alsa.snd_pcm_hw_params_set_access(handle, params, SND_PCM_ACCESS_RW_INTERLEAVED),
            "snd_pcm_hw_params_set_access", detail: "the device does not offer interleaved reads")
        // Not every plugin has the knob; failing to turn it off only costs resampling quality.
        _ = alsa.snd_pcm_hw_params_set_rate_resample(handle, params, 0)

        guard
            let sampleFormat = request.sampleFormats.first(where: {
                alsa.snd_pcm_hw_params_test_format(handle, params, ALSAPCM.alsaFormat($0)) == 0
            })
        else {
            let names = request.sampleFormats.map(ALSAPCM.alsaFormatName).joined(separator: ", ")
            throw ALSAError(
                code: .invalidArgument, function: "snd_pcm_hw_params_set_format",
                detail: "the device offers none of the sample formats \(names)")
        }
        try check(
            alsa.snd_pcm_hw_params_set_format(handle, params, ALSAPCM.alsaFormat(sampleFormat)),
            "snd_pcm_hw_params_set_format")

        var channels = UInt32(max(request.channels, 1))
        try check(
            alsa.snd_pcm_hw_params_set_channels_near(handle, params, &channels), "snd_pcm_hw_params_set_channels_near")

        var rate = UInt32(try chooseRate(request, params))
        var direction: Int32 = 0
        try check(
            alsa.snd_pcm_hw_params_set_rate_near(handle, params, &rate, &direction), "snd_pcm_hw_params_set_rate_near")

        var periodFrames = snd_pcm_uframes_t(max(1, Int((Double(rate) * request.periodDuration).rounded())))
        direction = 0
        try check(
            alsa.snd_pcm_hw_params_set_period_size_near(handle, params, &periodFrames, &direction),
            "snd_pcm_hw_params_set_period_size_near")
        var bufferFrames = periodFrames * snd_pcm_uframes_t(max(2, request.periodsPerBuffer))
        try check(
            alsa.snd_pcm_hw_params_set_buffer_size_near(handle, params, &bufferFrames),
            "snd_pcm_hw_params_set_buffer_size_near")

        try check(alsa.snd_pcm_hw_params(handle, params), "snd_pcm_hw_params")

        // Read back what was installed: the `_near` setters may have moved.
        direction = 0
        try check(alsa.snd_pcm_hw_params_get_rate(params, &rate, &direction), "snd_pcm_hw_params_get_rate")
        try check(alsa.snd_pcm_hw_params_get_channels(params, &channels), "snd_pcm_hw_params_get_channels")
        direction = 0
        try check(
            alsa.snd_pcm_hw_params_get_period_size(params, &periodFrames, &direction),
            "snd_pcm_hw_params_get_period_size")
        try check(alsa.snd_pcm_hw_params_get_buffer_size(params, &bufferFrames), "snd_pcm_hw_params_get_buffer_size")
        return ALSAHardwareSetup(
            format: AudioFormat(sampleRate: Int(rate), channels: Int(channels), sampleFormat: sampleFormat),
            periodFrames: Int(periodFrames), bufferFrames: Int(bufferFrames))
    }

    /// The preferred rate when the device offers it exactly, else the first native rate it
    /// offers, else whatever is nearest 48 kHz.
    private func chooseRate(_ request: ALSAHardwareRequest, _ params: OpaquePointer) throws(ALSAError) -> Int {
        let candidates = (request.preferredRate.map { [$0] } ?? []) + request.nativeRates
        for rate in candidates where rate > 0 {
            if alsa.snd_pcm_hw_params_test_rate(handle, params, UInt32(rate), 0) == 0 { return rate }
        }
        return 48000
    }

    /// Starts the stream.
    ///
    /// A prepared capture stream does not start by itself, and `snd_pcm_wait` on it would only
    /// time out. The corresponding C function is `snd_pcm_start`.
    package func start() throws(ALSAErrorCode) {
        try checkCode(alsa.snd_pcm_start(handle))
    }

    /// Waits until a period can be read or `timeoutMilliseconds` pass; false on a timeout.
    ///
    /// The bounded wait is what lets the capture loop see a stop request.
    /// The corresponding C function is `snd_pcm_wait`.
    package func wait(timeoutMilliseconds: Int) throws(ALSAErrorCode) -> Bool {
        let result = alsa.snd_pcm_wait(handle, Int32(timeoutMilliseconds))
        try checkCode(result)
        return result > 0
    }

    /// Reads up to `frames` interleaved frames into the start of `buffer`; returns how many.
    ///
    /// `buffer` must hold at least `frames` frames. It is zeroed first: the `file` plugin,
    /// once past the end of its input, reports frames read without writing them (measured on
    /// alsa-lib 1.2.8: the previous period came back again), and silence is the honest value
    /// for frames nobody wrote. The corresponding C function is `snd_pcm_readi`.
    package func readInterleaved(into buffer: inout [UInt8], frames: Int) throws(ALSAErrorCode) -> Int {
        let result = buffer.withUnsafeMutableBytes { bytes in
            bytes.initializeMemory(as: UInt8.self, repeating: 0)
            return alsa.snd_pcm_readi(handle, bytes.baseAddress, snd_pcm_uframes_t(frames))
        }
        if result < 0 { throw ALSAErrorCode(rawValue: Int32(truncatingIfNeeded: result)) }
        return result
    }

    /// Recovers from an overrun by preparing the stream again; throws when it cannot.
    ///
    /// The corresponding C function is `snd_pcm_recover`.
    package func recover(from error: ALSAErrorCode) throws(ALSAErrorCode) {
        // silent = 1: hark counts and reports overruns itself.
        try checkCode(alsa.snd_pcm_recover(handle, error.rawValue, 1))
    }

    /// Resumes a suspended stream; throws `.tryAgain` while the device is still waking up.
    ///
    /// The corresponding C function is `snd_pcm_resume`.
    package func resume() throws(ALSAErrorCode) {
        try checkCode(alsa.snd_pcm_resume(handle))
    }

    /// Prepares the stream for a new start, for devices that cannot resume.
    ///
    /// The corresponding C function is `snd_pcm_prepare`.
    package func prepare() throws(ALSAErrorCode) {
        try checkCode(alsa.snd_pcm_prepare(handle))
    }

    private func check(_ result: Int32, _ function: String, detail: String? = nil) throws(ALSAError) {
        if result < 0 { throw ALSAError(code: ALSAErrorCode(rawValue: result), function: function, detail: detail) }
    }

    private func checkCode(_ result: Int32) throws(ALSAErrorCode) {
        if result < 0 { throw ALSAErrorCode(rawValue: result) }
    }

    private static func alsaFormat(_ format: SampleFormat) -> snd_pcm_format_t {
        switch format {
        case .s16le: SND_PCM_FORMAT_S16_LE
        case .s24le: SND_PCM_FORMAT_S24_3LE
        case .s32le: SND_PCM_FORMAT_S32_LE
        case .f32le: SND_PCM_FORMAT_FLOAT_LE
        }
    }

    /// ALSA's name for a format ("S24_3LE"), as `arecord --dump-hw-params` prints it.
    package static func alsaFormatName(_ format: SampleFormat) -> String {
        (try? library.get())?.snd_pcm_format_name(alsaFormat(format)).map { String(cString: $0) } ?? format.rawValue
    }
}

@available(*, unavailable)
extension ALSAPCM: Sendable {}
