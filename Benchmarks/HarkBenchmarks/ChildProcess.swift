import Foundation

/// A process started by the whole-program benchmark, measured from outside: CPU time comes from
/// `wait4`'s `rusage` for that child alone, peak and current resident memory from
/// `/proc/PID/status` (`VmHWM`, `VmRSS`), and its start from CLOCK_MONOTONIC just before
/// `posix_spawn` (the clock `HARK_TRACE_FILE` lines and Python's `time.monotonic()` use).
///
/// `ru_maxrss` is not used: glibc's `posix_spawn` runs the child on the parent's memory
/// (`CLONE_VM | CLONE_VFORK`) until `exec`, and the kernel keeps the larger of that and the new
/// program's peak, so every child reported this benchmark's own peak (measured: 158 MB for each
/// after the local recognizer group had run). `VmHWM` belongs to the program after `exec`; it
/// is read every 10 ms until the exit, so a peak in the last 10 ms could be missed.
final class ChildProcess {
    let pid: pid_t
    /// CLOCK_MONOTONIC nanoseconds just before the spawn.
    let spawnedAt: UInt64
    private(set) var residentSamples: [(seconds: Double, kilobytes: Int)] = []
    /// The largest `VmHWM` read.
    private(set) var peakKilobytes = 0

    /// What the child cost, once it has exited.
    struct Usage {
        var status: Int32
        var userSeconds: Double
        var systemSeconds: Double
        var peakResidentKilobytes: Int
        var wallSeconds: Double
        var cpuSeconds: Double { userSeconds + systemSeconds }
    }

    /// Starts `executable` with `arguments`, stdout and stderr into files, stdin from /dev/null.
    init(
        executable: String, arguments: [String], environment: [String: String], standardOutput: String,
        standardError: String
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, standardOutput, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, standardError, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        spawnedAt = Self.monotonicNanoseconds()
        let result = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard result == 0 else { throw ChildProcessError.spawnFailed(executable, String(cString: strerror(result))) }
        self.pid = pid
    }

    /// Resident memory now and its peak so far, from `/proc/PID/status` (nil once the process is
    /// gone).
    func memory() -> (resident: Int, peak: Int)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        var resident: Int?
        var peak: Int?
        for line in text.split(separator: "\n") {
            let value = { Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") }
            if line.hasPrefix("VmRSS:") { resident = value() }
            if line.hasPrefix("VmHWM:") { peak = value() }
        }
        guard let resident, let peak else { return nil }
        return (resident, peak)
    }

    func send(_ signal: Int32) { kill(pid, signal) }

    /// Waits for the exit, sampling resident memory every `sampleEvery` meanwhile; `stopAfter`
    /// sends SIGINT (Ctrl-C) after that many seconds.
    func wait(sampleEvery: Double = 0.25, stopAfter: Double? = nil) async -> Usage {
        var status: Int32 = 0
        var usage = rusage()
        var interrupted = false
        var nextSample = 0.0
        while true {
            let done = wait4(pid, &status, WNOHANG, &usage)
            if done == pid || done < 0 { break }
            let elapsed = Double(Self.monotonicNanoseconds() - spawnedAt) / 1e9
            if let memory = memory() {
                peakKilobytes = max(peakKilobytes, memory.peak)
                if elapsed >= nextSample {
                    residentSamples.append((elapsed, memory.resident))
                    nextSample = elapsed + sampleEvery
                }
            }
            if let stopAfter, !interrupted, elapsed >= stopAfter {
                send(SIGINT)
                interrupted = true
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        let wall = Double(Self.monotonicNanoseconds() - spawnedAt) / 1e9
        let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Usage(
            status: exitStatus, userSeconds: Self.seconds(usage.ru_utime), systemSeconds: Self.seconds(usage.ru_stime),
            peakResidentKilobytes: peakKilobytes, wallSeconds: wall)
    }

    static func monotonicNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    private static func seconds(_ value: timeval) -> Double { Double(value.tv_sec) + Double(value.tv_usec) / 1e6 }
}

enum ChildProcessError: Error, CustomStringConvertible {
    case spawnFailed(String, String)
    case toolFailed(String, String)

    var description: String {
        switch self {
        case .spawnFailed(let executable, let reason): "could not start \(executable): \(reason)"
        case .toolFailed(let tool, let output): "\(tool) failed: \(output)"
        }
    }
}
