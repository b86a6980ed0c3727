/// How one sample is stored in a PCM byte stream.
package enum SampleFormat: String, Sendable, CaseIterable, Equatable {
    /// Signed 16-bit little-endian integers.
    case s16le
    /// Signed 24-bit little-endian integers packed in 3 bytes (WAV 24-bit, ALSA S24_3LE).
    case s24le
    /// Signed 32-bit little-endian integers.
    case s32le
    /// 32-bit little-endian IEEE floats in [-1, 1].
    case f32le

    /// Bytes one sample of one channel takes.
    package var bytesPerSample: Int {
        switch self {
        case .s16le: 2
        case .s24le: 3
        case .s32le, .f32le: 4
        }
    }
}

/// The shape of an interleaved PCM stream: rate, channel count and sample encoding.
package struct AudioFormat: Sendable, Equatable, CustomStringConvertible {
    package var sampleRate: Int
    package var channels: Int
    package var sampleFormat: SampleFormat

    package init(sampleRate: Int, channels: Int, sampleFormat: SampleFormat) {
        self.sampleRate = sampleRate
        self.channels = channels
        self.sampleFormat = sampleFormat
    }

    /// Bytes one frame (one sample of every channel) takes.
    package var bytesPerFrame: Int { channels * sampleFormat.bytesPerSample }

    package var description: String {
        "\(sampleRate) Hz, \(channels) channel\(channels == 1 ? "" : "s"), \(sampleFormat.rawValue)"
    }
}
