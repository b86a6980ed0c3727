"""A protocol-faithful fake of Deepgram's live transcription socket, `/v1/listen` (Nova).

Follows Deepgram's documented live protocol (developers.deepgram.com: lower-level-websockets,
finalize, close-stream, audio-keep-alive, reference/errors; the asyncapi spec) ("What a faithful Deepgram
fake must do"), on the convention in fakekit.py:

    /usr/bin/python3 Tests/Fakes/deepgram.py --port 0 --record DIR [--script FILE] [--key K]
        [--scenario S ...]

Handshake (A1, A7): only `/v1/listen` (404 otherwise). Auth by `Authorization: Token <key>` or
`Bearer <key>` (scheme case-insensitive), or `Sec-WebSocket-Protocol: token, <key>` /
`bearer, <key>` (the 101 then selects `token`/`bearer`). Accepted keys: `test-key` and every
`--key`. A bare key without the scheme is rejected, as Deepgram does. Every upgrade response
carries `dg-request-id`; rejections carry `dg-error` and the JSON body
`{"err_code","err_msg","request_id"}`: 401 INVALID_AUTH; 400 for a capitalised or otherwise
non-`true`/`false` boolean, an unknown model, a malformed or underscored language, an unknown
`encoding`, `encoding` without `sample_rate`, non-integer numbers; 429 above `max-concurrent`.

Stream (A2-A6): binary frames are audio (recorded), text frames are JSON control messages:
`KeepAlive` (no reply, resets the idle timer), `Finalize` (flushes heard words as
`is_final`/`from_finalize` Results; nothing when nothing is buffered), `CloseStream` (flushes,
sends `Metadata`, closes 1000; later frames are ignored), `Configure` (one `ConfigureSuccess` for
nova-3 keyterms, else `ConfigureFailure`), `Sync` (ignored). Any other text gets a
`SchemaError` `Error` frame worded like the real one and the socket stays open. An empty binary
frame is the legacy end-of-stream: flush, `Metadata`, close 1000. Raw audio whose container the
fake cannot recognise when `encoding` is omitted closes 1008 DATA-0000. No frame at all for 10 s
(`no-audio-timeout`) sends `Metadata` then closes 1011 with the exact NET-0001 reason.

Transcripts are deterministic and derived from the audio time received on this connection:
linear16/linear32/mulaw/alaw from bytes at the query's `sample_rate` and `channels`; Ogg Opus
(no `encoding`, or `ogg-opus`) from the pages' granule positions.
- With `--script FILE` (JSON list of `{"start": s, "end": s, "text": "...", "speaker": n?}` in
  audio seconds of the connection): each utterance's words share its span evenly. As audio time
  passes (in 10 ms steps): `SpeechStarted` at an utterance's start (`vad_events=true`); an interim
  about every 1 s of audio with the words heard so far in the current window (empty during
  silence; `interim_results=true`); a final with `speech_final:true` once `endpointing` ms
  (default 10) of audio passed the utterance's end (never with `endpointing=false`); a final
  without `speech_final` when a window reaches 3 s (long speech; empty on silence); `UtteranceEnd`
  once `utterance_end_ms` of audio passed the last word with no new word begun. Final windows are
  contiguous. Words carry `punctuated_word` with `punctuate`/`smart_format` (the script's text
  as written; `word` is it lower-cased without punctuation) and `speaker` with `diarize`.
- Without `--script`, a simple energy detector (20 ms frames, RMS >= `--energy-threshold`, an
  utterance ends after 0.5 s below it) makes utterances whose text is "utterance 1",
  "utterance 2", ...: they are reported once they end, so they get no interim text.

Scenarios (`--scenario`, repeatable or comma-separated):
  reject-401 | reject-400 | reject-402 | reject-403 | reject-429 | reject-503
                        answer the upgrade with that status and Deepgram's body and headers
  reject-times=N        only the first N upgrade attempts are rejected (default: all)
  retry-after=S         Retry-After on 429 (default 1)
  max-concurrent=N      429 TOO_MANY_REQUESTS above N open streams
  close-1011-after=S    close 1011 (NET-0000 reason) once S s of audio arrived
  drop-after-bytes=N    drop TCP without a close frame once N audio bytes arrived
  drop-every            apply close-1011-after and drop-after-bytes to every stream, not only
                        the first accepted one
  silent                accept, record, never send anything (no results, no close, no timeout)
  no-audio-timeout=S    idle timeout in seconds (default 10)
  strict-keepalive      KeepAlive does not reset the idle timer before the first audio
  close-on-schema-error close 1008 after the SchemaError frame instead of staying open
  delay=S               send every server message S seconds late (order kept)
  backlog=S | ignore-finish | limit-at-finish | reset-at-finish
                        the finish faults every fake plays (fakekit.FinishFaults). The finish is
                        the first Finalize or CloseStream (hark sends Finalize only at speech ends,
                        which the fault tests' files do not have, and at the finish). Deepgram
                        documents no session limit, so limit-at-finish plays the nearest
                        documented server-side end: close 1011 NET-0000 with no flush, no Metadata.

Recorded under --record DIR (fakekit convention): events.jsonl with `open` (path, query,
headers), `reject`, `text`, `binary` (length), `sent` (each server message), `close` (code and
reason the fake sent), `client-close`, `drop`, `idle-timeout`, `scenario` (close-1011-after),
`ignored` (frames after the stream ended); audio-<n>.bin and audio.bin. Connection numbers count
every upgrade attempt, rejected ones included; "first stream" means the first accepted one.

With `--marked` (fault tests; see fakekit.py), each connection reads the input position written
in its first audio frame and plays the script from there, so a client that replays audio after a
reconnect gets the words of that audio again, with times on the new connection's clock.

Deviations from the real service (deliberate or unknown):
- No recognition: text comes from the script or the energy detector; results are sent as soon as
  the audio time is reached, with no processing latency and no revision of interim words.
- Interim cadence, the 3 s window and word timings are fixed choices; Deepgram's vary.
- Unknown query parameters are accepted; the real handling of unknown keys is unverified.
  The 400 bodies for booleans and numbers use the INVALID_QUERY_PARAMETER form seen on the TTS
  socket (unverified on /v1/listen); `encoding` without `sample_rate` is rejected (documented as
  required; the real status is unverified).
- Multichannel audio is timed correctly but transcribed as one channel (`channel_index` [0, n]).
- Raw `opus` is timed as 20 ms per binary message; flac, amr, speex and g729 are not timed, so
  they produce no results. The energy detector only reads linear16 and mulaw.
- The DATA-0000 close reason text and the Retry-After header on 429 are not confirmed; NET-0000
  for close-1011-after is an injected fault, not a timeout.
- Script times are per connection (a reconnect restarts at 0, as Deepgram's timestamps do).
- `language=multi` (Nova-3): results with words carry `languages` and each word `language`,
  always the first `language_hint` (else "en"): the fake detects nothing. `language_hint`
  without `language=multi` is accepted (the real answer is unverified). Keyterms are recorded
  (in the `open` event's query) but change nothing; the 500-token limit is not enforced at
  the upgrade (the real one is checked by hark before connecting).
"""

import asyncio
import datetime
import http
import json
import math
import os
import re
import struct
import sys
import time
import uuid
import warnings

with warnings.catch_warnings():
    # Deprecated in 3.11 but present in Debian 12's Python; only for the energy detector.
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fakekit  # noqa: E402
import websockets  # noqa: E402

NET0001 = (
    "Deepgram did not receive audio data or a text message within the timeout window. "
    "See https://dpgr.am/net0001"
)
NET0000 = (
    "Deepgram did not provide a response message within the timeout window. See https://dpgr.am/net0000"
)
DATA0000 = "DATA-0000: Deepgram could not decode the audio data. See https://dpgr.am/data0000"
MODEL_UUID = "c0d1a568-ce81-4fea-97e7-bd45cb1fdf3c"

MODELS = {
    "nova-3", "nova-3-general", "nova-3-medical", "nova-2", "nova-2-general", "nova-2-meeting",
    "nova-2-finance", "nova-2-conversationalai", "nova-2-voicemail", "nova-2-video", "nova-2-medical",
    "nova-2-drivethru", "nova-2-automotive", "nova-2-phonecall", "nova", "nova-general", "nova-phonecall",
    "nova-medical", "enhanced", "enhanced-general", "base", "base-general", "custom",
}
# Bytes one sample of one channel takes, for encodings timed from byte counts.
SAMPLE_WIDTHS = {"linear16": 2, "linear32": 4, "mulaw": 1, "alaw": 1}
ENCODINGS = set(SAMPLE_WIDTHS) | {"flac", "amr-nb", "amr-wb", "opus", "ogg-opus", "speex", "g729"}
BOOLEAN_PARAMETERS = {
    "interim_results", "punctuate", "smart_format", "vad_events", "multichannel", "numerals", "dictation",
    "profanity_filter", "diarize", "detect_entities", "mip_opt_out", "filler_words", "no_delay",
}
INTEGER_PARAMETERS = {"sample_rate", "channels", "utterance_end_ms"}
CONTROL_TYPES = ["CloseStream", "Configure", "Sync", "KeepAlive", "Finalize"]
CONTAINER_MAGIC = (b"OggS", b"RIFF", b"fLaC", b"ID3", b"\xff\xfb", b"\xff\xf3", b"\x1a\x45\xdf\xa3")

REJECTIONS = {
    400: ("Bad Request", "Bad Request: No such model/language/tier combination found."),
    401: ("INVALID_AUTH", "Invalid credentials."),
    402: (
        "ASR_PAYMENT_REQUIRED",
        "Project does not have enough credits for an ASR request and does not have an overage agreement.",
    ),
    403: ("INSUFFICIENT_PERMISSIONS", "Project does not have access to the requested model."),
    429: ("TOO_MANY_REQUESTS", "Too many requests. Please try again later"),
    503: ("SERVICE_UNAVAILABLE", "The service is temporarily unavailable. Please try again later."),
}

STEP = 0.01  # seconds of audio per simulation step
INTERIM_EVERY = 1.0
MAX_WINDOW = 3.0


def compact(value):
    return json.dumps(value, separators=(",", ":"))


class Server:
    """What outlives one connection: options, counters, the recorder."""

    def __init__(self, args):
        self.args = args
        self.scenarios = args.scenarios
        self.recorder = fakekit.Recorder(args.record)
        self.keys = {"test-key"} | set(args.key)
        self.script = fakekit.load_script(args.script) if args.script else None
        self.active = 0
        self.accepted = 0
        self.finish_faults = fakekit.FinishFaults(args.scenarios)

    def scenario(self, name, default=None):
        return self.scenarios.get(name, default)

    async def process_request(self, path, headers):
        conn = self.recorder.next_connection()
        request_id = str(uuid.uuid4())
        # Handed to the handler and to the 101's headers through the request headers.
        headers["X-Fake-Conn"] = str(conn)
        headers["X-Fake-Request-Id"] = request_id
        self.recorder.event(
            conn, "open", path=fakekit.path_of(path), query=fakekit.query_of(path),
            headers=[[name, value] for name, value in headers.raw_items() if not name.startswith("X-Fake-")],
        )
        rejection = self.forced_rejection(conn)
        if rejection is None and fakekit.path_of(path) != "/v1/listen":
            rejection = (404, "NOT_FOUND", f"No such endpoint: {fakekit.path_of(path)}")
        if rejection is None and not self.authorized(headers):
            rejection = (401, *REJECTIONS[401])
        if rejection is None:
            rejection = validate_query(fakekit.query_of(path))
        limit = self.scenario("max-concurrent")
        if rejection is None and limit is not None and self.active >= int(limit):
            rejection = (429, *REJECTIONS[429])
        if rejection is not None:
            return self.reject(conn, request_id, *rejection)
        self.active += 1
        return None

    def forced_rejection(self, conn):
        times = self.scenario("reject-times")
        if times is not None and conn > int(times):
            return None
        for status in REJECTIONS:
            if self.scenario(f"reject-{status}"):
                return (status, *REJECTIONS[status])
        return None

    def authorized(self, headers):
        authorization = headers.get("Authorization", "")
        scheme, _, key = authorization.partition(" ")
        if scheme.lower() in ("token", "bearer") and key.strip() in self.keys:
            return True
        offered = [p.strip() for value in headers.get_all("Sec-WebSocket-Protocol") for p in value.split(",")]
        return len(offered) >= 2 and offered[0].lower() in ("token", "bearer") and offered[1] in self.keys

    def reject(self, conn, request_id, status, err_code, err_msg):
        self.recorder.event(conn, "reject", status=status, err_code=err_code)
        body = compact({"err_code": err_code, "err_msg": err_msg, "request_id": request_id}).encode()
        headers = [
            ("dg-request-id", request_id), ("dg-error", err_msg), ("Content-Type", "application/json"),
        ]
        if status == 429:
            headers.append(("Retry-After", str(self.scenario("retry-after", "1"))))
        return http.HTTPStatus(status), headers, body

    @staticmethod
    def response_headers(path, request_headers):
        return [("dg-request-id", request_headers.get("X-Fake-Request-Id", ""))]

    async def handle(self, websocket, path):
        headers = websocket.request_headers
        self.accepted += 1
        stream = Stream(
            self, websocket, int(headers["X-Fake-Conn"]), headers["X-Fake-Request-Id"],
            fakekit.query_of(path), self.accepted,
        )
        try:
            await stream.run()
        finally:
            self.active -= 1




def validate_query(pairs):
    """The 400 Deepgram gives for a query it cannot use, or None."""

    def invalid(name, problem):
        return (
            400, "INVALID_QUERY_PARAMETER",
            f"Failed to deserialize query parameters: {name}: {problem}",
        )

    params = dict(pairs)
    for name, value in pairs:
        if name in BOOLEAN_PARAMETERS and value not in ("true", "false"):
            return invalid(name, f"provided string was not `true` or `false`: {value}")
        if name in INTEGER_PARAMETERS and not re.fullmatch(r"[0-9]+", value):
            return invalid(name, f"invalid digit found in string: {value}")
        if name == "endpointing" and value != "false" and not re.fullmatch(r"[0-9]+", value):
            return invalid(name, f"expected an integer or false: {value}")
    model = params.get("model", "base")
    language = params.get("language", "en")
    if model not in MODELS or not re.fullmatch(r"multi|[a-z]{2,3}(-[A-Za-z0-9]{2,8})*", language):
        return (400, *REJECTIONS[400])
    encoding = params.get("encoding")
    if encoding is not None and encoding not in ENCODINGS:
        return invalid("encoding", f"unknown variant `{encoding}`")
    if encoding is not None and "sample_rate" not in params:
        return (400, "Bad Request", "Bad Request: sample_rate is required when encoding is set.")
    return None


class Word:
    def __init__(self, token, start, end, speaker):
        self.punctuated = token
        self.word = re.sub(r"[^\w'-]", "", token).lower() or token.lower()
        self.start = start
        self.end = end
        self.speaker = speaker
        self.final = False


class OggClock:
    """Audio time of an Ogg Opus stream from its pages' granule positions (48 kHz samples)."""

    def __init__(self):
        self.buffer = b""
        self.pre_skip = 0
        self.seconds = 0.0
        self.broken = False

    def feed(self, data):
        self.buffer += data
        while len(self.buffer) >= 27:
            if not self.buffer.startswith(b"OggS"):
                self.broken = True
                return
            segments = self.buffer[26]
            header = 27 + segments
            if len(self.buffer) < header:
                return
            size = header + sum(self.buffer[27:header])
            if len(self.buffer) < size:
                return
            granule = struct.unpack_from("<q", self.buffer, 6)[0]
            body = self.buffer[header:size]
            if body.startswith(b"OpusHead") and len(body) >= 12:
                self.pre_skip = struct.unpack_from("<H", body, 10)[0]
            elif granule > 0:
                self.seconds = max(self.seconds, (granule - self.pre_skip) / 48000)
            self.buffer = self.buffer[size:]


class EnergyDetector:
    """Utterances from loudness, for runs without a script: text "utterance N"."""

    def __init__(self, sample_rate, threshold):
        self.frame_bytes = max(2, int(sample_rate * 0.02) * 2)
        self.frame_seconds = self.frame_bytes / 2 / sample_rate
        self.threshold = threshold
        self.pending = b""
        self.time = 0.0
        self.start = None
        self.last_loud = 0.0
        self.count = 0

    def feed(self, pcm16):
        """Utterances that ended in this audio, as script entries."""
        ended = []
        self.pending += pcm16
        while len(self.pending) >= self.frame_bytes:
            frame, self.pending = self.pending[: self.frame_bytes], self.pending[self.frame_bytes:]
            loud = audioop.rms(frame, 2) >= self.threshold
            frame_end = self.time + self.frame_seconds
            if loud:
                if self.start is None:
                    self.start = self.time
                self.last_loud = frame_end
            elif self.start is not None and frame_end - self.last_loud >= 0.5:
                if self.last_loud - self.start >= 0.1:
                    self.count += 1
                    ended.append({
                        "start": round(self.start, 3), "end": round(self.last_loud, 3),
                        "text": f"utterance {self.count}", "speaker": None,
                    })
                self.start = None
            self.time = frame_end
        return ended


class Stream:
    """One accepted connection: its options, audio clock, transcript state and outbox."""

    def __init__(self, server, websocket, conn, request_id, pairs, ordinal):
        self.server = server
        self.ws = websocket
        self.conn = conn
        self.request_id = request_id
        self.ordinal = ordinal
        self.recorder = server.recorder
        params = dict(pairs)
        self.params = params
        self.model = params.get("model", "base")
        self.encoding = params.get("encoding")
        self.sample_rate = int(params.get("sample_rate", "0") or 0)
        self.channels = int(params.get("channels", "1") or 1)
        width = SAMPLE_WIDTHS.get(self.encoding)
        self.bytes_per_second = self.sample_rate * width * self.channels if width and self.sample_rate else None
        self.ogg = OggClock() if self.encoding in (None, "ogg-opus") else None
        self.interim_results = params.get("interim_results") == "true"
        self.vad_events = params.get("vad_events") == "true"
        self.punctuate = params.get("punctuate") == "true" or params.get("smart_format") == "true"
        # language=multi (Nova-3, 2026-10-23): results name their languages, words their language;
        # the fake "detects" the first language_hint, else en.
        hints = [value for key, value in pairs if key == "language_hint"]
        self.multi_language = (hints[0] if hints else "en") if params.get("language") == "multi" else None
        self.diarize = params.get("diarize") == "true" or "diarize_model" in params
        self.utterance_end = int(params["utterance_end_ms"]) / 1000 if "utterance_end_ms" in params else None
        endpointing = params.get("endpointing", "10")
        self.endpointing = None if endpointing == "false" else int(endpointing) / 1000

        scenario = server.scenario
        applies = ordinal == 1 or scenario("drop-every")
        self.drop_after = int(scenario("drop-after-bytes")) if scenario("drop-after-bytes") and applies else None
        self.close_after = float(scenario("close-1011-after")) if scenario("close-1011-after") and applies else None
        self.silent = bool(scenario("silent"))
        self.idle_timeout = float(scenario("no-audio-timeout", 10))
        self.strict_keepalive = bool(scenario("strict-keepalive"))
        self.close_on_schema_error = bool(scenario("close-on-schema-error"))
        self.delay = float(scenario("delay", 0))

        self.utterances = [dict(u) for u in server.script] if server.script is not None else []
        self.words = []
        # --marked: the script is placed once the first frame says where in the input it is.
        self.marked = bool(server.args.marked) and server.script is not None
        if not self.marked:
            for utterance in self.utterances:
                self.add_words(utterance)
        self.energy = None
        if server.script is None and self.encoding in ("linear16", "mulaw") and self.sample_rate:
            self.energy = EnergyDetector(self.sample_rate, server.args.energy_threshold)

        self.bytes = 0
        self.messages = 0
        self.audio_time = 0.0
        self.steps = 0
        self.final_until = 0.0
        self.last_interim = 0.0
        self.next_speech = 0
        self.next_end = 0
        self.heard = 0
        self.last_word_end = None
        self.utterance_end_sent = True
        self.first_audio = False
        self.finished = False
        self.last_frame = time.monotonic()
        self.outbox = asyncio.Queue()
        self.finish_fault_seen = False
        self.finish_fault = None
        spacing = server.finish_faults.backlog
        self.backlog = fakekit.Backlog(spacing) if spacing else None

    # Transcript simulation ------------------------------------------------------------------

    def add_words(self, utterance):
        tokens = utterance["text"].split()
        if not tokens:
            return
        span = (utterance["end"] - utterance["start"]) / len(tokens)
        for index, token in enumerate(tokens):
            start = round(utterance["start"] + index * span, 4)
            end = round(utterance["start"] + (index + 1) * span, 4)
            self.words.append(Word(token, start, end, utterance.get("speaker")))
        utterance["words"] = self.words[-len(tokens):]

    def advance(self):
        target = int(self.audio_time / STEP + 1e-6)
        while self.steps < target:
            self.steps += 1
            self.step(round(self.steps * STEP, 4))

    def step(self, now):
        while self.next_speech < len(self.utterances) and self.utterances[self.next_speech]["start"] <= now:
            if self.vad_events:
                self.send({
                    "type": "SpeechStarted", "channel": [0, self.channels],
                    "timestamp": self.utterances[self.next_speech]["start"],
                })
            self.next_speech += 1
        while self.heard < len(self.words) and self.words[self.heard].end <= now:
            self.last_word_end = self.words[self.heard].end
            self.utterance_end_sent = False
            self.heard += 1
        finalized = False
        while self.next_end < len(self.utterances):
            utterance = self.utterances[self.next_end]
            if self.endpointing is None or utterance["end"] + self.endpointing > now + 1e-9:
                break
            self.next_end += 1
            words = [w for w in utterance.get("words", []) if not w.final]
            if words:
                self.final(words, now, speech_final=True)
                finalized = True
        if not finalized and now - self.final_until >= MAX_WINDOW - 1e-9:
            pending = [w for w in self.words[: self.heard] if not w.final]
            in_progress = self.heard < len(self.words) and self.words[self.heard].start < now
            if pending or not in_progress:
                self.final(pending, now, speech_final=False)
                finalized = True
        if (
            not finalized and self.interim_results and now - self.last_interim >= INTERIM_EVERY - 1e-9
        ):
            self.last_interim = now
            pending = [w for w in self.words[: self.heard] if not w.final]
            self.send(self.results(pending, self.final_until, now, is_final=False))
        if (
            self.utterance_end is not None and self.interim_results and not self.utterance_end_sent
            and now >= self.last_word_end + self.utterance_end - 1e-9
            and (self.heard == len(self.words) or self.words[self.heard].start > now)
            and all(w.final for w in self.words[: self.heard])
        ):
            self.utterance_end_sent = True
            self.send({"type": "UtteranceEnd", "channel": [0, self.channels], "last_word_end": self.last_word_end})

    def final(self, words, now, speech_final, from_finalize=False):
        for word in words:
            word.final = True
        self.send(self.results(words, self.final_until, now, True, speech_final, from_finalize))
        self.final_until = now
        self.last_interim = now

    def flush(self, from_finalize):
        """Finalize/CloseStream: every word begun so far becomes final (clipped to the audio heard)."""
        self.advance()
        now = round(self.audio_time, 4)
        words = [w for w in self.words if not w.final and w.start < now]
        for word in words:
            word.end = min(word.end, now)
        while self.heard < len(self.words) and self.words[self.heard].end <= now:
            self.last_word_end = self.words[self.heard].end
            self.utterance_end_sent = False
            self.heard += 1
        if words:
            self.final(words, max(now, self.final_until), speech_final=False, from_finalize=from_finalize)

    def results(self, words, start, end, is_final, speech_final=False, from_finalize=False):
        text = " ".join(w.punctuated if self.punctuate else w.word for w in words)
        entries = []
        for w in words:
            entry = {"word": w.word, "start": w.start, "end": w.end, "confidence": 0.99}
            if self.punctuate:
                entry["punctuated_word"] = w.punctuated
            if self.diarize:
                entry["speaker"] = w.speaker or 0
            if self.multi_language:
                entry["language"] = self.multi_language
            entries.append(entry)
        return {
            "type": "Results", "channel_index": [0, self.channels], "duration": round(end - start, 4),
            "start": round(start, 4), "is_final": is_final, "speech_final": speech_final,
            "from_finalize": from_finalize,
            "channel": {"alternatives": [
                dict(
                    {"transcript": text, "confidence": 0.99 if words else 0.0, "words": entries},
                    **({"languages": [self.multi_language]} if self.multi_language and words else {}),
                )
            ]},
            "metadata": {
                "request_id": self.request_id, "model_uuid": MODEL_UUID,
                "model_info": {"name": f"general-{self.model}", "version": "2026-01-01.0", "arch": self.model},
            },
        }

    def metadata(self):
        message = {
            "type": "Metadata", "transaction_key": "deprecated", "request_id": self.request_id,
            "sha256": "incomplete" if self.bytes else
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "duration": round(self.audio_time, 6), "channels": self.channels if self.bytes else 0,
        }
        if self.bytes:
            message["models"] = [MODEL_UUID]
            message["model_info"] = {
                MODEL_UUID: {"name": f"general-{self.model}", "version": "2026-01-01.0", "arch": self.model}
            }
        return message

    # Frames ---------------------------------------------------------------------------------

    def send(self, message):
        self.outbox.put_nowait(("message", message, self.due()))

    def close(self, code, reason=""):
        self.finished = True
        self.outbox.put_nowait(("close", (code, reason), self.due()))

    def due(self):
        """When a message queued now leaves: `delay` late, and under `backlog` later still."""
        now = time.monotonic() + self.delay
        return self.backlog.due(now) if self.backlog else now

    def on_audio(self, data):
        self.recorder.event(self.conn, "binary", length=len(data))
        if not data:
            # The pre-2022 end-of-stream signal (A2): flush and close as CloseStream does.
            self.flush(from_finalize=False)
            self.send(self.metadata())
            self.close(1000)
            return
        self.recorder.audio(self.conn, data)
        first = self.bytes == 0
        if first and self.marked and len(data) >= 4:
            offset = fakekit.marked_frame_index(data) * 0.01
            self.recorder.event(self.conn, "marked-start", input_seconds=offset)
            self.utterances = fakekit.shift_words(self.server.script, offset)
            for utterance in self.utterances:
                self.add_words(utterance)
        self.bytes += len(data)
        self.messages += 1
        self.first_audio = True
        if first and self.encoding is None and not data.startswith(CONTAINER_MAGIC):
            self.close(1008, DATA0000)
            return
        if self.bytes_per_second:
            self.audio_time = self.bytes / self.bytes_per_second
        elif self.ogg is not None:
            self.ogg.feed(data)
            if self.ogg.broken:
                self.close(1008, DATA0000)
                return
            self.audio_time = self.ogg.seconds
        elif self.encoding == "opus":
            self.audio_time = self.messages * 0.02
        if self.energy is not None:
            pcm = data if self.encoding == "linear16" else audioop.ulaw2lin(data, 2)
            for utterance in self.energy.feed(pcm):
                self.utterances.append(utterance)
                self.add_words(utterance)
        self.advance()
        if self.close_after is not None and self.audio_time >= self.close_after:
            self.recorder.event(self.conn, "scenario", action="close-1011-after", audio_time=self.audio_time)
            self.close(1011, NET0000)

    def on_text(self, text):
        self.recorder.event(self.conn, "text", message=text)
        try:
            message = json.loads(text)
        except ValueError as error:
            return self.schema_error(text, f"{error.msg} at line {error.lineno} column {error.colno}")
        kind = message.get("type") if isinstance(message, dict) else None
        if kind is None:
            return self.schema_error(text, f"missing field `type` at line 1 column {len(text)}")
        if kind not in CONTROL_TYPES:
            expected = ", ".join(f"`{t}`" for t in CONTROL_TYPES)
            column = text.find(json.dumps(kind)) + len(json.dumps(kind))
            return self.schema_error(
                text, f"unknown variant `{kind}`, expected one of {expected} at line 1 column {column}")
        if kind == "KeepAlive":
            return
        if kind in ("Finalize", "CloseStream") and not self.finish_fault_seen:
            self.finish_fault_seen = True
            self.finish_fault = self.server.finish_faults.at_finish()
            if self.finish_fault:
                self.recorder.event(self.conn, "scenario", action=f"{self.finish_fault}-at-finish")
            if self.finish_fault == "limit":
                self.close(1011, NET0000)
                return
            if self.finish_fault == "reset":
                self.finished = True
                self.ws.transport.abort()
                return
        if kind in ("Finalize", "CloseStream") and self.finish_fault == "ignore":
            return
        if kind == "Finalize":
            self.flush(from_finalize=True)
        elif kind == "CloseStream":
            self.flush(from_finalize=False)
            self.send(self.metadata())
            self.close(1000)
        elif kind == "Configure":
            keyterms = message.get("keyterms")
            if self.model.startswith("nova-3") and isinstance(keyterms, list):
                self.send({"type": "ConfigureSuccess", "request_id": self.request_id, "keyterms": keyterms})
            else:
                self.send({
                    "type": "ConfigureFailure", "request_id": self.request_id,
                    "code": "CONFIGURE_KEYTERMS_NOT_SUPPORTED",
                    "description": "Keyterms can only be configured for Nova-3 models.",
                })

    def schema_error(self, text, detail):
        self.send({
            "type": "Error", "variant": "SchemaError",
            "description": f"Could not deserialize last text message: {detail}", "message": text,
        })
        if self.close_on_schema_error:
            self.close(1008, "Could not deserialize last text message")

    # Tasks ------------------------------------------------------------------------------------

    async def sender(self):
        while True:
            kind, payload, due = await self.outbox.get()
            try:
                if self.delay or self.backlog:
                    await asyncio.sleep(max(0.0, due - time.monotonic()))
                if self.silent:
                    continue
                if kind == "message":
                    await self.ws.send(compact(payload))
                    self.recorder.event(self.conn, "sent", message=payload)
                else:
                    code, reason = payload
                    self.recorder.event(self.conn, "close", code=code, reason=reason)
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
                self.send(self.metadata())
                self.close(1011, NET0001)

    async def run(self):
        sender = asyncio.create_task(self.sender())
        timer = None if self.silent else asyncio.create_task(self.idle_timer())
        try:
            async for frame in self.ws:
                if self.finished:
                    self.recorder.event(self.conn, "ignored", length=len(frame))
                    continue
                if isinstance(frame, bytes) or not (self.strict_keepalive and not self.first_audio):
                    self.last_frame = time.monotonic()
                if isinstance(frame, bytes):
                    self.on_audio(frame)
                    if self.drop_after is not None and self.bytes >= self.drop_after:
                        await self.outbox.join()
                        self.recorder.event(self.conn, "drop", bytes=self.bytes)
                        self.ws.transport.abort()
                        return
                else:
                    self.on_text(frame)
        except websockets.ConnectionClosed:
            pass
        finally:
            self.recorder.event(self.conn, "client-close", code=self.ws.close_code, reason=self.ws.close_reason)
            if timer is not None:
                timer.cancel()
            if not self.ws.closed and not sender.done():
                try:
                    await asyncio.wait_for(self.outbox.join(), timeout=5)
                except asyncio.TimeoutError:
                    pass
            sender.cancel()


def main():
    def extra(parser):
        parser.add_argument("--script", default=None, help="JSON list of {start, end, text} utterances")
        parser.add_argument("--key", action="append", default=[], help="another accepted API key (repeatable)")
        parser.add_argument("--energy-threshold", type=float, default=1000.0, help="RMS of speech without a script")
        parser.add_argument(
            "--marked", action="store_true",
            help="position-marked audio: play the script from where each connection's audio starts")

    args = fakekit.parse_arguments("Fake Deepgram /v1/listen", extra)
    server = Server(args)
    fakekit.run_websocket_server(
        args, server.handle, process_request=server.process_request, subprotocols=["token", "bearer"],
        extra_headers=Server.response_headers,
    )


if __name__ == "__main__":
    main()
