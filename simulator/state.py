"""In-memory state of the simulator: calls, messages, recordings, number overrides.

Everything lives in the serving process (playback processes send it what changes: playback.py).
One lock guards
the collections and status transitions; a condition variable counts work in progress so that
`/sim/wait` can tell tests when everything has settled.

Memory stays bounded however long it runs: of calls, messages and recordings, the newest
`max_records` each are kept; beyond that the oldest finished ones are forgotten (a fetch then
answers 404). A call or message still under way is never forgotten. What only the control API
shows (a call's transcript, requests and callbacks, a message's callbacks) is kept for the newest
`detail_records` finished calls and messages; older ones keep what a fetch or a list needs.
"""

from __future__ import annotations

import secrets
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# Statuses after which a call or message never changes again.
FINAL_CALL_STATUSES = {"completed", "busy", "failed", "no-answer", "canceled"}
FINAL_MESSAGE_STATUSES = {"delivered", "undelivered", "failed", "received", "canceled"}
# A delivered WhatsApp message still becomes "read"; its delivery thread holds it till then.
FORGETTABLE_MESSAGE_STATUSES = FINAL_MESSAGE_STATUSES | {"read"}


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class Call:
    sid: str
    account_sid: str
    to: str
    from_: str
    direction: str  # outbound-api, inbound, outbound-dial
    url: str | None = None
    method: str = "POST"
    twiml: str | None = None
    fallback_url: str | None = None
    fallback_method: str = "POST"
    status_callback: str | None = None
    status_callback_events: list[str] = field(default_factory=lambda: ["completed"])
    status_callback_method: str = "POST"
    machine_detection: str | None = None
    # Asynchronous AMD: TwiML runs at once, the verdict is posted to async_amd_callback.
    async_amd: bool = False
    async_amd_callback: str | None = None
    async_amd_method: str = "POST"
    machine_detection_timeout: int = 30
    # The verdict still to be reached: (AnsweredBy, simulated seconds after answer); see amd.py.
    amd_pending: tuple[str, float] | None = None
    timeout: int = 60
    parent_call_sid: str | None = None
    status: str = "queued"
    # Set when our TwiML broke (11200, 12100, 12300): the final status callback reports it.
    error_code: int | None = None
    answered_by: str | None = None
    date_created: datetime = field(default_factory=now)
    date_updated: datetime = field(default_factory=now)
    start_time: datetime | None = None
    end_time: datetime | None = None
    duration: int | None = None
    # What the callee/caller does: see phone.Behaviour.
    behaviour: Any = None
    # Simulated seconds since answer; drives CallDuration independent of `speed`.
    talk_seconds: float = 0.0
    sequence: int = 0
    fetches: int = 0
    digits: list[str] = field(default_factory=list)
    transcript: list[dict[str, Any]] = field(default_factory=list)
    # Webhooks the call made besides TwiML requests; "kind": status, amd or recording.
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)  # TwiML/action requests
    # Set by the REST API (update) and honoured by the engine between verbs.
    cancel_requested: bool = False
    hangup_requested: bool = False
    redirect_to: tuple[str | None, str, str | None] | None = None  # (url, method, twiml)

    @property
    def final(self) -> bool:
        return self.status in FINAL_CALL_STATUSES


@dataclass(slots=True)
class Message:
    sid: str
    account_sid: str
    to: str
    from_: str | None
    body: str
    direction: str  # outbound-api, inbound, outbound-reply
    status: str = "queued"
    messaging_service_sid: str | None = None
    status_callback: str | None = None
    num_segments: int = 1
    # A free-form WhatsApp message created outside the 24-hour window: it fails with 63016.
    outside_window: bool = False
    error_code: int | None = None
    error_message: str | None = None
    date_created: datetime = field(default_factory=now)
    date_updated: datetime = field(default_factory=now)
    date_sent: datetime | None = None
    behaviour: Any = None
    callbacks: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class Recording:
    sid: str
    account_sid: str
    call_sid: str
    duration: int
    source: str = "RecordVerb"
    status: str = "completed"
    channels: int = 1
    date_created: datetime = field(default_factory=now)
    start_time: datetime = field(default_factory=now)


DEFAULT_CONFIG = {"duplicate_callbacks": False, "reorder_callbacks": False}


class Store:
    """Thread-safe home of all simulated resources."""

    def __init__(
        self,
        speed: float,
        incoming: dict[str, dict[str, str]],
        max_records: int = 20_000,
        detail_records: int = 1_000,
    ) -> None:
        self.lock = threading.RLock()
        self.max_records = max_records
        self.detail_records = detail_records
        self._next_pass: dict[int, int] = {}
        # Calls and messages that still have their details, oldest first.
        self._detailed: deque[Call | Message] = deque()
        self.calls: dict[str, Call] = {}
        self.messages: dict[str, Message] = {}
        self.recordings: dict[str, Recording] = {}
        self.overrides: dict[str, Any] = {}
        # Bare number -> when it last sent us a WhatsApp message (opens the 24-hour window).
        self.whatsapp_inbound: dict[str, datetime] = {}
        self.incoming: dict[str, dict[str, str]] = {k: dict(v) for k, v in incoming.items()}
        self.config: dict[str, Any] = dict(DEFAULT_CONFIG, speed=speed)
        self._busy = 0
        self._idle = threading.Condition(self.lock)

    # -- resources ---------------------------------------------------------------------------
    def add_call(self, call: Call) -> Call:
        with self.lock:
            self.calls[call.sid] = call
            self._cap(self.calls, lambda c: c.final)
            self._trim(call)
        return call

    def add_message(self, message: Message) -> Message:
        with self.lock:
            self.messages[message.sid] = message
            self._cap(self.messages, lambda m: m.status in FORGETTABLE_MESSAGE_STATUSES)
            self._trim(message)
        return message

    def add_recording(self, recording: Recording) -> Recording:
        with self.lock:
            self.recordings[recording.sid] = recording
            self._cap(self.recordings, lambda r: True)
        return recording

    def _cap(self, records: dict[str, Any], finished) -> None:
        """Forget the oldest finished records beyond max_records. Dicts keep insertion order, so
        the oldest come first. A pass runs once per a tenth of max_records added, so adding stays
        O(1) on average even when many records are still under way and cannot go."""
        key = id(records)
        if len(records) < self._next_pass.get(key, self.max_records + self.max_records // 10 + 1):
            return
        excess = len(records) - self.max_records
        old = []
        for sid, record in records.items():
            if len(old) >= excess:
                break
            if finished(record):
                old.append(sid)
        for sid in old:
            del records[sid]
        self._next_pass[key] = len(records) + self.max_records // 10 + 1

    def _trim(self, added: Call | Message) -> None:
        """Drop the details of the oldest finished record beyond detail_records. One still
        under way goes to the back of the line and is looked at again later."""
        self._detailed.append(added)
        if len(self._detailed) <= self.detail_records:
            return
        oldest = self._detailed.popleft()
        if isinstance(oldest, Call) and oldest.final:
            oldest.transcript, oldest.callbacks, oldest.requests = [], [], []
        elif isinstance(oldest, Message) and oldest.status in FORGETTABLE_MESSAGE_STATUSES:
            oldest.callbacks = []
        else:
            self._detailed.append(oldest)

    def publish(self, record: Call | Message, full: bool = False) -> None:
        """A call or message being played out changed. Here that is all: it is the record. A
        playback process sends it to the serving process (playback.PlaybackStore): with
        `full`, also the transcript, requests and callbacks."""

    def list_calls(self) -> list[Call]:
        with self.lock:
            return list(self.calls.values())

    def list_messages(self) -> list[Message]:
        with self.lock:
            return list(self.messages.values())

    def list_recordings(self) -> list[Recording]:
        with self.lock:
            return list(self.recordings.values())

    def reset(self) -> None:
        """Forget traffic, overrides and WhatsApp windows; keep incoming numbers and speed
        (they are setup)."""
        with self.lock:
            self.calls.clear()
            self.messages.clear()
            self.recordings.clear()
            self.overrides.clear()
            self.whatsapp_inbound.clear()
            self.config.update(DEFAULT_CONFIG)
            self._next_pass.clear()
            self._detailed.clear()

    @property
    def speed(self) -> float:
        return float(self.config["speed"])

    # -- work in progress ----------------------------------------------------------------------
    def begin_work(self) -> None:
        with self.lock:
            self._busy += 1

    def end_work(self) -> None:
        with self.lock:
            self._busy -= 1
            if self._busy <= 0:
                self._busy = 0
                self._idle.notify_all()

    @property
    def busy(self) -> int:
        with self.lock:
            return self._busy

    def wait_idle(self, timeout: float) -> bool:
        with self.lock:
            return self._idle.wait_for(lambda: self._busy == 0, timeout=timeout)
