import Foundation
import HarkTestSupport
import Testing

@testable import Hark

/// The position markers the fault tests rely on, at the rates providers take.
@Suite("Position-marked test audio")
struct MarkedAudioTests {
    @Test("marked audio at 16 and 24 kHz carries every 10 ms frame's index, read back exactly")
    func markersRoundTrip() {
        for rate in [16000, 24000] {
            let pcm = MarkedAudio.pcm(seconds: 3, sampleRate: rate)
            #expect(pcm.count == 3 * rate * 2)
            #expect(MarkedAudio.frameIndices(in: pcm, sampleRate: rate) == Array(0..<300))
        }
    }

    @Test("24 kHz marked audio passes hark's pipeline to OpenAI's 24 kHz unchanged, markers intact")
    func pipelinePassesMarkersAtEqualRates() throws {
        let pcm = MarkedAudio.pcm(seconds: 2, sampleRate: 24000)
        let samples = pcm.withUnsafeBytes { raw in
            raw.bindMemory(to: Int16.self).map { Float(Int16(littleEndian: $0)) / 32768 }
        }
        var pipeline = AudioPipeline(inputRate: 24000, inputChannels: 1, configuration: .init(outputRate: 24000))
        var chunks = try pipeline.process(AudioBlock(samples: samples, sampleRate: 24000, channels: 1, inputStart: 0))
        chunks += try pipeline.finish()
        var out = Data()
        for chunk in chunks {
            chunk.samples.withUnsafeBytes { out.append(contentsOf: $0) }
        }
        #expect(out == pcm)
        #expect(MarkedAudio.frameIndices(in: out, sampleRate: 24000) == Array(0..<200))
    }
}
