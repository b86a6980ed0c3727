import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Why hark could not start its gRPC bridge.
package enum GRPCBridgeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No `hark-grpc` where hark looked.
    case notFound(searched: [String])
    /// `posix_spawn` or a pipe failed.
    case cannotStart(path: String, detail: String)

    package var description: String {
        switch self {
        case .notFound(let searched):
            "hark's gRPC bridge '\(GRPCBridgeLocator.executableName)' was not found (looked at "
                + searched.joined(separator: ", ")
                + "). Install it beside hark with 'make install', or set HARK_GRPC_BRIDGE to its path"
        case .cannotStart(let path, let detail):
            "cannot start hark's gRPC bridge \(path): \(detail)"
        }
    }
}

/// Finds the `hark-grpc` executable: `HARK_GRPC_BRIDGE` when set, else beside the running
/// program (how `make install` and `swift build` lay them out), else on `PATH`.
package enum GRPCBridgeLocator {
    package static let executableName = "hark-grpc"

    /// The path to start, from the real environment.
    package static func locate() throws(GRPCBridgeError) -> String {
        try locate(
            override: environment("HARK_GRPC_BRIDGE"), runningExecutable: runningExecutable(),
            searchPath: environment("PATH"), isExecutable: { access($0, X_OK) == 0 })
    }

    /// The same from given facts, for tests.
    package static func locate(
        override: String?, runningExecutable: String?, searchPath: String?, isExecutable: (String) -> Bool
    ) throws(GRPCBridgeError) -> String {
        if let override, !override.isEmpty {
            guard isExecutable(override) else {
                throw .notFound(searched: ["HARK_GRPC_BRIDGE=\(override) (not an executable file)"])
            }
            return override
        }
        var searched: [String] = []
        if let runningExecutable, let slash = runningExecutable.lastIndex(of: "/") {
            let beside = String(runningExecutable[...slash]) + executableName
            if isExecutable(beside) { return beside }
            searched.append(beside)
        }
        let directories = (searchPath ?? "").split(separator: ":").filter { !$0.isEmpty }
        for directory in directories {
            let candidate = "\(directory)/\(executableName)"
            if isExecutable(candidate) { return candidate }
        }
        searched.append(directories.isEmpty ? "PATH (empty)" : "PATH")
        return try { () throws(GRPCBridgeError) -> String in throw .notFound(searched: searched) }()
    }

    private static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// The running program's path from /proc/self/exe (argv[0] may be a bare name from PATH).
    private static func runningExecutable() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// How the bridge process ended.
package enum GRPCBridgeExit: Sendable, Equatable, CustomStringConvertible {
    case exited(status: Int32)
    case killed(signal: Int32)

    package var description: String {
        switch self {
        case .exited(let status): "exited with status \(status)"
        case .killed(let signal): "was killed by signal \(signal)"
        }
    }
}

/// The running `hark-grpc`: its process id and hark's ends of its stdin, stdout and stderr
/// (one-way socket pairs, used as pipes).
///
/// It runs in its own process group, so a Ctrl-C at the terminal reaches only hark, which then
/// half-closes the call and lets the last words arrive. The descriptors are closed by the
/// threads that use them; `kill()` and `waitForExit()` share a lock so that a kill never hits a
/// reaped (and possibly reused) process id.
package final class GRPCBridgeProcess: Sendable {
    package let processID: Int32
    /// Written by the link's writer thread, which closes it.
    let stdinDescriptor: Int32
    /// Read by the link's reader thread, which closes it.
    let stdoutDescriptor: Int32
    let stderrDescriptor: Int32
    private let reaped = Mutex(false)

    private init(processID: pid_t, stdin: Int32, stdout: Int32, stderr: Int32) {
        self.processID = processID
        stdinDescriptor = stdin
        stdoutDescriptor = stdout
        stderrDescriptor = stderr
    }

    /// Starts `executable` with pipes for its standard descriptors, in a new process group,
    /// with default signal handling (hark ignores SIGINT and SIGTERM for its graceful stop, and
    /// ignored signals would otherwise stay ignored in the child).
    /// - Parameter name: argv[0], what `ps` shows (`hark-serve` reuses this for its web server).
    package static func spawn(
        executable: String, name: String = GRPCBridgeLocator.executableName
    ) throws(GRPCBridgeError) -> GRPCBridgeProcess {
        var descriptors: [Int32] = []
        // Socket pairs rather than pipes: created close-on-exec in one call (Swift's Glibc has no
        // pipe2), so a process another thread spawns meanwhile cannot inherit an end and hold a
        // pipe open; and hark writes with MSG_NOSIGNAL, so a dead bridge is EPIPE, not SIGPIPE.
        func makePipe() throws(GRPCBridgeError) -> (read: Int32, write: Int32) {
            var pair: [Int32] = [-1, -1]
            let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
            guard socketpair(AF_UNIX, type, 0, &pair) == 0 else {
                let detail = "socketpair: " + String(cString: strerror(errno))
                for descriptor in descriptors { close(descriptor) }
                throw .cannotStart(path: executable, detail: detail)
            }
            descriptors += pair
            return (pair[0], pair[1])
        }
        let input = try makePipe()
        let output = try makePipe()
        let errors = try makePipe()

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // The duplicates lose close-on-exec; every original still has it and closes at exec.
        posix_spawn_file_actions_adddup2(&actions, input.read, 0)
        posix_spawn_file_actions_adddup2(&actions, output.write, 1)
        posix_spawn_file_actions_adddup2(&actions, errors.write, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for number in [SIGINT, SIGTERM, SIGPIPE, SIGHUP] { sigaddset(&defaults, number) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)

        let argv: [UnsafeMutablePointer<CChar>?] = [strdup(name), nil]
        defer { for pointer in argv { free(pointer) } }
        var processID: pid_t = 0
        let result = posix_spawn(&processID, executable, &actions, &attributes, argv, environ)
        // The child's ends belong to the child now.
        close(input.read)
        close(output.write)
        close(errors.write)
        guard result == 0 else {
            close(input.write)
            close(output.read)
            close(errors.read)
            throw .cannotStart(path: executable, detail: String(cString: strerror(result)))
        }
        return GRPCBridgeProcess(
            processID: processID, stdin: input.write, stdout: output.read, stderr: errors.read)
    }

    /// SIGKILL, unless the process has been reaped already.
    package func kill() {
        reaped.withLock { reaped in
            if !reaped { _ = Glibc.kill(processID, SIGKILL) }
        }
    }

    /// Blocks until the process exits, then reaps it.
    ///
    /// Call once, from the thread that owns the process's end.
    func waitForExit() -> GRPCBridgeExit {
        // Wait without reaping, so that `kill()` cannot race the reaping below.
        var info = siginfo_t()
        while waitid(P_PID, id_t(processID), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
        return reaped.withLock { reaped in
            var status: Int32 = 0
            while waitpid(processID, &status, 0) < 0 && errno == EINTR {}
            reaped = true
            // WIFEXITED / WTERMSIG are macros Swift cannot call.
            let signal = status & 0x7f
            return signal == 0 ? .exited(status: (status >> 8) & 0xff) : .killed(signal: signal)
        }
    }
}
