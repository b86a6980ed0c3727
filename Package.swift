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
    // Header folders of the libraries hark opens with dlopen (Debian's paths). pkg-config would
    // give these too, but SwiftPM would then also link the libraries, which is what the
    // dlopen shims avoid. Every target that imports Hark needs them to read its C modules.
    .unsafeFlags(["-Xcc", "-I/usr/include/opus", "-Xcc", "-I/usr/include/pocketsphinx"]),
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
        // `hark serve`'s web server in its own process, for the same reason: swift-nio's HTTP,
        // WebSocket and TLS stay out of hark (see the hark-serve target for the figures).
        .executable(name: "hark-serve", targets: ["hark-serve"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // Tests only: Google's generated messages check hark's hand-written protobuf codec.
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        // hark-grpc only: gRPC over HTTP/2 (h2c and TLS) for Google Speech-to-Text.
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
        // hark-serve only (already in the graph through grpc-swift-nio-transport).
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
    ],
    targets: [
        // C libraries: a module map and a shim header each, no logic. curl is linked (every
        // network run needs it); the others are opened with dlopen on first use through
        // CSharedLibrary, so a run maps only what it uses (the shims' `hark_*_load`).
        .systemLibrary(
            name: "CCurl", path: "Sources/CCurl", pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]),
        .target(name: "CSharedLibrary", path: "Sources/CSharedLibrary"),
        .systemLibrary(name: "CALSA", path: "Sources/CALSA"),
        .systemLibrary(name: "COggOpus", path: "Sources/COggOpus"),
        .systemLibrary(name: "CSoxr", path: "Sources/CSoxr"),
        .systemLibrary(name: "CPocketSphinx", path: "Sources/CPocketSphinx"),
        // libcrypto signs Google service-account assertions; libcurl already loads it.
        .systemLibrary(
            name: "COpenSSL", path: "Sources/COpenSSL", pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]),
        // C++ shim over WebRTC audio processing 0.3; only an extern "C" API crosses into Swift.
        // SwiftPM drops -D flags from pkg-config ("prohibited flags"), so the defines the
        // header needs are set here.
        .target(
            name: "CWebRTCAudio",
            dependencies: ["CSharedLibrary"],
            path: "Sources/CWebRTCAudio",
            cxxSettings: [
                .define("WEBRTC_POSIX"),
                .define("WEBRTC_AUDIO_PROCESSING_ONLY_BUILD"),
                .unsafeFlags(["-I/usr/include/webrtc_audio_processing"]),
            ]
        ),
        // The pipe protocol between hark and hark-grpc: frames, no I/O, no dependencies.
        .target(
            name: "GRPCBridgeWire",
            swiftSettings: swiftSettings
        ),
        // The pipe protocol between `hark serve` and hark-serve, and the page rules both sides
        // test: frames, the hello, the token, Origin and rate checks; no I/O, no dependencies.
        .target(
            name: "ServeWire",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Hark",
            dependencies: [
                "CCurl", "CSharedLibrary", "CALSA", "COggOpus", "CSoxr", "CPocketSphinx", "CWebRTCAudio",
                "COpenSSL", "GRPCBridgeWire", "ServeWire",
            ],
            // The JSON Lines schema lives beside its renderer for the README; it is not a resource.
            // grpc-swift's TLS stack links all of Foundation and ICU (binary 9.9 -> 98.8 MB, +10 MB
            // resident for every provider, +9 min clean build, measured), so gRPC runs in the
            // separate hark-grpc bridge process and the Google adapter encodes its protobuf
            // messages by hand.
            exclude: ["Output/JSONL-SCHEMA.md"],
            swiftSettings: swiftSettings + [.unsafeFlags(["-Xfrontend", "-function-sections"])]
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
        // The web server of `hark serve`: HTTP/1.1 and WebSocket (swift-nio), TLS (swift-nio-ssl),
        // the page's static files from Page/. Never a dependency of hark or Hark.
        .executableTarget(
            name: "hark-serve",
            dependencies: [
                "ServeWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            exclude: ["Page"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "hark",
            dependencies: [
                "Hark", "ServeWire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            exclude: ["hark.order"],
            swiftSettings: swiftSettings,
            // The Swift runtime and FoundationEssentials linked statically: only the parts hark
            // uses are paged in, instead of every shared library's relocated data (3.2 MB less
            // peak resident memory, measured). lld packs the relative relocations (DT_RELR,
            // glibc 2.36): gold's 1 MB .rela.dyn was read whole at every start (1 MB less).
            // The test and benchmark binaries stay dynamic.
            linkerSettings: [
                .unsafeFlags([
                    "-static-stdlib", "-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
                    // What a transcription executes, laid out together (see Benchmarks/hark_order_file.py).
                    "-Xlinker", "--symbol-ordering-file=\(Context.packageDirectory)/Sources/hark/hark.order",
                    "-Xlinker", "--no-warn-symbol-ordering",
                ]),
                // FoundationEssentials's static archive does not name these two in its autolink entries.
                .linkedLibrary("_FoundationCollections"), .linkedLibrary("_FoundationCShims"),
            ]
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
            dependencies: ["Hark", "HarkTestSupport", "GoogleSpeechProto", "GRPCBridgeWire", "ServeWire"],
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
