import Testing

@testable import Hark

@Suite("Missing optional library")
struct MissingLibraryTests {
    static let reason: StaticString = "libsoxr.so.0: cannot open shared object file: No such file or directory"

    @Test("a loader that fails gives the library, what needed it, the Debian package and the linker's reason")
    func failedLoad() {
        let error = #expect(throws: MissingLibrary.self) {
            let _: Int = try MissingLibrary.load(
                "libsoxr.so.0", debianPackage: "libsoxr0", neededFor: "resampling 44100 Hz to 16000 Hz"
            ) { reason in
                reason.pointee = UnsafeRawPointer(Self.reason.utf8Start).assumingMemoryBound(to: CChar.self)
                return nil
            }
        }
        #expect(error?.reason == "\(Self.reason)")
        let message = error?.description ?? ""
        for part in ["resampling 44100 Hz to 16000 Hz needs libsoxr.so.0", "libsoxr0", "make deps", "No such file"] {
            #expect(message.contains(part), "\(message)")
        }
    }

    @Test("a loader that succeeds gives its table")
    func successfulLoad() throws {
        let table = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        defer { table.deallocate() }
        table.initialize(to: 42)
        let loaded = try MissingLibrary.load("libexample.so.1", debianPackage: "libexample1", neededFor: "a test") {
            _ in UnsafePointer(table)
        }
        #expect(loaded == 42)
    }

    @Test("each layer's error says what the missing library says")
    func layerErrors() {
        let missing = MissingLibrary(
            soname: "libasound.so.2", debianPackage: "libasound2", neededFor: "microphone capture", reason: "gone")
        #expect(AudioSourceError.libraryMissing(missing).description == missing.description)
        #expect(DSPError.libraryMissing(missing).description == missing.description)
        #expect(PocketSphinxError.libraryMissing(missing).description == missing.description)
    }
}
