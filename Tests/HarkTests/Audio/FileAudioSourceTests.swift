import Foundation
import HarkTestSupport
import Testing

@testable import Hark

@Suite("File and standard input sources")
struct FileAudioSourceTests {
    private static let mono16k = AudioFormat(sampleRate: 16000, channels: 1, sampleFormat: .s16le)

    private func collect(_ source: FileAudioSource) async throws -> [AudioBlock] {
        var blocks: [AudioBlock] = []
        for try await block in source.blocks() { blocks.append(block) }
        return blocks
    }

    private func ramp(_ count: Int) -> [Int16] { (0..<count).map { Int16(truncatingIfNeeded: $0 * 7 - 20000) } }

    /// Every block starts exactly where the previous one ended, counted in frames.
    private func expectExactStarts(_ blocks: [AudioBlock], rate: Int) {
        var frames = 0
        for block in blocks {
            #expect(block.inputStart == Double(frames) / Double(rate))
            frames += block.frameCount
        }
    }

    @Test("a WAV file is read whole in blocks of about 40 ms whose starts are exact frame counts")
    func readsWAVInBlocks() async throws {
        let values = ramp(16000 + 123)
        let path = try WAVFixture.temporaryFile(
            WAVFixture.wav(
                fmt: WAVFixture.fmtBody(tag: 1, channels: 1, rate: 16000, bits: 16), data: WAVFixture.s16(values)))
        let source = try await FileAudioSource.open(path: path, rawFormat: nil)
        #expect(source.format == Self.mono16k)
        #expect(source.duration == Double(16123) / 16000)
        #expect(source.name == path)
        let blocks = try await collect(source)
        #expect(blocks.flatMap(\.samples) == values.map { Float($0) / 32768 })
        #expect(blocks.dropLast().allSatisfy { $0.frameCount == 640 })
        expectExactStarts(blocks, rate: 16000)
        #expect(source.warnings.all.isEmpty)
    }

    @Test("a WAV file is recognised by its header even when named .raw and given a raw format")
    func headerWinsOverName() async throws {
        let path = try WAVFixture.temporaryFile(
            WAVFixture.wav(
                fmt: WAVFixture.fmtBody(tag: 3, channels: 2, rate: 22050, bits: 32), data: WAVFixture.f32([0.5, -0.5])),
            name: "speech.raw")
        let source = try await FileAudioSource.open(path: path, rawFormat: Self.mono16k)
        #expect(source.format == AudioFormat(sampleRate: 22050, channels: 2, sampleFormat: .f32le))
        let blocks = try await collect(source)
        #expect(blocks == [AudioBlock(samples: [0.5, -0.5], sampleRate: 22050, channels: 2, inputStart: 0)])
    }

    @Test("chunks after the data chunk are not decoded as audio")
    func stopsAtDataEnd() async throws {
        let path = try WAVFixture.temporaryFile(
            WAVFixture.wav(
                fmt: WAVFixture.fmtBody(tag: 1, channels: 1, rate: 8000, bits: 16),
                data: WAVFixture.s16([100, 200, 300]),
                after: [WAVFixture.chunk("LIST", [UInt8](repeating: 0x41, count: 40))]))
        let source = try await FileAudioSource.open(path: path, rawFormat: nil)
        #expect(try await collect(source).flatMap(\.samples) == [100, 200, 300].map { Float($0) / 32768 })
        #expect(source.warnings.all.isEmpty)
    }

    @Test("raw PCM is read in the format the caller gives, with its duration from the file size")
    func rawPCM() async throws {
        let values = ramp(3000)
        let path = try WAVFixture.temporaryFile(WAVFixture.s16(values), name: "audio.pcm")
        let format = AudioFormat(sampleRate: 8000, channels: 2, sampleFormat: .s16le)
        let source = try await FileAudioSource.open(path: path, rawFormat: format, blockDuration: 0.02)
        #expect(source.wavHeader == nil)
        #expect(source.duration == 1500.0 / 8000)
        let blocks = try await collect(source)
        #expect(blocks.flatMap(\.samples) == values.map { Float($0) / 32768 })
        #expect(blocks.first?.frameCount == 160)
        expectExactStarts(blocks, rate: 8000)
    }

    @Test("raw input without a stated format is refused, saying which options to pass")
    func rawNeedsFormat() async throws {
        let path = try WAVFixture.temporaryFile(WAVFixture.s16(ramp(100)), name: "audio.pcm")
        let error = try await #require(throws: AudioSourceError.self) {
            try await FileAudioSource.open(path: path, rawFormat: nil)
        }
        #expect(error.description.contains("--rate, --channels and --sample-format"))
        await #expect(throws: AudioSourceError.self) {
            try await FileAudioSource.open(
                path: path, rawFormat: AudioFormat(sampleRate: 16000, channels: 0, sampleFormat: .s16le))
        }
    }

    @Test("a truncated WAV is still read whole, ends normally and records why it was short")
    func truncatedWAV() async throws {
        var bytes = WAVFixture.wav(
            fmt: WAVFixture.fmtBody(tag: 1, channels: 2, rate: 8000, bits: 16), data: WAVFixture.s16(ramp(1000)))
        bytes.removeLast(2000 - 601)  // 150 whole frames and one byte of the next
        let path = try WAVFixture.temporaryFile(bytes)
        let source = try await FileAudioSource.open(path: path, rawFormat: nil)
        let blocks = try await collect(source)
        #expect(blocks.reduce(0) { $0 + $1.frameCount } == 150)
        #expect(
            source.warnings.all == [
                .truncated(name: path, detail: "the last frame has 1 of its 4 bytes and was dropped"),
                .truncated(
                    name: path, detail: "the WAV header announces 2000 bytes of audio but the input ends after 601"),
            ])
    }

    @Test("a streamed WAV (data size 0xFFFFFFFF) is read to the end of the input")
    func streamedWAV() async throws {
        let values = ramp(5000)
        let path = try WAVFixture.temporaryFile(
            WAVFixture.wav(
                fmt: WAVFixture.fmtBody(tag: 1, channels: 1, rate: 16000, bits: 16), data: WAVFixture.s16(values),
                dataSizeField: 0xFFFF_FFFF))
        let source = try await FileAudioSource.open(path: path, rawFormat: nil)
        #expect(source.duration == nil)
        #expect(try await collect(source).flatMap(\.samples) == values.map { Float($0) / 32768 })
        #expect(source.warnings.all.isEmpty)
    }

    @Test("an empty file is refused on open, and a WAV with no frames throws empty from its stream")
    func emptyInputs() async throws {
        let empty = try WAVFixture.temporaryFile([])
        await #expect(throws: AudioSourceError.empty(name: empty)) {
            try await FileAudioSource.open(path: empty, rawFormat: Self.mono16k)
        }
        let noFrames = try WAVFixture.temporaryFile(
            WAVFixture.wav(fmt: WAVFixture.fmtBody(tag: 1, channels: 1, rate: 16000, bits: 16), data: []))
        let source = try await FileAudioSource.open(path: noFrames, rawFormat: nil)
        await #expect(throws: AudioSourceError.empty(name: noFrames)) { _ = try await collect(source) }
    }

    @Test("a missing file or a directory cannot be opened, with the system's reason")
    func cannotOpen() async throws {
        await #expect(
            throws: AudioSourceError.cannotOpen(path: "/nonexistent/hark.wav", reason: "No such file or directory")
        ) {
            try await FileAudioSource.open(path: "/nonexistent/hark.wav", rawFormat: nil)
        }
        await #expect(throws: AudioSourceError.cannotOpen(path: "/tmp", reason: "it is a directory")) {
            try await FileAudioSource.open(path: "/tmp", rawFormat: nil)
        }
    }

    @Test("a source read twice fails the second time instead of returning half the input")
    func readOnce() async throws {
        let path = try WAVFixture.temporaryFile(WAVFixture.s16(ramp(10)), name: "a.pcm")
        let source = try await FileAudioSource.open(path: path, rawFormat: Self.mono16k)
        _ = try await collect(source)
        await #expect(throws: AudioSourceError.self) { _ = try await collect(source) }
    }

    @Test("many more blocks than the channel holds all arrive when the consumer is slow")
    func backPressureDropsNothing() async throws {
        let values = ramp(16000 * 10)
        let path = try WAVFixture.temporaryFile(WAVFixture.s16(values), name: "long.pcm")
        let source = try await FileAudioSource.open(path: path, rawFormat: Self.mono16k)
        var count = 0
        var frames = 0
        for try await block in source.blocks() {
            #expect(block.inputStart == Double(frames) / 16000)
            frames += block.frameCount
            count += 1
            await Task.yield()
        }
        #expect(count == 250)
        #expect(frames == values.count)
    }

    @Test("standard input through a pipe, WAV or raw, arrives whole however the writer splits it")
    func pipeInput() async throws {
        let values = ramp(4000)
        let wav = WAVFixture.wav(
            fmt: WAVFixture.fmtBody(tag: 1, channels: 1, rate: 16000, bits: 16), data: WAVFixture.s16(values),
            dataSizeField: 0xFFFF_FFFF)
        for (bytes, rawFormat) in [(wav, nil), (WAVFixture.s16(values), Self.mono16k)] {
            let pipe = Pipe()
            let writer = pipe.fileHandleForWriting
            let thread = Thread {
                var offset = 0
                var step = 1
                while offset < bytes.count {
                    let end = min(bytes.count, offset + step)
                    writer.write(Data(bytes[offset..<end]))
                    offset = end
                    step = step % 997 + 13
                }
                try? writer.close()
            }
            thread.start()
            let source = try await FileAudioSource.open(
                descriptor: pipe.fileHandleForReading.fileDescriptor, name: "standard input", closesDescriptor: false,
                rawFormat: rawFormat)
            #expect(source.duration == nil)
            let blocks = try await collect(source)
            #expect(blocks.flatMap(\.samples) == values.map { Float($0) / 32768 })
            expectExactStarts(blocks, rate: 16000)
        }
    }

    @Test("a consumer that stops early releases the reader without reading the whole input")
    func abandonedReader() async throws {
        let path = try WAVFixture.temporaryFile(WAVFixture.s16(ramp(16000 * 5)), name: "a.pcm")
        let source = try await FileAudioSource.open(path: path, rawFormat: Self.mono16k)
        var seen = 0
        for try await _ in source.blocks() {
            seen += 1
            if seen == 2 { break }
        }
        #expect(seen == 2)
    }
}
