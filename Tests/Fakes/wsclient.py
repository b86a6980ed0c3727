"""A small scripted WebSocket client that tests use to check a fake follows its provider's protocol.

    /usr/bin/python3 Tests/Fakes/wsclient.py --url ws://127.0.0.1:PORT/path --header "Name: value" --steps FILE

Steps (a JSON list, run in order while a reader collects everything the server sends):
  {"text": "..."}                       send a text frame
  {"json": {...}}                       send an object as a text frame
  {"binary": N}                         send N zero bytes as one binary frame
  {"audio": N, "count": K, "as": "binary"|"openai", "pace": seconds}
                                        send K chunks of N zero bytes (binary frames, or base64 in
                                        OpenAI `input_audio_buffer.append` events), sleeping `pace`
                                        between chunks
  {"wait": "TYPE", "count": K, "timeout": S}
                                        wait until K messages (in total) of JSON type TYPE arrived
  {"sleep": S}                          sleep
  {"close": CODE}                       start a close handshake
  {"until_closed": S}                   wait up to S seconds for the server to close

Prints one JSON object per line: {"received": <parsed JSON or text>, "raw": "<text>"} for every
text message,
{"binary": N} for binary ones, then {"closed": code, "reason": "..."} or
{"rejected": status} when the upgrade was refused, or {"timeout": "TYPE"}.
"""

import argparse
import asyncio
import base64
import json
import sys

import websockets


async def main(args):
    headers = []
    for header in args.header:
        name, _, value = header.partition(":")
        headers.append((name.strip(), value.strip()))
    with open(args.steps) as f:
        steps = json.load(f)
    out = []
    try:
        ws = await websockets.connect(args.url, extra_headers=headers, compression=None, max_size=None)
    except websockets.exceptions.InvalidStatusCode as error:
        print(json.dumps({"rejected": error.status_code}), flush=True)
        return
    except (OSError, asyncio.TimeoutError, websockets.exceptions.WebSocketException) as error:
        print(json.dumps({"failed": str(error)}), flush=True)
        return
    received = []
    arrived = asyncio.Condition()

    async def reader():
        try:
            async for message in ws:
                if isinstance(message, bytes):
                    entry = {"binary": len(message)}
                else:
                    try:
                        entry = {"received": json.loads(message), "raw": message}
                    except ValueError:
                        entry = {"received": message, "raw": message}
                out.append(entry)
                async with arrived:
                    received.append(entry)
                    arrived.notify_all()
        except websockets.exceptions.ConnectionClosed:
            pass
        async with arrived:
            arrived.notify_all()

    def count_of(kind):
        return sum(1 for e in received if isinstance(e.get("received"), dict) and e["received"].get("type") == kind)

    task = asyncio.ensure_future(reader())
    try:
        for step in steps:
            if "text" in step:
                await ws.send(step["text"])
            elif "json" in step:
                await ws.send(json.dumps(step["json"]))
            elif "binary" in step:
                await ws.send(bytes(step["binary"]))
            elif "audio" in step:
                chunk = bytes(step["audio"])
                for _ in range(step.get("count", 1)):
                    if step.get("as", "binary") == "openai":
                        audio = base64.b64encode(chunk).decode()
                        await ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": audio}))
                    else:
                        await ws.send(chunk)
                    if step.get("pace"):
                        await asyncio.sleep(step["pace"])
            elif "wait" in step:
                kind, count = step["wait"], step.get("count", 1)

                async def satisfied():
                    async with arrived:
                        await arrived.wait_for(lambda: count_of(kind) >= count or task.done())

                try:
                    await asyncio.wait_for(satisfied(), step.get("timeout", 10))
                except asyncio.TimeoutError:
                    out.append({"timeout": kind})
            elif "sleep" in step:
                await asyncio.sleep(step["sleep"])
            elif "close" in step:
                await ws.close(step["close"])
            elif "until_closed" in step:
                try:
                    await asyncio.wait_for(asyncio.shield(task), step["until_closed"])
                except asyncio.TimeoutError:
                    out.append({"timeout": "close"})
    except websockets.exceptions.ConnectionClosed:
        pass
    if not task.done():
        try:
            await asyncio.wait_for(asyncio.shield(task), 0.3)
        except asyncio.TimeoutError:
            pass
    if ws.close_code is not None:
        out.append({"closed": ws.close_code, "reason": ws.close_reason})
    await ws.close()
    task.cancel()
    for entry in out:
        print(json.dumps(entry), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--steps", required=True)
    asyncio.run(main(parser.parse_args()))
    sys.exit(0)
