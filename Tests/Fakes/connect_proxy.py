"""A minimal HTTP CONNECT proxy that records each tunnel it opens (for hark's proxy tests).

    /usr/bin/python3 Tests/Fakes/connect_proxy.py --port 0 --record DIR

Only CONNECT is served (what libcurl sends with HTTPPROXYTUNNEL=1). Each tunnel is recorded in
events.jsonl as {"event": "connect", "target": "host:port"}; bytes are then relayed both ways.
"""

import asyncio
import signal

import fakekit

# A fake started from a Swift test inherits the blocked signal mask of the libdispatch thread
# that spawned it (measured: SIGTERM blocked in /proc/PID/status SigBlk), so FakeServer.stop()'s
# SIGTERM would never arrive and the test would hang in waitUntilExit. Unblock what stops us.
signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])

args = fakekit.parse_arguments("HTTP CONNECT proxy for transport tests")
recorder = fakekit.Recorder(args.record)


async def relay(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def tunnel(client_reader, client_writer):
    conn = recorder.next_connection()
    head = await client_reader.readuntil(b"\r\n\r\n")
    request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    method, target, _ = request_line.split(" ", 2)
    if method != "CONNECT":
        recorder.event(conn, "refused", request=request_line)
        client_writer.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
        client_writer.close()
        return
    host, _, port = target.rpartition(":")
    recorder.event(conn, "connect", target=target)
    try:
        server_reader, server_writer = await asyncio.open_connection(host.strip("[]"), int(port))
    except OSError as error:
        recorder.event(conn, "connect-failed", error=repr(error))
        client_writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
        client_writer.close()
        return
    client_writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
    await client_writer.drain()
    await asyncio.gather(relay(client_reader, server_writer), relay(server_reader, client_writer))


async def main():
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    server = await asyncio.start_server(tunnel, "127.0.0.1", args.port)
    fakekit.announce(server.sockets[0].getsockname()[1])
    await stop


asyncio.run(main())
