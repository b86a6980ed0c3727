import Foundation
import Testing

@testable import Hark

@Suite("Output sink")
struct OutputSinkTests {
    @Test("a write larger than the pipe buffer arrives whole and in order")
    func largeWriteIsComplete() throws {
        let pipe = Pipe()
        let sink = OutputSink(descriptor: pipe.fileHandleForWriting.fileDescriptor, name: "pipe")
        let text = String(repeating: "héllo wörld 日本 ", count: 20000)
        nonisolated(unsafe) var received = Data()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            received = pipe.fileHandleForReading.readDataToEndOfFile()
            done.signal()
        }
        try sink.write(text)
        try pipe.fileHandleForWriting.close()
        done.wait()
        #expect(String(decoding: received, as: UTF8.self) == text)
    }

    @Test("writing to a pipe whose reader has gone is reported as readerClosed, not as a failure")
    func brokenPipeIsDistinct() throws {
        signal(SIGPIPE, SIG_IGN)
        let pipe = Pipe()
        try pipe.fileHandleForReading.close()
        let sink = OutputSink(descriptor: pipe.fileHandleForWriting.fileDescriptor, name: "standard output")
        #expect(throws: OutputError.readerClosed(name: "standard output")) { try sink.write("line\n") }
    }

    @Test("an output file is created and filled, and one in a missing directory is refused")
    func createsFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hark-out-\(UUID().uuidString).txt")
            .path
        do {
            let sink = try OutputSink.create(path: path)
            try sink.write("one\n")
            try sink.write("two\n")
            #expect(!sink.isTerminal)
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "one\ntwo\n")
        #expect(throws: OutputError.cannotCreate(path: "/nonexistent/dir/out.srt", reason: "No such file or directory"))
        {
            _ = try OutputSink.create(path: "/nonexistent/dir/out.srt")
        }
    }
}
