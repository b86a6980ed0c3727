import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import ServeWire

#if canImport(Glibc)
    import Glibc
#endif

/// One browser session (touched only on the event loop, like the hub): its id on the pipe, the page's connection while it is there, and what
/// the page was sent (so a page that reconnects gets what it missed, once).
final class PageSession: @unchecked Sendable {
    let id: UInt32
    let key: String
    let sampleRate: Int
    var connection: PageConnectionHandler?
    /// Messages with their sequence numbers; interims superseded by a later message are dropped.
    var history: [(sequence: Int, text: String, isInterim: Bool)] = []
    var nextSequence = 1
    /// No more audio goes to hark; the session waits for its last results.
    var ending = false
    /// The close code and reason when the session ends, if not a normal finish.
    var limitReached: (code: UInt16, reason: String)?
    var grace: Scheduled<Void>?
    var limit: Scheduled<Void>?

    init(id: UInt32, key: String, sampleRate: Int) {
        self.id = id
        self.key = key
        self.sampleRate = sampleRate
    }
}

/// Everything the server knows, touched only on its one event loop (every channel, the pipe
/// and the timers run on it), which is why it may be shared unchecked.
final class ServeHub: @unchecked Sendable {
    let setup: ServeSetup
    let admission: ServeAdmission
    let page: PageFiles
    let loop: any EventLoop
    private let tls: NIOSSLContext?
    private var pipe: (any Channel)?
    private var openConnections = 0
    /// Every page connection, to close them with a reason when hark goes.
    private var connections: [ObjectIdentifier: PageConnectionHandler] = [:]
    private var nextSessionID: UInt32 = 1
    private var sessions: [String: PageSession] = [:]
    private var keysByID: [UInt32: String] = [:]

    init(setup: ServeSetup, page: PageFiles, loop: any EventLoop) throws {
        self.setup = setup
        self.page = page
        self.loop = loop
        if let certificate = setup.certificatePath, let key = setup.keyPath {
            let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
            let configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
            tls = try NIOSSLContext(configuration: configuration)
        } else {
            tls = nil
        }
        admission = ServeAdmission(
            token: setup.token, secure: tls != nil, loopbackOnly: ServeAdmission.isLoopbackHost(setup.host))
    }

    static func describe(_ error: any Error, setup: ServeSetup) -> String {
        if let error = error as? IOError {
            return "cannot listen on \(setup.host):\(setup.port): \(error.description). "
                + "Pick another address or port with --listen HOST:PORT"
        }
        return "\(error)"
    }

    /// Binds the listening socket; returns the page's URL with the token.
    func start(group: MultiThreadedEventLoopGroup) throws -> String {
        let hub = self
        let server = try ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try hub.configure(channel) }
            }
            .bind(host: setup.host, port: Int(setup.port)).wait()
        let port = server.localAddress?.port ?? Int(setup.port)
        var host = setup.host
        if host == "0.0.0.0" || host == "::" {
            var name = [CChar](repeating: 0, count: 256)
            if gethostname(&name, name.count - 1) == 0 {
                host = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        } else if host.contains(":") {
            host = "[\(host)]"
        }
        return "\(tls == nil ? "http" : "https")://\(host):\(port)/?token=\(setup.token)"
    }

    func connectPipe(group: MultiThreadedEventLoopGroup, firstFrame: ServeFrame) throws {
        let hub = self
        let channel = try NIOPipeBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(HarkPipeHandler(hub: hub))
                }
            }
            .takingOwnershipOfDescriptors(input: 0, output: 1).wait()
        try loop.submit {
            hub.pipe = channel
            hub.send(firstFrame)
        }.wait()
    }

    private func configure(_ channel: any Channel) throws {
        if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
        let hub = self
        let http = PageHTTPHandler(hub: hub)
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: Int(setup.limits.maxMessageBytes),
            automaticErrorHandling: true,
            shouldUpgrade: { channel, head in
                // Refused upgrades go on to the HTTP handler, which answers 401, 403 or 404.
                let allowed =
                    ServeAdmission.path(of: head.uri) == "/ws" && hub.verdict(for: head, isWebSocket: true) == .allowed
                return channel.eventLoop.makeSucceededFuture(allowed ? HTTPHeaders() : nil)
            },
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(PageConnectionHandler(hub: hub))
                }
            })
        try channel.pipeline.syncOperations.configureHTTPServerPipeline(
            withServerUpgrade: (
                upgraders: [upgrader],
                completionHandler: { context in
                    context.pipeline.syncOperations.removeHandler(http, promise: nil)
                }
            ))
        try channel.pipeline.syncOperations.addHandler(http)
    }

    func verdict(for head: HTTPRequestHead, isWebSocket: Bool) -> ServeAdmission.Verdict {
        admission.check(
            uri: head.uri, host: head.headers.first(name: "host"), origin: head.headers.first(name: "origin"),
            requireOrigin: isWebSocket)
    }

    // MARK: - Pipe to hark

    func send(_ frame: ServeFrame) {
        guard let pipe else { return }
        pipe.writeAndFlush(ByteBuffer(bytes: ServeFrameCodec.encode(frame)), promise: nil)
    }

    func received(_ frame: ServeFrame) {
        switch frame {
        case .event(let id, let json): deliver(json, to: id)
        case .ended(let id, let reason): finish(id, reason: reason)
        default: ServeLog.write("hark-serve: ignored an unexpected frame from hark")
        }
    }

    // MARK: - Connections

    /// Counts a new WebSocket; false when the limit is reached.
    func connectionOpened(_ connection: PageConnectionHandler) -> Bool {
        connections[ObjectIdentifier(connection)] = connection
        guard openConnections < Int(setup.limits.maxConnections) else { return false }
        openConnections += 1
        return true
    }

    /// hark has gone (stopped, or failed): every page is told, then the server exits once the
    /// close frames are out (or after a second, for pages that do not answer).
    func shutDown() {
        let channels = connections.values.compactMap { connection -> (any Channel)? in
            connection.close(code: 1001, reason: "hark serve stopped")
            return connection.channel
        }
        if channels.isEmpty { exit(0) }
        EventLoopFuture.andAllComplete(channels.map(\.closeFuture), on: loop).whenComplete { _ in exit(0) }
        loop.scheduleTask(in: .seconds(1)) { exit(0) }
    }

    func connectionClosed(_ connection: PageConnectionHandler, counted: Bool) {
        connections[ObjectIdentifier(connection)] = nil
        if counted { openConnections -= 1 }
        guard let session = connection.session, session.connection === connection else { return }
        session.connection = nil
        guard !session.ending else { return }
        // The page may come back (network change, laptop lid); until then audio simply pauses.
        let hub = self
        session.grace = loop.scheduleTask(in: .seconds(Int64(setup.limits.resumeGraceSeconds))) {
            guard session.connection == nil else { return }
            hub.endAudio(of: session)
        }
    }

    /// Joins a connection to its session (new, or resumed) after its hello.
    func hello(_ hello: PageHello, from connection: PageConnectionHandler) {
        if let session = sessions[hello.session] {
            guard session.sampleRate == hello.sampleRate else {
                connection.close(code: 1008, reason: "resume: the sample rate changed; press start again")
                return
            }
            session.grace?.cancel()
            session.grace = nil
            if let previous = session.connection, previous !== connection {
                previous.close(code: 1000, reason: "this session continued in another connection")
            }
            session.connection = connection
            connection.session = session
            connection.sendText(readyMessage("resumed", session))
            for entry in session.history where entry.sequence > hello.lastSequence {
                connection.sendText(entry.text)
            }
            return
        }
        // Sessions outlive their connections for the resume grace: bound them too.
        guard sessions.count < Int(setup.limits.maxConnections) else {
            connection.close(
                code: 1013,
                reason: "too many sessions open (limit \(setup.limits.maxConnections)); stop another hark page first")
            return
        }
        let id = nextSessionID
        nextSessionID += 1
        let session = PageSession(id: id, key: hello.session, sampleRate: hello.sampleRate)
        sessions[hello.session] = session
        keysByID[id] = hello.session
        session.connection = connection
        connection.session = session
        let hub = self
        let seconds = setup.limits.maxSessionSeconds
        session.limit = loop.scheduleTask(in: .seconds(Int64(seconds))) {
            session.limitReached = (1008, "session length limit (\(seconds) s) reached")
            hub.endAudio(of: session)
        }
        send(.open(session: id, sampleRate: UInt32(hello.sampleRate)))
        connection.sendText(readyMessage("ready", session))
    }

    /// The server's own status for the page, with the largest message it may send.
    private func readyMessage(_ state: String, _ session: PageSession) -> String {
        #"{"type":"serve","state":"\#(state)","session":"\#(session.key)","max_message_bytes":\#(setup.limits.maxMessageBytes)}"#
    }

    func audio(_ bytes: [UInt8], from session: PageSession) {
        guard !session.ending else { return }
        send(.audio(session: session.id, bytes: bytes))
    }

    /// The page pressed stop (or a limit ended the session): its last results still come.
    func endAudio(of session: PageSession) {
        guard !session.ending else { return }
        session.ending = true
        session.limit?.cancel()
        send(.end(session: session.id))
    }

    private func deliver(_ json: String, to id: UInt32) {
        guard let key = keysByID[id], let session = sessions[key] else { return }
        var body = Substring(json)
        while body.last == "\n" { body = body.dropLast() }
        guard body.first == "{" else { return }
        let sequence = session.nextSequence
        session.nextSequence += 1
        let text = "{\"seq\":\(sequence)," + body.dropFirst()
        let isInterim = body.contains("\"type\":\"interim\"")
        // A page that comes back needs every final and status, but only the newest interim.
        if let last = session.history.last, last.isInterim { session.history.removeLast() }
        session.history.append((sequence, text, isInterim))
        session.connection?.sendText(text)
    }

    private func finish(_ id: UInt32, reason: String) {
        guard let key = keysByID.removeValue(forKey: id), let session = sessions.removeValue(forKey: key) else {
            return
        }
        session.grace?.cancel()
        session.limit?.cancel()
        session.ending = true
        guard let connection = session.connection else { return }
        if !reason.isEmpty {
            connection.close(code: 1011, reason: reason)
        } else if let limit = session.limitReached {
            connection.close(code: limit.code, reason: limit.reason)
        } else {
            connection.close(code: 1000, reason: "session finished")
        }
    }
}

/// hark's end of the pipe: frames in; hark closing it ends the server.
final class HarkPipeHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    let hub: ServeHub
    // Touched only on the event loop, like the hub.
    private var decoder = ServeFrameDecoder()

    init(hub: ServeHub) { self.hub = hub }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        decoder.append(buffer.readBytes(length: buffer.readableBytes) ?? [])
        do {
            while let frame = try decoder.next() { hub.received(frame) }
        } catch {
            ServeLog.write("hark-serve: the pipe from hark is broken (\(error)); stopping")
            exit(70)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        // hark has gone: nothing can be transcribed any more.
        hub.shutDown()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
