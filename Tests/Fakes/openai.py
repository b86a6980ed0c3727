"""Fake OpenAI Realtime transcription server (GA shape, `/v1/realtime`) for hark's tests.

Follows OpenAI's Realtime transcription protocol (developers.openai.com/api/docs/guides/
realtime-transcription and realtime-vad; the API reference's client and server events):

* Always answers 101 (auth and shape are checked after the upgrade, as the live service does):
  no `Authorization` -> `error` (code null, "Missing bearer or basic authentication in header") +
  close 3000 `invalid_request_error`; a key that is not `Bearer <--api-key>` -> `invalid_api_key` +
  close 3000 `invalid_request_error.invalid_api_key`; an `OpenAI-Beta` header ->
  `beta_api_shape_disabled` + close 4000; `intent=transcription` plus `model` -> `invalid_model` +
  close 4000; neither -> `missing_model` + close 4000; `model` alone makes a conversation
  (`realtime`) session that refuses transcription updates with `invalid_parameter`.
* Sends `session.created` (transcription shape, `transcription: null`, server VAD 0.5/300/200).
* Validates `session.update` strictly and discards it whole on any error (`invalid_value` for a
  wrong `session.type`, `unknown_parameter`, `integer_below_min_value` for a rate under 24000 on
  `session.audio.input.format.rate`, …), echoing the client's `event_id`; else `session.updated`
  with the merged config. Legacy `transcription_session.update` -> `invalid_value` on `type`.
* Binary frames -> `invalid_event`; non-JSON -> `invalid_json`; unknown types -> `invalid_value`;
  bad base64 -> `invalid_value` on `audio` (all non-fatal).
* Audio: `input_audio_buffer.append` base64 PCM16 at 24 kHz (ms = bytes / 48). `commit` with less
  than 100 ms buffered -> `input_audio_buffer_commit_empty`; otherwise `committed {item_id,
  previous_item_id}`, `conversation.item.added`, `conversation.item.done`, deltas (one per word,
  with a random `obfuscation`), `completed` with `usage`. `clear` -> `cleared`.
* Server VAD (server_vad or semantic_vad) from the script: `speech_started` when audio passes an
  utterance's start (`audio_start_ms` = start - prefix_padding_ms), `speech_stopped` when it passes
  end + silence_duration_ms, then an automatic commit. VAD runs even when transcription is off;
  then no transcript ever arrives (as on the real service).
* Streaming models (`gpt-live-transcribe`, `gpt-realtime-whisper`) send deltas while audio arrives,
  before the commit; the others only after the commit.
* `gpt-live-transcribe` and `gpt-realtime-whisper` take no server turn detection (OpenAI's
  realtime-vad guide: they "require turn detection to be omitted or set to null. Send
  input_audio_buffer.commit to finish each audio turn"). An update that gives them a non-null
  `turn_detection` gets an `error` (`invalid_value`, param `session.audio.input.turn_detection`)
  and is discarded whole; one that omits it gets `turn_detection: null`. What the service answers
  is not documented: this is by analogy with every other invalid update (a deviation to watch).
  Without server VAD there is no `speech_started` / `speech_stopped`; only commits end items.
* WebSocket PING every 20 s; max session `--max-session-seconds` (3600) -> close 1001 "Your session
  hit the maximum duration of 60 minutes."

With `--speech-turns FILE` (a JSON list of texts) the fake transcribes real speech whatever timeline
it arrives on (gated or not): the n-th committed item holding speech (a 10 ms frame louder than
-35 dBFS RMS) gets the n-th text, and items without speech get an empty transcript; once an item
has 300 ms of speech its first word goes out as a delta while audio still arrives, the rest after
the commit.

Transcripts come from `--script FILE`: a JSON list of utterances `{"start": s, "end": s, "text": "..."}`
in seconds of received audio; words are spread evenly over each utterance, and an item's transcript is
the words whose middle falls inside the committed stretch of audio.

Fault scenarios (`--scenario`, comma-separated or repeated):
  reject-NNN            answer the upgrade with HTTP NNN and a JSON error body (429 adds Retry-After)
  reject-times=N        only the first N upgrade attempts are rejected (default: all)
  retry-after=S         the Retry-After of a 429 rejection (default 1)
  close-CODE-after=S    after S seconds of received audio close with CODE (1011: server error)
  drop-after-bytes=N    after N decoded audio bytes, drop the TCP connection with no close frame
  silent                accept, send nothing at all (no session.created), keep reading (every connection)
  out-of-order          deliver each pair of items' `completed` events in reverse order
  fail-item=N           send `…transcription.failed` instead of `completed` for the Nth item
  fault-conn=N          apply the scenarios above only to connection N (1-based)
  backlog=S | ignore-finish | limit-at-finish | reset-at-finish
                        the finish faults every fake plays (fakekit.FinishFaults). The service has
                        no finish message: the finish is the commit hark marks with event_id
                        `hark_finish_commit` and the empty session.update (`hark_finish`) after it.
                        ignore-finish answers neither; limit-at-finish closes 1001 "Your session hit
                        the maximum duration of 60 minutes." as the commit arrives; reset-at-finish
                        drops TCP then.

With `--marked` (fault tests; see fakekit.py; the client sends marked audio at 24 kHz, 240-sample
frames), each connection reads the input position written in its first decoded audio frame and
plays the script from there, so a client that replays audio after a reconnect gets the words of
that audio again, with times on the new connection's clock.
The markers survive only `audio/pcm`; G.711 formats destroy them.

Deviations from the real service: no `logprobs`, `languages` or diarization segments; usage is
always token-shaped; G.711 formats are accepted but transcribed like PCM; semantic VAD behaves like
server VAD; no idle timeout (none is documented); which model names are accepted is a fixed list.
"""

import asyncio
import http
import base64
import binascii
import json
import re
import signal
import secrets
import struct
import time

import fakekit

MODELS = {
    "whisper-1",
    "gpt-4o-transcribe",
    "gpt-4o-mini-transcribe",
    "gpt-4o-mini-transcribe-2025-12-15",
    "gpt-4o-transcribe-diarize",
    "gpt-transcribe",
    "gpt-live-transcribe",
    "gpt-realtime-whisper",
}
STREAMING_MODELS = {"gpt-live-transcribe", "gpt-realtime-whisper"}
# Models without server turn detection: the client commits each turn.
CLIENT_TURN_MODELS = {"gpt-live-transcribe", "gpt-realtime-whisper"}
CLIENT_EVENTS = [
    "session.update",
    "session.close",
    "input_audio_buffer.append",
    "session.input_audio_buffer.append",
    "input_audio_buffer.commit",
    "input_audio_buffer.clear",
    "conversation.item.create",
    "conversation.item.truncate",
    "conversation.item.delete",
    "conversation.item.retrieve",
    "response.create",
    "response.cancel",
]


def extra_arguments(parser):
    parser.add_argument("--script", default=None, help="JSON list of utterances {start, end, text}")
    parser.add_argument("--api-key", default=None, help="the only key accepted (default: any)")
    parser.add_argument(
        "--speech-turns", default=None, help="JSON list of texts, one per committed item that holds speech")
    parser.add_argument("--completion-delay", type=float, default=0.05)
    parser.add_argument(
        "--max-session-seconds", type=float, default=3600.0, help="wall time from the upgrade, as the service counts")
    parser.add_argument(
        "--marked", action="store_true",
        help="position-marked audio: play the script from where each connection's audio starts")


ARGS = fakekit.parse_arguments("Fake OpenAI Realtime transcription server", extra_arguments)
SPEECH_TURNS = None
if ARGS.speech_turns:
    with open(ARGS.speech_turns) as turns_file:
        SPEECH_TURNS = json.load(turns_file)
RECORDER = fakekit.Recorder(ARGS.record)




def load_script(utterances):
    """Utterances as (start, end, words) with words {text, start, end} in seconds."""
    result = []
    for utterance in sorted(utterances, key=lambda u: u["start"]):
        texts = utterance["text"].split()
        start, end = float(utterance["start"]), float(utterance["end"])
        step = (end - start) / max(len(texts), 1)
        words = [{"text": t, "start": start + i * step, "end": start + (i + 1) * step} for i, t in enumerate(texts)]
        result.append({"start": start, "end": end, "words": words})
    return result


UTTERANCES = fakekit.load_script(ARGS.script)
SCRIPT = load_script(UTTERANCES)
REJECTED = [0]  # upgrades rejected so far, for reject-times


def scenarios_for(conn):
    wanted = ARGS.scenarios.get("fault-conn")
    if wanted and int(wanted) != conn:
        return {}
    return ARGS.scenarios


def process_request(path, headers):
    if fakekit.path_of(path) != "/v1/realtime":
        body = {"error": {"message": "Not found", "type": "invalid_request_error", "code": None}}
        return (http.HTTPStatus.NOT_FOUND, [("Content-Type", "application/json")], json.dumps(body).encode())
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
            kind = "rate_limit_error" if status == 429 else "server_error" if status >= 500 else "invalid_request_error"
            body = {"error": {"message": f"Fake rejection with HTTP {status}", "type": kind, "code": None}}
            extra = [("Retry-After", str(ARGS.scenarios.get("retry-after", "1")))] if status == 429 else []
            return (http.HTTPStatus(status), [("Content-Type", "application/json")] + extra, json.dumps(body).encode())
    return None


def event_id():
    return "event_" + secrets.token_hex(8)


class Rejected(Exception):
    """A session.update problem: (code, message, param)."""

    def __init__(self, code, message, param):
        super().__init__(message)
        self.code, self.message, self.param = code, message, param


FINISH_FAULTS = fakekit.FinishFaults(ARGS.scenarios)


class Session:
    def __init__(self, ws, conn, query, kind):
        self.ws = ws
        self.conn = conn
        self.query = dict(query)
        self.kind = kind
        self.scenarios = scenarios_for(conn)
        self.opened = time.monotonic()
        self.id = "sess_" + secrets.token_hex(8)
        self.config = {
            "format": {"type": "audio/pcm", "rate": 24000},
            "transcription": None,
            "noise_reduction": None,
            "turn_detection": {"type": "server_vad", "threshold": 0.5, "prefix_padding_ms": 300, "silence_duration_ms": 200},
        }
        self.include = None
        self.audio_bytes = 0
        self.frame_bytes = b""
        self.loud_ms = 0
        self.turn_index = 0
        self.turn_delta_sent = False
        self.buffer_start_ms = 0.0
        self.pending_item = None
        self.last_item = None
        self.items = 0
        self.utterance = 0
        self.speaking = False
        self.streamed = set()
        self.held = None
        self.tasks = set()
        self.closed = False
        self.ignoring_finish = False
        # backlog=S: answers leave through a queue, the n-th n*S s late.
        self.backlog = None
        if FINISH_FAULTS.backlog:
            self.backlog = fakekit.BacklogSender(FINISH_FAULTS.backlog)
            self.backlog.start(self.deliver)
        # The script this connection plays (--marked: from where its audio starts).
        self.script = SCRIPT

    @property
    def audio_ms(self):
        return self.audio_bytes / 48.0

    async def send(self, message):
        message.setdefault("event_id", event_id())
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
            await self.ws.close(code, reason)

    async def error(self, kind, code, message, param=None, client_event=None):
        await self.send(
            {
                "type": "error",
                "error": {"type": kind, "code": code, "message": message, "param": param, "event_id": client_event},
            }
        )

    async def close(self, code, reason):
        if self.closed:
            return
        self.closed = True
        if self.backlog:
            self.backlog.send(("close", (code, reason)))
            return
        await self.deliver(("close", (code, reason)))

    def session_object(self):
        return {
            "type": self.kind,
            "object": "realtime.transcription_session" if self.kind == "transcription" else "realtime.session",
            "id": self.id,
            "expires_at": int(time.time() + ARGS.max_session_seconds),
            "audio": {"input": self.config},
            "include": self.include,
        }

    # session.update

    def merged(self, session):
        if not isinstance(session, dict):
            raise Rejected("invalid_type", "Invalid type for 'session': expected an object.", "session")
        if session.get("type") != "transcription":
            raise Rejected(
                "invalid_value",
                f"Invalid value: '{session.get('type')}'. Supported values are: 'realtime' and 'transcription'.",
                "session.type",
            )
        for key in session:
            if key not in ("type", "audio", "include"):
                raise Rejected("unknown_parameter", f"Unknown parameter: 'session.{key}'.", f"session.{key}")
        config = json.loads(json.dumps(self.config))
        audio = session.get("audio", {})
        for key in audio:
            if key != "input":
                raise Rejected("unknown_parameter", f"Unknown parameter: 'session.audio.{key}'.", f"session.audio.{key}")
        given = audio.get("input", {})
        for key in given:
            if key not in config:
                raise Rejected(
                    "unknown_parameter", f"Unknown parameter: 'session.audio.input.{key}'.", f"session.audio.input.{key}"
                )
        if "format" in given:
            fmt = given["format"]
            if fmt.get("type") not in ("audio/pcm", "audio/pcmu", "audio/pcma"):
                raise Rejected("invalid_value", f"Invalid value: '{fmt.get('type')}'.", "session.audio.input.format.type")
            if fmt.get("type") == "audio/pcm":
                rate = fmt.get("rate", 24000)
                if not isinstance(rate, int) or rate < 24000:
                    raise Rejected(
                        "integer_below_min_value",
                        "Invalid 'session.audio.input.format.rate': integer below minimum value. "
                        f"Expected a value >= 24000, but got {rate} instead.",
                        "session.audio.input.format.rate",
                    )
                if rate > 24000:
                    raise Rejected(
                        "integer_above_max_value",
                        "Invalid 'session.audio.input.format.rate': integer above maximum value. "
                        f"Expected a value <= 24000, but got {rate} instead.",
                        "session.audio.input.format.rate",
                    )
            config["format"] = fmt
        if "transcription" in given:
            transcription = given["transcription"]
            if transcription is not None:
                for key in transcription:
                    if key not in ("model", "language", "prompt", "languages", "keywords", "delay"):
                        raise Rejected(
                            "unknown_parameter",
                            f"Unknown parameter: 'session.audio.input.transcription.{key}'.",
                            f"session.audio.input.transcription.{key}",
                        )
                model = transcription.get("model")
                if model not in MODELS:
                    raise Rejected(
                        "invalid_value", f"Invalid value: '{model}'.", "session.audio.input.transcription.model"
                    )
                if model == "gpt-realtime-whisper" and transcription.get("prompt"):
                    raise Rejected(
                        "invalid_value",
                        "prompt is not supported for gpt-realtime-whisper.",
                        "session.audio.input.transcription.prompt",
                    )
                transcription = {"model": model, "language": transcription.get("language"), "prompt": transcription.get("prompt")}
            config["transcription"] = transcription
        if "noise_reduction" in given:
            nr = given["noise_reduction"]
            if nr is not None and nr.get("type") not in ("near_field", "far_field"):
                raise Rejected("invalid_value", f"Invalid value: '{nr.get('type')}'.", "session.audio.input.noise_reduction.type")
            config["noise_reduction"] = nr
        if "turn_detection" in given:
            td = given["turn_detection"]
            if td is not None:
                if td.get("type") not in ("server_vad", "semantic_vad"):
                    raise Rejected("invalid_value", f"Invalid value: '{td.get('type')}'.", "session.audio.input.turn_detection.type")
                allowed = {"type", "threshold", "prefix_padding_ms", "silence_duration_ms", "create_response", "interrupt_response", "idle_timeout_ms", "eagerness"}
                for key in td:
                    if key not in allowed:
                        raise Rejected(
                            "unknown_parameter",
                            f"Unknown parameter: 'session.audio.input.turn_detection.{key}'.",
                            f"session.audio.input.turn_detection.{key}",
                        )
                merged = {"type": td["type"], "threshold": 0.5, "prefix_padding_ms": 300, "silence_duration_ms": 500}
                merged.update(td)
                td = merged
            config["turn_detection"] = td
        model = (config["transcription"] or {}).get("model")
        if model in CLIENT_TURN_MODELS:
            if given.get("turn_detection") is not None:
                raise Rejected(
                    "invalid_value",
                    f"turn_detection is not supported for model '{model}'. Set turn_detection to null and send "
                    "input_audio_buffer.commit to finish each audio turn.",
                    "session.audio.input.turn_detection",
                )
            config["turn_detection"] = None
        return config

    async def on_session_update(self, message):
        client_event = message.get("event_id")
        if self.kind != "transcription":
            await self.error(
                "invalid_request_error",
                "invalid_parameter",
                "Passing a transcription session update event to a realtime session is not allowed.",
                "session.type",
                client_event,
            )
            return
        try:
            config = self.merged(message.get("session"))
        except Rejected as rejected:
            await self.error("invalid_request_error", rejected.code, rejected.message, rejected.param, client_event)
            return
        self.config = config
        if "include" in message["session"]:
            self.include = message["session"]["include"]
        await self.send({"type": "session.updated", "session": self.session_object()})

    # Audio, VAD, items

    def words_between(self, start_ms, end_ms):
        words = []
        for utterance in self.script:
            for word in utterance["words"]:
                middle = (word["start"] + word["end"]) * 500
                if start_ms <= middle < end_ms:
                    words.append(word)
        return words

    def item_id(self):
        if self.pending_item is None:
            self.pending_item = "item_" + secrets.token_hex(8)
        return self.pending_item

    @property
    def model(self):
        return (self.config["transcription"] or {}).get("model")

    async def run_vad(self):
        td = self.config["turn_detection"]
        if td is None:
            return
        while self.utterance < len(self.script):
            utterance = self.script[self.utterance]
            start_ms = utterance["start"] * 1000
            end_ms = utterance["end"] * 1000 + td.get("silence_duration_ms", 500)
            if not self.speaking and self.audio_ms >= start_ms:
                self.speaking = True
                audio_start = max(self.buffer_start_ms, start_ms - td.get("prefix_padding_ms", 300))
                await self.send(
                    {"type": "input_audio_buffer.speech_started", "audio_start_ms": int(audio_start), "item_id": self.item_id()}
                )
            if self.speaking and self.audio_ms >= end_ms:
                self.speaking = False
                self.utterance += 1
                await self.send(
                    {"type": "input_audio_buffer.speech_stopped", "audio_end_ms": int(end_ms), "item_id": self.item_id()}
                )
                await self.commit(end_ms)
                continue
            break

    async def stream_deltas(self):
        """Streaming models send deltas while the audio of the current item arrives."""
        if self.model not in STREAMING_MODELS:
            return
        for word in self.words_between(self.buffer_start_ms, self.audio_ms):
            key = id(word)
            if key in self.streamed or word["end"] * 1000 > self.audio_ms:
                continue
            self.streamed.add(key)
            first = not any(id(w) in self.streamed for w in self.words_between(self.buffer_start_ms, word["start"] * 1000))
            await self.send(
                {
                    "type": "conversation.item.input_audio_transcription.delta",
                    "item_id": self.item_id(),
                    "content_index": 0,
                    "delta": word["text"] if first else " " + word["text"],
                    "obfuscation": secrets.token_hex(4),
                }
            )

    async def follow_speech(self, data):
        """`--speech-turns`: counts loud 10 ms frames of the current buffer; streams a first word."""
        self.frame_bytes += data
        while len(self.frame_bytes) >= 960:
            frame, self.frame_bytes = self.frame_bytes[:960], self.frame_bytes[960:]
            samples = struct.unpack("<480h", frame)
            mean_square = sum(v * v for v in samples) / 480 / (32768.0 * 32768.0)
            if mean_square > 10 ** (-35 / 10):
                self.loud_ms += 10
        if self.loud_ms >= 300 and not self.turn_delta_sent and self.turn_index < len(SPEECH_TURNS):
            self.turn_delta_sent = True
            await self.send(
                {
                    "type": "conversation.item.input_audio_transcription.delta",
                    "item_id": self.item_id(),
                    "content_index": 0,
                    "delta": SPEECH_TURNS[self.turn_index].split()[0],
                    "obfuscation": secrets.token_hex(4),
                }
            )

    def speech_turn_words(self):
        """`--speech-turns`: the next text if the buffer held speech, as words; resets the buffer's count."""
        words = []
        if self.loud_ms > 0 and self.turn_index < len(SPEECH_TURNS):
            texts = SPEECH_TURNS[self.turn_index].split()
            # The first word went out as a delta already, if it did.
            words = [{"text": t, "start": 0, "end": 0, "first_sent": i == 0 and self.turn_delta_sent} for i, t in enumerate(texts)]
            self.turn_index += 1
        self.loud_ms = 0
        self.turn_delta_sent = False
        return words

    async def commit(self, end_ms, client_event=None):
        buffered = end_ms - self.buffer_start_ms
        if buffered < 100:
            await self.error(
                "invalid_request_error",
                "input_audio_buffer_commit_empty",
                "Error committing input audio buffer: buffer too small. Expected at least 100ms of audio, "
                f"but buffer only has {max(buffered, 0):.2f}ms of audio.",
                None,
                client_event,
            )
            return
        item = self.item_id()
        words = self.words_between(self.buffer_start_ms, end_ms) if SPEECH_TURNS is None else self.speech_turn_words()
        self.buffer_start_ms = end_ms
        self.pending_item = None
        previous = self.last_item
        self.last_item = item
        self.items += 1
        number = self.items
        await self.send({"type": "input_audio_buffer.committed", "previous_item_id": previous, "item_id": item})
        content = {
            "id": item,
            "type": "message",
            "status": "completed",
            "role": "user",
            "content": [{"type": "input_audio", "transcript": None}],
        }
        await self.send({"type": "conversation.item.added", "previous_item_id": previous, "item": content})
        await self.send({"type": "conversation.item.done", "previous_item_id": previous, "item": content})
        if self.config["transcription"] is None:
            return
        task = asyncio.ensure_future(self.transcribe(item, number, words))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def transcribe(self, item, number, words):
        await asyncio.sleep(ARGS.completion_delay)
        for index, word in enumerate(words):
            if id(word) in self.streamed or word.get("first_sent"):
                continue
            self.streamed.add(id(word))
            await self.send(
                {
                    "type": "conversation.item.input_audio_transcription.delta",
                    "item_id": item,
                    "content_index": 0,
                    "delta": word["text"] if index == 0 else " " + word["text"],
                    "obfuscation": secrets.token_hex(4),
                }
            )
        if str(number) == str(self.scenarios.get("fail-item")):
            done = {
                "type": "conversation.item.input_audio_transcription.failed",
                "item_id": item,
                "content_index": 0,
                "error": {
                    "type": "transcription_error",
                    "code": "audio_unintelligible",
                    "message": "The audio could not be transcribed.",
                    "param": None,
                },
            }
        else:
            transcript = " ".join(w["text"] for w in words)
            done = {
                "type": "conversation.item.input_audio_transcription.completed",
                "item_id": item,
                "content_index": 0,
                "transcript": transcript,
                "usage": {
                    "type": "tokens",
                    "total_tokens": 10 + len(words),
                    "input_tokens": 10,
                    "input_token_details": {"text_tokens": 0, "audio_tokens": 10},
                    "output_tokens": len(words),
                },
            }
        RECORDER.event(self.conn, done["type"].rsplit(".", 1)[-1], item=item, transcript=done.get("transcript"))
        if self.scenarios.get("out-of-order"):
            if self.held is None:
                # Held until the next item completes, or briefly when none follows.
                self.held = done
                await asyncio.sleep(1.0)
                if self.held is done:
                    self.held = None
                    await self.send(done)
                return
            held, self.held = self.held, None
            await self.send(done)
            await self.send(held)
            return
        await self.send(done)

    async def on_append(self, message):
        try:
            data = base64.b64decode(message.get("audio", ""), validate=True)
        except (binascii.Error, ValueError):
            await self.error(
                "invalid_request_error", "invalid_value", "Invalid base64 audio.", "audio", message.get("event_id")
            )
            return
        RECORDER.event(self.conn, "append", bytes=len(data))
        RECORDER.audio(self.conn, data)
        if ARGS.marked and self.audio_bytes == 0 and len(data) >= 4:
            offset = fakekit.marked_frame_index(data) * 0.01
            RECORDER.event(self.conn, "marked-start", input_seconds=offset)
            self.script = load_script(fakekit.shift_words(UTTERANCES, offset))
        self.audio_bytes += len(data)
        if SPEECH_TURNS is not None:
            await self.follow_speech(data)
        drop = self.scenarios.get("drop-after-bytes")
        if drop and self.audio_bytes >= int(drop):
            RECORDER.event(self.conn, "dropped", after_bytes=self.audio_bytes)
            self.closed = True
            self.ws.transport.abort()
            return
        for key, value in self.scenarios.items():
            match = re.fullmatch(r"close-(\d{4})-after", key)
            if match and self.audio_ms >= float(value) * 1000:
                await self.close(int(match.group(1)), "server_error")
                return
        if self.scenarios.get("silent"):
            return
        await self.stream_deltas()
        await self.run_vad()

    async def on_text(self, text):
        try:
            message = json.loads(text)
        except ValueError:
            RECORDER.event(self.conn, "text", text=text)
            await self.error("invalid_request_error", "invalid_json", "Invalid event: failed to parse JSON value.")
            return
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == "input_audio_buffer.append":
            await self.on_append(message)
            return
        RECORDER.event(self.conn, "text", text=text)
        if self.scenarios.get("silent"):
            return
        client_event = message.get("event_id") if isinstance(message, dict) else None
        if client_event == "hark_finish_commit":
            fault = FINISH_FAULTS.at_finish()
            if fault:
                RECORDER.event(self.conn, "scenario", action=f"{fault}-at-finish")
            if fault == "ignore":
                self.ignoring_finish = True
                return
            if fault == "limit":
                minutes = int(round(ARGS.max_session_seconds / 60))
                await self.close(1001, f"Your session hit the maximum duration of {minutes} minutes.")
                return
            if fault == "reset":
                self.closed = True
                self.ws.transport.abort()
                return
        if client_event == "hark_finish" and self.ignoring_finish:
            return
        if kind == "session.update":
            await self.on_session_update(message)
        elif kind == "input_audio_buffer.commit":
            self.speaking = False
            await self.commit(self.audio_ms, client_event)
        elif kind == "input_audio_buffer.clear":
            self.buffer_start_ms = self.audio_ms
            self.pending_item = None
            await self.send({"type": "input_audio_buffer.cleared"})
        else:
            supported = ", ".join(f"'{t}'" for t in CLIENT_EVENTS[:-1]) + f" and '{CLIENT_EVENTS[-1]}'"
            await self.error(
                "invalid_request_error",
                "invalid_value",
                f"Invalid value: '{kind}'. Supported values are: {supported}.",
                "type",
                client_event,
            )

    async def watch_limits(self):
        while not self.closed:
            await asyncio.sleep(0.05)
            if time.monotonic() - self.opened >= ARGS.max_session_seconds:
                minutes = int(round(ARGS.max_session_seconds / 60))
                await self.close(1001, f"Your session hit the maximum duration of {minutes} minutes.")
                return


async def handler(ws, path):
    conn = RECORDER.next_connection()
    headers = {k: v for k, v in ws.request_headers.raw_items()}
    query = dict(fakekit.query_of(path))
    RECORDER.event(conn, "opened", path=fakekit.path_of(path), query=list(query.items()), headers=headers)
    kind = "transcription" if query.get("intent") == "transcription" else "realtime"
    session = Session(ws, conn, query, kind)
    authorization = ws.request_headers.get("Authorization")
    if not authorization:
        await session.error("invalid_request_error", None, "Missing bearer or basic authentication in header")
        await session.close(3000, "invalid_request_error")
        return
    key = authorization[len("Bearer ") :] if authorization.startswith("Bearer ") else None
    if not key or (ARGS.api_key and key != ARGS.api_key):
        await session.error("invalid_request_error", "invalid_api_key", "Incorrect API key provided.")
        await session.close(3000, "invalid_request_error.invalid_api_key")
        return
    if ws.request_headers.get("OpenAI-Beta"):
        await session.error(
            "invalid_request_error",
            "beta_api_shape_disabled",
            "The Realtime Beta API is no longer supported. Please use /v1/realtime for the GA API.",
        )
        await session.close(4000, "invalid_request_error.beta_api_shape_disabled")
        return
    if "intent" in query and "model" in query:
        await session.error(
            "invalid_request_error", "invalid_model", "You must not provide a model parameter for transcription sessions."
        )
        await session.close(4000, "invalid_request_error.invalid_model")
        return
    if "intent" not in query and "model" not in query:
        await session.error("invalid_request_error", "missing_model", "Missing required parameter: 'model'.")
        await session.close(4000, "invalid_request_error.missing_model")
        return
    if not session.scenarios.get("silent"):
        await session.send({"type": "session.created", "session": session.session_object()})
    watcher = asyncio.ensure_future(session.watch_limits())
    try:
        async for message in ws:
            if session.closed:
                break
            if isinstance(message, bytes):
                RECORDER.event(conn, "binary", bytes=len(message))
                await session.error(
                    "invalid_request_error",
                    "invalid_event",
                    "Expected a text WebSocket message; binary frames are not supported.",
                )
            else:
                await session.on_text(message)
    except Exception as error:  # a dropped connection ends the handler like a close
        RECORDER.event(conn, "connection-error", detail=str(error))
    finally:
        watcher.cancel()
        for task in list(session.tasks):
            task.cancel()
        if session.backlog:
            session.backlog.stop()
        RECORDER.event(conn, "ended", close_code=ws.close_code)


if __name__ == "__main__":
    # A fake started from a Swift test thread inherits that thread's blocked signal mask (SIGTERM
    # included, seen on Swift 6.3.1): unblock so FakeServer.stop()'s SIGTERM ends the fake.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    fakekit.run_websocket_server(ARGS, handler, process_request=process_request, ping_interval=20)
