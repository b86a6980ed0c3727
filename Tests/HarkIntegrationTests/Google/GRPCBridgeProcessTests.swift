import Foundation
import GRPCBridgeWire
import HarkTestSupport
import Testing

@testable import Hark

@Suite("hark-grpc on its own: the pipe protocol from the bridge's side")
struct GRPCBridgeProcessTests {
    /// Starts the bridge, writes `input`, and reads its stdout to the end (the bridge answers
    /// these inputs with a terminal frame and exits).
    private func exchange(_ input: [UInt8]) throws -> (frames: [BridgeFrame], exit: GRPCBridgeExit) {
        let process = try GRPCBridgeProcess.spawn(executable: PackagePaths.grpcBridgeBinary.path)
        _ = input.withUnsafeBytes { write(process.stdinDescriptor, $0.baseAddress, $0.count) }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(process.stdoutDescriptor, &buffer, buffer.count)
            if count <= 0 { break }
            output += buffer[..<count]
        }
        close(process.stdinDescriptor)
        close(process.stdoutDescriptor)
        close(process.stderrDescriptor)
        var decoder = BridgeFrameDecoder()
        decoder.append(output)
        var frames: [BridgeFrame] = []
        while let frame = try decoder.next() { frames.append(frame) }
        try decoder.checkEnd()
        return (frames, process.waitForExit())
    }

    private func isProtocolViolation(_ frame: BridgeFrame?, containing text: String) -> Bool {
        guard case .transportFailure(let failure)? = frame else { return false }
        return failure.kind == .protocolViolation && failure.detail.contains(text)
    }

    @Test("a frame that is not a call setup first is refused with a protocol violation")
    func messageBeforeSetup() throws {
        let (frames, exit) = try exchange(BridgeFrameCodec.encode(.message([1, 2, 3])))
        #expect(exit == .exited(status: 0))
        #expect(frames.count == 1)
        #expect(isProtocolViolation(frames.first, containing: "before the call setup"))
    }

    @Test("bytes that are not a frame are refused with a protocol violation")
    func garbage() throws {
        let (frames, _) = try exchange([0, 0, 0, 2, 99, 0])
        #expect(isProtocolViolation(frames.first, containing: "unknown type 99"))
    }

    @Test("end of file on stdin is hark's abort: the bridge exits at once and writes nothing")
    func endOfFileAborts() throws {
        let process = try GRPCBridgeProcess.spawn(executable: PackagePaths.grpcBridgeBinary.path)
        close(process.stdinDescriptor)
        var buffer = [UInt8](repeating: 0, count: 16)
        #expect(read(process.stdoutDescriptor, &buffer, buffer.count) == 0)
        close(process.stdoutDescriptor)
        close(process.stderrDescriptor)
        #expect(process.waitForExit() == .exited(status: 0))
    }
}
