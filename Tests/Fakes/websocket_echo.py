"""A plain WebSocket echo server for hark's transport tests (not any provider's protocol).

    /usr/bin/python3 Tests/Fakes/websocket_echo.py --port 0 --record DIR [--scenario S] [--tls-cert C --tls-key K]

It is an independent RFC 6455 implementation (python3-websockets 10.4) that hark's
`WebSocketConnection` is checked against. Text and binary messages are echoed as they came.
A text message starting with ``cmd:`` asks the server to do something instead:

  cmd:send-binary:N              send one binary message of N bytes (byte i is i % 251)
  cmd:send-text:N                send one text message of N characters ("é" repeated, 2 bytes each)
  cmd:fragments:COUNT:SIZE       send one text message in COUNT fragments of SIZE "x" each, with a
                                 ping before every fragment after the first; records "pong" for
                                 each ping the client answered
  cmd:close:CODE:REASON          close with that code and reason
  cmd:reset-mid-message          write the start of a 1000-byte frame, then reset the TCP connection
  cmd:raw:HEX                    write these bytes as they are (frames the library would refuse to send)
  cmd:raw-and-drop:HEX           write these bytes, then close TCP at once (no close handshake)
  cmd:stall:SECONDS              stop reading the socket for SECONDS, after answering "stalled"
  cmd:stats                      answer with a text "received BINARY_BYTES TEXT_BYTES" for this connection

Scenarios (applied to the upgrade):
  reject-401, reject-429         refuse the upgrade with that status, headers and a JSON body
  bad-accept                     answer 101 with a wrong Sec-WebSocket-Accept
  silent                         accept TCP, read the request, never answer

Recorded events: "open" (path, headers), "text" (length), "binary" (length), "close" (code, reason),
"command" (the command), "pong" when a ping is answered.
"""

import asyncio
import http
import signal
import socket
import struct
import sys

import fakekit

# A fake started from a Swift test inherits the blocked signal mask of the libdispatch thread
# that spawned it (measured: SIGTERM blocked in /proc/PID/status SigBlk), so FakeServer.stop()'s
# SIGTERM would never arrive and the test would hang in waitUntilExit. Unblock what stops us.
signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])

args = fakekit.parse_arguments("WebSocket echo server for transport tests")
recorder = fakekit.Recorder(args.record)
scenarios = args.scenarios


async def process_request(path, headers):
    conn = recorder.next_connection()
    recorder.event(conn, "open", path=path, headers={k: v for k, v in headers.raw_items()})
    if "reject-401" in scenarios:
        return (
            http.HTTPStatus.UNAUTHORIZED,
            [("X-Request-Id", "req-401-abc"), ("Content-Type", "application/json")],
            b'{"err_code":"INVALID_AUTH","err_msg":"Invalid credentials."}',
        )
    if "reject-429" in scenarios:
        return (
            http.HTTPStatus.TOO_MANY_REQUESTS,
            [("Retry-After", "7"), ("X-Request-Id", "req-429-def"), ("Content-Type", "application/json")],
            b'{"err_code":"TOO_MANY_REQUESTS","err_msg":"Too many concurrent connections."}',
        )
    if "bad-accept" in scenarios:
        return (
            http.HTTPStatus.SWITCHING_PROTOCOLS,
            [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", "d3JvbmcgYWNjZXB0IGtleQ==")],
            b"",
        )
    return None


async def handler(websocket, path):
    conn = recorder.connections
    received = {"binary": 0, "text": 0}
    try:
        async for message in websocket:
            if isinstance(message, bytes):
                received["binary"] += len(message)
                recorder.event(conn, "binary", length=len(message))
                await websocket.send(message)
                continue
            if not message.startswith("cmd:"):
                received["text"] += len(message.encode())
                recorder.event(conn, "text", length=len(message.encode()))
                await websocket.send(message)
                continue
            recorder.event(conn, "command", command=message[:80])
            await run_command(websocket, message[4:], received)
    except Exception as error:  # a reset or protocol error ends this connection only
        recorder.event(conn, "error", error=repr(error))
    recorder.event(conn, "close", code=websocket.close_code, reason=websocket.close_reason)


async def run_command(websocket, command, received):
    name, _, rest = command.partition(":")
    if name == "send-binary":
        count = int(rest)
        await websocket.send(bytes(i % 251 for i in range(count)))
    elif name == "send-text":
        await websocket.send("é" * int(rest))
    elif name == "fragments":
        count, size = (int(part) for part in rest.split(":"))

        pongs = []

        async def fragments():
            for index in range(count):
                if index > 0:
                    pongs.append(await websocket.ping(b"between-%d" % index))
                yield "x" * size

        await websocket.send(fragments())
        for waiter in pongs:
            await asyncio.wait_for(waiter, 5)
            recorder.event(recorder.connections, "pong")
    elif name == "close":
        code, _, reason = rest.partition(":")
        await websocket.close(int(code), reason)
    elif name == "reset-mid-message":
        transport = websocket.transport
        transport.write(bytes([0x82, 126]) + struct.pack("!H", 1000) + b"\x01" * 10)
        await asyncio.sleep(0.2)
        sock = transport.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    elif name == "raw":
        websocket.transport.write(bytes.fromhex(rest))
    elif name == "raw-and-drop":
        websocket.transport.write(bytes.fromhex(rest))
        websocket.transport.close()
    elif name == "stall":
        # Stop reading for SECONDS: a close from the client goes unanswered and TCP stays open.
        websocket.transport.pause_reading()
        await websocket.send("stalled")
        try:
            await asyncio.wait_for(fakekit.stopping.wait(), float(rest))
        except asyncio.TimeoutError:
            pass
        websocket.transport.resume_reading()
    elif name == "stats":
        await websocket.send(f"received {received['binary']} {received['text']}")


async def serve_silently():
    """Accepts TCP and reads, but never answers: the upgrade must time out on the client."""

    async def swallow(reader, writer):
        recorder.event(recorder.next_connection(), "open-silent")
        while await reader.read(4096):
            pass
        writer.close()

    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    server = await asyncio.start_server(swallow, "127.0.0.1", args.port)
    fakekit.announce(server.sockets[0].getsockname()[1])
    await stop


if "silent" in scenarios:
    asyncio.run(serve_silently())
    sys.exit(0)

fakekit.run_websocket_server(args, handler, process_request=process_request, max_size=2**26)
