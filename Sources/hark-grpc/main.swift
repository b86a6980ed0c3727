import GRPCBridgeWire

#if canImport(Glibc)
    import Glibc
#endif

// hark's gRPC bridge: one call per process, framed on stdin and stdout (see GRPCBridgeWire).
// hark starts it for Google only, so that gRPC's TLS stack (all of Foundation and ICU) stays out
// of hark itself.
if CommandLine.arguments.count > 1 {
    let text = "hark-grpc is started by hark for gRPC providers and takes no arguments; run hark instead.\n"
    _ = text.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
    exit(64)
}
// A write to hark's closed pipe must fail with EPIPE, not kill the bridge mid-frame.
signal(SIGPIPE, SIG_IGN)

let output = BridgeOutput(descriptor: 1)
let requests = RequestHandoff()
let (setups, setupContinuation) = AsyncStream.makeStream(of: BridgeCallSetup.self)
BridgeInput.start(descriptor: 0, requests: requests, output: output) { setup in
    setupContinuation.yield(setup)
    setupContinuation.finish()
}
for await setup in setups {
    let terminal = await GRPCBridgeCall.run(setup, requests: requests, output: output)
    await output.write(terminal)
    BridgeProcess.exit(0)
}
