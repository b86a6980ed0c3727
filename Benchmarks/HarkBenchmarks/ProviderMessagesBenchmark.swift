import FoundationEssentials
import Hark

/// The per-chunk work of the AssemblyAI and OpenAI adapters: wrapping 250 ms of audio (every
/// chunk, on the audio path) and decoding a typical transcript message.
enum ProviderMessagesBenchmark {
    static func run() async throws {
        let openAI = try OpenAIAdapter(options: ProviderOptions(credential: "benchmark"))
        let assemblyAI = try AssemblyAIAdapter(options: ProviderOptions(credential: "benchmark"))
        // 250 ms at 24 kHz and at 16 kHz, 16-bit.
        let openAIChunk = (0..<12000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let assemblyAIChunk = (0..<8000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let rounds = 2000

        var characters = 0
        let appendTime = ContinuousClock().measure {
            for _ in 0..<rounds {
                for case .text(let text) in openAI.audioMessages(openAIChunk) { characters += text.utf8.count }
            }
        }
        report("OpenAI input_audio_buffer.append (base64, 250 ms chunk)", appendTime, rounds: rounds)

        var bytes = 0
        let binaryTime = ContinuousClock().measure {
            for _ in 0..<rounds {
                for case .binary(let payload) in assemblyAI.audioMessages(assemblyAIChunk) { bytes += payload.count }
            }
        }
        report("AssemblyAI binary audio message (250 ms chunk)", binaryTime, rounds: rounds)

        let turn =
            #"{"turn_order":0,"turn_is_formatted":false,"end_of_turn":false,"transcript":"hi my name is","words":[{"start":2160,"end":2560,"text":"hi","confidence":0.86,"word_is_final":true},{"start":2560,"end":2560,"text":"my","confidence":0.98,"word_is_final":true},{"start":2640,"end":2720,"text":"name","confidence":0.99,"word_is_final":true},{"start":2720,"end":2720,"text":"is","confidence":0.73,"word_is_final":true},{"start":3280,"end":3360,"text":"son","confidence":0.79,"word_is_final":false}],"utterance":"","type":"Turn"}"#
        var decoder = assemblyAI.makeDecoder()
        var events = 0
        let turnTime = try ContinuousClock().measure {
            for _ in 0..<rounds { events += try decoder.decode(.text(turn)).count }
        }
        report("AssemblyAI Turn decode", turnTime, rounds: rounds)

        let delta =
            #"{"type":"conversation.item.input_audio_transcription.delta","event_id":"event_1","item_id":"item_1","content_index":0,"delta":" word","obfuscation":"aLxx0jTEciOGe"}"#
        var openAIDecoder = openAI.makeDecoder()
        let deltaTime = try ContinuousClock().measure {
            for round in 0..<rounds {
                // A turn has a few dozen deltas; a fresh decoder keeps the item that size.
                if round % 20 == 0 { openAIDecoder = openAI.makeDecoder() }
                events += try openAIDecoder.decode(.text(delta)).count
            }
        }
        report("OpenAI transcription delta decode", deltaTime, rounds: rounds)
        print("  (checksums: \(characters) characters, \(bytes) bytes, \(events) events)")
    }

    private static func report(_ name: String, _ time: Duration, rounds: Int) {
        let seconds = Double(time.components.seconds) + Double(time.components.attoseconds) / 1e18
        let micros = seconds / Double(rounds) * 1e6
        // A chunk is 250 ms of audio: how many times real time this step alone could run.
        let realTime = 0.25 / (seconds / Double(rounds))
        print("  \(name): \((micros * 10).rounded() / 10) µs each, \(Int(realTime))× real time")
    }
}
