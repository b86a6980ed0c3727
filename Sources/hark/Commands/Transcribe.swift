import ArgumentParser
import Hark

#if canImport(Glibc)
    import Glibc
#endif

/// `hark [INPUT]`: transcribe the microphone, a file or standard input.
struct Transcribe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Transcribe the microphone (default), a file, or standard input ('-').")

    @OptionGroup(title: "Input") var input: InputOptions
    @OptionGroup(title: "Provider") var provider: ProviderOptionGroup
    @OptionGroup(title: "Audio processing") var audio: AudioProcessingOptionGroup
    @OptionGroup(title: "Output") var output: OutputOptionGroup

    func run() async throws {
        let environment = Environment.current
        let configuration = try Environment.runConfiguration(configPath: provider.config, environment: environment) {
            try apply(to: &$0, environment: environment)
        }

        let selection: InputSelection
        switch input.input {
        case nil: selection = .microphone(device: configuration.device)
        case "-": selection = .standardInput
        case let path?: selection = .file(path: path)
        }
        let stdoutIsTerminal = Environment.isTerminal(STDOUT_FILENO)
        let terminalWidth = Environment.terminalWidth()
        // Only the live view on a terminal cares about resizes.
        let resizes = stdoutIsTerminal ? TerminalResizeWatcher(initialWidth: terminalWidth) : nil
        defer { resizes?.cancel() }
        // Raw PCM only when described: otherwise an MP3 or any other file would be read as
        // noise and "transcribed" without a word of warning.
        var rawFormat: AudioFormat?
        if input.rate != nil || input.channels != nil || input.sampleFormat != nil {
            rawFormat = AudioFormat(
                sampleRate: input.rate ?? 16000, channels: input.channels ?? 1,
                sampleFormat: input.sampleFormat.flatMap(SampleFormat.init(rawValue:)) ?? .s16le)
        }
        let request = RunRequest(
            configuration: configuration, input: selection, rawFormat: rawFormat, environment: environment,
            stdoutIsTerminal: stdoutIsTerminal, stderrIsTerminal: Environment.isTerminal(STDERR_FILENO),
            terminalWidth: terminalWidth, terminalColumns: resizes?.columns)

        // A closed pipe must surface as EPIPE on write, not kill hark silently mid-line.
        signal(SIGPIPE, SIG_IGN)
        let stop = StopRequest()
        let signals = SignalWatcher(stop: stop)
        defer { signals.cancel() }

        let result: RunResult
        do {
            let prepared = try await TranscriptionRun.prepare(
                request, onNotice: { Environment.printError("hark: \($0)") })
            if prepared.fellBackToLocal {
                Environment.printError("hark: \(LocalAdapter.accuracyNotice)")
            }
            signals.startedStreaming()
            result = try await TranscriptionRun.run(
                prepared, stop: stop, diagnostics: { Environment.printError($0) })
        } catch {
            throw ExitStatus.report(error)
        }
        if result.outputClosed { return }
        for warning in result.warnings { Environment.printError("hark: warning: \(warning)") }
        if let sourceError = result.outcome.sourceError {
            throw ExitStatus.report(sourceError)
        }
        if !result.outcome.lostRanges.isEmpty {
            let ranges = result.outcome.lostRanges.map { range in
                "\(Self.seconds(range.lowerBound))–\(Self.seconds(range.upperBound)) s"
            }
            Environment.printError(
                "hark: the transcript is incomplete: audio at \(ranges.joined(separator: ", ")) was not transcribed.")
            throw ExitCode(ExitStatus.incompleteTranscript)
        }
    }

    private static func seconds(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    /// Flags override environment and file.
    private func apply(to configuration: inout Configuration, environment: [String: String]) throws {
        if let device = input.device { configuration.device = device }
        if let speed = input.speed, let parsed = PacingSpeed(argument: speed) { configuration.speed = parsed }
        try Self.apply(provider: provider, audio: audio, output: output, to: &configuration, environment: environment)
    }

    /// The provider, audio and output flags, shared with `hark serve`.
    static func apply(
        provider: ProviderOptionGroup, audio: AudioProcessingOptionGroup, output: OutputOptionGroup,
        to configuration: inout Configuration, environment: [String: String]
    ) throws {
        if let chunk = audio.chunkMilliseconds { configuration.chunkMilliseconds = chunk }
        if let vad = audio.vad { configuration.vad = vad }
        if let level = audio.vadLevel { configuration.vadLevel = level }
        if let denoise = audio.denoise { configuration.denoise = denoise }
        if audio.agc { configuration.agc = true }
        if let encoding = audio.encoding { configuration.encoding = AudioEncoding(rawValue: encoding) }
        if let bitrate = audio.bitrate { configuration.bitrate = bitrate }
        if let format = output.format, let parsed = OutputFormat(rawValue: format) { configuration.format = parsed }
        if output.interim { configuration.interim = true }
        if output.timestamps { configuration.timestamps = true }
        if output.noColor { configuration.color = false }
        if let file = output.output {
            configuration.outputFile = file
            configuration.appendOutput = output.append
        }
        if let path = output.saveAudio { configuration.saveAudio = path }
        if output.meter { configuration.meter = true }
        if let proxy = provider.proxy { configuration.proxy = proxy }
        if let cacert = provider.cacert { configuration.caBundle = cacert }
        if let name = provider.provider { configuration.provider = name }
        if !provider.keyterms.isEmpty { configuration.keyterms = provider.keyterms }

        // Provider-specific flags apply to the provider this run uses.
        let choice = try ProviderSelection.choose(configuration: configuration, environment: environment)
        let name = choice.adapter.descriptor.name
        var settings = configuration.settings(for: name)
        if let endpoint = provider.endpoint { settings.endpoint = endpoint }
        if let model = provider.model { settings.model = model }
        if let language = provider.language { settings.language = language }
        for setting in provider.namedSettings {
            guard choice.adapter.descriptor.capabilities.settingKeys.contains(setting.key) else {
                var takers: [String] = []
                for adapter in ProviderRegistry.adapters
                where adapter.descriptor.capabilities.settingKeys.contains(setting.key) {
                    takers.append(adapter.descriptor.name)
                }
                var message = "\(choice.adapter.descriptor.displayName) does not take it"
                if !takers.isEmpty { message += "; it is for --provider \(takers.joined(separator: " or "))" }
                if setting.key == "region" { message += ", or use --endpoint to pick another host" }
                throw ConfigurationError.invalidSetting(setting: setting.flag, message: message)
            }
            settings.settings[setting.key] = setting.value
        }
        let parameters = try provider.parsedParameters()
        if !parameters.isEmpty {
            // A flag replaces the file's value of the same key; other file parameters stay.
            let keys = Set(parameters.map(\.key))
            settings.parameters = settings.parameters.filter { !keys.contains($0.key) } + parameters
        }
        configuration.providers[name] = settings
    }
}
