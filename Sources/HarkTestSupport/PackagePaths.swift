package import Foundation

/// Paths of the package under test, found from this file's location so tests work from any
/// working directory.
package enum PackagePaths {
    /// The package root (the folder holding Package.swift).
    package static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        // Sources/HarkTestSupport/PackagePaths.swift -> root
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    /// `Tests/Fakes`.
    package static var fakes: URL { root.appendingPathComponent("Tests/Fakes") }

    /// `samples`.
    package static var samples: URL { root.appendingPathComponent("samples") }

    /// The built `hark` binary beside the test bundle (`swift build` puts both in one folder).
    package static var harkBinary: URL {
        if let override = ProcessInfo.processInfo.environment["HARK_BINARY"] {
            return URL(fileURLWithPath: override)
        }
        // The test bundle runs from .build/<triple>/debug; the executable sits there too.
        let bundle = Bundle.main.bundleURL
        let candidates = [
            bundle.deletingLastPathComponent().appendingPathComponent("hark"),
            bundle.appendingPathComponent("hark"),
            root.appendingPathComponent(".build/debug/hark"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[2]
    }

    /// The built `hark-grpc` bridge beside the test bundle (`swift build` builds every product
    /// into one folder); `HARK_GRPC_BRIDGE` overrides it as it does for hark itself.
    package static var grpcBridgeBinary: URL {
        if let override = ProcessInfo.processInfo.environment["HARK_GRPC_BRIDGE"] {
            return URL(fileURLWithPath: override)
        }
        let bundle = Bundle.main.bundleURL
        let candidates = [
            bundle.deletingLastPathComponent().appendingPathComponent("hark-grpc"),
            bundle.appendingPathComponent("hark-grpc"),
            root.appendingPathComponent(".build/debug/hark-grpc"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[2]
    }

    /// The Python that runs the fakes: Debian's, which `make deps` gives `websockets`.
    package static var python: String {
        ProcessInfo.processInfo.environment["HARK_TEST_PYTHON"] ?? "/usr/bin/python3"
    }

    /// A new empty temporary directory.
    package static func temporaryDirectory(_ label: String = "hark-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
