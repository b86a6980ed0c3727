package import Foundation

/// An ALSA capture device for machines with no sound card: alsa-lib's own `file` plugin reads a
/// raw file into `snd_pcm_readi`, over the `null` PCM.
///
/// One configuration defines `hark_file`, a PCM that takes the raw file as its argument, so any
/// number of devices share it: `hark_file:FILE='/tmp/…/speech.raw'`. The plugin returns exactly
/// the file's bytes in whatever format hark negotiated (hark asks for S16_LE mono first, which
/// the plugin grants), unpaced: it is as fast as hark reads. It never ends: past the end of the
/// file the plugin reports frames without writing them, which hark reads as digital silence
/// (zeros; other readers see their own stale buffer), so a test stops after the file's length.
///
/// For the built `hark`: pass `environment` to `CommandRunner` and `deviceName` to `--device`.
/// In the test process itself: call `ALSATestDevice.configureThisProcess()` before the first
/// device is opened.
package struct ALSATestDevice: Sendable {
    /// The raw file the device plays: 16-bit little-endian mono samples.
    package let rawFile: URL
    /// The ALSA configuration file defining `hark_file`.
    package let configurationFile: URL

    /// Writes `samples` to a new raw file and returns a device that plays it.
    package init(samples: [Int16]) throws {
        let directory = try PackagePaths.temporaryDirectory("hark-alsa")
        let raw = directory.appendingPathComponent("capture.raw")
        try ALSATestDevice.rawBytes(samples).write(to: raw)
        try self.init(rawFile: raw)
    }

    /// A device that plays an existing raw file (16-bit little-endian mono for hark's default
    /// negotiation).
    package init(rawFile: URL) throws {
        self.rawFile = rawFile
        self.configurationFile = try ALSATestDevice.sharedConfigurationFile()
    }

    /// The name to pass as `--device` (or `ALSACapture(device:)`).
    package var deviceName: String { "hark_file:FILE='\(rawFile.path)'" }

    /// Environment that makes alsa-lib read the test configuration after its own.
    package var environment: [String: String] { ["ALSA_CONFIG_PATH": ALSATestDevice.configPath(configurationFile)] }

    /// Points this process's alsa-lib at the test configuration.
    ///
    /// Measured on alsa-lib 1.2.8: `snd_pcm_open` re-reads the configuration when the list of
    /// files in `ALSA_CONFIG_PATH` changes, so this works even after a device was opened with
    /// the default configuration. `setenv` runs once per process, before any test opens a
    /// device, to keep it away from concurrent `getenv` calls as far as a test can.
    package static func configureThisProcess() throws {
        try processConfiguration.get()
    }

    private static let processConfiguration: Result<Void, any Error> = Result {
        let file = try sharedConfigurationFile()
        setenv("ALSA_CONFIG_PATH", configPath(file), 1)
    }

    /// The bytes of `samples` as 16-bit little-endian PCM.
    package static func rawBytes(_ samples: [Int16]) -> Data {
        var data = Data(capacity: samples.count * 2)
        for sample in samples {
            let bits = UInt16(bitPattern: sample)
            data.append(UInt8(bits & 0xff))
            data.append(UInt8(bits >> 8))
        }
        return data
    }

    /// alsa-lib's main configuration stays first: it defines `null` and the plugin types.
    private static func configPath(_ file: URL) -> String {
        "/usr/share/alsa/alsa.conf:\(file.path)"
    }

    private static let configurationText = """
        # hark tests: a capture PCM that plays the raw file given as FILE, through the null PCM.
        pcm.hark_file {
            @args [ FILE ]
            @args.FILE { type string }
            type file
            slave.pcm "null"
            file "/dev/null"
            infile $FILE
            format "raw"
        }

        """

    private static let sharedFile: Result<URL, any Error> = Result {
        let directory = try PackagePaths.temporaryDirectory("hark-alsa-config")
        let file = directory.appendingPathComponent("asoundrc")
        try Data(configurationText.utf8).write(to: file)
        return file
    }

    private static func sharedConfigurationFile() throws -> URL {
        try sharedFile.get()
    }
}
