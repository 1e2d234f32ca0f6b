"""The tip line (0800-0011): an inbound call hears which action it is about (or chooses one),
then is put through to that action's operator line or leaves a recording.

Every step's URL carries what the next step needs (action, attempt, language): Twilio signs it,
so it cannot be tampered with, and the steps stay quick reads of the database."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from flask import current_app, request
from sqlalchemy import select

from callflows import tipline as flow
from gateway import recordings, tips
from gateway.models import Action
from gateway.models import tip as tip_kinds
from gateway.phones import E164
from gateway.runtime import of_app
from gateway.security import trusted_media
from gateway.webhooks import bp
from gateway.webhooks.voice import twiml

log = logging.getLogger("gateway.webhooks")
CACHED_ACTIONS = 1000


@dataclass(frozen=True)
class Links:
    language: str

    def _build(self, endpoint: str, **params) -> str:
        return of_app().urls.build(endpoint, lang=self.language, **params)

    def menu(self, subject: flow.Subject | None, attempt: int) -> str:
        return self._build("twilio.tipline_menu", action=subject.id if subject else "none",
                           alerted=subject and subject.alerted_at or "no", attempt=attempt)

    def choose(self, subjects: Sequence[flow.Subject], attempt: int) -> str:
        return self._build("twilio.tipline_choose", actions=",".join(str(s.id) for s in subjects),
                           alerted=",".join(s.alerted_at or "no" for s in subjects),
                           attempt=attempt)

    def dialed(self, action: int | None) -> str:
        return self._build("twilio.tipline_dialed", action=action or "none")

    def recorded(self, action: int | None) -> str:
        return self._build("twilio.tipline_recorded", action=action or "none")

    def recording_status(self, action: int | None) -> str:
        return self._build("twilio.tipline_recording", action=action or "none")

    def whisper(self, action: int | None, alerted_at: str | None) -> str:
        return self._build("twilio.tipline_whisper", action=action or "none",
                           alerted=alerted_at or "no")


def _action_param() -> int | None:
    value = request.args.get("action", "")
    return int(value) if value.isdigit() and len(value) < 10 else None


def _attempt() -> int:
    value = request.args.get("attempt", "")
    return int(value) if value.isdigit() and len(value) < 3 else flow.ATTEMPTS


def _language() -> str:
    return request.args.get("lang") if request.args.get("lang") in ("nl", "en") else "nl"


def _speaker(language: str) -> flow.Speaker:
    return flow.Speaker(language, of_app().config.tts_voice)


def _caller() -> str | None:
    """The participant's number: the caller on the tip line, the callee on an alert call that
    was put through (key 2). A withheld number ('anonymous', '+266696687') is None."""
    outbound = request.form.get("Direction", "").startswith("outbound")
    number = request.form.get("To" if outbound else "From", "")
    return number if E164.fullmatch(number) and number != "+266696687" else None


def _seconds(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 7 else None


def _clock(value: str) -> str | None:
    """An 'HH:MM' alert time carried in a step's URL; anything else is no time."""
    ok = len(value) == 5 and value[2] == ":" and value.replace(":", "", 1).isdigit()
    return value if ok else None


def _cards(ids: list[int]) -> dict[int, tuple[str, str | None]]:
    """Description and operator line of actions. Neither changes after drafting, so each web
    process reads them once: the menu steps of a flood of callers then cost no database."""
    cache = current_app.extensions.setdefault("tipline.actions", {})
    missing = [i for i in ids if i not in cache]
    if missing:
        if len(cache) > CACHED_ACTIONS:
            cache.clear()
        with of_app().sessions() as db:
            rows = db.execute(select(Action.id, Action.description, Action.operator_line)
                              .where(Action.id.in_(missing)))
            cache.update({i: (description, line) for i, description, line in rows})
    return {i: cache[i] for i in ids if i in cache}


def _subjects(ids: list[int], alerted: list[str]) -> list[flow.Subject]:
    control_room, cards = of_app().config.control_room_number, _cards(ids)
    times = (alerted + [""] * len(ids))[:len(ids)]  # a time missing from the URL: not alerted
    return [flow.Subject(id=i, description=cards[i][0], line=cards[i][1] or control_room,
                         alerted_at=_clock(when))
            for i, when in zip(ids, times, strict=True) if i in cards]


def connect_for(action_id: int, language: str):
    """Put an alerted participant through to the action's operator from the alert call itself."""
    runtime = of_app()
    config = runtime.config
    with runtime.sessions() as db:
        subject = tips.subject_of(db, action_id, _caller(), config.control_room_number)
    return twiml(flow.connect(subject, _caller(), config.control_room_number,
                              config.tipline_dial_seconds, Links(language), _speaker(language)))


@bp.post("/voice/tipline")
def tipline_incoming():
    runtime = of_app()
    caller, control_room = _caller(), runtime.config.control_room_number
    with runtime.sessions() as db:
        subjects, linked, language = tips.incoming(db, caller, control_room)
    log.info("tipline.call call=%s actions=%s linked=%s", request.form.get("CallSid"),
             ",".join(str(s.id) for s in subjects) or "-", linked.id if linked else "-")
    return twiml(flow.welcome(subjects, linked, Links(language), _speaker(language)))


@bp.post("/voice/tipline/menu")
def tipline_menu():
    config, language, action_id = of_app().config, _language(), _action_param()
    subjects = _subjects([action_id], [request.args.get("alerted", "")]) if action_id else []
    return twiml(flow.menu(request.form.get("Digits", ""), _attempt(),
                           subjects[0] if subjects else None, _caller(),
                           config.control_room_number, config.tipline_dial_seconds,
                           Links(language), _speaker(language)))


@bp.post("/voice/tipline/choose")
def tipline_choose():
    config, language = of_app().config, _language()
    ids = [int(v) for v in request.args.get("actions", "").split(",")
           if v.isdigit() and len(v) < 10][:flow.MAX_CHOICES]
    subjects = _subjects(ids, request.args.get("alerted", "").split(","))
    return twiml(flow.choose(request.form.get("Digits", ""), _attempt(), subjects, _caller(),
                             config.control_room_number, config.tipline_dial_seconds,
                             Links(language), _speaker(language)))


@bp.post("/voice/tipline/whisper")
def tipline_whisper():
    """Played to the operator who answers, before the caller is put through."""
    return twiml(flow.whisper(_action_param(), _clock(request.args.get("alerted", "")),
                              of_app().config.tts_voice))


@bp.post("/voice/tipline/dialed")
def tipline_dialed():
    runtime = of_app()
    status, language, action_id = request.form.get("DialCallStatus", ""), _language(), _action_param()
    if status in ("completed", "answered"):
        with runtime.transaction() as db:
            tips.save(db, action_id=action_id, kind=tip_kinds.CALL, channel="voice",
                      phone=_caller(), provider_sid=request.form["CallSid"][:40],
                      call_sid=request.form["CallSid"][:40], body="Put through to the operator",
                      duration_s=_seconds(request.form.get("DialCallDuration", "")))
    log.info("tipline.dialed call=%s action=%s status=%s", request.form.get("CallSid"),
             action_id or "-", status or "-")
    return twiml(flow.dialed(status, action_id, Links(language), _speaker(language)))


@bp.post("/voice/tipline/recorded")
def tipline_recorded():
    """The <Record> action: the caller finished (or hung up). The recording's own status
    callback may come before or after this; whichever is second links the two."""
    runtime = of_app()
    form, language = request.form, _language()
    if form.get("RecordingSid"):
        with runtime.transaction() as db:
            sid = form["RecordingSid"][:40]
            tips.save(db, action_id=_action_param(), kind=tip_kinds.RECORDING, channel="voice",
                      phone=_caller(), provider_sid=sid, call_sid=form.get("CallSid", "")[:40],
                      recording_url=form.get("RecordingUrl") if trusted_media(
                          form.get("RecordingUrl")) else None,
                      duration_s=_seconds(form.get("RecordingDuration", "")))
            recordings.link(db, sid)
    return twiml(flow.recorded(_speaker(language)))


@bp.post("/voice/tipline/recording")
def tipline_recording():
    """recordingStatusCallback: the recording as the provider stored it."""
    runtime = of_app()
    with runtime.transaction() as db:
        recording_id = recordings.store(db, request.form, _action_param())
    if recording_id and runtime.config.transcriber:
        runtime.jobs.transcribe(recording_id)
    log.info("tipline.recording call=%s recording=%s status=%s", request.form.get("CallSid"),
             request.form.get("RecordingSid"), request.form.get("RecordingStatus"))
    return ("", 204)
