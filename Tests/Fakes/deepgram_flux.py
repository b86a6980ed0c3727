"""A protocol-faithful fake of Deepgram Flux, the turn-based socket `/v2/listen`.

Follows Deepgram Flux as documented (developers.deepgram.com/reference/speech-to-text/listen-flux,
/docs/flux/state, /docs/flux/configure), and
Deepgram's Flux Close Stream page (developers.deepgram.com/docs/flux/close-stream), on the
convention in fakekit.py:

    /usr/bin/python3 Tests/Fakes/deepgram_flux.py --port 0 --record DIR [--script FILE] [--marked]
        [--key K] [--scenario S ...]

Handshake: only `/v2/listen` (404 otherwise). Auth as on /v1/listen: `Authorization: Token <key>`
or `Bearer <key>` (scheme case-insensitive), or `Sec-WebSocket-Protocol: token, <key>`; accepted
keys are `test-key` and every `--key`; a bare key is 401. Every upgrade response carries
`dg-request-id`; rejections carry `dg-error` and the JSON body `{"err_code","err_msg","request_id"}`.
400 for: a model other than flux-general-en / flux-general-multi; an unknown `encoding`;
`encoding` without `sample_rate`; a `sample_rate` other than 8000/16000/24000/44100/48000;
`eot_threshold` outside 0.5-0.9 (1.0 allowed); `eager_eot_threshold` outside 0.3-0.9;
`eot_timeout_ms` outside 500-60000; `language_hint` on flux-general-en; keyterms over 500
tokens ("Keyterm limit exceeded"); a non-`true`/`false` `mip_opt_out`.

Stream: the first message is `Connected {type, request_id, sequence_id}`. Binary frames are
audio (linear16/linear32/mulaw/alaw timed from bytes at `sample_rate`); text frames are JSON:
`CloseStream` (decodes what was received: one `Update` for the open turn, then closes WITHOUT a
close status code, i.e. an empty close frame; no `EndOfTurn`, no summary), `KeepAlive` (resets
the idle timer), `ForceEndTurn` (ends the open turn now: `EndOfTurn` with trigger "manual" and the
words heard so far; nothing when no turn is open), `Configure` (`ConfigureSuccess` echoing the
applied `thresholds`/`keyterms`/`language_hints`, or `ConfigureFailure` for an out-of-range
threshold or language hints on flux-general-en). Any other text gets a fatal `Error` and close 1008.
Every server message carries `sequence_id`, counting from 0 per connection.

Turns come from `--script` (utterances `{start, end, text}` in audio seconds; each utterance's
words share its span evenly). As audio time passes in 10 ms steps: `StartOfTurn` when the first
word of a turn begins; an `Update` every 0.25 s of audio (with the open turn's words heard so far,
or an empty transcript between turns); with `eager_eot_threshold`, `EagerEndOfTurn` 0.15 s after
the utterance's end; `EndOfTurn` (trigger "model") 0.3 s after it, whose transcript equals the
eager one; `turn_index` moves on after each `EndOfTurn`. `audio_window_start` is the turn's first
word's start, `audio_window_end` the audio time of the message. Words are `{word, confidence}`
without times, as Flux usually sends them; scenario `word-times` adds `start`/`end`. On
flux-general-multi every TurnInfo has `languages` (the first `language_hint`, else "en").

With `--marked` (fault tests; see fakekit.py), each connection reads the input position written
in its first audio frame and plays the script from there, times on the new connection's clock.

Scenarios (`--scenario`, repeatable or comma-separated):
  reject-401 | reject-400 | reject-402 | reject-403 | reject-429 | reject-503
                        answer the upgrade with that status and Deepgram's body and headers
  reject-times=N        only the first N upgrade attempts are rejected (default: all)
  retry-after=S         Retry-After on 429 (default 1)
  close-1011-after=S    close 1011 (NET-0000) once S s of audio arrived
  error-after=S         a fatal `Error` (INTERNAL_SERVER_ERROR) once S s of audio arrived, then close 1011
  drop-after-bytes=N    drop TCP without a close frame once N audio bytes arrived
  drop-every            apply the three above to every accepted stream, not only the first
  close-without-status-early=S
                        after S s of audio, close with no status code although no CloseStream came
  silent                accept, record, never send anything
  no-audio-timeout=S    idle timeout in seconds (default 10)
  delay=S               send every server message S seconds late (order kept)
  word-times            words carry start/end

Recorded (fakekit convention, the event names ProviderFaultHarness reads): `opened` (path, query,
headers), `rejected` (status), `text` (message), `binary` (bytes), `marked-start`, `sent` (each
server message), `close` (code the fake sent; 1005 for the close without status), `dropped`,
`ended`; audio-<n>.bin and audio.bin. Connection numbers count every upgrade attempt.

Deviations from the real service (deliberate or unknown):
- No recognition: text comes from the script; results come as soon as the audio time is reached.
- One utterance is one turn; Flux's own turn detection is not modelled, so `eot_threshold` and
  `eot_timeout_ms` are validated but change nothing, and `TurnResumed` is never sent (the client's
  handling of it is unit-tested instead).
- Ogg/Opus audio is not timed (no results); the real service decodes it.
- What Flux sends for an unknown text message, and the close code after an `Error`, are not
  documented: the fake sends `Error` then closes 1008 / 1011.
- The idle timeout closes 1011 with the /v1/listen NET-0001 reason; Flux's is unverified.
- The 400 for too many keyterm tokens counts whitespace-separated words, a lower bound of
  Deepgram's real (unpublished) token count.
- `KeepAlive` is accepted as the asyncapi lists it; whether Flux needs it is unverified.
"""

import asyncio
import http
import json
import os
import re
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fakekit  # noqa: E402
import websockets  # noqa: E402
from websockets.frames import Close  # noqa: E402

MODELS = {"flux-general-en", "flux-general-multi"}
SAMPLE_WIDTHS = {"linear16": 2, "linear32": 4, "mulaw": 1, "alaw": 1}
ENCODINGS = set(SAMPLE_WIDTHS) | {"opus", "ogg-opus"}
SAMPLE_RATES = {8000, 16000, 24000, 44100, 48000}
MULTI_LANGUAGES = {"en", "es", "fr", "de", "hi", "ru", "pt", "ja", "it", "nl"}
NET0001 = (
    "Deepgram did not receive audio data or a text message within the timeout window. "
    "See https://dpgr.am/net0001"
)
NET0000 = "Deepgram did not provide a response message within the timeout window. See https://dpgr.am/net0000"
REJECTIONS = {
    400: ("Bad Request", "Bad Request: No such model/language/tier combination found."),
    401: ("INVALID_AUTH", "Invalid credentials."),
    402: ("ASR_PAYMENT_REQUIRED", "Project does not have enough credits for an ASR request."),
    403: ("INSUFFICIENT_PERMISSIONS", "Project does not have access to the requested model."),
    429: ("TOO_MANY_REQUESTS", "Too many requests. Please try again later"),
    503: ("SERVICE_UNAVAILABLE", "The service is temporarily unavailable. Please try again later."),
}
STEP = 0.01
UPDATE_EVERY = 0.25
EAGER_DELAY = 0.15
EOT_DELAY = 0.3


def compact(value):
    return json.dumps(value, separators=(",", ":"))


def invalid(name, problem):
    return (400, "INVALID_QUERY_PARAMETER", f"Failed to deserialize query parameters: {name}: {problem}")


def validate_query(pairs):
    """The 400 Flux gives for a query it cannot use, or None."""
    params = dict(pairs)
    model = params.get("model")
    if model not in MODELS:
        return (400, *REJECTIONS[400])
    encoding = params.get("encoding")
    if encoding is not None and encoding not in ENCODINGS:
        return invalid("encoding", f"unknown variant `{encoding}`")
    if encoding is not None and "sample_rate" not in params:
        return (400, "Bad Request", "Bad Request: sample_rate is required when encoding is set.")
    if "sample_rate" in params and (
        not re.fullmatch(r"[0-9]+", params["sample_rate"]) or int(params["sample_rate"]) not in SAMPLE_RATES
    ):
        return invalid("sample_rate", f"unsupported sample rate: {params['sample_rate']}")

    def number(name, low, high, extra=()):
        if name not in params:
            return None
        try:
            value = float(params[name])
        except ValueError:
            return invalid(name, f"invalid float literal: {params[name]}")
        if not (low <= value <= high or value in extra):
            return invalid(name, f"{value} is out of range {low}-{high}")
        return None

    for problem in (
        number("eot_threshold", 0.5, 0.9, (1.0,)), number("eager_eot_threshold", 0.3, 0.9),
        number("eot_timeout_ms", 500, 60000),
    ):
        if problem:
            return problem
    if "mip_opt_out" in params and params["mip_opt_out"] not in ("true", "false"):
        return invalid("mip_opt_out", f"provided string was not `true` or `false`: {params['mip_opt_out']}")
    hints = [value for key, value in pairs if key == "language_hint"]
    if hints and model != "flux-general-multi":
        return invalid("language_hint", "language hints are only supported by flux-general-multi")
    if any(hint not in MULTI_LANGUAGES for hint in hints):
        return invalid("language_hint", "unsupported language")
    keyterms = [value for key, value in pairs if key == "keyterm"]
    if sum(len(term.split()) for term in keyterms) > 500:
        return (400, "Bad Request", "Keyterm limit exceeded. The maximum number of tokens across all keyterms is 500.")
    return None


class Word:
    def __init__(self, token, start, end, utterance):
        self.token = token
        self.start = start
        self.end = end
        self.utterance = utterance
        self.final = False


class Server:
    def __init__(self, args):
        self.args = args
        self.scenarios = args.scenarios
        self.recorder = fakekit.Recorder(args.record)
        self.keys = {"test-key"} | set(args.key)
        self.script = fakekit.load_script(args.script) if args.script else []
        self.rejected = 0
        self.accepted = 0

    def scenario(self, name, default=None):
        return self.scenarios.get(name, default)

    async def process_request(self, path, headers):
        conn = self.recorder.next_connection()
        request_id = str(uuid.uuid4())
        headers["X-Fake-Conn"] = str(conn)
        headers["X-Fake-Request-Id"] = request_id
        rejection = self.forced_rejection()
        if rejection is None and fakekit.path_of(path) != "/v2/listen":
            rejection = (404, "NOT_FOUND", f"No such endpoint: {fakekit.path_of(path)}")
        if rejection is None and not self.authorized(headers):
            rejection = (401, *REJECTIONS[401])
        if rejection is None:
            rejection = validate_query(fakekit.query_of(path))
        if rejection is None:
            return None
        status, err_code, err_msg = rejection
        self.recorder.event(
            conn, "rejected", status=status, err_code=err_code, path=fakekit.path_of(path),
            query=fakekit.query_of(path))
        body = compact({"err_code": err_code, "err_msg": err_msg, "request_id": request_id}).encode()
        extra = [("dg-request-id", request_id), ("dg-error", err_msg), ("Content-Type", "application/json")]
        if status == 429:
            extra.append(("Retry-After", str(self.scenario("retry-after", "1"))))
        return http.HTTPStatus(status), extra, body

    def forced_rejection(self):
        times = self.scenario("reject-times")
        if times is not None and self.rejected >= int(times):
            return None
        for status in REJECTIONS:
            if self.scenario(f"reject-{status}"):
                self.rejected += 1
                return (status, *REJECTIONS[status])
        return None

    def authorized(self, headers):
        scheme, _, key = headers.get("Authorization", "").partition(" ")
        if scheme.lower() in ("token", "bearer") and key.strip() in self.keys:
            return True
        offered = [p.strip() for value in headers.get_all("Sec-WebSocket-Protocol") for p in value.split(",")]
        return len(offered) >= 2 and offered[0].lower() in ("token", "bearer") and offered[1] in self.keys

    @staticmethod
    def response_headers(path, request_headers):
        return [("dg-request-id", request_headers.get("X-Fake-Request-Id", ""))]

    async def handle(self, websocket, path):
        headers = websocket.request_headers
        conn = int(headers["X-Fake-Conn"])
        self.recorder.event(
            conn, "opened", path=fakekit.path_of(path), query=fakekit.query_of(path),
            headers=[[name, value] for name, value in headers.raw_items() if not name.startswith("X-Fake-")])
        self.accepted += 1
        stream = Stream(self, websocket, conn, headers["X-Fake-Request-Id"], fakekit.query_of(path), self.accepted)
        await stream.run()


class Stream:
    def __init__(self, server, ws, conn, request_id, pairs, ordinal):
        self.server = server
        self.ws = ws
        self.conn = conn
        self.request_id = request_id
        self.recorder = server.recorder
        params = dict(pairs)
        self.model = params["model"]
        self.multi = self.model == "flux-general-multi"
        hints = [value for key, value in pairs if key == "language_hint"]
        self.languages = [hints[0] if hints else "en"]
        encoding = params.get("encoding")
        width = SAMPLE_WIDTHS.get(encoding)
        rate = int(params.get("sample_rate", "0") or 0)
        self.bytes_per_second = rate * width if width and rate else None
        self.eager = "eager_eot_threshold" in params
        scenario = server.scenario
        applies = ordinal == 1 or scenario("drop-every")
        self.drop_after = int(scenario("drop-after-bytes")) if scenario("drop-after-bytes") and applies else None
        self.close_after = float(scenario("close-1011-after")) if scenario("close-1011-after") and applies else None
        self.error_after = float(scenario("error-after")) if scenario("error-after") and applies else None
        early = scenario("close-without-status-early")
        self.early_close = float(early) if early and applies else None
        self.silent = bool(scenario("silent"))
        self.idle_timeout = float(scenario("no-audio-timeout", 10))
        self.word_times = bool(scenario("word-times"))
        self.delay = float(scenario("delay", 0))

        self.marked = bool(server.args.marked)
        self.words = []
        self.utterances = []
        if not self.marked:
            self.place(server.script)
        self.bytes = 0
        self.audio_time = 0.0
        self.steps = 0
        self.sequence = 0
        self.turn_index = 0
        self.turn = None  # {"utterance": u, "start": s, "eager": bool}
        self.last_update = 0.0
        self.last_turn_end = 0.0
        self.finished = False
        self.last_frame = time.monotonic()
        self.outbox = asyncio.Queue()

    def place(self, utterances):
        self.utterances = [dict(u) for u in utterances]
        for number, utterance in enumerate(self.utterances):
            tokens = utterance["text"].split()
            span = (utterance["end"] - utterance["start"]) / max(len(tokens), 1)
            for index, token in enumerate(tokens):
                self.words.append(Word(
                    token, round(utterance["start"] + index * span, 4),
                    round(utterance["start"] + (index + 1) * span, 4), number))

    # Turn simulation ------------------------------------------------------------------------

    def advance(self):
        target = int(self.audio_time / STEP + 1e-6)
        while self.steps < target:
            self.steps += 1
            self.step(round(self.steps * STEP, 4))

    def heard(self, now, started=False):
        """The open turn's words heard by `now` (begun ones too with `started`)."""
        if self.turn is None:
            return []
        return [
            w for w in self.words
            if w.utterance == self.turn["utterance"] and not w.final
            and (w.start < now - 1e-9 if started else w.end <= now + 1e-9)
        ]

    def step(self, now):
        changed = False
        if self.turn is None:
            begun = next((w for w in self.words if not w.final and w.start <= now + 1e-9), None)
            if begun is not None:
                self.turn = {"utterance": begun.utterance, "start": begun.start, "eager": False}
                self.turn_info("StartOfTurn", self.heard(now), now)
                changed = True
        elif self.turn is not None:
            end = self.utterances[self.turn["utterance"]]["end"]
            if self.eager and not self.turn["eager"] and now >= end + EAGER_DELAY - 1e-9:
                self.turn["eager"] = True
                self.turn_info("EagerEndOfTurn", self.heard(now), now)
                changed = True
            if now >= end + EOT_DELAY - 1e-9:
                self.end_turn(self.heard(now), now, "model")
                changed = True
        if changed:
            self.last_update = now
        elif now - self.last_update >= UPDATE_EVERY - 1e-9:
            self.last_update = now
            self.turn_info("Update", self.heard(now), now)

    def end_turn(self, words, now, trigger):
        for word in words:
            word.final = True
        self.turn_info("EndOfTurn", words, now, trigger=trigger)
        self.turn = None
        self.turn_index += 1
        self.last_turn_end = now

    def turn_info(self, event, words, now, trigger=None):
        start = self.turn["start"] if self.turn is not None else self.last_turn_end
        entries = []
        for w in words:
            entry = {"word": w.token, "confidence": 0.98}
            if self.word_times:
                entry["start"] = w.start
                entry["end"] = min(w.end, now)
            entries.append(entry)
        message = {
            "type": "TurnInfo", "request_id": self.request_id, "event": event, "turn_index": self.turn_index,
            "audio_window_start": round(start, 4), "audio_window_end": round(now, 4),
            "transcript": " ".join(w.token for w in words), "words": entries,
            "end_of_turn_confidence": 0.9 if event in ("EagerEndOfTurn", "EndOfTurn") else 0.05,
        }
        if trigger:
            message["trigger"] = trigger
        if self.multi:
            message["languages"] = self.languages
        self.send(message)

    # Frames ---------------------------------------------------------------------------------

    def send(self, message):
        message = dict(message)
        message["sequence_id"] = self.sequence
        self.sequence += 1
        self.outbox.put_nowait(("message", message, time.monotonic() + self.delay))

    def close(self, code, reason=""):
        self.finished = True
        self.outbox.put_nowait(("close", (code, reason), time.monotonic() + self.delay))

    def fatal(self, code, description, close_code):
        self.send({"type": "Error", "code": code, "description": description})
        self.close(close_code, description[:100])

    def on_audio(self, data):
        self.recorder.event(self.conn, "binary", bytes=len(data))
        self.recorder.audio(self.conn, data)
        if self.bytes == 0 and self.marked and len(data) >= 4:
            offset = fakekit.marked_frame_index(data) * 0.01
            self.recorder.event(self.conn, "marked-start", input_seconds=offset)
            self.place(fakekit.shift_words(self.server.script, offset))
        self.bytes += len(data)
        if self.bytes_per_second:
            self.audio_time = self.bytes / self.bytes_per_second
        self.advance()
        if self.close_after is not None and self.audio_time >= self.close_after:
            self.close(1011, NET0000)
        elif self.error_after is not None and self.audio_time >= self.error_after:
            self.fatal("INTERNAL_SERVER_ERROR", "The server encountered an internal error.", 1011)
        elif self.early_close is not None and self.audio_time >= self.early_close:
            self.close(1005)

    def on_text(self, text):
        self.recorder.event(self.conn, "text", message=text)
        try:
            message = json.loads(text)
            kind = message.get("type") if isinstance(message, dict) else None
        except ValueError:
            kind = None
        if kind == "KeepAlive":
            return
        if kind == "CloseStream":
            # Decode what was received: the open turn's words so far (begun ones clipped), as an
            # Update; no EndOfTurn; then close without a status code (Flux close-stream page).
            self.advance()
            now = round(self.audio_time, 4)
            self.turn_info("Update", self.heard(now, started=True), now)
            self.close(1005)
        elif kind == "ForceEndTurn":
            self.advance()
            if self.turn is not None:
                now = round(self.audio_time, 4)
                self.end_turn(self.heard(now, started=True), now, "manual")
        elif kind == "Configure":
            thresholds = message.get("thresholds") or {}
            eot = thresholds.get("eot_threshold")
            hints = message.get("language_hints")
            if (eot is not None and not (0.5 <= eot <= 0.9 or eot == 1.0)) or (hints and not self.multi):
                self.send({
                    "type": "ConfigureFailure", "request_id": self.request_id, "code": "INVALID_CONFIGURATION",
                    "description": "The configuration could not be applied.",
                })
            else:
                reply = {"type": "ConfigureSuccess", "request_id": self.request_id}
                for key in ("thresholds", "keyterms", "language_hints"):
                    if key in message:
                        reply[key] = message[key]
                self.send(reply)
        else:
            self.fatal("INVALID_MESSAGE", f"Could not parse the client message: {text[:80]}", 1008)

    async def sender(self):
        while True:
            kind, payload, due = await self.outbox.get()
            try:
                if self.delay:
                    await asyncio.sleep(max(0.0, due - time.monotonic()))
                if self.silent:
                    continue
                if kind == "message":
                    await self.ws.send(compact(payload))
                    self.recorder.event(self.conn, "sent", message=payload)
                else:
                    code, reason = payload
                    self.recorder.event(self.conn, "close", code=code, reason=reason)
                    if code == 1005:
                        # A close frame with no status code: an empty payload.
                        await self.ws.write_close_frame(Close(1005, ""), b"")
                    else:
                        await self.ws.close(code, reason)
            except websockets.ConnectionClosed:
                pass
            finally:
                self.outbox.task_done()

    async def idle_timer(self):
        while not self.finished:
            await asyncio.sleep(0.05)
            if not self.finished and time.monotonic() - self.last_frame >= self.idle_timeout:
                self.recorder.event(self.conn, "idle-timeout", seconds=self.idle_timeout)
                self.close(1011, NET0001)

    async def run(self):
        if not self.silent:
            self.send({"type": "Connected", "request_id": self.request_id})
        sender = asyncio.create_task(self.sender())
        timer = None if self.silent else asyncio.create_task(self.idle_timer())
        try:
            async for frame in self.ws:
                self.last_frame = time.monotonic()
                if self.finished:
                    continue
                if isinstance(frame, bytes):
                    self.on_audio(frame)
                    if self.drop_after is not None and self.bytes >= self.drop_after:
                        await self.outbox.join()
                        self.recorder.event(self.conn, "dropped", after_bytes=self.bytes)
                        self.ws.transport.abort()
                        return
                else:
                    self.on_text(frame)
        except websockets.ConnectionClosed:
            pass
        finally:
            if timer is not None:
                timer.cancel()
            if not sender.done():
                try:
                    await asyncio.wait_for(self.outbox.join(), timeout=5)
                except asyncio.TimeoutError:
                    pass
            sender.cancel()
            self.recorder.event(self.conn, "ended", close_code=self.ws.close_code)


def main():
    def extra(parser):
        parser.add_argument("--script", default=None, help="JSON list of {start, end, text} utterances")
        parser.add_argument("--key", action="append", default=[], help="another accepted API key (repeatable)")
        parser.add_argument(
            "--marked", action="store_true",
            help="position-marked audio: play the script from where each connection's audio starts")

    args = fakekit.parse_arguments("Fake Deepgram Flux /v2/listen", extra)
    server = Server(args)
    fakekit.run_websocket_server(
        args, server.handle, process_request=server.process_request, subprotocols=["token", "bearer"],
        extra_headers=Server.response_headers,
    )


if __name__ == "__main__":
    main()
