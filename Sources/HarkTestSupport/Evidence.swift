import Foundation

/// Waits for something a test can observe (a fake's record, a command's output), never for an
/// amount of time.
///
/// `limit` only bounds a hang: it is long (a loaded machine can stall a test process for many
/// seconds) and reaching it is a failure the caller reports, not an outcome.
package enum Evidence {
    /// Polls `condition` every 20 ms until it holds (true) or `limit` passes (false).
    package static func wait(
        limit: Duration = .seconds(90), _ condition: () throws -> Bool
    ) async rethrows -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        while true {
            if try condition() { return true }
            if clock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// `wait` for code that is not async (a tmux screen, a child process): polls `condition`
    /// every 20 ms on the calling thread until it holds (true) or `limit` passes (false).
    package static func waitBlocking(
        limit: Duration = .seconds(90), _ condition: () throws -> Bool
    ) rethrows -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        while true {
            if try condition() { return true }
            if clock.now >= deadline { return false }
            usleep(20_000)
        }
    }
}
