"""Control API under /sim/: steer the simulated phone network from tests, demos and benchmarks.

JSON in and out, no authentication: it is a test tool that must only listen on trusted interfaces.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, current_app, jsonify, request

from simulator import calls, messages, phone, whatsapp
from simulator.resources import call_json, message_json
from simulator.runtime import Runtime
from simulator.state import Call, new_sid, now

bp = Blueprint("control", __name__, url_prefix="/sim")


def rt() -> Runtime:
    return current_app.extensions["simulator"]


@bp.after_request
def share(response):
    # Behaviours, config (speed, faults) and incoming numbers may have changed: playback
    # processes keep a copy of them. Rare requests, so no need to tell which ones change it.
    if request.method != "GET":
        rt().pool.share(rt().store)
    return response


def bad(message: str, status: int = 400):
    return jsonify({"error": message}), status


def body() -> dict[str, Any] | None:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else None


@bp.get("/health")
def health():
    return jsonify({"ok": True})


# -- numbers -------------------------------------------------------------------------------------
def number_view(number: str) -> dict[str, Any]:
    return dict(phone.effective(rt().store, number).as_dict(), number=number)


@bp.get("/numbers/<number>")
def get_number(number: str):
    return jsonify(number_view(number))


@bp.put("/numbers/<number>")
def put_number(number: str):
    if not phone.is_e164(number):
        return bad("number must be in E.164 format, e.g. +31612345678")
    data = body()
    if data is None:
        return bad("body must be a JSON object")
    try:
        behaviour = phone.parse_override(data)
    except ValueError as exc:
        return bad(str(exc))
    with rt().store.lock:
        rt().store.overrides[number] = behaviour
    return jsonify(number_view(number))


@bp.delete("/numbers/<number>")
def delete_number(number: str):
    with rt().store.lock:
        rt().store.overrides.pop(number, None)
    return jsonify(number_view(number))


# -- configuration -------------------------------------------------------------------------------
@bp.get("/config")
def get_config():
    return jsonify(rt().store.config)


@bp.put("/config")
def put_config():
    data = body()
    if data is None:
        return bad("body must be a JSON object")
    changes: dict[str, Any] = {}
    for flag in ("duplicate_callbacks", "reorder_callbacks"):
        if flag in data:
            if not isinstance(data[flag], bool):
                return bad(f"{flag} must be true or false")
            changes[flag] = data[flag]
    if "speed" in data:
        speed = data["speed"]
        if isinstance(speed, bool) or not isinstance(speed, int | float) or speed < 0:
            return bad("speed must be a number >= 0")
        changes["speed"] = float(speed)
    unknown = set(data) - {"duplicate_callbacks", "reorder_callbacks", "speed"}
    if unknown:
        return bad(f"unknown field(s): {', '.join(sorted(unknown))}")
    with rt().store.lock:
        rt().store.config.update(changes)
        return jsonify(rt().store.config)


@bp.get("/incoming")
def list_incoming():
    with rt().store.lock:
        return jsonify(rt().store.incoming)


@bp.put("/incoming/<number>")
def put_incoming(number: str):
    if not phone.is_e164(number):
        return bad("number must be in E.164 format")
    data = body()
    if data is None:
        return bad("body must be a JSON object")
    allowed = ("voice_url", "sms_url", "status_callback")
    for key in data:
        if key not in allowed:
            return bad(f"unknown field {key}; use {', '.join(allowed)}")
        if not isinstance(data[key], str) or not data[key].startswith(("http://", "https://")):
            return bad(f"{key} must be an http(s) URL")
    with rt().store.lock:
        rt().store.incoming[number] = dict(data)
    return jsonify({"number": number, **data})


@bp.delete("/incoming/<number>")
def delete_incoming(number: str):
    with rt().store.lock:
        rt().store.incoming.pop(number, None)
    return jsonify({"number": number})


@bp.post("/reset")
def reset():
    rt().store.reset()
    return jsonify({"ok": True})


# -- inbound traffic -----------------------------------------------------------------------------
def _incoming(number: str, key: str) -> str | None:
    with rt().store.lock:
        return (rt().store.incoming.get(number) or {}).get(key)


@bp.post("/inbound/call")
def inbound_call():
    data = body()
    if data is None:
        return bad("body must be a JSON object")
    sender, to = data.get("from"), data.get("to")
    if not phone.is_e164(sender):
        return bad("from must be an E.164 number")
    voice_url = _incoming(to, "voice_url") if isinstance(to, str) else None
    if not voice_url:
        return bad("to must be an incoming number with a voice_url (PUT /sim/incoming/<number>)")
    try:
        behaviour = phone.parse_override(
            {k: data[k] for k in ("digits", "recording_seconds", "hangup_after") if k in data}
        )
    except ValueError as exc:
        return bad(str(exc))
    status_callback = _incoming(to, "status_callback")
    call = Call(
        sid=new_sid("CA"),
        account_sid=rt().settings.account_sid,
        to=to,
        from_=sender,
        direction="inbound",
        url=voice_url,
        status_callback=status_callback,
        status_callback_events=["ringing", "answered", "completed"] if status_callback else [],
        behaviour=behaviour,
    )
    rt().store.add_call(call)
    calls.start_inbound(rt(), call)
    return jsonify({"sid": call.sid}), 201


@bp.post("/inbound/message")
def inbound_message():
    data = body()
    if data is None:
        return bad("body must be a JSON object")
    sender, to, text = data.get("from"), data.get("to"), data.get("body")
    if not isinstance(sender, str) or not phone.is_e164(whatsapp.bare(sender)):
        return bad("from must be an E.164 number or whatsapp:+E164")
    if not isinstance(text, str):
        return bad("body must be a string")
    if not isinstance(to, str) or whatsapp.is_whatsapp(to) != whatsapp.is_whatsapp(sender):
        return bad("from and to must both be whatsapp: addresses, or both phone numbers")
    profile_name = data.get("profile_name")
    if profile_name is not None and not isinstance(profile_name, str):
        return bad("profile_name must be a string")
    # The gateway's number is configured once, bare; Twilio sends its WhatsApp traffic there too.
    sms_url = _incoming(whatsapp.bare(to), "sms_url")
    if not sms_url:
        return bad("to must be an incoming number with an sms_url (PUT /sim/incoming/<number>)")
    store = rt().store
    store.begin_work()
    try:
        result = messages.receive(rt(), sender, to, text, sms_url, profile_name)
    finally:
        store.end_work()
    return jsonify(result)


@bp.get("/whatsapp/<address>")
def get_whatsapp(address: str):
    return jsonify(whatsapp.session_view(rt().store, address))


@bp.put("/whatsapp/<address>")
def put_whatsapp(address: str):
    """Open the 24-hour window as if the number had written `hours_ago` hours ago (default 0);
    25 makes a window that has just closed."""
    if not phone.is_e164(whatsapp.bare(address)):
        return bad("number must be E.164 (optionally with whatsapp: in front)")
    data = body()
    if data is None:
        return bad("body must be a JSON object")
    hours = data.get("hours_ago", 0)
    if isinstance(hours, bool) or not isinstance(hours, int | float) or hours < 0:
        return bad("hours_ago must be a number >= 0")
    unknown = set(data) - {"hours_ago"}
    if unknown:
        return bad(f"unknown field(s): {', '.join(sorted(unknown))}")
    whatsapp.record_inbound(rt().store, address, now() - timedelta(hours=hours))
    return jsonify(whatsapp.session_view(rt().store, address))


@bp.delete("/whatsapp/<address>")
def delete_whatsapp(address: str):
    whatsapp.clear(rt().store, address)
    return jsonify(whatsapp.session_view(rt().store, address))


# -- inspection ----------------------------------------------------------------------------------
def call_view(call: Call, detail: bool = False) -> dict[str, Any]:
    view = call_json(call)
    view.update(digits=call.digits, fetches=call.fetches)
    if detail:
        view.update(
            transcript=call.transcript,
            callbacks=call.callbacks,
            requests=call.requests,
            behaviour=call.behaviour.as_dict() if call.behaviour else None,
        )
    return view


@bp.get("/calls")
def list_calls():
    items = rt().store.list_calls()
    if request.args.get("to"):
        items = [c for c in items if c.to == request.args["to"]]
    if request.args.get("direction"):
        items = [c for c in items if c.direction == request.args["direction"]]
    return jsonify({"calls": [call_view(c) for c in items]})


@bp.get("/calls/<sid>")
def get_call(sid: str):
    call = rt().store.calls.get(sid)
    if call is None:
        return bad(f"no call {sid}", 404)
    return jsonify(call_view(call, detail=True))


@bp.get("/messages")
def list_messages():
    items = rt().store.list_messages()
    if request.args.get("to"):
        items = [m for m in items if m.to == request.args["to"]]
    channel = request.args.get("channel")
    if channel not in (None, "sms", "whatsapp"):
        return bad("channel must be sms or whatsapp")
    if channel:
        items = [m for m in items if whatsapp.is_whatsapp(m.to) == (channel == "whatsapp")]
    return jsonify({"messages": [dict(message_json(m), callbacks=m.callbacks) for m in items]})


@bp.get("/phones/<number>")
def phone_view(number: str):
    """What one phone got, as its owner would see it: WhatsApp messages, SMS and calls, each
    newest first (a number with or without `whatsapp:`)."""
    number = whatsapp.bare(number)
    if not phone.is_e164(number):
        return bad("number must be E.164, like +31612345678")
    store = rt().store
    got = [m for m in reversed(store.list_messages()) if whatsapp.bare(m.to) == number]
    return jsonify({
        "number": number,
        "whatsapp": [message_json(m) for m in got if whatsapp.is_whatsapp(m.to)],
        "sms": [message_json(m) for m in got if not whatsapp.is_whatsapp(m.to)],
        "calls": [call_view(c) for c in reversed(store.list_calls()) if c.to == number],
    })


@bp.get("/wait")
def wait():
    try:
        timeout = float(request.args.get("timeout", 30))
    except ValueError:
        return bad("timeout must be a number of seconds")
    idle = rt().store.wait_idle(max(0.0, min(timeout, 600.0)))
    return jsonify({"idle": idle, "busy": rt().store.busy})
