import Foundation
import HarkTestSupport
import Testing

/// Every program a test (or a benchmark) runs, and every Python module a fake imports, comes
/// from a Debian package that `make deps` installs.
///
/// A developer's machine keeps what was installed by hand, so a test that runs a tool nobody
/// listed passes there and fails on a fresh machine (it happened: a test ran ffmpeg, which
/// `make deps` never installed). This test finds the programs by reading the tests' sources,
/// asks dpkg which package owns each, and fails unless that package is in the Makefile's
/// APT_PACKAGES or installed by one of them (their Depends and Pre-Depends), or is Essential.
@Suite("Test tools come from make deps")
struct TestToolsFromMakeDepsTests {
    /// Folders whose files start programs: the tests, their support code and the benchmarks.
    static let scanned = ["Tests", "Sources/HarkTestSupport", "Benchmarks"]

    @Test("every program the tests and benchmarks run is installed by make deps")
    func programsComeFromMakeDeps() throws {
        let programs = try Self.programsRun()
        // The scan must see the tools it is meant to guard; an empty or tiny result means the
        // patterns broke, not that the tests run nothing.
        for known in ["/usr/bin/python3", "/usr/bin/sox", "/usr/bin/espeak-ng", "/usr/bin/ffmpeg"] {
            #expect(programs[known] != nil, "the scan no longer finds \(known)")
        }
        let installed = try DebianPackages.installed()
        let fromMakeDeps = installed.closure(of: try Self.makeDepsPackages())
        for (program, usedIn) in programs.sorted(by: { $0.key < $1.key }) {
            guard let package = try DebianPackages.owner(of: program) else {
                Issue.record(
                    "\(program) (run by \(usedIn)) is not installed here: add the Debian package that provides it to APT_PACKAGES in the Makefile"
                )
                continue
            }
            #expect(
                fromMakeDeps.contains(package) || installed.essential.contains(package),
                "\(program) (run by \(usedIn)) comes from the package \(package), which make deps does not install: add it to APT_PACKAGES in the Makefile"
            )
        }
    }

    @Test("every Python module the fakes and benchmarks import is installed by make deps")
    func pythonModulesComeFromMakeDeps() throws {
        let modules = try Self.pythonModulesImported()
        for known in ["websockets", "grpc", "json"] {
            #expect(modules[known] != nil, "the scan no longer finds the module \(known)")
        }
        let installed = try DebianPackages.installed()
        let fromMakeDeps = installed.closure(of: try Self.makeDepsPackages())
        let origins = try Self.moduleOrigins(Array(modules.keys))
        for (module, usedIn) in modules.sorted(by: { $0.key < $1.key }) {
            guard let origin = origins[module], !origin.isEmpty else {
                Issue.record(
                    "Python module \(module) (imported by \(usedIn)) is not importable by \(PackagePaths.python): add its python3-… package to APT_PACKAGES in the Makefile"
                )
                continue
            }
            // Built into the interpreter.
            if origin == "built-in" || origin == "frozen" { continue }
            guard let package = try DebianPackages.owner(of: origin) else {
                Issue.record(
                    "Python module \(module) (imported by \(usedIn)) loads from \(origin), which no Debian package owns (installed by pip?): use its python3-… package from make deps instead"
                )
                continue
            }
            #expect(
                fromMakeDeps.contains(package) || installed.essential.contains(package),
                "Python module \(module) (imported by \(usedIn)) comes from \(package), which make deps does not install: add it to APT_PACKAGES in the Makefile"
            )
        }
    }

    // MARK: - Reading the sources

    /// Absolute program paths written in the scanned sources, and a file that runs each.
    static func programsRun() throws -> [String: String] {
        var programs: [String: String] = [:]
        let literal = try Regex(#""((?:/usr)?/bin/[A-Za-z0-9_.+-]+)""#)
        // Python's subprocess with a bare program name first: subprocess.run(["openssl", ...]).
        let subprocess = try Regex(
            #"subprocess\.(?:run|Popen|call|check_call|check_output)\(\s*\[\s*"([A-Za-z0-9_.+-]+)""#)
        for file in try sourceFiles(extensions: ["swift", "py", "sh"]) {
            let text = try String(contentsOf: file, encoding: .utf8)
            let name = relativePath(file)
            for match in text.matches(of: literal) {
                if let path = match.output[1].substring { programs[String(path)] = programs[String(path)] ?? name }
            }
            for match in text.matches(of: subprocess) {
                guard let bare = match.output[1].substring else { continue }
                let path = ["/usr/bin/\(bare)", "/bin/\(bare)"].first { FileManager.default.fileExists(atPath: $0) }
                programs[path ?? "/usr/bin/\(bare)"] = programs[path ?? "/usr/bin/\(bare)"] ?? name
            }
            if text.contains("PackagePaths.python") {
                programs["/usr/bin/python3"] = programs["/usr/bin/python3"] ?? name
            }
        }
        return programs
    }

    /// Modules the scanned Python files import, less the fakes' own modules.
    static func pythonModulesImported() throws -> [String: String] {
        let files = try sourceFiles(extensions: ["py"])
        // The fakes' own modules, generated ones (google_speech_v2_pb2) included.
        let local = Set(
            try sourceFiles(extensions: ["py"], includingGenerated: true).map {
                $0.deletingPathExtension().lastPathComponent
            })
        // The dotted name as written (google.protobuf): a namespace package's folder is shared.
        // Whole statements only, so prose in a docstring ("from the start ...") is no import.
        let importLine = try Regex(
            #"(?m)^[ \t]*(?:import[ \t]+([A-Za-z_][A-Za-z0-9_.]*)[ \t]*(?:$|#|,|as[ \t])|from[ \t]+([A-Za-z_][A-Za-z0-9_.]*)[ \t]+import[ \t])"#
        )
        var modules: [String: String] = [:]
        // The Deepgram SDK side of the bench runs in a venv the bench makes with pip from PyPI
        // (python3-venv is in make deps); its imports are the SDK's, not Debian's.
        for file in files where file.lastPathComponent != "deepgram_sdk_client.py" {
            let text = try String(contentsOf: file, encoding: .utf8)
            for match in text.matches(of: importLine) {
                guard let module = (match.output[1].substring ?? match.output[2].substring).map(String.init),
                    !local.contains(String(module.prefix { $0 != "." })), module != "__future__"
                else { continue }
                modules[module] = modules[module] ?? relativePath(file)
            }
        }
        return modules
    }

    /// Where each module loads from for the fakes' Python: a file, "built-in", or "" if missing.
    static func moduleOrigins(_ modules: [String]) throws -> [String: String] {
        let script = """
            import importlib.util, sys
            for name in sys.argv[1:]:
                try:
                    spec = importlib.util.find_spec(name)
                except Exception:
                    spec = None
                origin = "" if spec is None else (spec.origin or (list(spec.submodule_search_locations or [""])[0]))
                print(name + "\\t" + origin)
            """
        let result = try CommandRunner.run(PackagePaths.python, ["-c", script] + modules, timeout: 60)
        #expect(result.status == 0, "\(result.stderr)")
        var origins: [String: String] = [:]
        for line in result.stdout.split(separator: "\n") {
            let parts = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.count == 2 { origins[String(parts[0])] = String(parts[1]) }
        }
        return origins
    }

    /// APT_PACKAGES from the Makefile.
    static func makeDepsPackages() throws -> [String] {
        let makefile = try String(contentsOf: PackagePaths.root.appendingPathComponent("Makefile"), encoding: .utf8)
        var packages: [String] = []
        var inList = false
        for line in makefile.split(separator: "\n", omittingEmptySubsequences: false) {
            var text = Substring(line)
            if !inList {
                guard text.hasPrefix("APT_PACKAGES :=") else { continue }
                text = text.dropFirst("APT_PACKAGES :=".count)
                inList = true
            }
            let continues = text.hasSuffix("\\")
            packages += text.dropLast(continues ? 1 : 0).split(whereSeparator: \.isWhitespace).map(String.init)
            if !continues { break }
        }
        #expect(packages.count > 10, "APT_PACKAGES not found in the Makefile")
        return packages
    }

    static func sourceFiles(extensions: Set<String>, includingGenerated: Bool = false) throws -> [URL] {
        var files: [URL] = []
        for folder in scanned {
            let root = PackagePaths.root.appendingPathComponent(folder)
            guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else {
                continue
            }
            for case let url as URL in walker where extensions.contains(url.pathExtension) {
                // This file names programs as examples of what it looks for.
                if url.lastPathComponent == "TestToolsFromMakeDepsTests.swift" { continue }
                let generated = url.path.contains("/Generated/") || url.lastPathComponent.hasSuffix("_pb2.py")
                if generated && !includingGenerated { continue }
                files.append(url)
            }
        }
        return files
    }

    static func relativePath(_ url: URL) -> String {
        String(url.path.dropFirst(PackagePaths.root.path.count + 1))
    }
}

/// What dpkg knows about the installed packages.
struct DebianPackages {
    /// Each installed package's dependencies (Pre-Depends and Depends, every alternative).
    var dependencies: [String: [String]] = [:]
    /// Virtual package names and the installed packages that provide them.
    var providers: [String: [String]] = [:]
    var essential: Set<String> = []

    static func installed() throws -> DebianPackages {
        let result = try CommandRunner.run(
            "/usr/bin/dpkg-query",
            ["-W", "-f", "${Package}\t${Essential}\t${Pre-Depends}\t${Depends}\t${Provides}\t${db:Status-Abbrev}\n"])
        var packages = DebianPackages()
        for line in result.stdout.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 6, fields[5].hasPrefix("ii") else { continue }
            let name = fields[0]
            if fields[1] == "yes" { packages.essential.insert(name) }
            packages.dependencies[name] = names(in: fields[2]) + names(in: fields[3])
            for virtual in names(in: fields[4]) { packages.providers[virtual, default: []].append(name) }
        }
        return packages
    }

    /// Package names in a dpkg relation field, versions and architectures dropped.
    static func names(in field: String) -> [String] {
        field.split(whereSeparator: { $0 == "," || $0 == "|" }).compactMap { item in
            let name = item.trimmingCharacters(in: .whitespaces).prefix { !$0.isWhitespace && $0 != "(" && $0 != ":" }
            return name.isEmpty ? nil : String(name)
        }
    }

    /// `roots` and everything installing them installs.
    func closure(of roots: [String]) -> Set<String> {
        var seen: Set<String> = []
        var queue = roots
        while let name = queue.popLast() {
            guard seen.insert(name).inserted else { continue }
            queue += dependencies[name] ?? []
            queue += providers[name] ?? []
        }
        return seen
    }

    /// The package that owns a file, or nil when none does (or the file is missing).
    static func owner(of path: String) throws -> String? {
        // dpkg records paths as packages ship them; /bin and /usr/bin are one folder on
        // merged-/usr systems, so try both spellings and the resolved path.
        var candidates = [path]
        if path.hasPrefix("/bin/") { candidates.append("/usr" + path) }
        if path.hasPrefix("/usr/bin/") { candidates.append(String(path.dropFirst(4))) }
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        if resolved != path { candidates.append(resolved) }
        for candidate in candidates {
            let result = try CommandRunner.run("/usr/bin/dpkg-query", ["-S", candidate])
            guard result.status == 0, let line = result.stdout.split(separator: "\n").first,
                let colon = line.range(of: ": ")
            else { continue }
            // "pkg:arch: /path", or "pkg1, pkg2: /path" for a shared folder.
            let owner = line[..<colon.lowerBound].split(separator: ",").first.map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            return owner.map { String($0.prefix { $0 != ":" }) }
        }
        return nil
    }
}
