import Foundation
import Hark
import HarkTestSupport

/// Round-trip time of small messages and echo throughput of 8 KB binary messages through
/// `WebSocketConnection` against the local python-websockets echo fake, over ws and wss.
enum WebSocketBenchmark {
    static func run() async throws {
        print("WebSocket (python-websockets echo on 127.0.0.1)")
        let plain = try FakeServer(script: "websocket_echo.py")
        defer { plain.stop() }
        try await measure(label: "ws ", url: plain.endpoint() + "/bench", options: WebSocketOptions())

        let authority = try TestCertificateAuthority()
        let secure = try FakeServer(
            script: "websocket_echo.py",
            arguments: ["--tls-cert", authority.serverCertificate, "--tls-key", authority.serverKey])
        defer { secure.stop() }
        try await measure(
            label: "wss", url: "wss://localhost:\(secure.port)/bench",
            options: WebSocketOptions(caBundle: authority.caCertificate))
    }

    private static func measure(label: String, url: String, options: WebSocketOptions) async throws {
        let clock = ContinuousClock()
        let connectStart = clock.now
        let connection = try await WebSocketConnection.connect(to: url, options: options)
        let connectTime = clock.now - connectStart

        // Round trips: one 16-byte text message out, its echo back, one at a time.
        let probe = WebSocketMessage.text("0123456789abcdef")
        for _ in 0..<200 {
            try await connection.send(probe)
            _ = try await connection.receive()
        }
        var samples: [Double] = []
        for _ in 0..<3000 {
            let start = clock.now
            try await connection.send(probe)
            _ = try await connection.receive()
            samples.append(microseconds(clock.now - start))
        }
        samples.sort()
        let p50 = samples[samples.count / 2]
        let p99 = samples[samples.count * 99 / 100]

        // Throughput: 8 KB binary messages sent as fast as back-pressure allows while a
        // second task reads the echoes.
        let count = 6000
        let message = WebSocketMessage.binary([UInt8](repeating: 0x5A, count: 8192))
        let start = clock.now
        let reader = Task {
            var received = 0
            while received < count, try await connection.receive() != nil { received += 1 }
            return received
        }
        for _ in 0..<count { try await connection.send(message) }
        let received = try await reader.value
        let seconds = microseconds(clock.now - start) / 1_000_000
        let megabytes = Double(received * 8192) / 1_048_576
        await connection.close()

        print(
            "  \(label)  connect+upgrade \(format(microseconds(connectTime) / 1000)) ms"
                + "  round trip p50 \(format(p50)) µs  p99 \(format(p99)) µs"
                + "  8 KB echo \(format(Double(received) / seconds)) msg/s (\(format(megabytes / seconds)) MB/s each way)"
        )
    }

    private static func microseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1_000_000 + Double(attoseconds) / 1_000_000_000_000
    }

    private static func format(_ value: Double) -> String { String(format: "%.1f", value) }
}
