"""The administrators' Heterdaadkracht opt-in, confirmed by SMS: staff (or the administrator)
set `"heterdaadkracht": true` on the group, the administrator is texted a question
(gateway/service/supplies.py, "heterdaadkracht_ask"), and their reply decides:

- `JA` confirms every pending opt-in of that number (only confirmed administrators are to get
  police messages; sending them is the broadcast engine's, not built yet);
- `STOP` (and the other stop words) ends every opt-in of that number, besides what it does to a
  participant with that number.

Called from the inbound SMS webhook before a text is taken for a tip."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.models import Group, GroupAdministrator
from gateway.models import group as states

YES_WORDS = {"JA", "JAWEL", "YES"}
CONFIRMED = ("Buurtpreventie: bevestigd. U krijgt bij een politieactie in de buurt van {groups} "
             "een bericht om in uw groep te delen. Met STOP meldt u zich af.")
STOPPED = "Buurtpreventie: u krijgt geen politieberichten meer voor {groups}."


def _word(body: str) -> str:
    return body.strip().rstrip(".!").strip().upper()


def _administrators(db: Session, phone: str, in_states: tuple[str, ...]):
    return db.scalars(select(GroupAdministrator).where(
        GroupAdministrator.phone == phone,
        GroupAdministrator.heterdaadkracht.in_(in_states))).all()


def _names(db: Session, administrators) -> str:
    return ", ".join(db.get(Group, a.group_id).name for a in administrators)


def on_reply(db: Session, phone: str | None, keyword: str | None, body: str) -> str | None:
    """The reply to send when this text answers the opt-in question, else None (and nothing
    changed): then the text is handled as before (a participant's keyword, or a tip)."""
    if phone is None:
        return None
    if keyword == "stop":
        found = _administrators(db, phone, (states.HDK_PENDING, states.HDK_CONFIRMED))
        for administrator in found:
            administrator.heterdaadkracht = states.HDK_OFF
        return STOPPED.format(groups=_names(db, found)) if found else None
    if keyword is None and _word(body) in YES_WORDS:
        found = _administrators(db, phone, (states.HDK_PENDING,))
        for administrator in found:
            administrator.heterdaadkracht = states.HDK_CONFIRMED
        return CONFIRMED.format(groups=_names(db, found)) if found else None
    return None
