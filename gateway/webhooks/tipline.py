"""The tip line (0800-0011): an inbound call is linked to the caller's action by caller ID,
then put through to the control room or recorded."""

from __future__ import annotations

import logging

from flask import request

from callflows import tipline as flow
from gateway import tips
from gateway.models import tip as tip_kinds
from gateway.runtime import of_app
from gateway.security import trusted_media
from gateway.webhooks import bp
from gateway.webhooks.voice import twiml

log = logging.getLogger("gateway.webhooks")


def _action_param() -> int | None:
    value = request.args.get("action", "")
    return int(value) if value.isdigit() else None


def _urls(action_id: int | None, language: str) -> flow.Urls:
    urls, params = of_app().urls, {"action": action_id or "none", "lang": language}
    return flow.Urls(
        menu=urls.build("twilio.tipline_menu", **params),
        dialed=urls.build("twilio.tipline_dialed", **params),
        recorded=urls.build("twilio.tipline_recorded", **params),
    )


def _caller() -> str | None:
    """The participant's number: the caller on the tip line, the callee on an alert call that
    was put through (key 2)."""
    outbound = request.form.get("Direction", "").startswith("outbound")
    return request.form.get("To" if outbound else "From")


def connect_for(action_id: int, language: str):
    """Put an alerted participant through to the control room from the alert call itself."""
    config = of_app().config
    return twiml(flow.connect(_urls(action_id, language), config.control_room_number, None,
                              language, config.tts_voice))


def _media(url: str | None) -> str | None:
    """Keep a recording link only if it points at the provider's media."""
    return url if trusted_media(url) else None


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
            tips.save(db, action_id=_action_param(), kind=tip_kinds.CALL, channel="voice",
                      phone=_caller(), provider_sid=request.form["CallSid"],
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
            tips.save(db, action_id=_action_param(), kind=tip_kinds.RECORDING, channel="voice",
                      phone=_caller(), provider_sid=form["RecordingSid"],
                      recording_url=_media(form.get("RecordingUrl")),
                      duration_s=_seconds(form.get("RecordingDuration", "")))
    return twiml(flow.recorded(language, runtime.config.tts_voice))
