"""Street signs ("Let op: Buurtpreventie") and door stickers for active groups, and the texts
that keep a group's administrator informed.

A request is NEW when the administrator makes it (on their own page, reached by the link texted
when the group was approved; or staff enter it for them), then staff move it to APPROVED and
DELIVERED, each step once and in that order. Every step, and the group's approval, writes a
GroupMessage in the same transaction; after the commit `enqueue` hands it to the job that texts
it (worker/groups.py)."""

from __future__ import annotations

import hashlib

from rq import Retry
from sqlalchemy.orm import Session

from gateway import postcodes
from gateway.errors import ApiError
from gateway.models import AuditEvent, Group, GroupMessage, SupplyRequest, utcnow
from gateway.models import group as states
from gateway.queues import DEFAULT
from gateway.service.actions import check_characters

MAX_SIGNS = 20
MAX_STICKERS = 500
MAX_ADDRESS = 200
NEXT = {states.NEW: states.APPROVED, states.APPROVED: states.DELIVERED}

# Texts to administrators, Dutch (the language of the groups the municipality registers). Plain
# GSM-7 characters, so one SMS costs what its length says.
TEXTS = {
    "group_approved": "Buurtpreventie: uw groep {group} is goedgekeurd en staat op de kaart. "
                      "Borden en stickers aanvragen: {link}",
    "heterdaadkracht_ask": "Buurtpreventie {group}: wilt u bij een politieactie in uw buurt een "
                           "bericht krijgen om in uw groep te delen (Heterdaadkracht)? Antwoord "
                           "JA. Met STOP meldt u zich af.",
    states.NEW: "Buurtpreventie: uw aanvraag voor {signs} borden en {stickers} stickers voor "
                "{group} is ontvangen. De gemeente neemt haar in behandeling.",
    states.APPROVED: "Buurtpreventie: uw aanvraag voor {signs} borden en {stickers} stickers "
                     "voor {group} is goedgekeurd. Ze worden bezorgd op het opgegeven adres.",
    states.DELIVERED: "Buurtpreventie: de {signs} borden en {stickers} stickers voor {group} "
                      "zijn bezorgd. Veel succes met de groep!",
}


def link_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _count(data: dict, name: str, maximum: int) -> int:
    value = data.get(name, 0)
    if value is None:
        value = 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(422, name, "must be an integer")
    if not 0 <= value <= maximum:
        raise ApiError(422, name, f"must be 0 to {maximum}")
    return value


def read(data: dict) -> dict:
    """Quantities and the delivery address, checked whole before anything is written."""
    signs = _count(data, "signs", MAX_SIGNS)
    stickers = _count(data, "stickers", MAX_STICKERS)
    if signs == 0 and stickers == 0:
        raise ApiError(422, "signs", "ask for at least one sign or sticker")
    address = data.get("address")
    if address is None or (isinstance(address, str) and not address.strip()):
        raise ApiError(422, "address", "is required: street, house number and town")
    if not isinstance(address, str):
        raise ApiError(422, "address", "must be a string")
    address = check_characters(address, "address").strip()
    if len(address) > MAX_ADDRESS:
        raise ApiError(422, "address", f"must be at most {MAX_ADDRESS} characters")
    raw = data.get("postcode")
    if not isinstance(raw, str):
        raise ApiError(422, "postcode", "is required" if raw is None else "must be a string")
    try:
        postcode = postcodes.normalise(raw)
    except postcodes.InvalidPostcode as exc:
        raise ApiError(422, "postcode", str(exc)) from None
    return {"signs": signs, "stickers": stickers, "address": address, "postcode": postcode}


def _message(db: Session, group: Group, kind: str, request: SupplyRequest | None = None) -> int:
    values = {"group": group.name, "link": "{link}"}
    if request is not None:
        values.update(signs=request.signs, stickers=request.stickers)
    message = GroupMessage(group_id=group.id, body=TEXTS[kind].format(**values))
    db.add(message)
    db.flush()
    return message.id


def approval_message(db: Session, group: Group) -> int:
    """The administrator hears their group is approved, with the link to their page."""
    return _message(db, group, "group_approved")


def opt_in_message(db: Session, group: Group) -> int:
    """The administrator is asked to confirm Heterdaadkracht by replying JA."""
    return _message(db, group, "heterdaadkracht_ask")


def create(db: Session, group: Group, data: dict, operator_id: int | None) -> tuple[SupplyRequest,
                                                                                    int]:
    if group.status != states.ACTIVE:
        raise ApiError(409, "group_id", "signs and stickers are for active groups")
    request = SupplyRequest(group_id=group.id, status=states.NEW, **data)
    db.add(request)
    db.flush()
    db.add(AuditEvent(operator_id=operator_id, event="supplies.requested",
                      detail={"group_id": group.id, "request_id": request.id}))
    return request, _message(db, group, states.NEW, request)


def advance(db: Session, request: SupplyRequest, to: str, operator_id: int) -> int:
    """NEW -> APPROVED -> DELIVERED, one step at a time; 409 otherwise."""
    if NEXT.get(request.status) != to:
        raise ApiError(409, "status", f"a request that is {request.status} cannot become {to}")
    request.status = to
    if to == states.APPROVED:
        request.approved_at = utcnow()
    else:
        request.delivered_at = utcnow()
    db.flush()
    db.add(AuditEvent(operator_id=operator_id, event=f"supplies.{to}",
                      detail={"group_id": request.group_id, "request_id": request.id}))
    return _message(db, db.get(Group, request.group_id), to, request)


def serialise(request: SupplyRequest) -> dict:
    return {"id": request.id, "group_id": request.group_id, "signs": request.signs,
            "stickers": request.stickers, "address": request.address,
            "postcode": request.postcode, "status": request.status,
            "created_at": request.created_at.isoformat(),
            "approved_at": request.approved_at.isoformat() if request.approved_at else None,
            "delivered_at": request.delivered_at.isoformat() if request.delivered_at else None}


SEND_RETRY = Retry(max=3, interval=[5, 30, 120])


def enqueue(rt, message_id: int) -> None:
    """After the commit: the job re-reads the row, so a rolled-back step sends nothing."""
    rt.jobs.queues[DEFAULT].enqueue("worker.groups.send_message", message_id, retry=SEND_RETRY)
