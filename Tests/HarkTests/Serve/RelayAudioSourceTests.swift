import Hark
import Testing

@Suite("hark serve: the relay's audio source")
struct RelayAudioSourceTests {
    @Test("bytes become blocks on the input timeline; a split sample waits; finish ends the stream")
    func blocks() async throws {
        let source = RelayAudioSource(sampleRate: 8000, name: "browser")
        #expect(source.isLive && source.format.channels == 1)
        // 0x4000 = 0.5 and -0x4000 = -0.5 as s16le, the second sample split across two feeds.
        source.feed([0x00, 0x40, 0x00])
        source.feed([0xC0])
        source.finish()
        var blocks: [AudioBlock] = []
        for try await block in source.blocks() { blocks.append(block) }
        #expect(blocks.map(\.samples) == [[0.5], [-0.5]])
        #expect(blocks.map(\.inputStart) == [0, 1.0 / 8000])
    }
}
