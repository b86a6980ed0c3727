import Testing

@testable import Hark

@Suite("Endpoint URLs")
struct EndpointURLTests {
    @Test("an endpoint override replaces scheme, host and port but keeps the provider's path and query")
    func overrideKeepsPathAndQuery() throws {
        let url = try EndpointURL.build(
            base: "wss://api.deepgram.com", override: "ws://127.0.0.1:8080/ignored", path: "/v1/listen",
            query: [("model", "nova-3"), ("keyterm", "hark & co")])
        #expect(url == "ws://127.0.0.1:8080/v1/listen?model=nova-3&keyterm=hark%20%26%20co")
    }

    @Test("http and https endpoints mean ws and wss for WebSocket providers")
    func httpMapsToWebSocketSchemes() throws {
        #expect(try EndpointURL.build(base: "x", override: "https://h:1", path: "/p", query: []) == "wss://h:1/p")
        #expect(try EndpointURL.build(base: "x", override: "http://h", path: "/p", query: []) == "ws://h/p")
    }

    @Test("an endpoint that is not a URL is refused")
    func malformedEndpointIsRefused() {
        #expect(throws: EndpointURL.InvalidEndpoint.self) {
            try EndpointURL.build(base: "wss://a", override: "127.0.0.1:8080", path: "/", query: [])
        }
        #expect(throws: EndpointURL.InvalidEndpoint.self) {
            try EndpointURL.build(base: "wss://a", override: "ftp://h", path: "/", query: [])
        }
    }

    @Test("printed URLs lose their query string")
    func redactionDropsQuery() {
        #expect(EndpointURL.redacted("wss://h/v1/listen?token=abc") == "wss://h/v1/listen")
        #expect(EndpointURL.host(of: "wss://h:443/v1/listen?x") == "h:443")
    }
}
