import Foundation
import GoogleSpeechProto
import HarkTestSupport
import SwiftProtobuf
import Testing

@testable import Hark

@Suite("Google adapter")
struct GoogleAdapterTests {
    @Test("the default is chirp_3 in us: us-speech host, us recognizer, routing header, bearer token")
    func defaultRequest() throws {
        let adapter = try googleAdapter()
        let request = try adapter.connectionRequest()
        #expect(request.url == "https://us-speech.googleapis.com/google.cloud.speech.v2.Speech/StreamingRecognize")
        #expect(request.headers[header: "authorization"] == "Bearer test-token")
        #expect(
            request.headers[header: "x-goog-request-params"]
                == "recognizer=projects%2Fmy-proj%2Flocations%2Fus%2Frecognizers%2F_")
        #expect(request.headers[header: "x-goog-user-project"] == nil)
        #expect(adapter.model == "chirp_3")
        #expect(adapter.audio == AudioRequirements(sampleRate: 16_000, encoding: .linear16))
    }

    @Test("the region picks host and recognizer location together; global uses speech.googleapis.com")
    func regions() throws {
        let central = try googleAdapter(settings: ["region": "us-central1"], model: "chirp_2")
        #expect(try central.connectionRequest().url.hasPrefix("https://us-central1-speech.googleapis.com/"))
        #expect(central.target.recognizer == "projects/my-proj/locations/us-central1/recognizers/_")
        let global = try googleAdapter(settings: ["region": "global"], model: "long")
        #expect(try global.connectionRequest().url.hasPrefix("https://speech.googleapis.com/"))
        #expect(global.target.recognizer == "projects/my-proj/locations/global/recognizers/_")
    }

    @Test("a named recognizer is used, and one in another location than the region is refused")
    func namedRecognizer() throws {
        let named = try googleAdapter(settings: ["recognizer": "my-rec"])
        #expect(named.target.recognizer == "projects/my-proj/locations/us/recognizers/my-rec")
        let full = try googleAdapter(settings: ["recognizer": "projects/other/locations/us/recognizers/r"])
        #expect(full.target.recognizer == "projects/other/locations/us/recognizers/r")
        #expect(throws: ProviderError.self) {
            _ = try googleAdapter(settings: ["recognizer": "projects/p/locations/eu/recognizers/r"])
        }
    }

    @Test("models that cannot stream, chirp_3 in global and mulaw are refused before connecting")
    func refusedOptions() throws {
        #expect(throws: ProviderError.self) { _ = try googleAdapter(model: "chirp") }
        #expect(throws: ProviderError.self) { _ = try googleAdapter(settings: ["region": "global"]) }
        #expect(throws: ProviderError.self) { _ = try googleAdapter(encoding: .mulaw) }
        #expect(throws: ProviderError.self) { _ = try googleAdapter(settings: ["region": "us/../x"]) }
    }

    @Test("--encoding opus declares OGG_OPUS at 16 kHz")
    func opus() throws {
        let adapter = try googleAdapter(encoding: .opus)
        guard case .binary(let first) = try #require(adapter.openingMessages().first) else {
            Issue.record("not binary")
            return
        }
        let request = try Google_Cloud_Speech_V2_StreamingRecognizeRequest(serializedBytes: first)
        #expect(request.streamingConfig.config.explicitDecodingConfig.encoding == .oggOpus)
        #expect(request.streamingConfig.config.explicitDecodingConfig.sampleRateHertz == 16_000)
    }

    @Test("interim results follow the option")
    func interimOption() throws {
        let adapter = try googleAdapter(interim: false)
        guard case .binary(let first) = try #require(adapter.openingMessages().first) else { return }
        let request = try Google_Cloud_Speech_V2_StreamingRecognizeRequest(serializedBytes: first)
        #expect(request.streamingConfig.streamingFeatures.interimResults == false)
    }

    @Test("audio chunks larger than 15 KB are split into messages of at most 15 KB, in order")
    func splitsAudio() throws {
        let adapter = try googleAdapter()
        let payload = (0..<40_000).map { UInt8(truncatingIfNeeded: $0) }
        let messages = adapter.audioMessages(payload)
        #expect(messages.count == 3)
        var joined: [UInt8] = []
        for message in messages {
            guard case .binary(let bytes) = message else { return }
            let request = try Google_Cloud_Speech_V2_StreamingRecognizeRequest(serializedBytes: bytes)
            #expect(request.audio.count <= 15_000)
            #expect(request.recognizer.isEmpty)
            joined += request.audio
        }
        #expect(joined == payload)
        #expect(adapter.audioMessages([]).isEmpty)
    }

    @Test("--endpoint replaces scheme, host and port; http means plaintext HTTP/2")
    func endpointOverride() throws {
        let adapter = try googleAdapter(endpoint: "http://127.0.0.1:4321")
        #expect(
            try adapter.connectionRequest().url
                == "http://127.0.0.1:4321/google.cloud.speech.v2.Speech/StreamingRecognize")
    }

    @Test("the descriptor declares gRPC, a five-minute limit and real-time speed, and the registry has it")
    func descriptor() {
        let descriptor = GoogleAdapter.descriptor
        #expect(descriptor.transport == .grpc)
        #expect(descriptor.capabilities.maxSpeed == 1.0)
        #expect((descriptor.capabilities.maxSessionLength ?? .zero) <= .seconds(300))
        #expect(ProviderRegistry.adapter(named: "google") != nil)
        #expect(GoogleAdapter(testing: ()).finishesByHalfClose)
        #expect(GoogleAdapter(testing: ()).finishMessages().isEmpty)
    }

    @Test(
        "every gRPC status becomes the error that says what to do",
        arguments: [
            (16, "authenticationFailed"), (7, "permissionDenied"), (8, "rateLimited"), (3, "invalidRequest"),
            (11, "sessionLimitReached"), (14, "unavailable"), (4, "serverError"), (13, "serverError"),
            (2, "serverError"), (5, "invalidRequest"), (12, "invalidRequest"), (1, "unavailable"),
        ])
    func statusMapping(code: Int, expected: String) throws {
        let adapter = try googleAdapter()
        let error = adapter.error(for: .grpcStatus(code: code, message: "said by Google"))
        #expect(String(describing: error).contains("said by Google"))
        #expect(caseName(error) == expected)
    }

    @Test("the hints name what to fix: the credentials variable, the API to enable")
    func hints() throws {
        let adapter = try googleAdapter()
        #expect(
            adapter.error(for: .grpcStatus(code: 16, message: "x")).description.contains(
                "GOOGLE_APPLICATION_CREDENTIALS"))
        #expect(adapter.error(for: .grpcStatus(code: 7, message: "x")).description.contains("speech.googleapis.com"))
        #expect(RetryPolicy.verdict(for: adapter.error(for: .grpcStatus(code: 14, message: "x"))) != .fail)
        #expect(RetryPolicy.verdict(for: adapter.error(for: .grpcStatus(code: 11, message: "x"))) != .fail)
        #expect(RetryPolicy.verdict(for: adapter.error(for: .grpcStatus(code: 3, message: "x"))) == .fail)
        #expect(caseName(adapter.error(for: .connectFailed(host: "h", detail: "refused"))) == "unavailable")
    }

    @Test("a connection request without a token says so instead of sending none")
    func needsToken() throws {
        let key = try TestServiceAccount.make()
        let adapter = try GoogleAdapter(
            options: ProviderOptions(settings: [:]),
            environment: ["GOOGLE_APPLICATION_CREDENTIALS": key.path], tokenClient: CurlTokenEndpointClient())
        #expect(throws: ProviderError.self) { _ = try adapter.connectionRequest() }
    }
}

extension GoogleAdapter {
    /// A default adapter for checks that need an instance but no options.
    init(testing: Void) {
        // swift-format-ignore: NeverUseForceTry
        self = try! googleAdapter()
    }
}
