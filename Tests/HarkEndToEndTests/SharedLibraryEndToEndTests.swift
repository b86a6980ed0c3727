import Foundation
import HarkTestSupport
import Testing

/// What the built `hark` maps: every library linked at start-up costs resident memory whether a
/// run uses it or not (issue 10's 16 MB), so only libcurl and the C/C++ runtime are linked, the
/// Swift runtime is inside the executable, and the optional libraries are opened with dlopen by
/// the run that needs them.
@Suite("hark end to end: libraries linked and opened on use", .serialized)
struct SharedLibraryEndToEndTests {
    typealias Fixture = DeepgramEndToEndTests.Fixture

    /// The optional libraries, by the start of their file names.
    static let optional = [
        "libsoxr", "libopus.", "libopusenc", "libasound", "libpocketsphinx", "libsphinxbase", "libsphinxad",
        "libwebrtc_audio_processing",
    ]

    /// The libraries the dynamic linker opens for a run (`LD_DEBUG=files` lines on stderr), at
    /// start-up and later with dlopen.
    static func opened(_ result: CommandResult) -> Set<String> {
        var names: Set<String> = []
        for line in result.stderr.split(separator: "\n") {
            guard let range = line.range(of: "file=") else { continue }
            let rest = line[range.upperBound...]
            if let name = rest.split(separator: " ").first { names.insert(String(name)) }
        }
        return names
    }

    static func optionalOpened(_ result: CommandResult) -> [String] {
        opened(result).filter { name in optional.contains { name.hasPrefix($0) } }.sorted()
    }

    @Test("the executable links libcurl but no optional library and no Swift runtime library")
    func linkedAtStartUp() throws {
        let result = try CommandRunner.hark(["--help"], environment: ["LD_TRACE_LOADED_OBJECTS": "1"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("libcurl.so.4"), "\(result.stdout)")
        for name in Self.optional + ["libswiftCore", "libFoundationEssentials"] {
            #expect(!result.stdout.contains(name), "\(name) is linked: \(result.stdout)")
        }
    }

    @Test("a 16 kHz linear16 run opens no optional library")
    func plainRunOpensNone() throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        let result = try CommandRunner.hark(
            ["--provider", "deepgram", "--endpoint", fixture.fake.endpoint(), "--speed", "max", fixture.wavPath],
            environment: ["DEEPGRAM_API_KEY": "test-key", "LD_DEBUG": "files"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(Self.opened(result).contains { $0.hasPrefix("libcurl") }, "no LD_DEBUG lines: \(result.stderr)")
        #expect(Self.optionalOpened(result) == [])
    }

    @Test(
        "each option opens its own library and only that one",
        arguments: [
            (["--vad"], ["libwebrtc_audio_processing.so.1"]),
            (["--rate", "8000"], ["libsoxr.so.0"]),
            (["--encoding", "opus"], ["libopus.so.0", "libopusenc.so.0"]),
        ])
    func optionOpensItsLibrary(options: [String], expected: [String]) throws {
        let fixture = try Fixture()
        defer { fixture.fake.stop() }
        // --rate applies to raw input: the 16 kHz samples read as 8 kHz are resampled to 16 kHz.
        let input = options.contains("--rate") ? fixture.rawPath : fixture.wavPath
        let result = try CommandRunner.hark(
            ["--provider", "deepgram", "--endpoint", fixture.fake.endpoint(), "--speed", "max"] + options + [input],
            environment: ["DEEPGRAM_API_KEY": "test-key", "LD_DEBUG": "files"])
        #expect(result.status == 0, "\(result.stderr.suffix(2000))")
        #expect(Self.optionalOpened(result) == expected)
    }
}
