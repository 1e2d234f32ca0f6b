"""The participants' own pages, Dutch by default (English with ?lang=en), made for a phone:
register, enter the texted code, sign in later with a code (no password), manage addresses,
channels and time windows, change the number, unsubscribe, delete everything.

Views translate forms into the same dicts the JSON API takes and call the same services
(gateway/service/participants.py, registrations.py, privacy.py), so a page can never accept
what the API refuses. Every POST carries the session's CSRF token; an error is shown next to
its field, in the visitor's language."""

from __future__ import annotations

import logging
import secrets
import time
from datetime import timedelta

from flask import Blueprint, redirect, render_template, request, session, url_for

from gateway import csrf
from gateway.errors import ApiError
from gateway.models import Address, Participant, Registration, utcnow
from gateway.models import registration as kinds
from gateway.pages_text import LANGUAGES, error, words
from gateway.runtime import of_app
from gateway.service import participants, privacy, registrations
from gateway.windows import DAYS

bp = Blueprint("participant", __name__, url_prefix="/deelnemen")
log = logging.getLogger("gateway.pages")

SESSION_KEY, SINCE_KEY = "participant_id", "participant_since"
# A participant's sign-in lasts this long (a phone is easily left unlocked on a table); then
# another code.
SESSION_SECONDS = 3600


@bp.before_request
def _language_and_csrf():
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        session["lang"] = chosen
    if request.method == "POST":
        csrf.require()


@bp.context_processor
def _helpers():
    language = session.get("lang", "nl")
    return {"csrf_token": csrf.token, "t": words(language), "lang": language, "days": DAYS}


def _language() -> str:
    return session.get("lang", "nl")


def _page(template: str, status: int = 200, **context):
    context.setdefault("errors", {})
    context.setdefault("values", {})
    return render_template(f"participant/{template}", **context), status


def _errors(exc: ApiError, prefix_from: str = "", prefix_to: str = "",
            fields: tuple[str, ...] | None = None) -> dict[str, str]:
    """{form field: message}. `days[2]` errors belong to the day boxes as a whole; an error of
    no field on this form (an unknown registration, a limit for everyone) is the form's."""
    name = (exc.field or "form").replace(prefix_from, prefix_to, 1)
    if ".days[" in name:
        name = name[:name.index(".days[") + 5]
    if fields is not None and name not in fields:
        name = "form"
    return {name: error(exc.message, _language())}


def _number(raw: str | None):
    """A form's number field: an int when it is one, else what was typed (the service names
    it), None when empty."""
    raw = (raw or "").strip()
    if not raw:
        return None
    return int(raw) if raw.isascii() and raw.isdigit() else raw


def _address(form, prefix: str) -> dict:
    """The address fields of a form, as the API would get them."""
    def get(name):
        return (form.get(f"{prefix}.{name}") or "").strip() or None

    days = [d for d in DAYS if form.get(f"{prefix}.windows[0].days.{d}")]
    start, end = get("windows[0].start"), get("windows[0].end")
    windows = [{"days": days, "start": start, "end": end}] if days or start or end else []
    return {"label": get("label") or "home", "channel": get("channel"),
            "postcode": get("postcode"), "house_number": _number(get("house_number")),
            "house_addition": get("house_addition"), "windows": windows}


def _address_values(address: Address) -> dict:
    window = (address.windows or [{}])[0]
    return {"label": address.label, "channel": address.channel, "postcode": address.postcode,
            "house_number": address.house_number, "house_addition": address.house_addition,
            "days": window.get("days", []), "start": window.get("start"),
            "end": window.get("end"), "more_windows": max(0, len(address.windows or []) - 1)}


def _send_code(rt, phone: str, purpose: str, participant_id=None, body=None) -> int:
    registrations.allow_code(rt.limits, rt.config, phone, request.remote_addr)
    with rt.transaction() as db:
        registration = registrations.start(db, phone, purpose, participant_id, body)
    registrations.enqueue_code(rt, registration.id)
    return registration.id


# -- register and verify -------------------------------------------------------------------------
@bp.route("", methods=["GET", "POST"])
def register():
    if request.method == "GET":
        return _page("register.html", values={"language": _language(),
                                              "address": {"label": "home", "channel": "sms"}})
    form = request.form
    body = {"phone": form.get("phone", ""), "language": form.get("language") or _language(),
            "birth_year": _number(form.get("birth_year")),
            "addresses": [_address(form, "address")]}
    rt = of_app()
    try:
        data = participants.read(body, rt.config.countries, rt.geocoder)
        registration_id = _send_code(rt, data.phone, kinds.REGISTER, body=data.as_json())
    except ApiError as exc:
        values = {**body, "address": {**body["addresses"][0], **_window_values(form, "address")}}
        return _page("register.html", exc.status, errors=_errors(exc, "addresses[0]", "address"),
                     values=values)
    session["lang"] = data.language
    return redirect(url_for("participant.verify", registration_id=registration_id))


def _window_values(form, prefix: str) -> dict:
    return {"days": [d for d in DAYS if form.get(f"{prefix}.windows[0].days.{d}")],
            "start": form.get(f"{prefix}.windows[0].start"),
            "end": form.get(f"{prefix}.windows[0].end")}


@bp.route("/bevestigen/<int:registration_id>", methods=["GET", "POST"])
def verify(registration_id: int):
    if request.method == "GET":
        return _page("verify.html", registration_id=registration_id)
    rt = of_app()
    try:
        registrations.check(rt, registration_id, request.form.get("code", "").strip())
        with rt.transaction() as db:
            participant = registrations.complete(db, registration_id)
            participant_id, language = participant.id, participant.language
    except ApiError as exc:
        return _page("verify.html", exc.status, registration_id=registration_id,
                     errors=_errors(exc, fields=("code",)))
    # Signed in: a new CSRF token, so one seen before signing in is worth nothing after.
    session.pop("csrf", None)
    session[SESSION_KEY], session[SINCE_KEY] = participant_id, time.time()
    session["lang"] = language
    return redirect(url_for("participant.manage"))


@bp.post("/bevestigen/<int:registration_id>/opnieuw")
def resend(registration_id: int):
    rt = of_app()
    with rt.sessions() as db:
        registration = db.get(Registration, registration_id)
    if registration is None or registration.verified_at is not None:
        return _page("verify.html", 404, registration_id=registration_id,
                     errors={"code": error("this code has been used already", _language())})
    try:  # a decoy sign-in is counted and queued alike; the job texts nobody (worker/codes.py)
        registrations.allow_code(rt.limits, rt.config, registration.phone, request.remote_addr)
        registrations.enqueue_code(rt, registration_id)
    except ApiError as exc:
        return _page("verify.html", exc.status, registration_id=registration_id,
                     errors=_errors(exc, "phone", "code", fields=("code",)))
    return _page("verify.html", registration_id=registration_id, notice=words(_language())["resent"])


# -- sign in -------------------------------------------------------------------------------------
@bp.route("/inloggen", methods=["GET", "POST"])
def sign_in():
    if request.method == "GET":
        return _page("sign_in.html")
    rt = of_app()
    raw = request.form.get("phone", "")
    try:
        phone = participants.read_phone(raw, rt.config.countries)
        with rt.sessions() as db:
            known = participants.by_phone(db, phone)
            known_id = known.id if known is not None and known.verified_at else None
        if known_id is not None:
            registration_id = _send_code(rt, phone, kinds.SIGN_IN, participant_id=known_id)
        else:
            registration_id = _decoy(rt, phone)
    except ApiError as exc:
        return _page("sign_in.html", exc.status, errors=_errors(exc, fields=("phone",)),
                     values={"phone": raw})
    return redirect(url_for("participant.verify", registration_id=registration_id))


def _decoy(rt, phone: str) -> int:
    """An unknown number gets the same next page as a known one, so the page does not tell who
    takes part; no SMS is sent and no code can be right (it was never made)."""
    registrations.allow_code(rt.limits, rt.config, phone, request.remote_addr)
    with rt.transaction() as db:
        registration = registrations.start(db, phone, kinds.SIGN_IN)
        registration.code_hash = secrets.token_hex(32)
        registration.expires_at = utcnow() + timedelta(minutes=registrations.CODE_MINUTES)
    return registration.id


@bp.post("/uitloggen")
def sign_out():
    session.pop(SESSION_KEY, None)
    return redirect(url_for("participant.sign_in"))


# -- manage --------------------------------------------------------------------------------------
def _signed_in(db) -> Participant | None:
    participant_id = session.get(SESSION_KEY)
    if participant_id and time.time() - session.get(SINCE_KEY, 0) > SESSION_SECONDS:
        participant_id = None
    participant = db.get(Participant, participant_id) if participant_id else None
    if participant is None:
        session.pop(SESSION_KEY, None)  # expired, or erased meanwhile
    return participant


def _manage_page(status: int = 200, **context):
    with of_app().sessions() as db:
        participant = _signed_in(db)
        if participant is None:
            return redirect(url_for("participant.sign_in"))
        addresses = [(a.id, _address_values(a)) for a in participant.addresses]
        return _page("manage.html", status, participant=participant, addresses=addresses,
                     **context)


@bp.get("/mijn")
def manage():
    return _manage_page(notice=words(_language()).get(request.args.get("done", "")))


def _change(apply, failed: str, prefix_from: str = "", prefix_to: str = ""):
    """Run `apply(db, participant)` in one transaction; show errors next to the form's fields."""
    rt = of_app()
    try:
        with rt.transaction() as db:
            participant = _signed_in(db)
            if participant is None:
                return redirect(url_for("participant.sign_in"))
            done = apply(rt, db, participant)
    except ApiError as exc:
        return _manage_page(exc.status, failed=failed,
                            errors=_errors(exc, prefix_from, prefix_to),
                            values=dict(request.form))
    return done or redirect(url_for("participant.manage", done="saved"))


@bp.post("/mijn/voorkeuren")
def preferences():
    def apply(rt, db, participant):
        body = {"language": request.form.get("language"),
                "birth_year": _number(request.form.get("birth_year"))}
        participant.language = participants._choice(body, "language", LANGUAGES, "language")
        participant.birth_year = participants.read_birth_year(body["birth_year"])
        session["lang"] = participant.language
    return _change(apply, "preferences")


@bp.post("/mijn/adres")
def add_address():
    def apply(rt, db, participant):
        if len(participant.addresses) >= participants.MAX_ADDRESSES:
            raise ApiError(422, "form", f"must hold 1 to {participants.MAX_ADDRESSES} addresses")
        address = participants.read_address(_address(request.form, "new"), "new", rt.geocoder)
        participant.addresses.append(address.model())
    return _change(apply, "new")


@bp.post("/mijn/adres/<int:address_id>")
def edit_address(address_id: int):
    prefix = f"a{address_id}"

    def apply(rt, db, participant):
        address = _own_address(participant, address_id)
        read = participants.read_address(_address(request.form, prefix), prefix, rt.geocoder)
        # The page edits the first window; more (set through the API) are kept as they are.
        read.windows = read.windows[:1] + list((address.windows or [])[1:])
        for name, value in vars(read).items():
            setattr(address, name, value)
    return _change(apply, prefix)


@bp.post("/mijn/adres/<int:address_id>/verwijderen")
def remove_address(address_id: int):
    def apply(rt, db, participant):
        address = _own_address(participant, address_id)
        if len(participant.addresses) == 1:
            raise ApiError(422, "form", f"must hold 1 to {participants.MAX_ADDRESSES} addresses")
        participant.addresses.remove(address)
    return _change(apply, f"a{address_id}")


def _own_address(participant: Participant, address_id: int) -> Address:
    for address in participant.addresses:
        if address.id == address_id:
            return address
    raise ApiError(404, "form", "no such address")


@bp.post("/mijn/nummer")
def change_phone():
    def apply(rt, db, participant):
        phone = participants.read_phone(request.form.get("phone"), rt.config.countries)
        taken = participants.by_phone(db, phone)
        if taken is not None:
            raise ApiError(409, "phone", "another participant has this number")
        participant_id = participant.id
        registration_id = _send_code(rt, phone, kinds.CHANGE_PHONE, participant_id=participant_id)
        return redirect(url_for("participant.verify", registration_id=registration_id))
    return _change(apply, "phone")


@bp.post("/mijn/afmelden")
def unsubscribe():
    def apply(rt, db, participant):
        participant.active = False
        return redirect(url_for("participant.manage", done="unsubscribed"))
    return _change(apply, "status")


@bp.post("/mijn/aanmelden")
def resubscribe():
    def apply(rt, db, participant):
        participant.active = True
        return redirect(url_for("participant.manage", done="resubscribed"))
    return _change(apply, "status")


@bp.post("/mijn/verwijderen")
def erase():
    with of_app().transaction() as db:
        participant = _signed_in(db)
        if participant is None:
            return redirect(url_for("participant.sign_in"))
        privacy.erase(db, participant)
    session.pop(SESSION_KEY, None)
    return _page("done.html", message=words(_language())["erased"])
