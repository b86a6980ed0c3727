import Testing

@testable import Hark

@Suite("Audio pipeline: downmix, resampling lengths, chunking")
struct AudioPipelineTests {
    @Test("chunking drops and duplicates no sample, and the last partial chunk is sent")
    func chunkerKeepsEverySample() {
        var chunker = Chunker(sampleRate: 16000, chunkDuration: .milliseconds(250))
        var generator = SplitMix(seed: 7)
        var all: [Float] = []
        var chunks: [AudioChunk] = []
        var position = 0
        while position < 40_123 {
            let count = Int(generator.next() % 3000) + 1
            let block = (0..<count).map { _ in Float(Int(generator.next() % 2001) - 1000) / 1000 }
            chunks += chunker.append(block, inputStart: Double(position) / 16000)
            all += block
            position += count
        }
        chunks += chunker.finish()
        #expect(chunks.dropLast().allSatisfy { $0.samples.count == 4000 })
        #expect(chunks.flatMap(\.samples) == all.map(Chunker.pcm16))
        for (index, chunk) in chunks.enumerated() {
            #expect(abs(chunk.inputStart - Double(index) * 0.25) < 1e-9)
        }
    }

    @Test("a jump in the input timeline closes the current chunk so each chunk is contiguous")
    func gapClosesChunk() {
        var chunker = Chunker(sampleRate: 1000, chunkDuration: .milliseconds(100))
        var chunks = chunker.append([Float](repeating: 0.1, count: 50), inputStart: 0)
        chunks += chunker.append([Float](repeating: 0.2, count: 100), inputStart: 5)
        chunks += chunker.finish()
        #expect(chunks.map(\.samples.count) == [50, 100])
        #expect(chunks.map(\.inputStart) == [0, 5])
    }

    @Test("linear resampling gives round(n * out / in) samples over a long stream in random blocks")
    func resampledLengthIsExact() {
        for (input, output) in [(44100, 16000), (48000, 16000), (8000, 16000), (16000, 24000), (22050, 16000)] {
            var resampler = LinearResampler(inputRate: input, outputRate: output)
            var generator = SplitMix(seed: UInt64(input))
            var total = 0
            var produced = 0
            while total < input * 61 {
                let count = Int(generator.next() % 5000) + 1
                produced += resampler.process([Float](repeating: 0.5, count: count)).count
                total += count
            }
            produced += resampler.finish().count
            #expect(produced == (total * output + input / 2) / input, "\(input) -> \(output)")
        }
    }

    @Test("stereo is averaged into mono")
    func downmixAverages() {
        #expect(AudioPipeline.downmix([1, 0, 0.5, 0.5, -1, 1], channels: 2) == [0.5, 0.5, 0])
    }

    @Test("the pipeline places chunks on the input timeline after resampling")
    func pipelineTimes() throws {
        var pipeline = AudioPipeline(
            inputRate: 48000, inputChannels: 2, configuration: .init(outputRate: 16000))
        var chunks: [AudioChunk] = []
        for index in 0..<100 {
            let block = AudioBlock(
                samples: [Float](repeating: 0.25, count: 960 * 2), sampleRate: 48000, channels: 2,
                inputStart: Double(index) * 0.02)
            chunks += try pipeline.process(block)
        }
        chunks += try pipeline.finish()
        #expect(chunks.reduce(0) { $0 + $1.samples.count } == 32000)
        #expect(chunks.map(\.inputStart) == [0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75])
    }
}

/// A small seeded generator so the random splits repeat.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("PCM16 round trip")
struct PCM16RoundTripTests {
    @Test("every 16-bit value survives decoding to float and chunking back unchanged")
    func everyValueSurvives() {
        for value in Int(Int16.min)...Int(Int16.max) {
            let float = Float(value) * (1 / 32768)
            #expect(Chunker.pcm16(float) == Int16(value))
        }
    }

    @Test("conversion to PCM16 rounds half away from zero and clips exactly as Float.rounded() does")
    func roundsLikeRounded() {
        func reference(_ sample: Float) -> Int16 {
            let scaled = (sample * 32768).rounded()
            if scaled >= 32767 { return .max }
            if scaled <= -32768 { return .min }
            return Int16(scaled)
        }
        var samples: [Float] = [0, -0.0, 1, -1, 2, -2, .infinity, -.infinity, .ulpOfOne, -.ulpOfOne]
        // Halves, the values on either side of each, and the clipping edges.
        for step in stride(from: -65540, through: 65540, by: 1) {
            let half = Float(step) / 2 / 32768
            samples += [half, half.nextUp, half.nextDown]
        }
        var generator = SplitMix(seed: 7)
        for _ in 0..<100_000 {
            samples.append(Float(generator.next() % 1_000_000) / 500_000 - 1)
        }
        let mismatches = samples.filter { Chunker.pcm16($0) != reference($0) }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10))")
    }
}
