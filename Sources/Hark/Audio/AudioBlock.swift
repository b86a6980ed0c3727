/// Interleaved float samples in [-1, 1], placed on the input's timeline.
///
/// Sources turn whatever they read into blocks; every later stage keeps `inputStart` true so
/// that transcript times can be mapped back to the input, whatever was resampled or skipped.
package struct AudioBlock: Sendable, Equatable {
    /// Interleaved samples, `channels` per frame.
    package var samples: [Float]
    package var sampleRate: Int
    package var channels: Int
    /// Seconds from the start of the input to the first frame of this block.
    package var inputStart: Double

    package init(samples: [Float], sampleRate: Int, channels: Int, inputStart: Double) {
        self.samples = samples
        self.sampleRate = sampleRate
        self.channels = channels
        self.inputStart = inputStart
    }

    /// Number of frames (samples per channel).
    package var frameCount: Int { channels == 0 ? 0 : samples.count / channels }

    /// Length in seconds.
    package var duration: Double { Double(frameCount) / Double(sampleRate) }
}
