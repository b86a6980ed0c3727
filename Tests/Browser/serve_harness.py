"""Drives `hark serve` for the end-to-end tests: starts it, waits for its URL, then either opens
the page in headless Chromium (a speech file as the microphone) or probes the server with plain
WebSocket clients. Prints one JSON object with what it saw; the Swift tests judge it.

    /usr/bin/python3 Tests/Browser/serve_harness.py --hark PATH --mode browser --audio FILE.wav \
        --expect-finals N --screenshot OUT.png [--drop-page] -- [hark serve arguments]
    /usr/bin/python3 Tests/Browser/serve_harness.py --hark PATH --mode probe --probe NAME -- [arguments]

Browser mode: Chromium runs with --use-fake-device-for-media-stream and
--use-file-for-fake-audio-capture, the driver speaks the DevTools protocol over a WebSocket
(python3-websockets), presses Start, waits until the page shows N finals or has captured the whole file (optionally
cutting the page's connection after the first final, to check it resumes), presses Stop, waits for
"finished",
takes a screenshot, then stops hark with SIGINT and collects its stdout.

Probe mode (no browser): one check of the server's rules; each returns what the client saw:
  no-token, wrong-token, wrong-origin, wrong-host  -> {"status": HTTP status of the upgrade}
  oversize                                         -> {"close": code} after a too-large message
  too-many                                         -> {"close": code, "reason"} of the extra one
  rate                                             -> {"close": code} after a burst of messages
  session-limit                                    -> {"close": code, "reason"} at --max-session
  page                                             -> {"status", "body_has_start"} of GET /?token
  resume                                           -> the events of a session cut and resumed
  interrupt                                        -> the events and close of a session at Ctrl-C

Waiting is on outputs: every loop polls what the page or hark has shown, with a deadline only
to turn a hang into a failure.
"""

import argparse
import asyncio
import base64
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import websockets


class HarkServe:
    def __init__(self, hark, arguments, env):
        self.process = subprocess.Popen(
            [hark, "serve"] + arguments, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL, env=env)
        self.stdout = []
        self.stderr = []
        self.url = None
        self.url_ready = threading.Event()
        self.interrupted = False
        threading.Thread(target=self._read, args=(self.process.stdout, self.stdout, False), daemon=True).start()
        threading.Thread(target=self._read, args=(self.process.stderr, self.stderr, True), daemon=True).start()

    def _read(self, stream, lines, look_for_url):
        for raw in stream:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            lines.append(line)
            if look_for_url and self.url is None:
                match = re.search(r" at (https?://\S+)", line)
                if match:
                    self.url = match.group(1)
                    self.url_ready.set()
        if look_for_url:
            self.url_ready.set()

    def wait_url(self, timeout=60):
        self.url_ready.wait(timeout)
        if self.url is None:
            raise RuntimeError("hark serve printed no URL: " + "\n".join(self.stderr))
        return self.url

    def interrupt(self):
        """Ctrl-C, once (a second one makes hark exit at once)."""
        if not self.interrupted and self.process.poll() is None:
            self.interrupted = True
            self.process.send_signal(signal.SIGINT)

    def stop(self, timeout=60):
        self.interrupt()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        time.sleep(0)  # let the reader threads drain
        for thread in threading.enumerate():
            if thread is not threading.current_thread() and thread.daemon:
                thread.join(5)
        return self.process.returncode


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise TimeoutError("timed out waiting for " + what)


# ---------------------------------------------------------------- Chromium over DevTools

class DevTools:
    def __init__(self, url):
        self.url = url
        self.next_id = 0
        self.events = []

    async def __aenter__(self):
        self.socket = await websockets.connect(self.url, max_size=64 << 20)
        return self

    async def __aexit__(self, *args):
        await self.socket.close()

    async def call(self, method, **params):
        self.next_id += 1
        ident = self.next_id
        await self.socket.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(await self.socket.recv())
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    async def evaluate(self, expression):
        result = await self.call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def wait(self, expression, timeout, what):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = await self.evaluate(expression)
            if value:
                return value
            await asyncio.sleep(0.1)
        state = await self.evaluate("JSON.stringify(window.harkPage && window.harkPage.state())")
        raise TimeoutError(f"timed out waiting for {what}; page: {state}")


def start_chromium(audio, profile):
    arguments = [
        "/usr/bin/chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={audio}%noloop", "--autoplay-policy=no-user-gesture-required",
        "--ignore-certificate-errors", "--remote-debugging-port=0", f"--user-data-dir={profile}",
        "--window-size=1000,700", "about:blank",
    ]
    process = subprocess.Popen(arguments, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port_file = os.path.join(profile, "DevToolsActivePort")
    wait_for(lambda: os.path.exists(port_file) and open(port_file).read().count("\n") >= 1, 60,
             "Chromium's DevTools port")
    port = int(open(port_file).read().split("\n")[0])
    return process, port


def page_target(port):
    def find():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/json/list")
        targets = json.loads(connection.getresponse().read())
        for target in targets:
            if target.get("type") == "page":
                return target["webSocketDebuggerUrl"]
        return None
    return wait_for(find, 30, "a Chromium page")


async def drive_browser(args, serve):
    url = serve.wait_url()
    profile = tempfile.mkdtemp(prefix="hark-chromium-")
    chromium, port = start_chromium(args.audio, profile)
    result = {"url_has_token": "token=" in url}
    try:
        async with DevTools(page_target(port)) as tools:
            await tools.call("Page.enable")
            await tools.call("Page.navigate", url=url)
            await tools.wait("document.readyState === 'complete' && !!window.harkPage", 30, "the page")
            await tools.evaluate("document.getElementById('start').click()")
            await tools.wait("window.harkPage.state().ready", 30, "the session to start")
            if args.drop_page:
                # Mid-sentence: cut as soon as the first final is in, while the next is being spoken.
                await tools.wait("window.harkPage.state().finals.length >= 1", 120, "the first final")
                await tools.evaluate(f"window.harkPage.dropConnection({int(args.offline_seconds * 1000)})")
                result["dropped_after"] = await tools.evaluate("window.harkPage.state().finals.length")
                await tools.wait("window.harkPage.state().state === 'resumed' || "
                                 "window.harkPage.state().state.startsWith('transcribing')", 30, "the page to resume")
            # Stop once every sentence is in, or once the whole file has been captured (a provider
            # that finishes an utterance only when the next begins gets the last one at the stop).
            import wave
            with wave.open(args.audio) as speech:
                seconds = speech.getnframes() / speech.getframerate()
            await tools.wait(f"window.harkPage.state().finals.length >= {args.expect_finals} || "
                             f"window.harkPage.state().captured >= {seconds + 0.5}", 240,
                             f"{args.expect_finals} finals in the page, or the whole file captured")
            await tools.evaluate("document.getElementById('start').click()")
            await tools.wait("window.harkPage.state().state === 'finished' || window.harkPage.state().close",
                             120, "the session to finish")
            state = await tools.evaluate("window.harkPage.state()")
            result["page"] = state
            result["page_paragraphs"] = await tools.evaluate(
                "Array.from(document.querySelectorAll('#transcript p.final')).map(p => p.textContent)")
            result["page_text"] = await tools.evaluate("document.body.innerText")
            shot = await tools.call("Page.captureScreenshot", format="png")
            with open(args.screenshot, "wb") as f:
                f.write(base64.b64decode(shot["data"]))
            result["screenshot"] = args.screenshot
    finally:
        chromium.kill()
        chromium.wait()
        shutil.rmtree(profile, ignore_errors=True)
    return result


# ---------------------------------------------------------------- probes without a browser

def split_url(url):
    parts = urllib.parse.urlsplit(url)
    token = urllib.parse.parse_qs(parts.query)["token"][0]
    return parts.scheme, parts.netloc, token


def ssl_context(args):
    if not args.cafile:
        return None
    context = ssl.create_default_context(cafile=args.cafile)
    return context


async def open_ws(args, url, token=None, origin="same", host=None):
    scheme, netloc, real_token = split_url(url)
    ws_scheme = "wss" if scheme == "https" else "ws"
    query = "" if token == "" else "?token=" + (real_token if token is None else token)
    headers = {}
    if origin == "same":
        headers["Origin"] = f"{scheme}://{netloc}"
    elif origin:
        headers["Origin"] = origin
    if host:
        headers["Host"] = host
    return await websockets.connect(f"{ws_scheme}://{netloc}/ws{query}", extra_headers=headers,
                                    ssl=ssl_context(args), max_size=None, open_timeout=30)


async def upgrade_status(args, url, token=None, origin="same", host=None):
    """The status of a WebSocket upgrade sent by hand (so Host and Origin can be anything)."""
    scheme, netloc, real_token = split_url(url)
    query = "" if token == "" else "?token=" + (real_token if token is None else token)
    if scheme == "https":
        connection = http.client.HTTPSConnection(netloc, context=ssl_context(args), timeout=30)
    else:
        connection = http.client.HTTPConnection(netloc, timeout=30)
    connection.putrequest("GET", "/ws" + query, skip_host=True, skip_accept_encoding=True)
    connection.putheader("Host", host or netloc)
    if origin == "same":
        connection.putheader("Origin", f"{scheme}://{netloc}")
    elif origin:
        connection.putheader("Origin", origin)
    connection.putheader("Upgrade", "websocket")
    connection.putheader("Connection", "Upgrade")
    connection.putheader("Sec-WebSocket-Key", base64.b64encode(os.urandom(16)).decode())
    connection.putheader("Sec-WebSocket-Version", "13")
    connection.endheaders()
    response = connection.getresponse()
    connection.close()
    return {"status": response.status}


async def wait_close(socket_, timeout=30):
    received = []
    try:
        while True:
            message = await asyncio.wait_for(socket_.recv(), timeout)
            received.append(message if isinstance(message, str) else len(message))
    except websockets.exceptions.ConnectionClosed as closed:
        return {"close": closed.rcvd.code if closed.rcvd else None,
                "reason": closed.rcvd.reason if closed.rcvd else None, "received": received}


def hello(session, last=0, rate=16000):
    return json.dumps({"type": "hello", "rate": rate, "session": session, "last": last})


async def probe(args, serve):
    url = serve.wait_url()
    name = args.probe
    if name == "no-token":
        return await upgrade_status(args, url, token="")
    if name == "wrong-token":
        return await upgrade_status(args, url, token="0" * 32)
    if name == "wrong-origin":
        return await upgrade_status(args, url, origin="http://evil.example")
    if name == "no-origin":
        return await upgrade_status(args, url, origin=None)
    if name == "wrong-host":
        return await upgrade_status(args, url, host="rebound.example:8765")
    if name == "page":
        scheme, netloc, token = split_url(url)
        if scheme == "https":
            connection = http.client.HTTPSConnection(netloc, context=ssl_context(args), timeout=30)
        else:
            connection = http.client.HTTPConnection(netloc, timeout=30)
        connection.request("GET", f"/?token={token}")
        response = connection.getresponse()
        body = response.read().decode()
        return {"status": response.status, "body_has_start": 'id="start"' in body,
                "referrer_policy": response.getheader("Referrer-Policy")}
    if name == "oversize":
        socket_ = await open_ws(args, url)
        await socket_.send(hello("oversize-session"))
        await socket_.send(b"\0" * (args.oversize_bytes))
        return await wait_close(socket_)
    if name == "too-many":
        kept = []
        for _ in range(args.connections):
            kept.append(await open_ws(args, url))
        extra = await open_ws(args, url)
        result = await wait_close(extra)
        for socket_ in kept:
            await socket_.close()
        return result
    if name == "rate":
        socket_ = await open_ws(args, url)
        await socket_.send(hello("rate-session-1"))
        try:
            for _ in range(args.burst):
                await socket_.send(b"\0\0" * 8)
        except websockets.exceptions.ConnectionClosed:
            pass
        return await wait_close(socket_)
    if name == "session-limit":
        socket_ = await open_ws(args, url)
        await socket_.send(hello("limit-session-1"))
        await socket_.send(b"\0\0" * 4000)
        return await wait_close(socket_)
    if name == "resume":
        return await resume(args, url)
    if name == "interrupt":
        return await interrupt(args, url, serve)
    raise SystemExit("unknown probe " + name)


async def resume(args, url):
    """A page that goes away mid-sentence and comes back: the session goes on, every final is
    received once. Audio is sent at real time from a 16 kHz mono WAV."""
    with open(args.audio, "rb") as f:
        data = f.read()
    pcm = data[44:]
    chunk = 16000 * 2 // 4  # 250 ms
    chunks = [pcm[i:i + chunk] for i in range(0, len(pcm), chunk)]
    session = "resume-session-1"
    seen = []
    last = 0

    async def read(socket_, until=None):
        nonlocal last
        while True:
            try:
                message = json.loads(await asyncio.wait_for(socket_.recv(), 60))
            except (websockets.exceptions.ConnectionClosed, asyncio.TimeoutError) as error:
                return getattr(error, "rcvd", None)
            if "seq" in message:
                if message["seq"] <= last:
                    seen.append({"duplicate_seq": message["seq"]})
                    continue
                last = message["seq"]
            seen.append(message)
            if until and until(message):
                return None

    first = await open_ws(args, url)
    await first.send(hello(session))
    reader = asyncio.ensure_future(read(first))
    cut = len(chunks) // 2
    for index in range(cut):
        await first.send(chunks[index])
        await asyncio.sleep(0.25)
    # Gone without a close frame: as a lid closing would.
    first.transport.abort()
    await asyncio.gather(reader, return_exceptions=True)
    second = await open_ws(args, url)
    await second.send(hello(session, last=last))
    reader = asyncio.ensure_future(read(second))
    for index in range(cut, len(chunks)):
        await second.send(chunks[index])
        await asyncio.sleep(0.25)
    await second.send(json.dumps({"type": "stop"}))
    closed = await reader
    return {"events": seen, "close": closed.code if closed else None, "cut_at_seconds": cut * 0.25}


async def interrupt(args, url, serve):
    """Ctrl-C while a session is open: its audio ends, its last words still come, then hark exits."""
    with open(args.audio, "rb") as f:
        pcm = f.read()[44:]
    chunk = 16000 * 2 // 4
    socket_ = await open_ws(args, url)
    await socket_.send(hello("interrupt-session-1"))
    for index in range(0, len(pcm), chunk):
        await socket_.send(pcm[index:index + chunk])
        await asyncio.sleep(0.05)  # pacing under the message-rate limit, not a wait for an outcome
    events = []
    while not any(e.get("type") == "final" for e in events):
        events.append(json.loads(await asyncio.wait_for(socket_.recv(), 60)))
    serve.interrupt()
    closed = await wait_close(socket_, timeout=60)
    events += [json.loads(m) for m in closed["received"] if isinstance(m, str)]
    return {"events": events, "close": closed["close"], "reason": closed["reason"]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--hark", required=True)
    parser.add_argument("--mode", choices=["browser", "probe"], required=True)
    parser.add_argument("--audio")
    parser.add_argument("--expect-finals", type=int, default=1)
    parser.add_argument("--screenshot")
    parser.add_argument("--drop-page", action="store_true")
    parser.add_argument("--offline-seconds", type=float, default=0, help="how long the dropped page stays away")
    parser.add_argument("--probe")
    parser.add_argument("--cafile")
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--oversize-bytes", type=int, default=200000)
    parser.add_argument("--burst", type=int, default=400)
    parser.add_argument("--env", action="append", default=[])
    parser.add_argument("rest", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    rest = [a for a in args.rest if a != "--"]
    env = dict(os.environ)
    for pair in args.env:
        key, _, value = pair.partition("=")
        env[key] = value
    serve = HarkServe(args.hark, rest, env)
    result = {}
    try:
        if args.mode == "browser":
            result = asyncio.run(drive_browser(args, serve))
        else:
            result = asyncio.run(probe(args, serve))
    except Exception as error:  # reported, with hark's stderr, for the test to show
        result["error"] = f"{type(error).__name__}: {error}"
    finally:
        result["exit"] = serve.stop()
        result["stdout"] = serve.stdout
        result["stderr"] = serve.stderr
    print(json.dumps(result))


if __name__ == "__main__":
    main()
