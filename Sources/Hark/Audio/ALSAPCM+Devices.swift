internal import CALSA

#if canImport(Glibc)
    import Glibc
#endif

extension ALSAPCM {
    /// Lists what hark can record from: the configured PCMs that can capture (`default`,
    /// `pulse`, `pipewire`, `dsnoop`, …) and every capture device of every sound card as a
    /// `plughw:` name, which converts format and channels in alsa-lib.
    ///
    /// Never fails: a machine with no card gives the configured PCMs only (possibly none), and
    /// `CaptureDeviceInfo.listing` says what that means. The corresponding C functions are
    /// `snd_device_name_hint` and `snd_card_next`.
    package static func captureDevices() -> [CaptureDeviceInfo] {
        guard case .success(let alsa) = library else { return [] }
        _ = libraryMessagesSilenced
        var devices = hintedCaptureDevices(alsa)
        for device in cardCaptureDevices(alsa) {
            if let index = devices.firstIndex(where: { $0.name == device.name }) {
                devices[index].card = device.card
            } else {
                devices.append(device)
            }
        }
        // The default first, then configured names, then hardware.
        let defaults = devices.filter(\.isDefault)
        return defaults + devices.filter { !$0.isDefault }
    }

    /// PCMs the configuration describes with hints, without those that only play.
    private static func hintedCaptureDevices(_ alsa: hark_alsa_functions) -> [CaptureDeviceInfo] {
        var hints: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
        guard alsa.snd_device_name_hint(-1, "pcm", &hints) >= 0, let hints else { return [] }
        defer { _ = alsa.snd_device_name_free_hint(hints) }
        var devices: [CaptureDeviceInfo] = []
        var cursor = hints
        while let hint = cursor.pointee {
            defer { cursor += 1 }
            guard let name = hintValue(alsa, hint, "NAME") else { continue }
            // A missing IOID means the PCM does both directions.
            if hintValue(alsa, hint, "IOID") == "Output" { continue }
            // `null` captures endless zeros: never what someone wants to transcribe.
            if name == "null" { continue }
            let description = (hintValue(alsa, hint, "DESC") ?? "")
                .split(separator: "\n").map { $0.trimmingCharacters() }.joined(separator: " — ")
            devices.append(
                CaptureDeviceInfo(
                    name: name, description: description, isDefault: name == CaptureDeviceInfo.defaultDeviceName))
        }
        return devices
    }

    private static func hintValue(_ alsa: hark_alsa_functions, _ hint: UnsafeMutableRawPointer, _ key: String)
        -> String?
    {
        guard let value = alsa.snd_device_name_get_hint(hint, key) else { return nil }
        defer { free(value) }
        return String(cString: value)
    }

    /// Every card's PCM devices that have a capture subdevice.
    ///
    /// Found through each card's control interface. The corresponding C functions are
    /// `snd_ctl_card_info` and `snd_ctl_pcm_info`.
    private static func cardCaptureDevices(_ alsa: hark_alsa_functions) -> [CaptureDeviceInfo] {
        var devices: [CaptureDeviceInfo] = []
        var card: Int32 = -1
        while alsa.snd_card_next(&card) >= 0, card >= 0 {
            var control: OpaquePointer?
            guard alsa.snd_ctl_open(&control, "hw:\(card)", 0) >= 0, let control else { continue }
            defer { _ = alsa.snd_ctl_close(control) }
            var cardInfo: OpaquePointer?
            guard alsa.snd_ctl_card_info_malloc(&cardInfo) >= 0, let cardInfo else { continue }
            defer { alsa.snd_ctl_card_info_free(cardInfo) }
            guard alsa.snd_ctl_card_info(control, cardInfo) >= 0 else { continue }
            let cardID = alsa.snd_ctl_card_info_get_id(cardInfo).map { String(cString: $0) } ?? ""
            let cardName = alsa.snd_ctl_card_info_get_name(cardInfo).map { String(cString: $0) } ?? ""

            var pcmInfo: OpaquePointer?
            guard alsa.snd_pcm_info_malloc(&pcmInfo) >= 0, let pcmInfo else { continue }
            defer { alsa.snd_pcm_info_free(pcmInfo) }
            var device: Int32 = -1
            while alsa.snd_ctl_pcm_next_device(control, &device) >= 0, device >= 0 {
                alsa.snd_pcm_info_set_device(pcmInfo, UInt32(device))
                alsa.snd_pcm_info_set_subdevice(pcmInfo, 0)
                alsa.snd_pcm_info_set_stream(pcmInfo, SND_PCM_STREAM_CAPTURE)
                // Fails with -ENOENT when the device has no capture direction.
                guard alsa.snd_ctl_pcm_info(control, pcmInfo) >= 0 else { continue }
                let pcmName = alsa.snd_pcm_info_get_name(pcmInfo).map { String(cString: $0) } ?? ""
                let subdevices = alsa.snd_pcm_info_get_subdevices_count(pcmInfo)
                var description = "\(cardName): \(pcmName) (card \(card), device \(device)"
                if subdevices > 1 { description += ", \(subdevices) subdevices" }
                description += "; raw: hw:CARD=\(cardID),DEV=\(device))"
                devices.append(
                    CaptureDeviceInfo(
                        name: "plughw:CARD=\(cardID),DEV=\(device)", description: description, card: Int(card)))
            }
        }
        return devices
    }
}

extension Substring {
    /// Without leading and trailing spaces (FoundationEssentials lacks `trimmingCharacters(in:)`).
    fileprivate func trimmingCharacters() -> String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
