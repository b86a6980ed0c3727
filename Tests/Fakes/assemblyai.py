"""Fake AssemblyAI Universal Streaming v3 server (`/v3/ws`) for hark's tests.

Follows AssemblyAI's documented v3 protocol (assemblyai.com/docs/streaming/message-sequence,
/docs/streaming/common-session-errors-and-closures; the usm-streaming spec):

* Auth: `Authorization: <key>` (raw, no scheme) or `?token=`. Missing -> Error + close 1008
  "Unauthorized Connection: Missing Authorization header"; a key other than `--api-key` (when
  given) or one with a `Bearer`/`Token` scheme -> close 1008 "Unauthorized Connection: Invalid API key".
* Query: `speech_model` (required, known models), `sample_rate` (positive int), `encoding`
  (pcm_s16le | pcm_mulaw), `format_turns`, `min_turn_silence`, `max_turn_silence`,
  `keyterms_prompt` / `language_codes` (JSON arrays), `inactivity_timeout` (5-3600 s).
  More than 100 `keyterms_prompt` terms is refused like any invalid message (3006); the real
  wording is unverified. With `language_detection=true`, every ended turn carries
  `language_code` "en" and `language_confidence` (the fake detects nothing).
  Invalid -> Error + close 3006.
* `Begin {id, expires_at}` first. Binary frames are audio; each must hold 50-1000 ms
  (else Error + close 3007 "Input duration violation: <n> ms. Expected between 50 and 1000 ms");
  audio more than `--max-ahead` seconds ahead of wall-clock time -> close 3007 "Audio Transmission
  Rate Exceeded: Received <x> sec. audio in <y> sec".
* Text frames: Terminate (after `--terminate-delay`, pending turns, then `Termination`, close 1000),
  ForceEndpoint (ends the turn now, dropping the in-flight tail word), KeepAlive,
  UpdateConfiguration; invalid JSON / unknown type / non-object -> Error + close 3006.
* Session limit `--max-session-seconds` (default 10800, wall time from the upgrade, as the real
  service counts it) -> Termination + close 3008; with
  `inactivity_timeout`, no audio or KeepAlive for that long -> close `--idle-close-code` (4031).

Transcripts come from `--script FILE`: a JSON list of utterances `{"start": s, "end": s, "text": "..."}`
in seconds of received audio. Words are spread evenly over each utterance. As audio time passes, a
`Turn` is sent whenever its finalized words or its one non-final tail word change (Universal-
Streaming style: lower case, no punctuation, `transcript` = finalized words only); at
`end + min_turn_silence` the turn ends (`end_of_turn: true`), and with `format_turns=true` a second
`end_of_turn` message carries the script's text as the formatted turn.

Fault scenarios (`--scenario`, comma-separated or repeated):
  reject-NNN            answer the upgrade with HTTP NNN and `{"error": "..."}` (429 adds Retry-After)
  reject-times=N        only the first N upgrade attempts are rejected (default: all)
  retry-after=S         the Retry-After of a 429 rejection (default 1)
  close-CODE-after=S    after S seconds of received audio send Error + close CODE (3005 is AssemblyAI's
                        "Session Cancelled"; 1011 also works, without the Error frame)
  drop-after-bytes=N    after N audio bytes, drop the TCP connection with no close frame
  silent                accept, send nothing at all (no Begin), keep reading (every connection)
  error-without-close   after the first audio, send an Error frame (3005) but keep the session open
  concurrency-limit     close 1008 "Unauthorized connection: Too many concurrent sessions" at once
  fault-conn=N          apply the scenarios above only to connection N (1-based)
  backlog=S | ignore-finish | limit-at-finish | reset-at-finish
                        the finish faults every fake plays (fakekit.FinishFaults); the finish is
                        Terminate. limit-at-finish answers Terminate as the 3-hour limit does:
                        Termination with no last turn, then close 3008.

U3 family models (`u3-*`, `universal-3-*`) behave as U3 Pro: `SpeechStarted` at an utterance's
start, one revisable partial (all words `word_is_final: false`, trailing em dash) when its speech
ends, then a single formatted `end_of_turn` message with confidence 1 (min_turn_silence 100 ms).

With `--marked` (fault tests; see fakekit.py), each connection reads the input position written in
its first audio frame and plays the script from there, so a client that replays audio after a
reconnect gets the words of that audio again, with times on the new connection's clock.
The markers survive only PCM (pcm_s16le / audio/pcm): with µ-law the first frame's index is noise.

Deviations from the real service: no Heartbeat/Silence/SpeakerRevision
messages; a bad query is answered with Error + close 3006 after the upgrade (the real service's
answer is unverified); word confidences are fixed; the inactivity close code is configurable
because the real one is unverified.
"""

import asyncio
import http
import json
import re
import signal
import time
import uuid

import fakekit

MODELS = {
    "universal-streaming-english",
    "universal-streaming-multilingual",
    "whisper-rt",
    "u3-rt-pro",
    "u3-pro",
    "u3-rt-pro-beta-1",
    "universal-3-5-pro",
    "universal-3-6",
    "universal-3-6-pro",
}


def extra_arguments(parser):
    parser.add_argument("--script", default=None, help="JSON list of utterances {start, end, text}")
    parser.add_argument("--api-key", default=None, help="the only key accepted (default: any)")
    parser.add_argument("--terminate-delay", type=float, default=0.5)
    parser.add_argument("--max-ahead", type=float, default=300.0, help="seconds audio may run ahead of real time")
    parser.add_argument("--max-session-seconds", type=float, default=10800.0)
    parser.add_argument("--idle-close-code", type=int, default=4031)
    parser.add_argument(
        "--marked", action="store_true",
        help="position-marked audio: play the script from where each connection's audio starts")


ARGS = fakekit.parse_arguments("Fake AssemblyAI v3 streaming server", extra_arguments)
RECORDER = fakekit.Recorder(ARGS.record)




def word_lists(utterances):
    """Utterances as lists of words {text, start, end} in seconds, in order."""
    result = []
    for utterance in sorted(utterances, key=lambda u: u["start"]):
        texts = utterance["text"].split()
        if not texts:
            continue
        start, end = float(utterance["start"]), float(utterance["end"])
        step = (end - start) / len(texts)
        result.append(
            [{"text": t, "start": start + i * step, "end": start + (i + 1) * step} for i, t in enumerate(texts)]
        )
    return result


UTTERANCES = fakekit.load_script(ARGS.script)
SCRIPT = word_lists(UTTERANCES)
REJECTED = [0]  # upgrades rejected so far, for reject-times
FINISH_FAULTS = fakekit.FinishFaults(ARGS.scenarios)


def scenarios_for(conn):
    wanted = ARGS.scenarios.get("fault-conn")
    if wanted and int(wanted) != conn:
        return {}
    return ARGS.scenarios


def unformatted(text):
    return re.sub(r"[.,!?;:]", "", text).lower()


def process_request(path, headers):
    if fakekit.path_of(path) != "/v3/ws":
        return (http.HTTPStatus.NOT_FOUND, [("Content-Type", "application/json")], b'{"error":"Not found"}\n')
    wanted = ARGS.scenarios.get("fault-conn")
    if wanted and int(wanted) != RECORDER.connections + 1:
        return None
    times = ARGS.scenarios.get("reject-times")
    if times is not None and REJECTED[0] >= int(times):
        return None
    for key in ARGS.scenarios:
        match = re.fullmatch(r"reject-(\d{3})", key)
        if match:
            status = int(match.group(1))
            REJECTED[0] += 1
            RECORDER.next_connection()
            RECORDER.event(RECORDER.connections, "rejected", status=status)
            extra = [("Retry-After", str(ARGS.scenarios.get("retry-after", "1")))] if status == 429 else []
            body = json.dumps({"error": f"Fake rejection with HTTP {status}"}).encode()
            return (http.HTTPStatus(status), [("Content-Type", "application/json")] + extra, body)
    return None


class Session:
    """One connection: audio clock, turn state, timers."""

    def __init__(self, ws, conn, query):
        self.ws = ws
        self.conn = conn
        self.query = dict(query)
        self.scenarios = scenarios_for(conn)
        self.opened = time.monotonic()
        self.audio_bytes = 0
        self.bytes_per_second = 32000
        self.format_turns = False
        self.language_detection = False
        self.min_silence = 0.4
        self.u3 = False
        self.turn_order = 0
        self.utterances = [list(words) for words in SCRIPT]
        self.sent_state = None
        self.last_activity = time.monotonic()
        self.inactivity = None
        self.closed = False
        self.errored_once = False
        # backlog=S: answers leave through a queue, each S s after the one before.
        self.backlog = None
        if FINISH_FAULTS.backlog:
            self.backlog = fakekit.BacklogSender(FINISH_FAULTS.backlog)
            self.backlog.start(self.deliver)

    @property
    def audio_seconds(self):
        return self.audio_bytes / self.bytes_per_second

    async def send(self, message):
        if self.backlog:
            self.backlog.send(("message", message))
            return
        await self.deliver(("message", message))

    async def deliver(self, item):
        kind, payload = item
        if kind == "message":
            RECORDER.event(self.conn, "sent", message=payload)
            await self.ws.send(json.dumps(payload))
        else:
            code, reason = payload
            RECORDER.event(self.conn, "close", code=code, reason=reason)
            await self.ws.close(code, reason.encode()[:120].decode(errors="ignore"))

    async def error_close(self, code, text, reason=None):
        await self.send({"type": "Error", "error_code": code, "error": text})
        await self.close(code, reason or text)

    async def close(self, code, reason=""):
        if self.closed:
            return
        self.closed = True
        if self.backlog:
            self.backlog.send(("close", (code, reason)))
            return
        await self.deliver(("close", (code, reason)))

    def validate_query(self):
        q = self.query
        model = q.get("speech_model")
        if not model:
            return "Invalid Message: speech_model is required"
        if model not in MODELS:
            return f"Invalid Message: unsupported speech_model {model}"
        encoding = q.get("encoding", "pcm_s16le")
        if encoding not in ("pcm_s16le", "pcm_mulaw"):
            return f"Invalid Message: unsupported encoding {encoding}"
        try:
            rate = int(q.get("sample_rate", ""))
            if rate <= 0:
                raise ValueError
        except ValueError:
            return "Invalid Message: sample_rate must be a positive integer"
        self.bytes_per_second = rate * (1 if encoding == "pcm_mulaw" else 2)
        for key in ("keyterms_prompt", "language_codes"):
            if key in q:
                try:
                    value = json.loads(q[key])
                    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                        raise ValueError
                except ValueError:
                    return f"Invalid Message: {key} must be a JSON array of strings"
        for key in ("format_turns", "language_detection", "speaker_labels"):
            if key in q and q[key] not in ("true", "false"):
                return f"Invalid Message: {key} must be true or false"
        keyterms = json.loads(q["keyterms_prompt"]) if "keyterms_prompt" in q else []
        if len(keyterms) > 100:
            return "Invalid Message: keyterms_prompt accepts at most 100 terms"
        self.language_detection = q.get("language_detection") == "true"
        self.format_turns = q.get("format_turns") == "true"
        # The U3 family always formats its finals (one end_of_turn message) and waits less.
        self.u3 = model.startswith(("u3", "universal-3"))
        if self.u3:
            self.format_turns = False
            self.min_silence = 0.1
        if "min_turn_silence" in q:
            self.min_silence = int(q["min_turn_silence"]) / 1000
        if "inactivity_timeout" in q:
            seconds = int(q["inactivity_timeout"]) if q["inactivity_timeout"].isdigit() else 0
            if not 5 <= seconds <= 3600:
                return "Invalid Message: inactivity_timeout must be between 5 and 3600"
            self.inactivity = seconds
        return None

    # Turns

    def word(self, w, final):
        return {
            "start": int(round(w["start"] * 1000)),
            "end": int(round(w["end"] * 1000)),
            "text": unformatted(w["text"]),
            "confidence": 0.95,
            "word_is_final": final,
        }

    def turn_message(self, words, tail, end_of_turn, formatted):
        if formatted:
            listed = [dict(self.word(w, True), text=w["text"]) for w in words]
            transcript = " ".join(w["text"] for w in words)
        else:
            listed = [self.word(w, True) for w in words] + ([self.word(tail, False)] if tail else [])
            transcript = " ".join(unformatted(w["text"]) for w in words)
        message = {
            "turn_order": self.turn_order,
            "turn_is_formatted": formatted,
            "end_of_turn": end_of_turn,
            "transcript": transcript,
            "end_of_turn_confidence": 0.9 if end_of_turn else 0.1,
            "words": listed,
            "utterance": transcript if end_of_turn and not formatted else "",
            "type": "Turn",
        }
        if self.language_detection and end_of_turn:
            # language_detection=true: each ended turn names its language (multilingual/U3).
            message["language_code"] = "en"
            message["language_confidence"] = 0.97
        return message

    async def end_turn(self, words):
        if words and self.u3:
            message = self.turn_message(words, None, True, True)
            message["end_of_turn_confidence"] = 1
            message["utterance"] = message["transcript"]
            await self.send(message)
        elif words:
            await self.send(self.turn_message(words, None, True, False))
            if self.format_turns:
                await self.send(self.turn_message(words, None, True, True))
        self.turn_order += 1
        self.sent_state = None

    async def advance(self):
        """Sends what the audio received so far makes due."""
        t = self.audio_seconds
        while self.utterances:
            words = self.utterances[0]
            if t >= words[-1]["end"] + self.min_silence:
                self.utterances.pop(0)
                await self.end_turn(words)
                continue
            if t < words[0]["start"]:
                break
            if self.u3:
                await self.advance_u3(words, t)
                break
            final = [w for w in words if w["end"] <= t]
            tail = next((w for w in words if w["end"] > t and w["start"] <= t), None)
            state = (len(final), tail["text"] if tail else None)
            if state != self.sent_state:
                self.sent_state = state
                await self.send(self.turn_message(final, tail, False, False))
            break

    async def advance_u3(self, words, t):
        """U3 Pro: SpeechStarted at onset, one revisable partial when the speech pauses."""
        if self.sent_state is None:
            self.sent_state = "started"
            await self.send({"type": "SpeechStarted", "timestamp": int(round(words[0]["start"] * 1000))})
        if self.sent_state == "started" and t >= words[-1]["end"]:
            self.sent_state = "partial"
            message = self.turn_message([], None, False, False)
            listed = [self.word(w, False) for w in words]
            listed[-1]["text"] += "\u2014"
            message.update(
                words=listed, transcript=" ".join(w["text"] for w in listed), end_of_turn_confidence=0
            )
            await self.send(message)

    async def force_endpoint(self):
        t = self.audio_seconds
        if not self.utterances or t < self.utterances[0][0]["start"]:
            return
        words = self.utterances[0]
        final = [w for w in words if w["end"] <= t]
        rest = [w for w in words if w["end"] > t]
        if rest:
            self.utterances[0] = rest
        else:
            self.utterances.pop(0)
        await self.end_turn(final)

    async def terminate(self):
        await asyncio.sleep(ARGS.terminate_delay)
        t = self.audio_seconds
        if self.utterances and t >= self.utterances[0][0]["start"]:
            heard = [w for w in self.utterances[0] if w["start"] < t]
            self.utterances.pop(0)
            await self.end_turn(heard)
        await self.send(
            {
                "type": "Termination",
                "audio_duration_seconds": int(round(t)),
                "session_duration_seconds": int(round(time.monotonic() - self.opened)),
            }
        )
        await self.close(1000, "")

    # Timers

    async def watch_limits(self):
        while not self.closed:
            await asyncio.sleep(0.05)
            now = time.monotonic()
            if now - self.opened >= ARGS.max_session_seconds:
                await self.send(
                    {
                        "type": "Termination",
                        "audio_duration_seconds": int(round(self.audio_seconds)),
                        "session_duration_seconds": int(round(now - self.opened)),
                    }
                )
                await self.close(3008, "Session Expired: Maximum session duration exceeded")
                return
            if self.inactivity and now - self.last_activity >= self.inactivity:
                await self.close(ARGS.idle_close_code, "Session idle for too long")
                return

    # Messages

    async def on_audio(self, data):
        self.last_activity = time.monotonic()
        RECORDER.event(self.conn, "binary", bytes=len(data))
        RECORDER.audio(self.conn, data)
        if ARGS.marked and self.audio_bytes == 0 and len(data) >= 4:
            offset = fakekit.marked_frame_index(data) * 0.01
            RECORDER.event(self.conn, "marked-start", input_seconds=offset)
            self.utterances = word_lists(fakekit.shift_words(UTTERANCES, offset))
        drop = self.scenarios.get("drop-after-bytes")
        self.audio_bytes += len(data)
        if drop and self.audio_bytes >= int(drop):
            RECORDER.event(self.conn, "dropped", after_bytes=self.audio_bytes)
            self.closed = True
            self.ws.transport.abort()
            return
        if self.scenarios.get("silent"):
            return
        ms = len(data) * 1000 / self.bytes_per_second
        if ms < 50 or ms > 1000:
            text = f"Input duration violation: {int(ms)} ms. Expected between 50 and 1000 ms"
            await self.error_close(3007, f"Input Duration Error: {text}", text)
            return
        elapsed = time.monotonic() - self.opened
        if self.audio_seconds - elapsed > ARGS.max_ahead:
            text = f"Audio Transmission Rate Exceeded: Received {self.audio_seconds:.1f} sec. audio in {elapsed:.6f} sec"
            await self.error_close(3007, f"Input Duration Error: {text}", text)
            return
        for key, value in self.scenarios.items():
            match = re.fullmatch(r"close-(\d{4})-after", key)
            if match and self.audio_seconds >= float(value):
                code = int(match.group(1))
                if code >= 3000:
                    await self.error_close(code, "Session Cancelled: An error occurred")
                else:
                    await self.close(code, "Internal error")
                return
        if self.scenarios.get("error-without-close") and not self.errored_once:
            self.errored_once = True
            await self.send({"type": "Error", "error_code": 3005, "error": "Session Cancelled: An error occurred"})
        await self.advance()

    async def on_text(self, text):
        RECORDER.event(self.conn, "text", text=text)
        try:
            message = json.loads(text)
        except ValueError as error:
            await self.error_close(3006, f"Invalid JSON: {error}")
            return
        if not isinstance(message, dict):
            await self.error_close(3006, f"Invalid Message: {text[:60]}")
            return
        kind = message.get("type")
        if self.scenarios.get("silent"):
            return
        if kind == "Terminate":
            fault = FINISH_FAULTS.at_finish()
            if fault:
                RECORDER.event(self.conn, "scenario", action=f"{fault}-at-finish")
            if fault == "ignore":
                return
            if fault == "reset":
                self.closed = True
                self.ws.transport.abort()
                return
            if fault == "limit":
                await self.send(
                    {
                        "type": "Termination",
                        "audio_duration_seconds": int(round(self.audio_seconds)),
                        "session_duration_seconds": int(round(time.monotonic() - self.opened)),
                    }
                )
                await self.close(3008, "Session Expired: Maximum session duration exceeded")
                return
            await self.terminate()
        elif kind == "ForceEndpoint":
            await self.force_endpoint()
        elif kind == "KeepAlive":
            self.last_activity = time.monotonic()
        elif kind == "UpdateConfiguration":
            if "min_turn_silence" in message:
                self.min_silence = int(message["min_turn_silence"]) / 1000
            if "format_turns" in message:
                self.format_turns = bool(message["format_turns"])
        else:
            await self.error_close(3006, f"Invalid Message Type: {kind}")


async def handler(ws, path):
    conn = RECORDER.next_connection()
    headers = {k: v for k, v in ws.request_headers.raw_items()}
    query = fakekit.query_of(path)
    RECORDER.event(conn, "opened", path=fakekit.path_of(path), query=query, headers=headers)
    session = Session(ws, conn, query)
    if session.scenarios.get("concurrency-limit"):
        await session.close(1008, "Unauthorized connection: Too many concurrent sessions")
        return
    key = ws.request_headers.get("Authorization") or session.query.get("token")
    if not key:
        await session.error_close(1008, "Unauthorized Connection: Missing Authorization header")
        return
    if key.startswith(("Bearer ", "Token ")) or (ARGS.api_key and key != ARGS.api_key):
        await session.error_close(1008, "Unauthorized Connection: Invalid API key")
        return
    problem = session.validate_query()
    if problem:
        await session.error_close(3006, problem)
        return
    if not session.scenarios.get("silent"):
        await session.send(
            {
                "type": "Begin",
                "id": str(uuid.uuid4()),
                "expires_at": int(time.time() + ARGS.max_session_seconds),
            }
        )
    watcher = asyncio.ensure_future(session.watch_limits())
    try:
        async for message in ws:
            if session.closed:
                break
            if isinstance(message, bytes):
                await session.on_audio(message)
            else:
                await session.on_text(message)
    except Exception as error:  # a dropped connection ends the handler like a close
        RECORDER.event(conn, "connection-error", detail=str(error))
    finally:
        watcher.cancel()
        if session.backlog:
            # The answers still queued leave before the handler returns (which closes the socket).
            try:
                await asyncio.wait_for(session.backlog.queue.join(), timeout=300)
            except asyncio.TimeoutError:
                pass
            session.backlog.stop()
        RECORDER.event(conn, "ended", close_code=ws.close_code)


if __name__ == "__main__":
    # A fake started from a Swift test thread inherits that thread's blocked signal mask (SIGTERM
    # included, seen on Swift 6.3.1): unblock so FakeServer.stop()'s SIGTERM ends the fake.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    fakekit.run_websocket_server(ARGS, handler, process_request=process_request)
