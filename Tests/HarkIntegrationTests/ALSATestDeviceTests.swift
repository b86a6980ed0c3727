import Foundation
import HarkTestSupport
import Testing

@Suite("ALSA test device for other processes")
struct ALSATestDeviceTests {
    @Test("another process given the device's environment records exactly the file's samples")
    func separateProcessReadsTheFile() throws {
        // What end-to-end tests do with the built `hark`, checked here with alsa-utils' arecord.
        let samples = (0..<8000).map { Int16(truncatingIfNeeded: $0 &* 101) }
        let device = try ALSATestDevice(samples: samples)
        let output = try PackagePaths.temporaryDirectory("hark-arecord").appendingPathComponent("out.raw")
        let result = try CommandRunner.run(
            "/usr/bin/arecord",
            [
                "-q", "-D", device.deviceName, "-f", "S16_LE", "-c", "1", "-r", "16000", "-t", "raw", "-s", "8000",
                output.path,
            ],
            environment: device.environment, timeout: 60)
        #expect(result.status == 0, "arecord failed: \(result.stderr)")
        #expect(try Data(contentsOf: output) == ALSATestDevice.rawBytes(samples))
    }

    @Test("without the environment the device name means nothing to ALSA")
    func deviceNeedsItsEnvironment() throws {
        let device = try ALSATestDevice(samples: [1, 2, 3])
        let result = try CommandRunner.run(
            "/usr/bin/arecord", ["-q", "-D", device.deviceName, "-f", "S16_LE", "-s", "3", "-t", "raw", "/dev/null"],
            environment: ["ALSA_CONFIG_PATH": "/usr/share/alsa/alsa.conf"], timeout: 60)
        #expect(result.status != 0)
        #expect(result.stderr.contains("hark_file"))
    }
}
