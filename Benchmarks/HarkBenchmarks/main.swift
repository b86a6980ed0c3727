// `make bench`: prints figures; asserts nothing about time.
print("hark benchmarks")
try await ALSACaptureBenchmark.run()
try await AudioInputBenchmark.run()
try await DSPBenchmark.run()
try RendererBenchmark.run()
try await LocalRecognizerBenchmark.run()
