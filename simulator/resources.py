"""Twilio's JSON shapes for calls, messages, recordings, lists and errors."""

from __future__ import annotations

from datetime import datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

from flask import Response, jsonify

from simulator.state import Call, Message, Recording

API_VERSION = "2010-04-01"


def rfc2822(moment: datetime | None) -> str | None:
    """Twilio's date format: 'Thu, 21 Nov 2024 05:00:00 +0000'."""
    return format_datetime(moment) if moment else None


def account_path(account_sid: str) -> str:
    return f"/{API_VERSION}/Accounts/{account_sid}"


def call_json(call: Call) -> dict[str, Any]:
    base = f"{account_path(call.account_sid)}/Calls/{call.sid}"
    return {
        "account_sid": call.account_sid,
        "annotation": None,
        "answered_by": call.answered_by,
        "api_version": API_VERSION,
        "caller_name": None,
        "date_created": rfc2822(call.date_created),
        "date_updated": rfc2822(call.date_updated),
        "direction": call.direction,
        "duration": None if call.duration is None else str(call.duration),
        "end_time": rfc2822(call.end_time),
        "forwarded_from": None,
        "from": call.from_,
        "from_formatted": call.from_,
        "group_sid": None,
        "parent_call_sid": call.parent_call_sid,
        "phone_number_sid": None,
        "price": None,
        "price_unit": "USD",
        "queue_time": "0",
        "sid": call.sid,
        "start_time": rfc2822(call.start_time),
        "status": call.status,
        "subresource_uris": {
            "notifications": f"{base}/Notifications.json",
            "recordings": f"{base}/Recordings.json",
            "payments": f"{base}/Payments.json",
            "events": f"{base}/Events.json",
            "siprec": f"{base}/Siprec.json",
            "streams": f"{base}/Streams.json",
            "transcriptions": f"{base}/Transcriptions.json",
            "user_defined_message_subscriptions": f"{base}/UserDefinedMessageSubscriptions.json",
            "user_defined_messages": f"{base}/UserDefinedMessages.json",
        },
        "to": call.to,
        "to_formatted": call.to,
        "trunk_sid": None,
        "uri": f"{base}.json",
    }


def message_json(message: Message) -> dict[str, Any]:
    base = f"{account_path(message.account_sid)}/Messages/{message.sid}"
    return {
        "account_sid": message.account_sid,
        "api_version": API_VERSION,
        "body": message.body,
        "date_created": rfc2822(message.date_created),
        "date_sent": rfc2822(message.date_sent),
        "date_updated": rfc2822(message.date_updated),
        "direction": message.direction,
        "error_code": message.error_code,
        "error_message": message.error_message,
        "from": message.from_,
        "messaging_service_sid": message.messaging_service_sid,
        "num_media": "0",
        "num_segments": str(message.num_segments),
        "price": None,
        "price_unit": "USD",
        "sid": message.sid,
        "status": message.status,
        "subresource_uris": {"media": f"{base}/Media.json", "feedback": f"{base}/Feedback.json"},
        "to": message.to,
        "uri": f"{base}.json",
    }


def recording_media_url(public_url: str, recording: Recording) -> str:
    # Like Twilio's RecordingUrl: no extension; append .wav (or nothing) to download.
    return f"{public_url}{account_path(recording.account_sid)}/Recordings/{recording.sid}"


def _recording_fields(recording: Recording) -> dict[str, Any]:
    """What Twilio's recording and call_recording shapes have in common."""
    return {
        "account_sid": recording.account_sid,
        "api_version": API_VERSION,
        "call_sid": recording.call_sid,
        "channels": recording.channels,
        "conference_sid": None,
        "date_created": rfc2822(recording.date_created),
        "date_updated": rfc2822(recording.date_created),
        "duration": str(recording.duration),
        "encryption_details": None,
        "error_code": None,
        "price": None,
        "price_unit": "USD",
        "sid": recording.sid,
        "source": recording.source,
        "start_time": rfc2822(recording.start_time),
        "status": recording.status,
    }


def recording_json(recording: Recording, public_url: str) -> dict[str, Any]:
    base = f"{account_path(recording.account_sid)}/Recordings/{recording.sid}"
    return {
        **_recording_fields(recording),
        "media_url": recording_media_url(public_url, recording),
        "subresource_uris": {
            "add_on_results": f"{base}/AddOnResults.json",
            "transcriptions": f"{base}/Transcriptions.json",
        },
        "uri": f"{base}.json",
    }


def call_recording_json(recording: Recording) -> dict[str, Any]:
    """The shape of an item in Calls/{CallSid}/Recordings.json (Twilio's call_recording)."""
    path = f"{account_path(recording.account_sid)}/Calls/{recording.call_sid}"
    return {
        **_recording_fields(recording),
        "track": "both",
        "uri": f"{path}/Recordings/{recording.sid}.json",
    }


def page(
    key: str,
    items: list[dict[str, Any]],
    path: str,
    filters: dict[str, str],
    page_no: int,
    size: int,
) -> dict[str, Any]:
    """Twilio's list envelope. Only Twilio's meta keys plus `key`: the client relies on that."""
    start = page_no * size
    chunk = items[start : start + size]

    def uri(n: int) -> str:
        query = dict(filters, PageSize=size, Page=n)
        if n > 0:
            query["PageToken"] = f"PA{n}"
        return f"{path}?{urlencode(query)}"

    return {
        key: chunk,
        "end": start + max(len(chunk) - 1, 0),
        "first_page_uri": uri(0),
        "next_page_uri": uri(page_no + 1) if start + size < len(items) else None,
        "page": page_no,
        "page_size": size,
        "previous_page_uri": uri(page_no - 1) if page_no > 0 else None,
        "start": start,
        "uri": uri(page_no),
    }


def error(status: int, code: int, message: str, headers: dict[str, str] | None = None) -> Response:
    response = jsonify(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }
    )
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
