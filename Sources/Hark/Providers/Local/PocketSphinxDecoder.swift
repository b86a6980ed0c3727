import CPocketSphinx

/// Why a PocketSphinx call failed.
///
/// PocketSphinx 5prealpha has no strerror: its calls return a negative number and log the reason,
/// and hark silences that log. So each case names the call and what hark was doing instead.
package enum PocketSphinxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `cmd_ln_init` refused the model arguments.
    case configurationRejected
    /// `ps_init` could not load the models (a file is missing, unreadable or not a model).
    case modelsNotLoaded(acousticModel: String, languageModel: String, dictionary: String)
    /// A decoding call returned a negative status.
    case callFailed(function: String, status: Int32)
    /// libpocketsphinx (opened on first use) is not installed.
    case libraryMissing(MissingLibrary)

    package var description: String {
        switch self {
        case .configurationRejected:
            "PocketSphinx refused its configuration (cmd_ln_init returned NULL)"
        case .modelsNotLoaded(let acousticModel, let languageModel, let dictionary):
            "PocketSphinx could not load its models (ps_init returned NULL) from acoustic model \(acousticModel), "
                + "language model \(languageModel), dictionary \(dictionary)"
        case .callFailed(let function, let status):
            "PocketSphinx call \(function) failed with status \(status)"
        case .libraryMissing(let missing):
            missing.description
        }
    }
}

/// The model files one decoder loads.
package struct PocketSphinxModels: Sendable, Equatable {
    /// Folder of the acoustic model (holds `mdef`, `means`, `feat.params`, …); `-hmm`.
    package var acousticModel: String
    /// N-gram language model, ARPA or binary; `-lm`.
    package var languageModel: String
    /// Pronunciation dictionary; `-dict`.
    package var dictionary: String

    package init(acousticModel: String, languageModel: String, dictionary: String) {
        self.acousticModel = acousticModel
        self.languageModel = languageModel
        self.dictionary = dictionary
    }

    /// The US English model Debian's `pocketsphinx-en-us` installs.
    package static let debianEnglish = PocketSphinxModels(
        acousticModel: "/usr/share/pocketsphinx/model/en-us/en-us",
        languageModel: "/usr/share/pocketsphinx/model/en-us/en-us.lm.bin",
        dictionary: "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict")
}

/// One entry of a word segmentation, as PocketSphinx reports it (fillers included).
package struct PocketSphinxSegment: Sendable, Equatable {
    /// The dictionary word, possibly a filler (`<sil>`, `[NOISE]`) or an alternate pronunciation
    /// (`read(2)`).
    package var word: String
    /// First 10 ms frame, counted from the start of the stream.
    package var startFrame: Int
    /// Last 10 ms frame (inclusive).
    package var endFrame: Int
}

/// Owns one PocketSphinx decoder (`ps_decoder_t*`) and its configuration; frees both in `deinit`.
///
/// Not Sendable: a decoder belongs to the one thread that feeds it (`LocalRecognizerLink`'s
/// recognizer thread). Audio is 16 kHz mono 16-bit; frames are 10 ms. One stream
/// (`ps_start_stream`) runs for the decoder's life, so segment frames count from its first sample
/// across utterances.
package final class PocketSphinxDecoder {
    private let config: OpaquePointer
    private let decoder: OpaquePointer
    /// PocketSphinx's and SphinxBase's functions (opened on first use).
    private let ps: hark_ps_functions
    private var inUtterance = false

    /// Loads the models and starts a stream.
    ///
    /// Takes about a second and ~100 MB for the default English model. The corresponding C
    /// functions are `cmd_ln_init` and `ps_init`.
    package init(models: PocketSphinxModels) throws(PocketSphinxError) {
        let ps: hark_ps_functions
        do {
            ps = try MissingLibrary.load(
                HARK_PS_SONAME, debianPackage: "libpocketsphinx3", neededFor: "--provider local", hark_ps_load)
        } catch {
            throw .libraryMissing(error)
        }
        hark_ps_silence_logging(ps)
        guard let config = hark_ps_config(ps, models.acousticModel, models.languageModel, models.dictionary) else {
            throw .configurationRejected
        }
        guard let decoder = ps.ps_init(config) else {
            _ = ps.cmd_ln_free_r(config)
            throw .modelsNotLoaded(
                acousticModel: models.acousticModel, languageModel: models.languageModel,
                dictionary: models.dictionary)
        }
        self.config = config
        self.decoder = decoder
        self.ps = ps
        let status = ps.ps_start_stream(decoder)
        guard status >= 0 else {
            _ = ps.ps_free(decoder)
            _ = ps.cmd_ln_free_r(config)
            throw .callFailed(function: "ps_start_stream", status: status)
        }
    }

    deinit {
        if inUtterance { _ = ps.ps_end_utt(decoder) }
        _ = ps.ps_free(decoder)
        _ = ps.cmd_ln_free_r(config)
    }

    /// Whether an utterance is open (between `startUtterance` and `endUtterance`).
    package var isInUtterance: Bool { inUtterance }

    /// Opens an utterance.
    ///
    /// The corresponding C function is `ps_start_utt`.
    package func startUtterance() throws(PocketSphinxError) {
        let status = ps.ps_start_utt(decoder)
        guard status >= 0 else { throw .callFailed(function: "ps_start_utt", status: status) }
        inUtterance = true
    }

    /// Feeds samples into the open utterance and searches them; blocks for the CPU time that takes.
    ///
    /// The corresponding C function is `ps_process_raw`.
    package func process(_ samples: [Int16]) throws(PocketSphinxError) {
        guard !samples.isEmpty else { return }
        let status = samples.withUnsafeBufferPointer { buffer in
            ps.ps_process_raw(decoder, buffer.baseAddress, buffer.count, 0, 0)
        }
        guard status >= 0 else { throw .callFailed(function: "ps_process_raw", status: status) }
    }

    /// Whether the last samples fed held speech, by PocketSphinx's own voice-activity detection.
    ///
    /// The corresponding C function is `ps_get_in_speech`.
    package var inSpeech: Bool { ps.ps_get_in_speech(decoder) != 0 }

    /// Frames searched in the open utterance so far.
    ///
    /// The corresponding C function is `ps_get_n_frames`.
    package var framesSearched: Int { Int(ps.ps_get_n_frames(decoder)) }

    /// Closes the utterance; its hypothesis becomes final.
    ///
    /// The corresponding C function is `ps_end_utt`.
    package func endUtterance() throws(PocketSphinxError) {
        inUtterance = false
        let status = ps.ps_end_utt(decoder)
        guard status >= 0 else { throw .callFailed(function: "ps_end_utt", status: status) }
    }

    /// The best hypothesis so far (running, or final after `endUtterance`), as a string of words;
    /// nil when there is none.
    ///
    /// The corresponding C function is `ps_get_hyp`.
    package func hypothesis() -> String? {
        guard let text = ps.ps_get_hyp(decoder, nil) else { return nil }
        return String(cString: text)
    }

    /// The word segmentation of the best hypothesis, fillers included.
    ///
    /// The corresponding C functions are `ps_seg_iter`, `ps_seg_word`, `ps_seg_frames` and
    /// `ps_seg_next` (which frees the iterator at its end).
    package func segments() -> [PocketSphinxSegment] {
        var result: [PocketSphinxSegment] = []
        var iterator = ps.ps_seg_iter(decoder)
        while let segment = iterator {
            var startFrame: Int32 = 0
            var endFrame: Int32 = 0
            ps.ps_seg_frames(segment, &startFrame, &endFrame)
            let word = ps.ps_seg_word(segment).map { String(cString: $0) } ?? ""
            result.append(PocketSphinxSegment(word: word, startFrame: Int(startFrame), endFrame: Int(endFrame)))
            iterator = ps.ps_seg_next(segment)
        }
        return result
    }
}

@available(*, unavailable)
extension PocketSphinxDecoder: Sendable {}
