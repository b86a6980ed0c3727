/// The encoder for an `--encoding`: a fresh one per connection, so a provider always gets a
/// stream from its start (Ogg headers included).
/// - Parameters:
///   - sampleRate: the provider's rate, which the chunks already have.
///   - bitrate: Opus bits per second; nil means `OggOpusEncoder.defaultBitrate`. Ignored by the PCM encodings.
/// - Throws: `DSPError` when Opus cannot work at the rate.
package func makePayloadEncoder(
    _ encoding: AudioEncoding, sampleRate: Int, bitrate: Int?
) throws -> any AudioPayloadEncoder {
    switch encoding {
    case .linear16: Linear16Encoder()
    case .opus: try OggOpusEncoder(sampleRate: sampleRate, bitrate: bitrate)
    case .mulaw: MulawEncoder()
    }
}
