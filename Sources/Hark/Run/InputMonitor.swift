import Synchronization

/// Watches the input on its way in and keeps the person informed on stderr: a live level
/// meter (`--meter`), a progress line for files (position, duration, speed), and a hint when
/// a microphone delivers nothing but digital silence (muted, or the wrong device).
///
/// One line on stderr is redrawn in place, at most ten times a second; lines are only drawn
/// when stderr is a terminal. Sendable through its lock: blocks arrive on the capture path.
package final class InputMonitor: Sendable {
    private struct State {
        var sink: OutputSink
        var meter = CaptureLevelMeter()
        var silence = DigitalSilenceDetector()
        var position: Double = 0
        var lastDraw: ContinuousClock.Instant?
        var started = ContinuousClock.now
        var lineShown = false
    }

    private let state: Mutex<State>
    private let showMeter: Bool
    private let showProgress: Bool
    private let watchSilence: Bool
    private let duration: Double?
    private let hint: @Sendable (String) -> Void
    /// Takes the redrawn line instead of stderr, when another task owns the terminal row.
    private let redraw: (@Sendable (String) -> Void)?

    /// - Parameters:
    ///   - showMeter: draw the level meter.
    ///   - showProgress: draw position / duration / speed (files on a terminal).
    ///   - watchSilence: hint once when a live input stays at digital silence.
    ///   - hint: prints a whole line on stderr.
    ///   - redraw: when given, receives each redrawn line's text instead of it being written to
    ///     stderr (the live view draws it where it cannot collide with the interim).
    package init(
        showMeter: Bool, showProgress: Bool, watchSilence: Bool, duration: Double?,
        hint: @escaping @Sendable (String) -> Void, redraw: (@Sendable (String) -> Void)? = nil
    ) {
        self.state = Mutex(State(sink: OutputSink(descriptor: 2, name: "standard error")))
        self.showMeter = showMeter
        self.showProgress = showProgress
        self.watchSilence = watchSilence
        self.duration = duration
        self.hint = hint
        self.redraw = redraw
    }

    /// Whether there is anything to do at all.
    package var isActive: Bool { showMeter || showProgress || watchSilence }

    /// Sees one block from the source.
    package func observe(_ block: AudioBlock) {
        let message = state.withLock { state -> String? in
            state.position = block.inputStart + block.duration
            var message: String?
            if watchSilence, case .silenceDetected(let seconds) = state.silence.observe(block) {
                message =
                    "hark: the input has been digital silence for \(Int(seconds)) s: is the microphone muted, or is this the wrong device? (see 'hark devices', alsamixer)"
            }
            let level = showMeter ? state.meter.measure(block) : nil
            let now = ContinuousClock.now
            if let last = state.lastDraw, now - last < .milliseconds(100) { return message }
            state.lastDraw = now
            var parts: [String] = []
            if let level {
                parts.append(
                    "level [\(CaptureLevelMeter.bar(for: level.rmsDBFS, width: 30))] \(Int(level.rmsDBFS.rounded())) dBFS"
                )
            }
            if showProgress {
                let elapsed = now - state.started
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                var text = Self.clock(state.position)
                if let duration { text += " / " + Self.clock(duration) }
                if seconds > 0.5 {
                    let speed = state.position / seconds
                    text += " (\(Int(speed * 10) / 10).\(Int(speed * 10) % 10)x)"
                }
                parts.append(text)
            }
            if !parts.isEmpty {
                if let redraw {
                    redraw(parts.joined(separator: "  "))
                } else {
                    try? state.sink.write("\r\u{1B}[K" + parts.joined(separator: "  "))
                    state.lineShown = true
                }
            }
            return message
        }
        if let message {
            clearLine()
            hint(message)
        }
    }

    /// Removes the redrawn line (before other stderr output, and at the end).
    package func clearLine() {
        state.withLock { state in
            if state.lineShown {
                try? state.sink.write("\r\u{1B}[K")
                state.lineShown = false
            }
        }
    }

    private static func clock(_ seconds: Double) -> String {
        let total = Int(seconds)
        let minutes = total / 60
        let rest = total % 60
        return "\(minutes):\(rest < 10 ? "0" : "")\(rest)"
    }
}
