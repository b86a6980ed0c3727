import CSoxr

/// Streaming mono resampler over libsoxr at its high-quality recipe; the one owner of a `soxr_t`.
///
/// WebRTC's built-in resampler rejects only about 20 dB of alias just above the new Nyquist;
/// libsoxr HQ rejects about 137 dB at thousands of times real time (measured on this platform),
/// so every rate change in hark goes through here.
///
/// The output length is exact: after `finish()` the stream holds `round(n · out / in)` samples
/// for `n` input samples, whatever block sizes came in. libsoxr alone can end a few samples
/// off, and over a long session that would drift the timeline the provider's times map onto.
/// Output sample `k` sits at input time `k / outputRate` (libsoxr compensates its own delay).
package final class SoxrResampler: Resampler {
    package let inputRate: Int
    package let outputRate: Int
    /// Nil when both rates are equal: samples pass through untouched.
    private let handle: soxr_t?
    /// libsoxr's functions; nil exactly when `handle` is.
    private let soxr: hark_soxr_functions?
    private var inputCount = 0
    /// Samples handed out so far.
    private var outputCount = 0
    /// Samples from libsoxr not handed out yet: at most what the input so far owes.
    private var output: [Float] = []

    /// Rates hark accepts as input, in Hz.
    package static let supportedInputRates = 8_000...192_000

    /// - Throws: `DSPError.unsupportedSampleRate` outside 8–192 kHz (unless both rates are
    ///   equal), `.resamplerFailed` when libsoxr cannot create the resampler.
    package init(inputRate: Int, outputRate: Int) throws(DSPError) {
        self.inputRate = inputRate
        self.outputRate = outputRate
        // Equal rates never reach libsoxr, so any positive rate passes through.
        if inputRate == outputRate && inputRate > 0 {
            handle = nil
            soxr = nil
            return
        }
        for rate in [inputRate, outputRate] where !Self.supportedInputRates.contains(rate) {
            throw .unsupportedSampleRate(stage: "resampler", rate: rate, supported: "8000 to 192000 Hz")
        }
        let soxr: hark_soxr_functions
        do {
            soxr = try MissingLibrary.load(
                HARK_SOXR_SONAME, debianPackage: "libsoxr0",
                neededFor: "resampling \(inputRate) Hz to \(outputRate) Hz",
                hark_soxr_load)
        } catch {
            throw .libraryMissing(error)
        }
        var ioSpec = soxr.soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
        var qualitySpec = soxr.soxr_quality_spec(UInt(SOXR_HQ), 0)
        var runtimeSpec = soxr.soxr_runtime_spec(1)
        var error: soxr_error_t?
        let created = soxr.soxr_create(
            Double(inputRate), Double(outputRate), 1, &error, &ioSpec, &qualitySpec, &runtimeSpec)
        guard let created, error == nil else {
            if let created { soxr.soxr_delete(created) }
            throw .resamplerFailed(inputRate: inputRate, outputRate: outputRate, reason: Self.text(of: error))
        }
        handle = created
        self.soxr = soxr
    }

    deinit {
        if let handle, let soxr { soxr.soxr_delete(handle) }
    }

    /// Output samples the stream owes for everything consumed so far, rounded to the nearest.
    private var exactOutputCount: Int {
        (inputCount * outputRate + inputRate / 2) / inputRate
    }

    /// Resamples the next stretch of input; returns what libsoxr has ready (it holds back a
    /// filter's length until more input or `finish()`).
    package func process(_ samples: [Float]) throws(DSPError) -> [Float] {
        guard let handle, let soxr else {
            inputCount += samples.count
            outputCount += samples.count
            return samples
        }
        guard !samples.isEmpty else { return [] }
        inputCount += samples.count
        let capacity = samples.count * outputRate / inputRate + 64
        var consumed = 0
        while consumed < samples.count {
            var used = 0
            let produced = try samples.withUnsafeBufferPointer { input throws(DSPError) -> Int in
                try run(
                    soxr, handle, input: input.baseAddress.map { $0 + consumed }, count: samples.count - consumed,
                    used: &used, capacity: capacity)
            }
            consumed += used
            if used == 0 && produced == 0 { break }
        }
        return takeOutput(limit: exactOutputCount)
    }

    /// Ends the stream, draining libsoxr to exactly `round(n · out / in)` samples in total.
    ///
    /// Pads or trims the flush as needed; the resampler is finished afterwards.
    package func finish() throws(DSPError) -> [Float] {
        let target = exactOutputCount
        if let handle, let soxr {
            while outputCount + output.count < target {
                var used = 0
                let produced = try run(soxr, handle, input: nil, count: 0, used: &used, capacity: 4096)
                if produced == 0 { break }
            }
        }
        var tail = takeOutput(limit: target)
        // Anything beyond the exact length is the filter's ringing past the input's end.
        output.removeAll()
        if outputCount < target {
            // libsoxr's flush ended short of the exact length: the missing samples are the
            // filter's decay past the input's end, which is silence.
            tail.append(contentsOf: repeatElement(0, count: target - outputCount))
            outputCount = target
        }
        return tail
    }

    /// One `soxr_process` call appending to `output`; returns the samples it produced.
    private func run(
        _ soxr: hark_soxr_functions, _ handle: soxr_t, input: UnsafePointer<Float>?, count: Int, used: inout Int,
        capacity: Int
    ) throws(DSPError) -> Int {
        let start = output.count
        output.append(contentsOf: repeatElement(0, count: capacity))
        var inputDone = 0
        var outputDone = 0
        let error = output.withUnsafeMutableBufferPointer { buffer in
            soxr.soxr_process(
                handle, input, count, &inputDone, buffer.baseAddress.map { $0 + start }, capacity, &outputDone)
        }
        output.removeLast(capacity - outputDone)
        used = inputDone
        if let error {
            throw .resamplerFailed(inputRate: inputRate, outputRate: outputRate, reason: Self.text(of: error))
        }
        return outputDone
    }

    /// Moves samples out of `output`, never letting the running total pass `limit`; any
    /// surplus waits in `output` for more input (libsoxr lags its input, so this is a guard).
    private func takeOutput(limit: Int) -> [Float] {
        let allowed = max(0, min(output.count, limit - outputCount))
        outputCount += allowed
        if allowed == output.count {
            var taken: [Float] = []
            swap(&taken, &output)
            return taken
        }
        let taken = Array(output.prefix(allowed))
        output.removeFirst(allowed)
        return taken
    }

    private static func text(of error: soxr_error_t?) -> String {
        guard let error else { return "unknown error" }
        return String(cString: error)
    }
}

@available(*, unavailable)
extension SoxrResampler: Sendable {}
