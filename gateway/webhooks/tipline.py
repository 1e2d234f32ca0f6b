"""The tip line (0800-0011): an inbound call is linked to the caller's action by caller ID,
then put through to the control room or recorded."""

from __future__ import annotations

import logging

from flask import request, url_for

from callflows import tipline as flow
from gateway import tips
from gateway.models import tip as tip_kinds
from gateway.runtime import of_app
from gateway.webhooks import bp
from gateway.webhooks.voice import twiml

log = logging.getLogger("gateway.webhooks")


def _action_param() -> int | None:
    value = request.args.get("action", "")
    return int(value) if value.isdigit() else None


def _urls(action_id: int | None, language: str) -> flow.Urls:
    base = of_app().config.public_base_url.rstrip("/")
    params = {"action": action_id or "none", "lang": language}
    return flow.Urls(
        menu=base + url_for("twilio.tipline_menu", **params),
        dialed=base + url_for("twilio.tipline_dialed", **params),
        recorded=base + url_for("twilio.tipline_recorded", **params),
    )


def _seconds(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def _language() -> str:
    return request.args.get("lang") if request.args.get("lang") in ("nl", "en") else "nl"


@bp.post("/voice/tipline")
def tipline_incoming():
    runtime = of_app()
    caller = request.form.get("From")
    with runtime.sessions() as db:
        action_id = tips.action_for_caller(db, caller)
        language = tips.language_of(db, caller)
    log.info("tipline.call call=%s action=%s", request.form.get("CallSid"), action_id)
    return twiml(flow.welcome(_urls(action_id, language), language, runtime.config.tts_voice))


@bp.post("/voice/tipline/menu")
def tipline_menu():
    config = of_app().config
    language = _language()
    return twiml(flow.menu(request.form.get("Digits", ""), _urls(_action_param(), language),
                           config.control_room_number, request.form.get("From", ""), language,
                           config.tts_voice))


@bp.post("/voice/tipline/dialed")
def tipline_dialed():
    runtime = of_app()
    status, language = request.form.get("DialCallStatus", ""), _language()
    if status == "completed":
        with runtime.transaction() as db:
            tips.save(db, action_id=_action_param(), kind=tip_kinds.CALL,
                      phone=request.form.get("From"), provider_sid=request.form["CallSid"],
                      body="Put through to the control room",
                      duration_s=_seconds(request.form.get("DialCallDuration", "")))
    return twiml(flow.dialed(status, _urls(_action_param(), language), language,
                             runtime.config.tts_voice))


@bp.post("/voice/tipline/recorded")
def tipline_recorded():
    runtime = of_app()
    form, language = request.form, _language()
    if form.get("RecordingSid"):
        with runtime.transaction() as db:
            tips.save(db, action_id=_action_param(), kind=tip_kinds.RECORDING,
                      phone=form.get("From"), provider_sid=form["RecordingSid"],
                      recording_url=form.get("RecordingUrl"),
                      duration_s=_seconds(form.get("RecordingDuration", "")))
    return twiml(flow.recorded(language, runtime.config.tts_voice))
