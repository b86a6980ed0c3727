import Hark

/// How fast the Deepgram decoder turns `Results` messages into events: the receive path's only
/// per-message work in hark besides the WebSocket frame codec.
enum DeepgramDecoderBenchmark {
    static func run() async throws {
        let adapter = try DeepgramAdapter(options: ProviderOptions(credential: "benchmark"))
        // An interim and a final of eight words each, shaped like Deepgram's (protocol doc A4).
        let words = (0..<8).map { index in
            let start = Double(index) * 0.3
            return #"{"word":"word\#(index)","start":\#(start),"end":\#(start + 0.25),"confidence":0.98,"#
                + #""punctuated_word":"Word\#(index),"}"#
        }.joined(separator: ",")
        func results(final: Bool) -> String {
            #"{"type":"Results","channel_index":[0,1],"start":0.0,"duration":2.5,"is_final":\#(final),"#
                + #""speech_final":\#(final),"from_finalize":false,"channel":{"alternatives":[{"transcript":"#
                + #""Word0, Word1, Word2, Word3, Word4, Word5, Word6, Word7,","confidence":0.98,"words":[\#(words)]}]},"#
                + #""metadata":{"request_id":"26dd8cc9-77e6-4db7-a0ae-3034c013cb64","model_uuid":"c0d1a568"}}"#
        }
        let messages: [WireMessage] = [.text(results(final: false)), .text(results(final: true))]
        let rounds = 20_000
        var decoder = adapter.makeDecoder()
        var events = 0
        let clock = ContinuousClock()
        let elapsed = try clock.measure {
            for _ in 0..<rounds {
                for message in messages { events += try decoder.decode(message).count }
            }
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let perMessage = seconds / Double(rounds * messages.count) * 1e6
        print(
            "deepgram decoder: \(rounds * messages.count) Results (8 words) in \(seconds) s, "
                + "\(perMessage) µs per message, \(events) events")
    }
}
