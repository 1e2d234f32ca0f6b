"""SMS and WhatsApp messages: segment counting, outbound delivery with status callbacks,
inbound webhooks."""

from __future__ import annotations

import logging
import random
import uuid
import xml.etree.ElementTree as ET
from typing import Any

from callflows.segments import measure
from simulator import whatsapp
from simulator.logs import log, mask
from simulator.resources import API_VERSION
from simulator.runtime import Runtime
from simulator.state import Message, new_sid, now

SENT_SECONDS = 0.5
DELIVERED_SECONDS = 1.0
READ_SECONDS = 2.0  # WhatsApp only: the recipient opens the message
CALLBACK_RETRIES = 2
UNDELIVERED = (30003, "Unreachable destination handset")


def num_segments(text: str, to: str = "") -> int:
    """Parts billed for a text: the gateway's own counter (GSM 03.38), so both always agree.
    WhatsApp (`to` is a whatsapp: address) has no parts: one message is one message."""
    return 1 if whatsapp.is_whatsapp(to) else measure(text).count


def start_delivery(rt: Runtime, message: Message) -> None:
    rt.pool.submit(deliver, rt, message)


def deliver(rt: Runtime, message: Message) -> None:
    """queued -> sent -> delivered (WhatsApp: -> read), or undelivered 30003 for an
    unreachable handset. A free-form WhatsApp message outside the 24-hour window is accepted
    but then fails with 63016, as on Twilio."""
    behaviour = message.behaviour.behaviour
    held: list[dict[str, str]] = []
    rt.pool.sleep(SENT_SECONDS)
    if message.outside_window:
        message.error_code, message.error_message = whatsapp.OUTSIDE_WINDOW
        update(rt, message, "failed")
        notify(rt, message, held)
    else:
        update(rt, message, "sent")
        notify(rt, message, held)
        rt.pool.sleep(DELIVERED_SECONDS)
        if behaviour == "unreachable":
            message.error_code, message.error_message = UNDELIVERED
            update(rt, message, "undelivered")
        else:
            update(rt, message, "delivered")
        notify(rt, message, held)
        if message.status == "delivered" and whatsapp.is_whatsapp(message.to):
            rt.pool.sleep(READ_SECONDS)
            update(rt, message, "read")
            notify(rt, message, held)
    if held:
        shuffled = held[:]
        random.shuffle(shuffled)
        if shuffled == held:
            shuffled.reverse()
        for params in shuffled:
            post(rt, message, params)
    rt.store.publish(message, full=True)
    log("sms_done", logging.DEBUG, message_sid=message.sid, to=mask(message.to), status=message.status)


def update(rt: Runtime, message: Message, status: str) -> None:
    with rt.store.lock:
        if message.status == "canceled":
            return
        message.status = status
        message.date_updated = now()
        if status == "sent":
            message.date_sent = message.date_updated
    rt.store.publish(message)


def notify(rt: Runtime, message: Message, held: list[dict[str, str]]) -> None:
    if not message.status_callback:
        return
    params = {
        "AccountSid": message.account_sid,
        "ApiVersion": API_VERSION,
        "From": message.from_ or message.messaging_service_sid or "",
        "To": message.to,
        "MessageSid": message.sid,
        "SmsSid": message.sid,
        "MessageStatus": message.status,
        "SmsStatus": message.status,
    }
    if message.messaging_service_sid:
        params["MessagingServiceSid"] = message.messaging_service_sid
    if message.error_code:
        params["ErrorCode"] = str(message.error_code)
    if rt.store.config["reorder_callbacks"]:
        held.append(params)
    else:
        post(rt, message, params)


def post(rt: Runtime, message: Message, params: dict[str, str]) -> None:
    copies = 2 if rt.store.config["duplicate_callbacks"] else 1
    token = uuid.uuid4().hex  # a replay is the same delivery again, so the same token
    for _ in range(copies):
        result = rt.webhooks.send(
            message.status_callback, params, "POST", CALLBACK_RETRIES, token=token
        )
        entry = result.entry(message.status_callback, params["MessageStatus"], params)
        message.callbacks.append(entry)
        if not result.ok:
            log(
                "sms_callback_failed",
                logging.WARNING,
                message_sid=message.sid,
                http_status=result.status,
            )


def receive(
    rt: Runtime, sender: str, to: str, body: str, sms_url: str, profile_name: str | None = None
) -> dict[str, Any]:
    """A message from a participant to one of the gateway's numbers; returns what the gateway
    said. A WhatsApp message (whatsapp: addresses) also opens the sender's 24-hour window."""
    message = rt.store.add_message(
        Message(
            sid=new_sid("SM"),
            account_sid=rt.settings.account_sid,
            to=to,
            from_=sender,
            body=body,
            direction="inbound",
            status="received",
            num_segments=num_segments(body, to),
        )
    )
    params = {
        "AccountSid": message.account_sid,
        "ApiVersion": API_VERSION,
        "Body": body,
        "From": sender,
        "To": to,
        "MessageSid": message.sid,
        "SmsMessageSid": message.sid,
        "SmsSid": message.sid,
        "SmsStatus": "received",
        "NumMedia": "0",
        "NumSegments": str(message.num_segments),
    }
    if whatsapp.is_whatsapp(sender):
        whatsapp.record_inbound(rt.store, sender)
        params.update(
            ProfileName=profile_name or "",
            WaId=whatsapp.wa_id(sender),
            MessageType="text",
            ReferralNumMedia="0",
        )
    channel = "whatsapp" if whatsapp.is_whatsapp(sender) else "sms"
    log("inbound_message", message_sid=message.sid, channel=channel, sender=mask(sender))
    result = rt.webhooks.send(sms_url, params, "POST")
    message.callbacks.append(
        {"url": sms_url, "status": "received", "http_status": result.status, "params": params}
    )
    replies = reply_bodies(result.body) if result.ok else []
    for text in replies:
        # A <Message> in the reply is sent back to the participant, as Twilio does.
        rt.store.add_message(
            Message(
                sid=new_sid("SM"),
                account_sid=message.account_sid,
                to=sender,
                from_=to,
                body=text,
                direction="outbound-reply",
                status="delivered",
                num_segments=num_segments(text, sender),
                date_sent=now(),
            )
        )
    return {
        "sid": message.sid,
        "status": result.status,
        "reply": result.body,
        "replies": replies,
        "error": result.error,
    }


def reply_bodies(text: str) -> list[str]:
    try:
        root = ET.fromstring(text.strip())
    except ET.ParseError:
        return []
    bodies = []
    for element in root.iter("Message"):
        body = element.find("Body")
        bodies.append(((body.text if body is not None else element.text) or "").strip())
    return bodies
