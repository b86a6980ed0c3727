// `make bench`: prints figures; asserts nothing about time.
print("hark benchmarks")
try await ALSACaptureBenchmark.run()
try await AudioInputBenchmark.run()
try RendererBenchmark.run()
try await LocalRecognizerBenchmark.run()
print("AssemblyAI and OpenAI provider messages")
try await ProviderMessagesBenchmark.run()
try await DeepgramDecoderBenchmark.run()
