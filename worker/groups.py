"""Texting a neighbourhood group's administrator: the group's approval (with a fresh link to
their page) and each step of a sign and sticker request. Sent through the provider gateway in
the SMS pacing bucket, like alerts and codes."""

from __future__ import annotations

import logging
import secrets

from callflows.segments import measure
from gateway import runtime
from gateway.channels import ProviderRequest
from gateway.models import Group, GroupMessage, utcnow
from gateway.phones import mask
from gateway.provider import gateway as outcomes
from gateway.service import supplies

log = logging.getLogger("worker.groups")
PAGE_PREFIX = "/buurtpreventie/beheer/"


class MessageNotSent(Exception):
    """A temporary failure: RQ retries the job."""


def send_message(message_id: int) -> str:
    rt = runtime.current()
    with rt.transaction() as db:
        message = db.get(GroupMessage, message_id)
        if message is None or message.status != "queued":
            return "gone"
        group = db.get(Group, message.group_id)
        admin = group.administrator
        body = message.body
        if "{link}" in body:
            # The link is made here and lives only in this SMS; the database keeps its hash.
            token = secrets.token_urlsafe(24)
            admin.link_hash = supplies.link_hash(token)
            body = body.replace("{link}", f"{rt.config.public_base_url}{PAGE_PREFIX}{token}")
        phone = admin.phone
    request = ProviderRequest("messages", {"to": phone, "from_": rt.config.sms_from,
                                           "body": body},
                              "sms_segments", measure(body).count)
    result = rt.provider.send(request)
    log.info("group_message.%s message=%s group=%s to=%s", type(result).__name__.lower(),
             message_id, group.id, mask(phone))
    if isinstance(result, outcomes.Temporary | outcomes.NotSent):
        raise MessageNotSent(type(result).__name__)
    with rt.transaction() as db:
        message = db.get(GroupMessage, message_id)
        if message is not None:
            if isinstance(result, outcomes.Accepted):
                message.status, message.sid, message.sent_at = "sent", result.sid, utcnow()
            else:
                # Permanent: refused. Unknown (a timeout): it may have gone out; a second
                # confirmation is not worth the risk of a duplicate, so it is not retried.
                message.status = "failed" if isinstance(result, outcomes.Permanent) else "unknown"
    return type(result).__name__.lower()
