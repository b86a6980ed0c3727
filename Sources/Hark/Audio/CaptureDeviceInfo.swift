/// A device `hark devices` lists, named the way `--device` takes it.
package struct CaptureDeviceInfo: Sendable, Equatable {
    /// The PCM name for `--device`, like `default`, `pulse` or `plughw:CARD=PCH,DEV=0`.
    package var name: String
    /// What the device is, in the words of its configuration or driver, on one line.
    package var description: String
    /// The sound card behind the device, for hardware devices found by card enumeration.
    package var card: Int?
    /// True for the PCM hark opens when no `--device` is given.
    package var isDefault: Bool

    package init(name: String, description: String, card: Int? = nil, isDefault: Bool = false) {
        self.name = name
        self.description = description
        self.card = card
        self.isDefault = isDefault
    }

    /// What hark opens without `--device`.
    package static let defaultDeviceName = "default"

    /// The text `hark devices` prints: one device per line, the default marked, and when no
    /// sound card was found, what that means and how to check.
    package static func listing(_ devices: [CaptureDeviceInfo]) -> String {
        var lines: [String] = []
        if devices.isEmpty {
            lines.append("No capture devices found.")
        } else {
            lines.append("Capture devices (pass the name with --device):")
            let width = min(devices.map(\.name.count).max() ?? 0, 40)
            for device in devices {
                let marker = device.isDefault ? "*" : " "
                let padded = device.name.padding(toLength: max(width, device.name.count), withPad: " ", startingAt: 0)
                let suffix = device.isDefault ? " (default)" : ""
                lines.append("\(marker) \(padded)  \(device.description)\(suffix)")
            }
        }
        if !devices.contains(where: { $0.card != nil }) {
            lines.append("")
            lines.append("No sound card with a capture device was found. Check with 'arecord -l'.")
            lines.append(
                "If this machine uses PipeWire or PulseAudio, check that it is running ('pactl info');"
                    + " hark can then record with --device pipewire or --device pulse.")
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    /// Pads with `pad` up to `length` characters (FoundationEssentials lacks `padding(toLength:…)`).
    fileprivate func padding(toLength length: Int, withPad pad: Character, startingAt _: Int) -> String {
        count >= length ? self : self + String(repeating: pad, count: length - count)
    }
}
