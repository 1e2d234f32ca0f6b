"""The public neighbourhood-prevention pages, Dutch by default (English with ?lang=en): the
coverage map of active groups with "is my street covered?", and the registration form.

The form is read into the same dict `POST /api/public/groups` takes and goes through the same
service (gateway/service/groups.py) and the same per-address limit, so the page can never
accept what the API refuses. The map draws `GET /api/public/groups.geojson` with Leaflet, served
by the app from the xstatic-leaflet package (no CDN); the lookup and the list of groups work
without JavaScript and without any tile server."""

from __future__ import annotations

import json
from pathlib import Path

import xstatic.pkg.leaflet as leaflet
from flask import Blueprint, abort, render_template, request, send_from_directory, session
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from gateway import csrf, postcodes
from gateway.errors import ApiError
from gateway.geocoding import GeocoderUnavailable
from gateway.models import Group, GroupAdministrator, SupplyRequest
from gateway.models import group as states
from gateway.pages_text import LANGUAGES, error, words
from gateway.runtime import of_app
from gateway.service import groups as service
from gateway.service import supplies
from gateway.service.participants import MAX_HOUSE_NUMBER

bp = Blueprint("groups", __name__, url_prefix="/buurtpreventie")
LEAFLET_DIR = Path(leaflet.BASE_DIR)

WORDS = {
    "nl": {
        "map_title": "Buurtpreventie: waar zijn groepen actief?",
        "map_intro": ("Buurtbewoners houden samen een oogje in het zeil in een WhatsApp-groep. "
                      "Op de kaart staan de groepen die de gemeente heeft goedgekeurd."),
        "lookup_title": "Valt mijn straat onder een groep?", "lookup_button": "Zoeken",
        "covered_by": "Uw adres valt onder:", "not_covered": "Uw adres valt (nog) onder geen "
        "groep. Begin er zelf een!", "groups_title": "Actieve groepen",
        "no_groups": "Er zijn nog geen actieve groepen.", "join": "Meedoen? Neem contact op met",
        "no_join": "De beheerder wil niet dat contactgegevens worden getoond.",
        "streets": "Straten", "postcodes": "Postcodes", "register_link": "Een groep aanmelden",
        "register_title": "Een buurtpreventiegroep aanmelden",
        "rules_title": "De regels",
        "rules": ["Een groep heeft precies één beheerder.",
                  "Een groep heeft liefst niet meer dan ongeveer 40 leden.",
                  "Alle leden zijn 18 jaar of ouder.",
                  "Eén lid per huishouden.",
                  "Groepen mogen overlappen; we laten zien waar dat zo is."],
        "name": "Naam van de groep", "municipality": "Gemeente",
        "postcodes_field": "Postcodes die de groep beslaat (bijv. 2711AB, 2712)",
        "draw_intro": ("Klik op de kaart de hoeken van het gebied van de groep aan, of vul "
                       "hieronder de postcodes in (of allebei)."),
        "draw_label": "Kaart om het gebied te tekenen", "draw_undo": "Laatste punt weg",
        "draw_clear": "Opnieuw tekenen",
        "streets_field": "Straten (één per regel)",
        "member_count": "Ongeveer hoeveel leden?",
        "members_adult": "Ik bevestig dat alle leden 18 jaar of ouder zijn.",
        "one_per_household": "Ik bevestig dat er één lid per huishouden is.",
        "administrator": "De beheerder", "admin_name": "Naam", "admin_email": "E-mail",
        "admin_phone": "Mobiel nummer",
        "publish_contact": ("Mijn naam en e-mail mogen op de kaart staan, zodat buren kunnen "
                            "vragen om mee te doen."),
        "submit": "Aanmelden",
        "received": ("Bedankt! De aanmelding is ontvangen. De gemeente bekijkt haar; daarna "
                     "staat de groep op de kaart."),
        "overlaps": "Let op: de groep overlapt met deze actieve groepen:",
        "map_link": "Naar de kaart",
        "admin_title": "Borden en stickers", "signs": "Straatborden 'Let op: Buurtpreventie'",
        "stickers": "Deurstickers", "delivery_address": "Bezorgadres (straat, huisnummer, plaats)",
        "order": "Aanvragen", "your_requests": "Uw aanvragen",
        "requested": "Uw aanvraag is ontvangen; u krijgt een sms bij elke stap.",
        "status_new": "ontvangen", "status_approved": "goedgekeurd", "status_delivered": "bezorgd",
        "no_link": "Deze link werkt niet (meer). Gebruik de link uit de laatste sms.",
        "size_warning": ("Let op: de groep is veel groter dan de aanbevolen ongeveer 40 leden. "
                         "Een grote groep is lastig bij één lid per huishouden te houden; "
                         "overweeg haar te splitsen."),
    },
    "en": {
        "map_title": "Neighbourhood watch: where are groups active?",
        "map_intro": ("Residents keep an eye on their street together in a WhatsApp group. The "
                      "map shows the groups the municipality has approved."),
        "lookup_title": "Is my street covered?", "lookup_button": "Look up",
        "covered_by": "Your address is covered by:",
        "not_covered": "No group covers your address yet. Start one!",
        "groups_title": "Active groups", "no_groups": "There are no active groups yet.",
        "join": "Want to join? Contact", "no_join": "The administrator has chosen not to show "
        "contact details.", "streets": "Streets", "postcodes": "Postcodes",
        "register_link": "Register a group",
        "register_title": "Register a neighbourhood watch group", "rules_title": "The rules",
        "rules": ["A group has exactly one administrator.",
                  "A group preferably has no more than about 40 members.",
                  "All members are 18 or older.",
                  "One member per household.",
                  "Groups may overlap; we show where they do."],
        "name": "Name of the group", "municipality": "Municipality",
        "postcodes_field": "Postcodes the group covers (e.g. 2711AB, 2712)",
        "draw_intro": ("Click the corners of the group's area on the map, or fill in the "
                       "postcodes below (or both)."),
        "draw_label": "Map to draw the area", "draw_undo": "Remove last point",
        "draw_clear": "Start again",
        "streets_field": "Streets (one per line)",
        "member_count": "About how many members?",
        "members_adult": "I confirm all members are 18 or older.",
        "one_per_household": "I confirm there is one member per household.",
        "administrator": "The administrator", "admin_name": "Name", "admin_email": "E-mail",
        "admin_phone": "Mobile number",
        "publish_contact": ("My name and e-mail may be shown on the map, so neighbours can ask "
                            "to join."),
        "submit": "Register",
        "received": ("Thank you! The registration has been received. Once the municipality has "
                     "approved it, the group is on the map."),
        "overlaps": "Note: the group overlaps these active groups:",
        "map_link": "To the map",
        "admin_title": "Signs and stickers", "signs": "'Let op: Buurtpreventie' street signs",
        "stickers": "Door stickers", "delivery_address": "Delivery address (street, number, town)",
        "order": "Request", "your_requests": "Your requests",
        "requested": "Your request has been received; you get a text at each step.",
        "status_new": "received", "status_approved": "approved", "status_delivered": "delivered",
        "no_link": "This link does not work (any more). Use the link in the latest text.",
        "size_warning": ("Note: the group is much larger than the advised 40 or so members. A "
                         "large group is hard to keep to one member per household; consider "
                         "splitting it."),
    },
}

# The service's messages (English) that the participant pages do not know, as a Dutch visitor
# reads them; tried before gateway/pages_text.py's list (its "must be 1 to" is a house number).
ERRORS_NL = [
    ("the administrator must confirm that all members", "Bevestig dat alle leden 18 jaar of "
                                                        "ouder zijn."),
    ("the administrator must confirm that there is one", "Bevestig dat er één lid per "
                                                         "huishouden is."),
    ("give the area covered", "Teken het gebied op de kaart of vul de postcodes in."),
    ("polygon is not valid", "Het getekende gebied klopt niet (kruisen de lijnen elkaar?); "
                             "teken het opnieuw."),
    ("covers", f"Het gebied is te groot voor een buurt (hoogstens {service.MAX_AREA_KM2} km²)."),
    ("must be an object", "Het getekende gebied klopt niet; teken het opnieuw."),
    ("must be a Dutch postcode like 2711 or", "Vul postcodes in zoals 2711 of 2711AB."),
    ("must be an e-mail address", "Vul een e-mailadres in zoals naam@example.nl."),
    (f"must be 1 to {service.MAX_MEMBERS}", f"Vul een aantal leden in van 1 tot "
                                            f"{service.MAX_MEMBERS}."),
    ("must be at most", "Dit is te lang."),
    ("must hold at most", "Dit zijn er te veel."),
    ("ask for at least one sign", "Vraag minstens één bord of sticker aan."),
    ("must be 0 to", "Vul een aantal in van 0 tot het maximum."),
    ("signs and stickers are for active groups", "Borden en stickers zijn voor actieve groepen."),
    ("is required: street, house number", "Vul het bezorgadres in."),
    ("too many groups were registered", "Er zijn vanaf uw adres te veel groepen aangemeld; "
                                        "probeer het later opnieuw."),
]


def _language() -> str:
    return session.get("lang", "nl")


def _words() -> dict:
    language = _language()
    return {**words(language), **WORDS.get(language, WORDS["nl"])}


def _error(message: str) -> str:
    if _language() != "en":
        for start, dutch in ERRORS_NL:
            if message.startswith(start):
                return dutch
    return error(message, _language())


@bp.before_request
def _language_and_csrf():
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        session["lang"] = chosen
    if request.method == "POST":
        csrf.require()


def _page(template: str, status: int = 200, **context):
    context.setdefault("errors", {})
    context.setdefault("values", {})
    config = of_app().config
    context.setdefault("tiles", config.map_tile_url)
    context.setdefault("attribution", config.map_tile_attribution)
    return render_template(f"groups/{template}", t=_words(), lang=_language(),
                           csrf_token=csrf.token, **context), status


# -- the coverage map --------------------------------------------------------------------------
@bp.get("")
def coverage():
    rt = of_app()
    lookup, errors = None, {}
    values = {"postcode": request.args.get("postcode", ""),
              "house_number": request.args.get("house_number", "")}
    if values["postcode"] or values["house_number"]:
        try:
            lookup = _lookup(rt, values["postcode"], values["house_number"])
        except ApiError as exc:
            errors = {exc.field: _error(exc.message)}
    with rt.sessions() as db:
        active = db.scalars(select(Group).options(selectinload(Group.administrator))
                            .where(Group.status == states.ACTIVE).order_by(Group.name))
        features = [service.public_feature(group) for group in active]
    status = 200 if not errors else 503 if "unavailable" in str(errors) else 422
    return _page("map.html", status, features=features, lookup=lookup, errors=errors,
                 values=values)


def _lookup(rt, raw_postcode: str, raw_number: str) -> list[dict]:
    """The active groups that cover an address, found by the geocoder."""
    try:
        postcode = postcodes.normalise(raw_postcode)
    except postcodes.InvalidPostcode as exc:
        raise ApiError(422, "postcode", str(exc)) from None
    raw_number = raw_number.strip()
    if not (raw_number.isascii() and raw_number.isdigit()):
        raise ApiError(422, "house_number", "must be an integer")
    number = int(raw_number)
    if not 1 <= number <= MAX_HOUSE_NUMBER:
        raise ApiError(422, "house_number", f"must be 1 to {MAX_HOUSE_NUMBER}")
    try:
        found = rt.geocoder.locate(postcode, number, "")
    except GeocoderUnavailable:
        raise ApiError(503, "postcode", "the address lookup is unavailable; try again later") \
            from None
    if found is None:
        raise ApiError(422, "postcode", "no address is known at this postcode and house number")
    with rt.sessions() as db:
        return [{"id": g.id, "name": g.name}
                for g in service.covering(db, postcode, found.lon, found.lat)]


@bp.get("/leaflet/<path:name>")
def leaflet_file(name: str):
    """Leaflet's script, style sheet and images, from the installed xstatic-leaflet package."""
    if not (name in ("leaflet.js", "leaflet.css") or name.startswith("images/")):
        abort(404)
    return send_from_directory(LEAFLET_DIR, name, max_age=86400)


# -- registration ------------------------------------------------------------------------------
def _lines(raw: str | None) -> list[str]:
    """A text box of names or postcodes: one per line or separated by commas."""
    return [part.strip() for line in (raw or "").splitlines() for part in line.split(",")
            if part.strip()]


def _body(form) -> dict:
    count = (form.get("member_count") or "").strip()
    area = (form.get("area") or "").strip()
    try:
        area_value = json.loads(area) if area else None
    except ValueError:
        area_value = "not json"  # the service names it
    return {
        "name": form.get("name", ""), "municipality": form.get("municipality", ""),
        "area": area_value, "postcodes": _lines(form.get("postcodes")) or None,
        "streets": _lines(form.get("streets")),
        "member_count": int(count) if count.isascii() and count.isdigit() else count or None,
        "members_adult": form.get("members_adult") == "1",
        "one_per_household": form.get("one_per_household") == "1",
        "administrator": {"name": form.get("administrator.name", ""),
                          "email": form.get("administrator.email", ""),
                          "phone": form.get("administrator.phone", ""),
                          "publish_contact": form.get("administrator.publish_contact") == "1"},
    }


def _field(name: str | None, has_area: bool) -> str:
    """The form field an error belongs to: `postcodes[2]` is the postcodes box; no area and no
    postcodes is said at the postcodes box (the drawing is optional)."""
    name = name or "form"
    name = name.split("[", 1)[0]
    if name == "area" and not has_area:
        return "postcodes"
    return name


@bp.route("/aanmelden", methods=["GET", "POST"])
def register():
    if request.method == "GET":
        return _page("register.html")
    form = request.form
    body = _body(form)
    rt = of_app()
    try:
        group_id = service.register_public(rt, body, request.remote_addr)
    except ApiError as exc:
        errors = {_field(exc.field, body["area"] is not None): _error(exc.message)}
        return _page("register.html", exc.status, errors=errors, values=form)
    with rt.sessions() as db:
        answer = service.public_answer(db, group_id)
    return _page("registered.html", answer=answer)


# -- the administrator's page: signs and stickers ----------------------------------------------
def _administrator(db, token: str) -> GroupAdministrator | None:
    """The link texted at the group's approval is the administrator's only key: its hash finds
    them; a link replaced by a newer one, or voided by a new number, finds nobody."""
    return db.scalar(select(GroupAdministrator)
                     .where(GroupAdministrator.link_hash == supplies.link_hash(token)))


def _admin_page(token: str, status: int = 200, **context):
    with of_app().sessions() as db:
        admin = _administrator(db, token)
        if admin is None:
            return _page("done.html", 404, message=_words()["no_link"])
        group = db.get(Group, admin.group_id)
        requests = db.scalars(select(SupplyRequest).where(SupplyRequest.group_id == group.id)
                              .order_by(SupplyRequest.id.desc())).all()
        return _page("admin.html", status, group=group, requests=requests, **context)


@bp.route("/beheer/<token>", methods=["GET", "POST"])
def administrator(token: str):
    if request.method == "GET":
        return _admin_page(token)
    rt = of_app()
    form = request.form
    body = {"signs": _int(form.get("signs")), "stickers": _int(form.get("stickers")),
            "address": form.get("address", ""), "postcode": form.get("postcode", "")}
    try:
        with rt.transaction() as db:
            admin = _administrator(db, token)
            if admin is None:
                return _page("done.html", 404, message=_words()["no_link"])
            data = supplies.read(body)
            _, message_id = supplies.create(db, db.get(Group, admin.group_id), data, None)
    except ApiError as exc:
        return _admin_page(token, exc.status, errors={exc.field or "form": _error(exc.message)},
                           values=form)
    supplies.enqueue(rt, message_id)
    return _admin_page(token, notice=_words()["requested"])


def _int(raw: str | None):
    """A number field: an int when it is one, 0 when empty, else what was typed (the service
    names it)."""
    raw = (raw or "").strip()
    if not raw:
        return 0
    return int(raw) if raw.isascii() and raw.isdigit() else raw
