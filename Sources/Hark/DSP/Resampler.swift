/// Changes the sample rate of a mono float stream, block by block.
///
/// Streaming resamplers keep state between blocks; `finish()` returns what the filter still
/// holds. Over a whole stream the output has `round(inputCount * outputRate / inputRate)`
/// samples, so times computed from sample counts stay true.
package protocol Resampler {
    var inputRate: Int { get }
    var outputRate: Int { get }
    mutating func process(_ input: [Float]) throws -> [Float]
    mutating func finish() throws -> [Float]
}

/// A linear-interpolation resampler: correct lengths and times, modest quality (no
/// anti-alias filter).
///
/// A stand-in until a filtering resampler is plugged in, and the identity when the rates match.
package struct LinearResampler: Resampler {
    package let inputRate: Int
    package let outputRate: Int
    /// Input samples consumed so far (the index of `pending[0]` on the input timeline).
    private var consumed: Int = 0
    /// Output samples produced so far.
    private var produced: Int = 0
    /// Input samples not yet fully used: the last one is needed to interpolate across blocks.
    private var pending: [Float] = []
    private var totalInput: Int = 0

    package init(inputRate: Int, outputRate: Int) {
        self.inputRate = inputRate
        self.outputRate = outputRate
    }

    package mutating func process(_ input: [Float]) -> [Float] {
        if inputRate == outputRate {
            produced += input.count
            return input
        }
        pending.append(contentsOf: input)
        totalInput += input.count
        return drain(final: false)
    }

    package mutating func finish() -> [Float] {
        if inputRate == outputRate { return [] }
        return drain(final: true)
    }

    private mutating func drain(final: Bool) -> [Float] {
        var output: [Float] = []
        // Output sample n sits at input position n * inputRate / outputRate.
        let target = final ? (totalInput * outputRate + inputRate / 2) / inputRate : Int.max
        while produced < target {
            let numerator = produced * inputRate
            let index = numerator / outputRate
            let fraction = Float(numerator % outputRate) / Float(outputRate)
            let local = index - consumed
            if local + 1 < pending.count {
                output.append(pending[local] + (pending[local + 1] - pending[local]) * fraction)
            } else if final, local < pending.count {
                output.append(pending[local])
            } else if final {
                output.append(pending.last ?? 0)
            } else {
                break
            }
            produced += 1
        }
        // Drop input no longer needed, keeping the sample the next output interpolates from.
        let nextIndex = produced * inputRate / outputRate
        let drop = min(max(0, nextIndex - consumed), pending.count)
        if drop > 0 {
            pending.removeFirst(drop)
            consumed += drop
        }
        return output
    }
}
