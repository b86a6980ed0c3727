import Foundation
import Hark
import HarkTestSupport

/// What the gRPC bridge costs: start-up of `hark-grpc` to the first answered message, its
/// resident memory during a call, and round trips of 3200-byte messages (100 ms of 16 kHz
/// LINEAR16, Google's audio message) through hark -> pipe -> bridge -> h2c -> echo and back,
/// against a grpcio client of the same echo server as the baseline without the pipe hops.
enum GRPCBridgeBenchmark {
    static func run() async throws {
        let bridge = try GRPCBridgeLocator.locate()
        print("gRPC bridge \(bridge) against the grpcio echo fake on 127.0.0.1 (h2c)")
        let fake = try FakeServer(script: "grpc_echo.py")
        defer { fake.stop() }
        let request = ConnectionRequest(url: "http://127.0.0.1:\(fake.port)/hark.bench.Echo/Stream", headers: [])
        let message = WireMessage.binary([UInt8](repeating: 0x5A, count: 3200))
        let clock = ContinuousClock()

        // Start-up: spawn, connect, first message out and its echo back, ten times.
        var startups: [Double] = []
        for _ in 0..<10 {
            let start = clock.now
            let link = try GRPCBridgeLink.connect(request, options: LinkOptions(), executable: bridge)
            var messages = link.inbound.makeAsyncIterator()
            try await link.send(message)
            _ = try await messages.next()
            startups.append(milliseconds(clock.now - start))
            await link.close()
            while try await messages.next() != nil {}
            await link.abort()
        }
        startups.sort()
        print(
            "  start-up (spawn -> first message echoed): median \(format(startups[startups.count / 2])) ms, "
                + "max \(format(startups.last ?? 0)) ms")

        // Round trips, one message at a time, then the bridge's memory mid-call.
        let link = try GRPCBridgeLink.connect(request, options: LinkOptions(), executable: bridge)
        var messages = link.inbound.makeAsyncIterator()
        var samples: [Double] = []
        for round in 0..<3200 {
            let start = clock.now
            try await link.send(message)
            _ = try await messages.next()
            if round >= 200 { samples.append(microseconds(clock.now - start)) }
        }
        samples.sort()
        let memory = residentKilobytes(of: link.bridgeProcessID)
        await link.close()
        while try await messages.next() != nil {}
        await link.abort()
        let p50 = samples[samples.count / 2]
        let p99 = samples[samples.count * 99 / 100]
        print("  round trip through the bridge, 3200 B: p50 \(format(p50)) µs, p99 \(format(p99)) µs")
        if let memory {
            print("  hark-grpc resident during the call: \(memory.resident / 1024) MB (peak \(memory.peak / 1024) MB)")
        }

        // The same round trips from a grpcio client in Python, without hark and the pipes.
        let baseline = try CommandRunner.run(
            PackagePaths.python,
            [
                PackagePaths.fakes.appendingPathComponent("grpc_echo.py").path, "--measure", "\(fake.port)", "--count",
                "3000",
            ])
        let fields = baseline.stdout.split(separator: " ").compactMap {
            Double($0.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        if fields.count == 2 {
            print(
                "  round trip from a grpcio client (no bridge): p50 \(format(fields[0])) µs, p99 \(format(fields[1])) µs; "
                    + "the bridge path adds about \(format(p50 - fields[0])) µs at p50")
        } else {
            print("  grpcio baseline failed: \(baseline.stderr)")
        }
    }

    private static func residentKilobytes(of pid: Int32) -> (resident: Int, peak: Int)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        func value(_ key: String) -> Int? {
            text.split(separator: "\n").first { $0.hasPrefix(key) }
                .flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") }
        }
        guard let resident = value("VmRSS:"), let peak = value("VmHWM:") else { return nil }
        return (resident, peak)
    }

    private static func milliseconds(_ duration: Duration) -> Double {
        microseconds(duration) / 1000
    }

    private static func microseconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) * 1_000_000 + Double(parts.attoseconds) / 1_000_000_000_000
    }

    private static func format(_ value: Double) -> String {
        String(format: value < 10 ? "%.2f" : "%.0f", value)
    }
}
