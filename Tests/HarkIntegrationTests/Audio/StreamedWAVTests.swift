import Foundation
import HarkTestSupport
import Testing

@testable import Hark

/// WAV streams as real tools write them to a pipe, read the way `hark -` reads standard input.
@Suite("WAV from real encoders through a pipe")
struct StreamedWAVTests {
    /// Runs `command` with its stdout on a pipe and reads that pipe as a `FileAudioSource`.
    private func readPiped(_ executable: String, _ arguments: [String]) async throws -> (FileAudioSource, [AudioBlock])
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { process.waitUntilExit() }
        let source = try await FileAudioSource.open(
            descriptor: pipe.fileHandleForReading.fileDescriptor, name: "standard input", closesDescriptor: false,
            rawFormat: nil)
        var blocks: [AudioBlock] = []
        for try await block in source.blocks() { blocks.append(block) }
        return (source, blocks)
    }

    @Test("ffmpeg's streamed float WAV (extensible, LIST chunk, size 0xFFFFFFFF) is read whole")
    func ffmpegFloat() async throws {
        let (source, blocks) = try await readPiped(
            "/usr/bin/ffmpeg",
            [
                "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-ar", "22050", "-ac", "2",
                "-c:a", "pcm_f32le", "-f", "wav", "-",
            ])
        #expect(source.format == AudioFormat(sampleRate: 22050, channels: 2, sampleFormat: .f32le))
        #expect(blocks.reduce(0) { $0 + $1.frameCount } == 22050)
        #expect(source.warnings.all.isEmpty)
        let peak = blocks.flatMap(\.samples).map(abs).max() ?? 0
        #expect(peak > 0.05 && peak <= 1)
    }

    @Test("sox's streamed 24-bit 3-channel WAV, whose size field is a placeholder, reads without a warning")
    func soxExtensible() async throws {
        let (source, blocks) = try await readPiped(
            "/usr/bin/sox",
            ["-n", "-r", "48000", "-c", "3", "-b", "24", "-t", "wav", "-", "synth", "0.5", "sine", "440"])
        #expect(source.format == AudioFormat(sampleRate: 48000, channels: 3, sampleFormat: .s24le))
        #expect(blocks.reduce(0) { $0 + $1.frameCount } == 24000)
        #expect(source.warnings.all.isEmpty)
    }

    @Test("the bundled sample is a 16 kHz mono WAV read to its announced length")
    func bundledSample() async throws {
        let path = PackagePaths.samples.appendingPathComponent("sample.wav").path
        let source = try await FileAudioSource.open(path: path, rawFormat: nil)
        var frames = 0
        for try await block in source.blocks() { frames += block.frameCount }
        #expect(source.format.sampleRate == 16000)
        let duration = try #require(source.duration)
        #expect(Double(frames) / 16000 == duration)
        #expect(source.warnings.all.isEmpty)
    }
}
