// swift-tools-version: 6.1
import PackageDescription

/// Settings shared by every Swift target: Swift 6 with complete strict concurrency, and the
/// upcoming features that keep C types from leaking out of the file that wraps them
/// (`InternalImportsByDefault`) and make existentials explicit.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "hark",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "hark", targets: ["hark"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2")
    ],
    targets: [
        // C libraries: a module map and a shim header each, no logic.
        .systemLibrary(
            name: "CCurl", path: "Sources/CCurl", pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(
            name: "CALSA", path: "Sources/CALSA", pkgConfig: "alsa",
            providers: [.apt(["libasound2-dev"])]),
        .systemLibrary(
            name: "COpus", path: "Sources/COpus", pkgConfig: "opus",
            providers: [.apt(["libopus-dev"])]),
        .systemLibrary(
            name: "COggOpus", path: "Sources/COggOpus", pkgConfig: "libopusenc",
            providers: [.apt(["libopusenc-dev"])]),
        .systemLibrary(
            name: "CSoxr", path: "Sources/CSoxr", pkgConfig: "soxr",
            providers: [.apt(["libsoxr-dev"])]),
        .systemLibrary(
            name: "CPocketSphinx", path: "Sources/CPocketSphinx", pkgConfig: "pocketsphinx",
            providers: [.apt(["libpocketsphinx-dev"])]),
        // C++ shim over WebRTC audio processing 0.3; only an extern "C" API crosses into Swift.
        // SwiftPM drops -D flags from pkg-config ("prohibited flags"), so the defines the
        // header needs are set here.
        .target(
            name: "CWebRTCAudio",
            path: "Sources/CWebRTCAudio",
            cxxSettings: [
                .define("WEBRTC_POSIX"),
                .define("WEBRTC_AUDIO_PROCESSING_ONLY_BUILD"),
                .unsafeFlags(["-I/usr/include/webrtc_audio_processing"]),
            ],
            linkerSettings: [.linkedLibrary("webrtc_audio_processing")]
        ),
        .target(
            name: "Hark",
            dependencies: ["CCurl", "CALSA", "COpus", "COggOpus", "CSoxr", "CPocketSphinx", "CWebRTCAudio"],
            // The JSON Lines schema lives beside its renderer for the README; it is not a resource.
            // Google (gRPC) is parked out of the build: grpc-swift's TLS stack links all of
            // Foundation and ICU (binary 9.9 -> 98.8 MB, +10 MB resident for every provider, +9 min
            // clean build, measured). It returns through a separate gRPC bridge process.
            exclude: [
                "Output/JSONL-SCHEMA.md", "Providers/Google", "Transport/GRPCStreamLink.swift",
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "hark",
            dependencies: [
                "Hark",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HarkTestSupport",
            dependencies: ["Hark"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HarkTests",
            dependencies: ["Hark", "HarkTestSupport"],
            exclude: ["Google"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HarkIntegrationTests",
            dependencies: ["Hark", "HarkTestSupport"],
            exclude: ["Google"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HarkEndToEndTests",
            dependencies: ["Hark", "HarkTestSupport"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "HarkBenchmarks",
            dependencies: ["Hark", "HarkTestSupport"],
            path: "Benchmarks/HarkBenchmarks",
            swiftSettings: swiftSettings
        ),
    ],
    cxxLanguageStandard: .cxx17
)
