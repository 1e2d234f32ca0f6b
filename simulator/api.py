"""Twilio's REST API (2010-04-01) for Calls, Messages and Recordings.

Form-encoded requests, JSON answers and errors exactly in Twilio's shapes, because the gateway talks
to us through the real twilio client.
"""

from __future__ import annotations

import functools
import hmac
import logging
import time

from flask import Blueprint, Response, current_app, g, jsonify, request
from werkzeug.datastructures import Authorization, MultiDict

from simulator import amd, calls, media, messages, phone, whatsapp
from simulator.logs import log, mask
from simulator.resources import (
    account_path,
    call_json,
    call_recording_json,
    error,
    message_json,
    page,
    recording_json,
)
from simulator.runtime import Runtime
from simulator.settings import Settings
from simulator.state import Call, Message, new_sid, now

bp = Blueprint("twilio_api", __name__, url_prefix="/2010-04-01/Accounts/<account_sid>")

# Request parameters we act on. Each is a documented Twilio parameter (a test checks them against
# the OpenAPI description); anything else Twilio accepts is accepted and ignored.
CALL_CREATE_PARAMS = {
    "To", "From", "Url", "Method", "Twiml", "ApplicationSid", "FallbackUrl", "FallbackMethod",
    "StatusCallback", "StatusCallbackEvent", "StatusCallbackMethod", "MachineDetection", "Timeout",
    "AsyncAmd", "AsyncAmdStatusCallback", "AsyncAmdStatusCallbackMethod", "MachineDetectionTimeout",
}  # fmt: skip
CALL_UPDATE_PARAMS = {"Status", "Url", "Method", "Twiml", "StatusCallback", "StatusCallbackMethod"}
MESSAGE_CREATE_PARAMS = {
    "To", "From", "MessagingServiceSid", "Body", "StatusCallback", "ContentSid", "ContentVariables",
}  # fmt: skip
MESSAGE_UPDATE_PARAMS = {"Body", "Status"}
CALL_LIST_FILTERS = ("To", "From", "Status", "ParentCallSid")
MESSAGE_LIST_FILTERS = ("To", "From")
RECORDING_LIST_FILTERS = ("CallSid",)
CALL_EVENTS = ("initiated", "ringing", "answered", "completed")
MAX_BODY = 1600


def rt() -> Runtime:
    return current_app.extensions["simulator"]


def not_found() -> Response:
    return error(404, 20404, f"The requested resource {request.path} was not found")


@bp.url_value_preprocessor
def pull_account(endpoint, values):
    g.account_sid = values.pop("account_sid", None)


def valid_credentials(auth: Authorization | None, settings: Settings) -> bool:
    """HTTP Basic with the account SID and the auth token (also server.py's quick path)."""
    return (
        auth is not None
        and auth.type == "basic"
        and hmac.compare_digest(auth.username or "", settings.account_sid)
        and hmac.compare_digest(auth.password or "", settings.auth_token)
    )


@bp.before_request
def authenticate():
    if request.endpoint == "twilio_api.recording" and not request.path.endswith(".json"):
        return None  # media is public by default on Twilio
    settings = rt().settings
    if not valid_credentials(request.authorization, settings):
        return error(401, 20003, "Authenticate", {"WWW-Authenticate": 'Basic realm="Twilio API"'})
    if g.account_sid != settings.account_sid:
        return not_found()
    return None


def _page_args() -> tuple[int, int] | Response:
    try:
        size = int(request.args.get("PageSize", 50))
        number = int(request.args.get("Page", 0))
    except ValueError:
        return error(400, 20001, "Invalid paging parameters")
    if not 1 <= size <= 1000 or number < 0:
        return error(400, 20001, "PageSize must be between 1 and 1000 and Page must be >= 0")
    return size, number


def _list(key: str, items: list[dict], path: str, filters: tuple[str, ...]) -> Response:
    paging = _page_args()
    if isinstance(paging, Response):
        return paging
    size, number = paging
    used = {name: request.args[name] for name in filters if request.args.get(name)}
    return jsonify(page(key, items, path, used, number, size))


def _behaviour_error(rt: Runtime, behaviour: phone.Behaviour, to: str, sms: bool) -> Response | None:
    """What the destination's behaviour does to a create request, before anything is stored."""
    if behaviour.behaviour == "rate-limit":
        log("rate_limited", to=mask(to))
        return error(429, 20429, "Too Many Requests")
    if behaviour.behaviour == "invalid":
        return error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
    if sms and behaviour.behaviour == "unsubscribed":
        return error(400, 21610, "Attempt to send to unsubscribed recipient")
    if behaviour.behaviour == "slow":
        # Not scaled by speed: the point is to make the client's timeout fire.
        time.sleep(rt.settings.slow_seconds)
    return None


def created(result: dict | Response) -> Response | tuple[Response, int]:
    return result if isinstance(result, Response) else (jsonify(result), 201)


def counted(view):
    """Count a create request as work in progress, so /sim/wait cannot report idle while a
    "slow" number holds the request and the call or message does not exist yet."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        store = rt().store
        store.begin_work()
        try:
            return view(*args, **kwargs)
        finally:
            store.end_work()

    return wrapper


# -- Calls ---------------------------------------------------------------------------------------
@bp.post("/Calls.json")
@counted
def create_call():
    return created(new_call(rt(), g.account_sid, request.form))


def new_call(rt: Runtime, account_sid: str, form: MultiDict) -> dict | Response:
    """A call create: its JSON, or Twilio's error. Also called without Flask's request
    (server.py's quick path), so it takes what it needs as arguments."""
    to, from_ = form.get("To", "").strip(), form.get("From", "").strip()
    if not phone.is_e164(to):
        return error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
    if not from_:
        return error(400, 21213, "No 'From' number is specified")
    url, twiml = form.get("Url"), form.get("Twiml")
    if not url and not twiml and not form.get("ApplicationSid"):
        return error(400, 21205, "Url parameter is required.")
    method = form.get("Method", "POST").upper()
    if method not in ("GET", "POST"):
        return error(400, 21207, f"Method {method} is not valid. Use GET or POST.")
    try:
        timeout = int(form.get("Timeout", 60))
    except ValueError:
        return error(400, 21210, "Timeout must be an integer")
    # Twilio takes the events as repeated fields; some clients join them with spaces.
    events = [e for value in form.getlist("StatusCallbackEvent") for e in value.split()]
    events = [e for e in events if e in CALL_EVENTS] or ["completed"]
    detection = amd.options(form)
    if isinstance(detection, Response):
        return detection
    behaviour = phone.take_for_create(rt.store, to)
    refused = _behaviour_error(rt, behaviour, to, sms=False)
    if refused is not None:
        return refused
    call = Call(
        sid=new_sid("CA"),
        account_sid=account_sid,
        to=to,
        from_=from_,
        direction="outbound-api",
        url=url,
        method=method,
        twiml=twiml,
        fallback_url=form.get("FallbackUrl"),
        fallback_method=form.get("FallbackMethod", "POST").upper(),
        status_callback=form.get("StatusCallback"),
        status_callback_events=events,
        status_callback_method=form.get("StatusCallbackMethod", "POST").upper(),
        timeout=max(1, min(timeout, 600)),
        behaviour=behaviour,
        **detection,
    )
    rt.store.add_call(call)
    body = call_json(call)  # rendered before the engine can move it past "queued"
    calls.start_outbound(rt, call)
    log("call_created", logging.DEBUG, call_sid=call.sid, to=mask(to), behaviour=behaviour.behaviour)
    return body


@bp.get("/Calls.json")
def list_calls():
    items = [c for c in reversed(rt().store.list_calls()) if c.account_sid == g.account_sid]
    args = request.args
    fields = {"To": "to", "From": "from_", "Status": "status", "ParentCallSid": "parent_call_sid"}
    for name, attr in fields.items():
        if args.get(name):
            items = [c for c in items if getattr(c, attr) == args[name]]
    path = f"{account_path(g.account_sid)}/Calls.json"
    return _list("calls", [call_json(c) for c in items], path, CALL_LIST_FILTERS)


def _call(sid: str) -> Call | None:
    call = rt().store.calls.get(sid)
    return call if call and call.account_sid == g.account_sid else None


@bp.get("/Calls/<sid>.json")
def fetch_call(sid: str):
    call = _call(sid)
    return jsonify(call_json(call)) if call else not_found()


@bp.post("/Calls/<sid>.json")
def update_call(sid: str):
    call = _call(sid)
    if call is None:
        return not_found()
    form = request.form
    status = form.get("Status")
    store = rt().store
    if status and status not in ("canceled", "completed"):
        return error(400, 21218, f"Invalid Status {status}: use canceled or completed")
    with store.lock:
        if form.get("StatusCallback"):
            call.status_callback = form["StatusCallback"]
            call.status_callback_method = form.get("StatusCallbackMethod", "POST").upper()
        if status and not call.final:
            if call.status in ("queued", "ringing"):
                # Both values cancel a call nobody has answered yet.
                call.cancel_requested = True
                call.status, call.end_time, call.duration = "canceled", now(), 0
            elif status == "completed":
                call.hangup_requested = True
                call.status, call.end_time = "completed", now()
            call.date_updated = now()
        elif form.get("Url") or form.get("Twiml"):
            if call.status != "in-progress":
                return error(400, 21220, "Call is not in-progress. Cannot redirect.")
            call.redirect_to = (
                form.get("Url"),
                form.get("Method", "POST").upper(),
                form.get("Twiml"),
            )
            call.date_updated = now()
        body = call_json(call)
    rt().pool.control(call)  # the call may be playing out in another process
    log("call_updated", call_sid=sid, status=call.status)
    return jsonify(body)


@bp.delete("/Calls/<sid>.json")
def delete_call(sid: str):
    call = _call(sid)
    if call is None:
        return not_found()
    if not call.final:
        return error(400, 20009, "Cannot delete a call that is still in progress")
    with rt().store.lock:
        rt().store.calls.pop(sid, None)
    return "", 204


# -- Messages ------------------------------------------------------------------------------------
@bp.post("/Messages.json")
@counted
def create_message():
    return created(new_message(rt(), g.account_sid, request.form))


def new_message(rt: Runtime, account_sid: str, form: MultiDict) -> dict | Response:
    """A message create: its JSON, or Twilio's error (see new_call)."""
    to = form.get("To", "").strip()
    from_ = form.get("From", "").strip() or None
    service = form.get("MessagingServiceSid", "").strip() or None
    number = whatsapp.bare(to)  # the phone behind a whatsapp: address
    if not phone.is_e164(number):
        return error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
    if not from_ and not service:
        return error(400, 21603, "A 'From' phone number is required.")
    refused = whatsapp.check_addresses(to, from_)
    if refused is not None:
        return refused
    content = whatsapp.render_content(form.get("ContentSid"), form.get("ContentVariables"))
    if isinstance(content, Response):
        return content
    body = content or form.get("Body")
    if not body:
        return error(400, 21602, "Message body is required.")
    if content is None and len(body) > MAX_BODY:
        return error(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
    behaviour = phone.take_for_create(rt.store, number)
    refused = _behaviour_error(rt, behaviour, to, sms=True)
    if refused is not None:
        return refused
    # Only a template may open a WhatsApp conversation; the check is made now, the failure
    # comes later (asynchronously), as on Twilio.
    free_form = whatsapp.is_whatsapp(to) and content is None
    message = Message(
        sid=new_sid("SM"),
        account_sid=account_sid,
        to=to,
        from_=from_,
        body=body,
        direction="outbound-api",
        # Twilio answers "accepted" when a Messaging Service still has to pick the sender.
        status="queued" if from_ else "accepted",
        messaging_service_sid=service,
        status_callback=form.get("StatusCallback"),
        num_segments=messages.num_segments(body, to),
        outside_window=free_form and not whatsapp.window_open(rt.store, to),
        behaviour=behaviour,
    )
    rt.store.add_message(message)
    rendered = message_json(message)
    messages.start_delivery(rt, message)
    log("message_created", logging.DEBUG, message_sid=message.sid, to=mask(to), segments=message.num_segments)
    return rendered


@bp.get("/Messages.json")
def list_messages():
    items = [m for m in reversed(rt().store.list_messages()) if m.account_sid == g.account_sid]
    if request.args.get("To"):
        items = [m for m in items if m.to == request.args["To"]]
    if request.args.get("From"):
        items = [m for m in items if m.from_ == request.args["From"]]
    path = f"{account_path(g.account_sid)}/Messages.json"
    return _list("messages", [message_json(m) for m in items], path, MESSAGE_LIST_FILTERS)


def _message(sid: str) -> Message | None:
    message = rt().store.messages.get(sid)
    return message if message and message.account_sid == g.account_sid else None


@bp.get("/Messages/<sid>.json")
def fetch_message(sid: str):
    message = _message(sid)
    return jsonify(message_json(message)) if message else not_found()


@bp.post("/Messages/<sid>.json")
def update_message(sid: str):
    message = _message(sid)
    if message is None:
        return not_found()
    form = request.form
    if form.get("Status") == "canceled":
        # Only scheduled messages can be canceled, and the simulator does not schedule.
        return error(400, 30409, "Message cannot be canceled: it is not scheduled")
    if "Body" in form:
        if form["Body"] != "":
            return error(400, 20001, "Body can only be set to an empty string (redaction)")
        with rt().store.lock:
            message.body, message.date_updated = "", now()
    return jsonify(message_json(message))


@bp.delete("/Messages/<sid>.json")
def delete_message(sid: str):
    if _message(sid) is None:
        return not_found()
    with rt().store.lock:
        rt().store.messages.pop(sid, None)
    return "", 204


# -- Recordings ----------------------------------------------------------------------------------
@bp.get("/Recordings.json")
def list_recordings():
    items = [r for r in reversed(rt().store.list_recordings()) if r.account_sid == g.account_sid]
    if request.args.get("CallSid"):
        items = [r for r in items if r.call_sid == request.args["CallSid"]]
    path = f"{account_path(g.account_sid)}/Recordings.json"
    public = rt().public_url
    rendered = [recording_json(r, public) for r in items]
    return _list("recordings", rendered, path, RECORDING_LIST_FILTERS)


@bp.get("/Calls/<call_sid>/Recordings.json")
def list_call_recordings(call_sid: str):
    if _call(call_sid) is None:
        return not_found()
    items = [r for r in reversed(rt().store.list_recordings()) if r.call_sid == call_sid]
    path = f"{account_path(g.account_sid)}/Calls/{call_sid}/Recordings.json"
    return _list("recordings", [call_recording_json(r) for r in items], path, ())


@bp.route("/Recordings/<name>", methods=["GET", "DELETE"])
def recording(name: str):
    """RE….json is the resource; RE…, RE….wav the audio (no auth). RE….mp3 is not offered."""
    sid, _, extension = name.partition(".")
    found = rt().store.recordings.get(sid)
    if found is None or found.account_sid != g.account_sid:
        return not_found()
    if extension == "json":
        if request.method == "DELETE":
            with rt().store.lock:
                rt().store.recordings.pop(sid, None)
            return "", 204
        return jsonify(recording_json(found, rt().public_url))
    if request.method == "DELETE":
        return error(405, 20004, "Method not allowed")
    if extension in ("", "wav"):
        return Response(media.wav(found.duration), mimetype="audio/x-wav")
    return not_found()
