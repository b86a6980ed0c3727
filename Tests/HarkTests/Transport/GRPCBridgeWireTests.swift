import GRPCBridgeWire
import Testing

/// Every kind of frame, with the awkward values: empty fields, non-ASCII text, binary bytes.
private let sampleFrames: [BridgeFrame] = [
    .callSetup(
        BridgeCallSetup(
            url: "https://eu-speech.googleapis.com:443/google.cloud.speech.v2.Speech/StreamingRecognize",
            metadata: [
                BridgeMetadataEntry("authorization", "Bearer ya29.token"),
                BridgeMetadataEntry("x-goog-request-params", "recognizer=projects%2Fp%2Flocations%2Feu"),
            ],
            caBundle: "/tmp/ca bundle/ça.pem", connectTimeoutMilliseconds: 10_000)),
    .callSetup(
        BridgeCallSetup(url: "http://127.0.0.1:1/a.B/C", metadata: [], caBundle: nil, connectTimeoutMilliseconds: 1)),
    .message([]),
    .message([0, 1, 2, 255, 0x0a, 0x0d]),
    .message([UInt8](repeating: 0x5a, count: 15_360)),
    .halfClose,
    .status(BridgeStatus(code: 0, message: "")),
    .status(
        BridgeStatus(
            code: 16, message: "Request had invalid authentication credentials. — ünïcode",
            trailers: [BridgeMetadataEntry("grpc-status-details-bin", "CBASGw==")])),
    .transportFailure(BridgeTransportFailure(kind: .connectFailed, host: "127.0.0.1:9", detail: "refused")),
    .transportFailure(BridgeTransportFailure(kind: .tlsFailed, host: "h:443", detail: "unknown CA")),
    .transportFailure(BridgeTransportFailure(kind: .connectionLost, host: "", detail: "reset")),
    .transportFailure(BridgeTransportFailure(kind: .timedOut, host: "h:443", detail: "connecting (10000 ms)")),
    .transportFailure(BridgeTransportFailure(kind: .protocolViolation, host: "", detail: "bad")),
]

private func decodeAll(_ bytes: [UInt8], pieceSize: Int) throws(BridgeWireError) -> [BridgeFrame] {
    var decoder = BridgeFrameDecoder()
    var frames: [BridgeFrame] = []
    var offset = 0
    while offset < bytes.count {
        decoder.append(bytes[offset..<min(offset + pieceSize, bytes.count)])
        offset += pieceSize
        while let frame = try decoder.next() { frames.append(frame) }
    }
    try decoder.checkEnd()
    return frames
}

@Suite("GRPCBridgeWire: the pipe frames between hark and hark-grpc")
struct GRPCBridgeWireTests {
    @Test("every frame survives encoding and decoding unchanged", arguments: sampleFrames)
    func roundTrip(frame: BridgeFrame) throws {
        let frames = try decodeAll(BridgeFrameCodec.encode(frame), pieceSize: 1 << 20)
        #expect(frames == [frame])
    }

    @Test(
        "frames split at every possible point (reads of 1, 2, 3, 7 and 64 bytes) decode the same",
        arguments: [1, 2, 3, 7, 64])
    func splitReads(pieceSize: Int) throws {
        let stream = sampleFrames.flatMap(BridgeFrameCodec.encode)
        #expect(try decodeAll(stream, pieceSize: pieceSize) == sampleFrames)
    }

    @Test("the layout: big-endian length of type and payload, then the type byte")
    func layout() {
        #expect(BridgeFrameCodec.encode(.halfClose) == [0, 0, 0, 1, 3])
        #expect(BridgeFrameCodec.encode(.message([9, 8])) == [0, 0, 0, 3, 2, 9, 8])
    }

    @Test("an incomplete frame is no frame yet, and an error at end of file")
    func incomplete() throws {
        let bytes = BridgeFrameCodec.encode(.message([1, 2, 3, 4]))
        var decoder = BridgeFrameDecoder()
        decoder.append(bytes.dropLast())
        #expect(try decoder.next() == nil)
        #expect(throws: BridgeWireError.endedInsideFrame(bufferedBytes: bytes.count - 1)) { try decoder.checkEnd() }
        decoder.append(bytes.suffix(1))
        #expect(try decoder.next() == .message([1, 2, 3, 4]))
        try decoder.checkEnd()
    }

    @Test("a length above the limit is refused from the header alone, before its body is buffered")
    func oversized() {
        var decoder = BridgeFrameDecoder(maxFrameLength: 1024)
        decoder.append([0, 0, 4, 1])
        #expect(throws: BridgeWireError.oversized(length: 1025, limit: 1024)) { try decoder.next() }
        var standard = BridgeFrameDecoder()
        standard.append([0xff, 0xff, 0xff, 0xff])
        #expect(throws: BridgeWireError.oversized(length: 0xffff_ffff, limit: BridgeFrameCodec.maxFrameLength)) {
            try standard.next()
        }
    }

    @Test("payloads that end inside a field, or have bytes after their fields, are refused")
    func truncatedPayloads() {
        let status = BridgeFrameCodec.encode(.status(BridgeStatus(code: 3, message: "bad request")))
        // Cut the message string short but keep the frame's length consistent.
        var cut = Array(status.dropLast(4))
        cut[3] -= 4
        #expect(throws: BridgeWireError.truncated(frame: "status")) { try decodeAll(cut, pieceSize: 64) }
        var padded = BridgeFrameCodec.encode(.halfClose) + [0]
        padded[3] += 1
        #expect(throws: BridgeWireError.trailingBytes(frame: "halfClose")) { try decodeAll(padded, pieceSize: 64) }
        // A metadata count far larger than the bytes that follow cannot make the decoder reserve memory.
        let hugeCount: [UInt8] = [0, 0, 0, 13, 16, 0, 0, 0, 3, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff]
        #expect(throws: BridgeWireError.truncated(frame: "status")) { try decodeAll(hugeCount, pieceSize: 64) }
    }

    @Test("an empty frame, an unknown type, an unknown failure kind and bad UTF-8 are refused")
    func malformed() {
        #expect(throws: BridgeWireError.empty) { try decodeAll([0, 0, 0, 0], pieceSize: 4) }
        #expect(throws: BridgeWireError.unknownType(99)) { try decodeAll([0, 0, 0, 1, 99], pieceSize: 4) }
        let failure: [UInt8] = [0, 0, 0, 10, 17, 42, 0, 0, 0, 0, 0, 0, 0, 0]
        #expect(throws: BridgeWireError.unknownFailureKind(42)) { try decodeAll(failure, pieceSize: 64) }
        let badText: [UInt8] = [0, 0, 0, 14, 16, 0, 0, 0, 3, 0, 0, 0, 1, 0xff, 0, 0, 0, 0]
        #expect(throws: BridgeWireError.invalidText(frame: "status")) { try decodeAll(badText, pieceSize: 64) }
    }

    @Test("a call setup from another protocol version is refused, naming both versions and make install")
    func versionMismatch() {
        var frame = BridgeFrameCodec.encode(.callSetup(sampleSetup))
        frame[5] = bridgeWireVersion + 1
        #expect(throws: BridgeWireError.versionMismatch(received: bridgeWireVersion + 1)) {
            try decodeAll(frame, pieceSize: 64)
        }
        #expect(BridgeWireError.versionMismatch(received: 9).description.contains("make install"))
    }

    private var sampleSetup: BridgeCallSetup {
        BridgeCallSetup(url: "http://h:1/a.B/C", metadata: [], caBundle: nil, connectTimeoutMilliseconds: 5)
    }
}
