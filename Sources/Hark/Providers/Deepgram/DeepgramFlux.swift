// Deepgram Flux, `/v2/listen`: the turn-based socket Deepgram steers live conversational use to.
// Sources: developers.deepgram.com/reference/speech-to-text/listen-flux, /docs/flux/configuration,
// /docs/flux/configure, /docs/flux/close-stream (what follows CloseStream).
//
// Flux shares Deepgram's host, keys, handshake errors and close codes with `/v1/listen` (so it
// lives in the Deepgram provider, chosen by `--model flux-…`), but not its query or messages:
// - Query: model, encoding/sample_rate (omitted for Ogg), eot_threshold, eager_eot_threshold,
//   eot_timeout_ms, keyterm (repeatable), language_hint (repeatable, flux-general-multi only),
//   mip_opt_out, tag. None of Nova's result options (interim_results, punctuate, smart_format,
//   vad_events, utterance_end_ms, endpointing) exist here.
// - Mono only, no diarization (Deepgram's `dg` CLI, deepgram/cli, refuses them for /v2 too).
// - 80 ms chunks are Deepgram's strong recommendation.
// - Finish: `CloseStream`. Flux then decodes what it has, sends `Update`s, and closes without a
//   close status code; it does not end the open turn and sends no summary (close-stream page).
//   So the evidence that every word arrived is that close, and the open turn's last `Update`
//   becomes its final then (`DeepgramFluxDecoder.eventsAtClose`).

import FoundationEssentials

/// What differs on Deepgram's Flux socket; `DeepgramAdapter` picks it by model.
enum DeepgramFlux {
    static let path = "/v2/listen"
    /// Deepgram: "80 ms audio chunks strongly recommended".
    static let chunkMilliseconds = 80
    /// Rates Flux takes for raw audio (16000 recommended).
    static let sampleRates: Set<Int> = [8000, 16000, 24000, 44100, 48000]
    /// Languages flux-general-multi knows; `language_hint` outside them is refused before connecting.
    static let multiLanguages: Set<String> = ["en", "es", "fr", "de", "hi", "ru", "pt", "ja", "it", "nl"]
    /// `/v1/listen` parameters that have no meaning on `/v2/listen`.
    static let novaOnlyParameters: Set<String> = [
        "interim_results", "punctuate", "smart_format", "vad_events", "utterance_end_ms", "endpointing",
        "numerals", "dictation", "profanity_filter", "detect_entities", "search", "replace", "keywords",
        "filler_words", "no_delay", "version", "callback", "callback_method", "extra",
    ]

    static func isFlux(model: String) -> Bool { model.hasPrefix("flux-") }

    /// The client's control messages: fixed strings, as on `/v1/listen`.
    enum ControlMessage {
        static let closeStream = #"{"type":"CloseStream"}"#
        static let keepAlive = #"{"type":"KeepAlive"}"#
        /// Ends the open turn now (2026-08-28): an `EndOfTurn` with trigger "manual".
        static let forceEndTurn = #"{"type":"ForceEndTurn"}"#
    }

    /// The Flux query, after refusing what Flux cannot do; the common checks (encoding,
    /// channels, sample_rate range, capitalised booleans) are `DeepgramAdapter.init`'s.
    static func query(options: ProviderOptions, model: String, audio: AudioRequirements) throws -> [(String, String)] {
        let name = DeepgramAdapter.descriptor.displayName
        func refuse(_ option: String, _ hint: String) -> ProviderError {
            .invalidOption(provider: name, option: option, hint: hint)
        }
        let multilingual = model == "flux-general-multi"
        var query: [(String, String)] = [("model", model)]
        switch audio.encoding {
        case .linear16, .mulaw:
            guard sampleRates.contains(audio.sampleRate) else {
                throw refuse(
                    "--param sample_rate=\(audio.sampleRate)",
                    "Flux takes 8000, 16000 (recommended), 24000, 44100 or 48000 Hz")
            }
            query += [("encoding", audio.encoding.rawValue), ("sample_rate", String(audio.sampleRate))]
        case .opus:
            // Ogg Opus is a container: Flux reads it from the header, as /v1/listen does.
            break
        }
        if let language = options.language, language != "multi" {
            let base = String(language.prefix { $0 != "-" }).lowercased()
            if multilingual {
                guard multiLanguages.contains(base) else {
                    throw refuse(
                        "--language \(language)",
                        "flux-general-multi knows \(multiLanguages.sorted().joined(separator: ", "))")
                }
                if !options.parameters.contains(where: { $0.key == "language_hint" }) {
                    query.append(("language_hint", base))
                }
            } else if base != "en" {
                throw refuse(
                    "--language \(language)",
                    "\(model) transcribes English only; use --model flux-general-multi for \(language)")
            }
        }
        for parameter in options.parameters {
            let key = parameter.key
            let value = parameter.value
            switch key {
            case "diarize", "diarize_model":
                if value == "false" { continue }
                throw refuse(
                    "--param \(key)=\(value)",
                    "Flux has no diarization; use --model nova-3 with --param diarize=true to label speakers")
            case "multichannel":
                if value == "false" { continue }
                throw refuse(
                    "--param multichannel=\(value)",
                    "Flux takes mono audio only; use --model nova-3 to transcribe channels separately")
            case "channels", "sample_rate", "model":
                // channels: mono is checked by the adapter and not a Flux parameter; sample_rate
                // and model are already in the query.
                continue
            case _ where novaOnlyParameters.contains(key):
                throw refuse(
                    "--param \(key)",
                    "\(key) is a Nova (/v1/listen) parameter that Flux does not take; remove it from --param "
                        + "or from providers.deepgram.params in the configuration file")
            case "language_hint":
                guard multilingual else {
                    throw refuse("--param language_hint", "only flux-general-multi takes language hints")
                }
                guard multiLanguages.contains(value.lowercased()) else {
                    throw refuse(
                        "--param language_hint=\(value)",
                        "flux-general-multi knows \(multiLanguages.sorted().joined(separator: ", "))")
                }
            case "eot_threshold":
                guard let number = Double(value), (0.5...0.9).contains(number) || number == 1 else {
                    throw refuse(
                        "--param eot_threshold=\(value)",
                        "give a confidence from 0.5 to 0.9 (default 0.7), or 1.0 to turn Flux's own turn ends off")
                }
            case "eager_eot_threshold":
                guard let number = Double(value), (0.3...0.9).contains(number) else {
                    throw refuse("--param eager_eot_threshold=\(value)", "give a confidence from 0.3 to 0.9")
                }
            case "eot_timeout_ms":
                guard let number = Int(value), (500...60000).contains(number) else {
                    throw refuse(
                        "--param eot_timeout_ms=\(value)", "give whole milliseconds from 500 to 60000 (default 5000)")
                }
            default:
                break
            }
            query.append((key, value))
        }
        return query
    }
}
