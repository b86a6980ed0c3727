// `make bench`: prints figures; asserts nothing about time.
print("hark benchmarks")
print("AssemblyAI and OpenAI provider messages")
try await ProviderMessagesBenchmark.run()
