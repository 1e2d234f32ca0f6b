"""What a playback process and the serving process tell each other about a call or message
(see playback.py): the playback process sends what playing it out changed, the serving process
sends what the REST API changed on a live call (hang up, cancel, redirect)."""

from __future__ import annotations

from typing import Any

from simulator.state import Call, Message, Store

# Fields playing a call or message out changes; the serving process copies them into its record.
# A light snapshot (before each webhook: what a gateway acting on it may fetch or act on, e.g.
# redirect an answered call) has the first ones; a full one (at the end, and before a wait in
# real time: what the control API shows meanwhile) also the lists, which cost more to send.
CALL_FIELDS = (
    "status", "error_code", "answered_by", "date_updated", "start_time", "end_time", "duration",
    "sequence",
)  # fmt: skip
CALL_DETAILS = ("talk_seconds", "fetches", "digits", "transcript", "callbacks", "requests")
MESSAGE_FIELDS = ("status", "error_code", "error_message", "date_updated", "date_sent")
MESSAGE_DETAILS = ("callbacks",)
# Fields a live-call update (POST Calls/{Sid}.json) changes; the playback process copies them.
CONTROL_FIELDS = (
    "status", "end_time", "duration", "date_updated", "cancel_requested", "hangup_requested",
    "redirect_to", "status_callback", "status_callback_method",
)  # fmt: skip


def snapshot(record: Call | Message, full: bool = False) -> tuple[str, str, dict[str, Any]]:
    """("call" | "message", sid, fields). Lists are copied: the call goes on playing while the
    snapshot waits to be pickled."""
    call = isinstance(record, Call)
    names = CALL_FIELDS if call else MESSAGE_FIELDS
    if full:
        names += CALL_DETAILS if call else MESSAGE_DETAILS
    fields = {}
    for name in names:
        value = getattr(record, name)
        fields[name] = list(value) if isinstance(value, list) else value
    return ("call" if call else "message", record.sid, fields)


def control(call: Call) -> dict[str, Any]:
    return {name: getattr(call, name) for name in CONTROL_FIELDS}


def apply(store: Store, kind: str, sid: str, fields: dict[str, Any]) -> None:
    """Take a snapshot into the serving process's record, if it still has one (a reset, a
    DELETE or the record cap may have forgotten it)."""
    with store.lock:
        record = (store.calls if kind == "call" else store.messages).get(sid)
        if record is None:
            return
        if kind == "call" and record.final:
            # The REST API ended the call (cancel, hang up) before the playback process heard
            # of it: as in calls.finish, the API's status stands.
            fields = {k: v for k, v in fields.items() if k not in ("status", "end_time")}
            if record.duration is not None:
                fields.pop("duration", None)
        for name, value in fields.items():
            setattr(record, name, value)
