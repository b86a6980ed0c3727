"""The comparison client of `make bench` (group `endtoend`): Deepgram's official Python SDK
(`deepgram-sdk` from PyPI, 7.x) streaming a 16-bit mono WAV file to a Deepgram endpoint and
printing each final transcript on its own line, as `hark` does on a pipe.

    .build/bench/venv/bin/python Benchmarks/deepgram_sdk_client.py --endpoint ws://127.0.0.1:PORT \
        [--speed 1|max] [--chunk-ms 250] FILE.wav

It sends what hark sends: the same query (model, encoding, sample_rate, channels, interim results,
punctuation, smart format, VAD events, utterance end), 250 ms binary chunks paced to real time
(`--speed`, `max` for unpaced), then `CloseStream`, and waits for the server to close.

The SDK is pointed at the local fake through its documented `environment` argument
(`DeepgramClientEnvironment(base=..., production=...)`: `production` is the WebSocket base URL
that `listen.v1.connect` uses, so `ws://` works without TLS); the SDK itself is not patched.
The API key is the fake's `test-key` unless DEEPGRAM_API_KEY is set.
"""

import argparse
import os
import sys
import threading
import time
import wave

from deepgram import DeepgramClient
from deepgram.core.events import EventType
from deepgram.environment import DeepgramClientEnvironment


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True, help="ws://host:port of the Deepgram (fake) server")
    parser.add_argument("--speed", default="1", help="times real time, or 'max'")
    parser.add_argument("--chunk-ms", type=int, default=250)
    parser.add_argument("file")
    args = parser.parse_args()

    with wave.open(args.file, "rb") as wav:
        if wav.getsampwidth() != 2 or wav.getnchannels() != 1:
            sys.exit("deepgram_sdk_client: the file must be 16-bit mono PCM WAV")
        rate = wav.getframerate()
        pcm = wav.readframes(wav.getnframes())

    http_base = args.endpoint.replace("ws://", "http://", 1).replace("wss://", "https://", 1)
    environment = DeepgramClientEnvironment(
        base=http_base, production=args.endpoint, agent=args.endpoint, agent_rest=http_base
    )
    client = DeepgramClient(api_key=os.environ.get("DEEPGRAM_API_KEY", "test-key"), environment=environment)

    chunk_bytes = rate * 2 * args.chunk_ms // 1000
    seconds_per_chunk = args.chunk_ms / 1000
    speed = None if args.speed == "max" else float(args.speed)

    def on_message(message):
        # Results with is_final and text are what hark prints as lines.
        if getattr(message, "type", None) == "Results" and getattr(message, "is_final", False):
            alternatives = message.channel.alternatives
            if alternatives and alternatives[0].transcript:
                print(alternatives[0].transcript, flush=True)

    with client.listen.v1.connect(
        model="nova-3",
        encoding="linear16",
        sample_rate=str(rate),
        channels="1",
        interim_results="true",
        punctuate="true",
        smart_format="true",
        vad_events="true",
        utterance_end_ms="1000",
    ) as connection:
        connection.on(EventType.MESSAGE, on_message)
        listener = threading.Thread(target=connection.start_listening, daemon=True)
        listener.start()
        start = time.monotonic()
        sent_seconds = 0.0
        for offset in range(0, len(pcm), chunk_bytes):
            if speed is not None:
                due = start + sent_seconds / speed
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            chunk = pcm[offset : offset + chunk_bytes]
            connection.send_media(chunk)
            sent_seconds += len(chunk) / (rate * 2)
        connection.send_close_stream()
        listener.join(timeout=30)


if __name__ == "__main__":
    main()
