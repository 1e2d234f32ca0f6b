"""WhatsApp on the Messages API: `whatsapp:+E164` addresses, content templates, and the 24-hour
customer service window.

Twilio keeps the `whatsapp:` prefix in To/From everywhere (resources, filters, webhooks); the
phone network's behaviour of a number is looked up by the bare number.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

from flask import Response

from simulator import phone
from simulator.resources import error
from simulator.state import Store, now

PREFIX = "whatsapp:"
WINDOW = timedelta(hours=24)
CONTENT_SID = re.compile(r"^HX[0-9a-fA-F]{32}$")
OUTSIDE_WINDOW = (63016, "Outside messaging window. For WhatsApp, use a Message Template instead")


def is_whatsapp(address: str | None) -> bool:
    return bool(address) and address.startswith(PREFIX)


def bare(address: str) -> str:
    return address[len(PREFIX) :] if is_whatsapp(address) else address


def wa_id(address: str) -> str:
    """WaId as Twilio sends it: the sender's number without prefix and without '+'."""
    return bare(address).lstrip("+")


def check_addresses(to: str, from_: str | None) -> Response | None:
    """Both ends on the same channel (21910), and a WhatsApp sender that can exist (63007)."""
    if from_ is None:
        return None  # a Messaging Service picks the sender
    if is_whatsapp(to) != is_whatsapp(from_):
        text = "Invalid 'From' and 'To' pair. 'From' and 'To' should be of the same channel"
        return error(400, 21910, text)
    if is_whatsapp(from_) and not phone.is_e164(bare(from_)):
        return error(
            400, 63007, "Twilio could not find a Channel with the specified From address"
        )
    return None


def render_content(content_sid: str | None, variables: str | None) -> str | Response | None:
    """The stored body for a content template, "[HX…] {"1": "…"}", or Twilio's error.

    We have no template store, so the body shows which template with which values was sent.
    None: no template was asked for.
    """
    if not content_sid:
        if variables:
            return error(400, 21654, "ContentSid Required when ContentVariables are given")
        return None
    if not CONTENT_SID.match(content_sid):
        return error(400, 21655, "The ContentSid is Invalid")
    if not variables:
        return f"[{content_sid}]"
    try:
        values: Any = json.loads(variables)
    except ValueError:
        values = None
    if not isinstance(values, dict):
        return error(400, 21656, "The ContentVariables Parameter is invalid")
    return f"[{content_sid}] {json.dumps(values, ensure_ascii=False)}"


# -- the 24-hour window --------------------------------------------------------------------
def record_inbound(store: Store, address: str, when: datetime | None = None) -> None:
    with store.lock:
        store.whatsapp_inbound[bare(address)] = when or now()


def clear(store: Store, address: str) -> None:
    with store.lock:
        store.whatsapp_inbound.pop(bare(address), None)


def window_open(store: Store, address: str) -> bool:
    with store.lock:
        last = store.whatsapp_inbound.get(bare(address))
    return last is not None and now() - last < WINDOW


def session_view(store: Store, address: str) -> dict[str, Any]:
    number = bare(address)
    with store.lock:
        last = store.whatsapp_inbound.get(number)
    return {
        "number": number,
        "last_inbound": last.isoformat() if last else None,
        "expires": (last + WINDOW).isoformat() if last else None,
        "open": window_open(store, number),
    }
