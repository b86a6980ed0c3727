import NIOCore
import NIOHTTP1
import NIOWebSocket
import ServeWire

/// Plain HTTP: the page's files, and the refusals (401, 403, 404) of everything else.
final class PageHTTPHandler: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let hub: ServeHub
    private var head: HTTPRequestHead?

    init(hub: ServeHub) { self.hub = hub }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end:
            guard let head else { return }
            self.head = nil
            respond(to: head, context: context)
        }
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = ServeAdmission.path(of: head.uri)
        let isWebSocket = path == "/ws"
        switch hub.verdict(for: head, isWebSocket: isWebSocket) {
        case .missingToken:
            return send(
                .unauthorized, "This hark serve needs its token: open the URL that 'hark serve' printed.", context)
        case .forbiddenOrigin:
            return send(.forbidden, "Forbidden: this page is not from this hark serve (Origin).", context)
        case .forbiddenHost:
            return send(
                .forbidden, "Forbidden: open hark serve by the address it printed (Host is not this server).", context)
        case .allowed: break
        }
        guard head.method == .GET else { return send(.methodNotAllowed, "Only GET.", context) }
        if isWebSocket { return send(.upgradeRequired, "This address takes WebSocket connections.", context) }
        let name = path == "/" ? "index.html" : String(path.dropFirst())
        guard let file = hub.page.files[name] else { return send(.notFound, "Not found.", context) }
        send(.ok, body: file.body, contentType: file.contentType, context)
    }

    private func send(_ status: HTTPResponseStatus, _ text: String, _ context: ChannelHandlerContext) {
        send(status, body: Array((text + "\n").utf8), contentType: "text/plain; charset=utf-8", context)
    }

    private func send(
        _ status: HTTPResponseStatus, body: [UInt8], contentType: String, _ context: ChannelHandlerContext
    ) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(body.count))
        headers.add(name: "Connection", value: "close")
        headers.add(name: "Cache-Control", value: "no-store")
        // The token is in the page's URL: never send it on as a Referer.
        headers.add(name: "Referrer-Policy", value: "no-referrer")
        headers.add(name: "X-Content-Type-Options", value: "nosniff")
        headers.add(
            name: "Content-Security-Policy",
            value: "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; "
                + "connect-src 'self'; frame-ancestors 'none'")
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}

/// One page's WebSocket: the hello, audio, stop, and the limits.
final class PageConnectionHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let hub: ServeHub
    private(set) var channel: (any Channel)?
    var session: PageSession?
    private var counted = false
    private var closing = false
    private var rate: MessageRateLimit
    /// A connection that never says hello would hold one of the few connection slots.
    private var helloTimeout: Scheduled<Void>?
    static let helloSeconds: Int64 = 10

    init(hub: ServeHub) {
        self.hub = hub
        rate = MessageRateLimit(perSecond: Int(hub.setup.limits.maxMessagesPerSecond))
    }

    func handlerAdded(context: ChannelHandlerContext) {
        channel = context.channel
        if hub.connectionOpened(self) {
            counted = true
            helloTimeout = context.eventLoop.scheduleTask(in: .seconds(Self.helloSeconds)) { [self] in
                if session == nil { close(code: 1008, reason: "no hello within \(Self.helloSeconds) s") }
            }
        } else {
            close(
                code: 1013,
                reason: "too many connections (limit \(hub.setup.limits.maxConnections)); close another hark page")
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        helloTimeout?.cancel()
        hub.connectionClosed(self, counted: counted)
        counted = false
        channel = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .connectionClose:
            if !closing {
                // Echo the page's code, then close.
                var data = frame.unmaskedData
                let code = data.readSlice(length: 2) ?? ByteBuffer()
                closing = true
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: code)))
                    .whenComplete { _ in channel.close(promise: nil) }
            } else {
                context.close(promise: nil)
            }
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .text, .binary:
            guard !closing else { return }
            guard frame.fin else {
                return close(code: 1003, reason: "fragmented messages are not accepted")
            }
            guard rate.admit(now: NIODeadline.now().uptimeNanoseconds) else {
                return close(code: 1008, reason: "message rate over the limit (\(rate.perSecond) a second)")
            }
            var data = frame.unmaskedData
            if frame.opcode == .text {
                received(text: data.readString(length: data.readableBytes) ?? "")
            } else {
                guard let session else { return close(code: 1008, reason: "send the JSON hello before audio") }
                guard data.readableBytes % 2 == 0 else {
                    return close(code: 1007, reason: "audio must be whole 16-bit samples")
                }
                hub.audio(data.readBytes(length: data.readableBytes) ?? [], from: session)
            }
        default:
            break
        }
    }

    private func received(text: String) {
        if let session {
            if PageHello.isStop(text) { hub.endAudio(of: session) }
            return
        }
        switch PageHello.parse(text) {
        case .success(let hello):
            helloTimeout?.cancel()
            hub.hello(hello, from: self)
        case .failure(let error): close(code: 1008, reason: error.description)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // The frame decoder's errors (1009, 1002) have been answered by NIO already.
        context.close(promise: nil)
    }

    func sendText(_ text: String) {
        guard let channel, !closing else { return }
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: text)), promise: nil)
    }

    /// Starts the closing handshake with a reason the page shows; the connection closes when the
    /// page answers, or after two seconds.
    func close(code: UInt16, reason: String) {
        guard let channel, !closing else { return }
        closing = true
        var data = ByteBuffer()
        data.writeInteger(code)
        // A close reason is at most 123 bytes.
        var text = reason
        while text.utf8.count > 123 { text.removeLast() }
        data.writeString(text)
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .connectionClose, data: data), promise: nil)
        channel.eventLoop.scheduleTask(in: .seconds(2)) { channel.close(promise: nil) }
    }
}
