// `make bench`: prints figures; asserts nothing about time.
print("hark benchmarks")
try await WebSocketBenchmark.run()
