import ArgumentParser
import Hark

/// `hark devices`: capture devices as `--device` takes them.
struct Devices: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List capture devices (ALSA PCMs and sound cards), the default marked.")

    func run() throws {
        print(CaptureDeviceInfo.listing(ALSACapture.availableDevices()))
    }
}
