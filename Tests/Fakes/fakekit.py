"""Shared plumbing for hark's fake servers (not any provider's protocol).

Every fake follows one convention so the Swift test support (`FakeServer`) can drive it:

    python3 Tests/Fakes/NAME.py --port 0 --record DIR [--scenario S ...] [--tls-cert C --tls-key K]

It binds 127.0.0.1 on the given port (0: any free one), prints ``LISTENING <port>`` as its first
stdout line, records what it received under DIR, and exits on SIGTERM.

Recording (DIR):
  events.jsonl      one JSON object per line: {"conn": n, "event": "...", ...} for connection
                    opened (with path, query and headers), every text message received, every
                    binary message's length, close codes, scenario actions.
  audio-<n>.bin     the binary audio connection n received, concatenated.
  audio.bin         every connection's audio, concatenated in arrival order.

Scenarios are strings a fake interprets (``reject-401``, ``drop-after-bytes=64000`` ...); this
module only parses them into a dict: ``drop-after-bytes=64000`` -> {"drop-after-bytes": "64000"}.

Written for Debian 12's python3-websockets 10.4 (legacy ``websockets.serve`` API).
"""

import argparse
import asyncio
import json
import os
import signal
import ssl
import sys
import threading
import time

import websockets

# A child inherits its parent's blocked signals: Foundation's Process, spawning from a Swift
# test thread, hands over SIGTERM and SIGINT blocked (measured: SigBlk fffffffe3bfbea27), so
# FakeServer.stop() would wait forever. Unblock them before relying on them.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})


class Recorder:
    """Appends what a fake received to the record directory; safe across connections."""

    def __init__(self, directory):
        self.directory = directory
        self.lock = threading.Lock()
        self.connections = 0
        if directory:
            os.makedirs(directory, exist_ok=True)

    def next_connection(self):
        with self.lock:
            self.connections += 1
            return self.connections

    def event(self, conn, event, **fields):
        if not self.directory:
            return
        # "at": wall-clock seconds, so tests can measure how long a reconnection took.
        record = {"conn": conn, "event": event, "at": round(time.time(), 4)}
        record.update(fields)
        with self.lock, open(os.path.join(self.directory, "events.jsonl"), "a") as f:
            f.write(json.dumps(record) + "\n")

    def audio(self, conn, data):
        if not self.directory:
            return
        with self.lock:
            with open(os.path.join(self.directory, f"audio-{conn}.bin"), "ab") as f:
                f.write(data)
            with open(os.path.join(self.directory, "audio.bin"), "ab") as f:
                f.write(data)


def parse_arguments(description, extra=None):
    """Parses the common flags; `extra(parser)` may add a fake's own."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--record", default=None, help="directory for what the fake received")
    parser.add_argument("--scenario", action="append", default=[], help="behaviour to play (repeatable)")
    parser.add_argument("--tls-cert", default=None)
    parser.add_argument("--tls-key", default=None)
    if extra:
        extra(parser)
    args = parser.parse_args()
    args.scenarios = parse_scenarios(args.scenario)
    return args


def parse_scenarios(values):
    scenarios = {}
    for value in values:
        for item in value.split(","):
            item = item.strip()
            if not item:
                continue
            key, _, setting = item.partition("=")
            scenarios[key] = setting if setting else True
    return scenarios


def load_script(path):
    """A `--script FILE`: a JSON list (or {"utterances": [...]}) of utterances
    {"start": s, "end": s, "text": "...", "speaker": n?} in seconds of audio, sorted by start.
    No path: an empty script."""
    if not path:
        return []
    with open(path) as f:
        script = json.load(f)
    utterances = script["utterances"] if isinstance(script, dict) else script
    return sorted(
        ({"start": float(u["start"]), "end": float(u["end"]), "text": str(u["text"]), "speaker": u.get("speaker")}
         for u in utterances),
        key=lambda u: u["start"],
    )


def ssl_context(args):
    if not args.tls_cert:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.tls_cert, args.tls_key)
    return context


def announce(port):
    print(f"LISTENING {port}", flush=True)


# Set once the fake is asked to stop: a handler that waits on purpose (a stalled server) waits on
# this too, so that stopping the fake does not wait for the handler's full stall.
stopping = None


def run_websocket_server(args, handler, process_request=None, max_size=2**24, ping_interval=None, **serve_options):
    """Serves `handler(websocket, path)` until SIGTERM; prints the LISTENING line once bound.

    `serve_options` go to `websockets.serve` as they are (`subprotocols`, `extra_headers`, ...).
    """

    async def main():
        global stopping
        stop = asyncio.get_running_loop().create_future()
        stopping = asyncio.Event()

        def request_stop():
            stopping.set()
            if not stop.done():
                stop.set_result(None)

        for sig in (signal.SIGTERM, signal.SIGINT):
            asyncio.get_running_loop().add_signal_handler(sig, request_stop)
        async with websockets.serve(
            handler,
            "127.0.0.1",
            args.port,
            ssl=ssl_context(args),
            process_request=process_request,
            max_size=max_size,
            ping_interval=ping_interval,
            compression=None,
            **serve_options,
        ) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            announce(port)
            await stop

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    sys.exit(0)


def query_of(path):
    """The query parameters of a request path as a list of (key, value) pairs, decoded."""
    from urllib.parse import parse_qsl, urlsplit

    return parse_qsl(urlsplit(path).query, keep_blank_values=True)


def path_of(path):
    from urllib.parse import urlsplit

    return urlsplit(path).path


# Position-marked test audio ------------------------------------------------------------------
#
# Fault tests need transcripts that follow what was *said*, not how many bytes a connection has
# received, because after a reconnect the client replays audio from an earlier point. Marked
# audio is s16le mono whose every 10 ms frame starts with its own index (two samples: the low
# and high 15 bits); a fake started with --marked reads the index of the first frame a
# connection receives and plays its script from that point of the input, as a real recognizer
# would transcribe the replayed speech. The Swift tests build the same audio
# (`MarkedAudio` in HarkTestSupport). It is 16 kHz (160-sample frames) unless a provider takes
# another rate: OpenAI's is 24 kHz (240-sample frames), generated at that rate so hark's
# resampler passes it through unchanged; the marker sits at the start of each frame either way.

MARK_FRAME_SAMPLES = 160  # at 16 kHz; frames are rate / 100 samples


def marked_frame_index(frame_bytes):
    """The input frame index written at the start of a marked 10 ms frame."""
    import struct

    low, high = struct.unpack_from("<hh", frame_bytes, 0)
    return (low & 0x7FFF) | ((high & 0x7FFF) << 15)


def shift_words(script, offset):
    """Script utterances as seen from input second `offset` on: words (evenly spread over each
    utterance, as the fakes do) that end after `offset`, moved back by it."""
    shifted = []
    for utterance in script:
        tokens = utterance["text"].split()
        if not tokens or utterance["end"] <= offset + 1e-6:
            continue
        span = (utterance["end"] - utterance["start"]) / len(tokens)
        kept = [
            (token, utterance["start"] + index * span, utterance["start"] + (index + 1) * span)
            for index, token in enumerate(tokens)
            if utterance["start"] + (index + 1) * span > offset + 1e-6
        ]
        start = max(0.0, kept[0][1] - offset)
        copy = dict(utterance)
        copy["start"] = round(start, 4)
        copy["end"] = round(utterance["end"] - offset, 4)
        copy["text"] = " ".join(token for token, _, _ in kept)
        shifted.append(copy)
    return shifted


# Finish faults ----------------------------------------------------------------------------------
#
# Every cloud provider's fake plays the same four faults against the end of a stream, so that
# hark's rule ("a run prints every word once, or names the seconds it could not transcribe and
# exits 75") is tested the same way for each:
#
#   backlog=S          the n-th server message leaves n*S s later than it would have: a delay
#                      that grows with every message for as long as the stream lasts (a loaded
#                      service, a slow link), order kept
#   ignore-finish      the finish request (Deepgram Finalize/CloseStream, AssemblyAI Terminate,
#                      OpenAI's last commit and marker, Google's half-close) gets no answer at
#                      all: no last results, no end message, no close
#   limit-at-finish    the session limit strikes as the finish request arrives: the provider's
#                      own limit close, without the last results (once per fake)
#   reset-at-finish    the TCP connection is dropped as the finish request arrives (once per fake)


class FinishFaults:
    """The finish faults a fake was asked to play; `at_finish()` says what to do, once."""

    def __init__(self, scenarios):
        self.backlog = float(scenarios.get("backlog", 0) or 0)
        self.ignore = bool(scenarios.get("ignore-finish"))
        self.once = "limit" if scenarios.get("limit-at-finish") else "reset" if scenarios.get("reset-at-finish") else None
        self.fired = False
        self.lock = threading.Lock()

    def at_finish(self):
        """'ignore', 'limit', 'reset' or None (answer as usual). Limit and reset fire only on the
        first finish the fake sees, so the session hark replays on is answered."""
        if self.ignore:
            return "ignore"
        with self.lock:
            if self.once and not self.fired:
                self.fired = True
                return self.once
        return None


class Backlog:
    """When each message of a connection leaves under `backlog=S`: the n-th, n*S s late."""

    def __init__(self, spacing):
        self.spacing = spacing
        self.count = 0

    def due(self, now):
        self.count += 1
        return now + self.count * self.spacing


class BacklogSender:
    """Sends a connection's messages in order, the n-th n*`spacing` seconds late.

    `send(item)` queues; the task started by `start(deliver)` awaits `deliver(item)` for each when
    it is due, so a fake keeps reading audio while its answers fall further and further behind."""

    def __init__(self, spacing):
        self.backlog = Backlog(spacing)
        self.queue = asyncio.Queue()
        self.task = None

    def start(self, deliver):
        async def run():
            while True:
                due, item = await self.queue.get()
                try:
                    await asyncio.sleep(max(0.0, due - time.monotonic()))
                    await deliver(item)
                except Exception:  # the connection ended: drop what is left
                    pass
                finally:
                    self.queue.task_done()

        self.task = asyncio.ensure_future(run())

    def send(self, item):
        self.queue.put_nowait((self.backlog.due(time.monotonic()), item))

    def stop(self):
        if self.task:
            self.task.cancel()
