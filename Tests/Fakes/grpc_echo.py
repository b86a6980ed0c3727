"""gRPC echo server (Python grpcio) for the bridge benchmark.

    /usr/bin/python3 Tests/Fakes/grpc_echo.py --port 0
        serves hark.bench.Echo/Stream over h2c: a bidirectional stream that sends every request
        message straight back (raw bytes, no protobuf), then status OK at the half-close.
    /usr/bin/python3 Tests/Fakes/grpc_echo.py --measure PORT [--count N] [--size BYTES]
        a grpcio client of that server: prints "RTT p50_us p99_us" for N one-at-a-time round
        trips, the baseline for what hark's bridge adds.
"""

import os
import signal
import sys
import threading
import time
from concurrent import futures

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakekit  # noqa: E402

METHOD = "/hark.bench.Echo/Stream"


def echo(requests, context):
    for request in requests:
        yield request


def measure(port, count, size):
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    stream = channel.stream_stream(METHOD, request_serializer=None, response_deserializer=None)
    outgoing = []
    ready = threading.Condition()

    def requests():
        while True:
            with ready:
                while not outgoing:
                    ready.wait()
                item = outgoing.pop(0)
            if item is None:
                return
            yield item

    responses = stream(requests())
    payload = b"\x5a" * size
    samples = []
    for n in range(count + 200):
        start = time.perf_counter()
        with ready:
            outgoing.append(payload)
            ready.notify()
        next(responses)
        if n >= 200:
            samples.append((time.perf_counter() - start) * 1e6)
    with ready:
        outgoing.append(None)
        ready.notify()
    for _ in responses:
        pass
    samples.sort()
    print(f"RTT {samples[len(samples) // 2]:.0f} {samples[len(samples) * 99 // 100]:.0f}", flush=True)


def main():
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})

    def extra(parser):
        parser.add_argument("--measure", type=int, default=None, help="act as a client of this port")
        parser.add_argument("--count", type=int, default=2000)
        parser.add_argument("--size", type=int, default=3200)

    args = fakekit.parse_arguments("gRPC echo server for benchmarks", extra)
    if args.measure:
        measure(args.measure, args.count, args.size)
        return
    handler = grpc.method_handlers_generic_handler("hark.bench.Echo", {
        "Stream": grpc.stream_stream_rpc_method_handler(echo),
    })
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), handlers=[handler])
    port = server.add_insecure_port(f"127.0.0.1:{args.port}")
    server.start()
    fakekit.announce(port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(0.1):
        pass
    server.stop(grace=None)


if __name__ == "__main__":
    main()
