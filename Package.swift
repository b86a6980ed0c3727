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
        .executable(name: "hark", targets: ["hark"]),
        // Google's gRPC transport in its own process: its TLS stack links all of Foundation and
        // ICU (measured: hark 9.9 -> 98.8 MB, +10 MB resident for every provider), so hark
        // starts it only for Google and talks to it over pipes.
        .executable(name: "hark-grpc", targets: ["hark-grpc"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // Tests only: Google's generated messages check hark's hand-written protobuf codec.
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        // hark-grpc only: gRPC over HTTP/2 (h2c and TLS) for Google Speech-to-Text.
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
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
        // libcrypto signs Google service-account assertions; libcurl already loads it.
        .systemLibrary(
            name: "COpenSSL", path: "Sources/COpenSSL", pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]),
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
        // The pipe protocol between hark and hark-grpc: frames, no I/O, no dependencies.
        .target(
            name: "GRPCBridgeWire",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Hark",
            dependencies: [
                "CCurl", "CALSA", "COpus", "COggOpus", "CSoxr", "CPocketSphinx", "CWebRTCAudio", "COpenSSL",
                "GRPCBridgeWire",
            ],
            // The JSON Lines schema lives beside its renderer for the README; it is not a resource.
            // grpc-swift's TLS stack links all of Foundation and ICU (binary 9.9 -> 98.8 MB, +10 MB
            // resident for every provider, +9 min clean build, measured), so gRPC runs in the
            // separate hark-grpc bridge process and the Google adapter encodes its protobuf
            // messages by hand.
            exclude: ["Output/JSONL-SCHEMA.md"],
            swiftSettings: swiftSettings
        ),
        // The gRPC bridge: one bidirectional-streaming call per process, opaque message bytes
        // between the pipes and the call. Never a dependency of hark or Hark.
        .executableTarget(
            name: "hark-grpc",
            dependencies: [
                "GRPCBridgeWire",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
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
        // Google Speech v2 messages generated by `make proto` from Protos/: the reference the
        // tests hold hark's hand-written protobuf codec to. Never linked into hark itself
        // (SwiftProtobuf imports all of Foundation).
        .target(
            name: "GoogleSpeechProto",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
            path: "Tests/GoogleSpeechProto"
        ),
        .testTarget(
            name: "HarkTests",
            dependencies: ["Hark", "HarkTestSupport", "GoogleSpeechProto", "GRPCBridgeWire"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HarkIntegrationTests",
            dependencies: [
                "Hark", "HarkTestSupport", "GoogleSpeechProto", "GRPCBridgeWire",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
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
