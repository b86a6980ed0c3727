"""A scripted WebSocket client for testing the fakes without hark's own client.

    /usr/bin/python3 Tests/Fakes/wsprobe.py --url ws://127.0.0.1:PORT/path?query \
        [--header "Name: value" ...] [--subprotocol P ...] [--plan FILE | --handshake-only]

Prints JSON Lines on stdout, in order:
  {"event": "response", "status": s, "headers": [[name, value], ...], "body": "..."}
                        with --handshake-only: the raw answer to the upgrade request (any status)
  {"event": "rejected", "status": s}                 the upgrade failed (use --handshake-only for the body)
  {"event": "open", "subprotocol": p, "headers": [[name, value], ...]}
  {"event": "message", "text": "..."} / {"event": "message", "binary": n}   each server message
  {"event": "closed", "code": c, "reason": "..."}   how the connection ended (1006: no close frame)
  {"event": "timeout"}                               wait_close expired

The plan is a JSON list of steps, run in order while a reader prints what arrives:
  {"audio": "FILE", "chunk": BYTES, "pace": SECONDS}   send FILE as binary messages of BYTES
  {"silence": SECONDS, "rate": 16000, "chunk": BYTES, "pace": SECONDS}   zero linear16 samples
  {"binary_hex": "..."}          one binary message (empty string: a zero-length frame)
  {"text": "..."}                one text message
  {"sleep": SECONDS}
  {"wait_close": SECONDS}        wait for the server to close (prints timeout otherwise)
  {"close": CODE}                close from the client side
`pace` sleeps between messages (default 0).
"""

import argparse
import asyncio
import http.client
import json
import os
import sys
from urllib.parse import urlsplit

import websockets


def emit(**record):
    print(json.dumps(record), flush=True)


def parse_headers(values):
    headers = []
    for value in values:
        name, _, content = value.partition(":")
        headers.append((name.strip(), content.strip()))
    return headers


def handshake_only(args):
    url = urlsplit(args.url)
    connection = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=10)
    headers = {
        "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    }
    headers.update(dict(parse_headers(args.header)))
    if args.subprotocol:
        headers["Sec-WebSocket-Protocol"] = ", ".join(args.subprotocol)
    path = url.path + ("?" + url.query if url.query else "")
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = "" if response.status == 101 else response.read().decode("utf-8", "replace")
    emit(event="response", status=response.status, headers=[list(h) for h in response.getheaders()], body=body)


async def run_plan(args):
    plan = []
    if args.plan:
        with open(args.plan) as f:
            plan = json.load(f)
    try:
        websocket = await websockets.connect(
            args.url, extra_headers=parse_headers(args.header), subprotocols=args.subprotocol or None,
            max_size=2**24, ping_interval=None, compression=None, open_timeout=10,
        )
    except websockets.InvalidStatusCode as error:
        emit(event="rejected", status=error.status_code)
        return
    emit(event="open", subprotocol=websocket.subprotocol,
         headers=[list(h) for h in websocket.response_headers.raw_items()])

    async def reader():
        try:
            async for message in websocket:
                if isinstance(message, bytes):
                    emit(event="message", binary=len(message))
                else:
                    emit(event="message", text=message)
        except websockets.ConnectionClosed:
            pass
        emit(event="closed", code=websocket.close_code, reason=websocket.close_reason)

    reading = asyncio.create_task(reader())

    async def send_chunks(data, chunk, pace):
        for offset in range(0, len(data), chunk):
            await websocket.send(data[offset: offset + chunk])
            if pace:
                await asyncio.sleep(pace)

    try:
        for step in plan:
            if "audio" in step:
                with open(step["audio"], "rb") as f:
                    await send_chunks(f.read(), int(step.get("chunk", 3200)), float(step.get("pace", 0)))
            elif "silence" in step:
                data = bytes(int(float(step["silence"]) * int(step.get("rate", 16000))) * 2)
                await send_chunks(data, int(step.get("chunk", 3200)), float(step.get("pace", 0)))
            elif "binary_hex" in step:
                await websocket.send(bytes.fromhex(step["binary_hex"]))
            elif "text" in step:
                await websocket.send(step["text"])
            elif "sleep" in step:
                await asyncio.sleep(float(step["sleep"]))
            elif "wait_close" in step:
                try:
                    await asyncio.wait_for(asyncio.shield(reading), timeout=float(step["wait_close"]))
                except asyncio.TimeoutError:
                    emit(event="timeout")
            elif "close" in step:
                await websocket.close(int(step["close"]))
    except websockets.ConnectionClosed:
        pass
    if not reading.done():
        await websocket.close()
    await reading


def main():
    parser = argparse.ArgumentParser(description="scripted WebSocket client for fake servers")
    parser.add_argument("--url", required=True)
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--subprotocol", action="append", default=[])
    parser.add_argument("--plan", default=None)
    parser.add_argument("--handshake-only", action="store_true")
    args = parser.parse_args()
    if args.handshake_only:
        handshake_only(args)
    else:
        asyncio.run(run_plan(args))
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
