// `make bench`: prints figures; asserts nothing about time.
// `HarkBenchmarks NAME...` runs only the named groups (e.g. `websocket dsp`).
let groups: [(name: String, run: () async throws -> Void)] = [
    ("websocket", { try await WebSocketBenchmark.run() }),
    ("grpc", { try await GRPCBridgeBenchmark.run() }),
    ("alsa", { try await ALSACaptureBenchmark.run() }),
    ("input", { try await AudioInputBenchmark.run() }),
    ("dsp", { try await DSPBenchmark.run() }),
    ("render", { try RendererBenchmark.run() }),
    ("local", { try await LocalRecognizerBenchmark.run() }),
    ("messages", { try await ProviderMessagesBenchmark.run() }),
    ("deepgram", { try await DeepgramDecoderBenchmark.run() }),
    ("endtoend", { try await EndToEndBenchmark.run() }),
    // Also inside endtoend; alone for a quick look at memory over a long stream. Only run
    // when named, so that `make bench` does not stream the hour twice.
    ("growth", { try await EndToEndBenchmark.runGrowth() }),
]
let wanted = Set(CommandLine.arguments.dropFirst().map { $0.lowercased() })
print("hark benchmarks")
for group in groups where wanted.isEmpty ? group.name != "growth" : wanted.contains(group.name) {
    print("\n## \(group.name)")
    try await group.run()
}
