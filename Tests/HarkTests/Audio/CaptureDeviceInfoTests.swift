import Testing

@testable import Hark

@Suite("Capture device listing text")
struct CaptureDeviceInfoTests {
    @Test("the default device is marked and every name is shown as --device takes it")
    func defaultIsMarked() {
        let text = CaptureDeviceInfo.listing([
            CaptureDeviceInfo(name: "default", description: "Default ALSA Output", isDefault: true),
            CaptureDeviceInfo(
                name: "plughw:CARD=PCH,DEV=0", description: "HDA Intel PCH: ALC257 Analog (card 0, device 0)",
                card: 0),
        ])
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("* default") && $0.hasSuffix("(default)") })
        #expect(lines.contains { $0.hasPrefix("  plughw:CARD=PCH,DEV=0") })
        #expect(!text.contains("arecord -l"))
    }

    @Test("with no sound card the listing says so and how to check")
    func noCardAdvice() {
        let empty = CaptureDeviceInfo.listing([])
        #expect(empty.contains("No capture devices found."))
        #expect(empty.contains("arecord -l"))
        #expect(empty.contains("pipewire"))
        let onlyNull = CaptureDeviceInfo.listing([CaptureDeviceInfo(name: "null", description: "Discard all samples")])
        #expect(onlyNull.contains("null"))
        #expect(onlyNull.contains("No sound card"))
    }
}
