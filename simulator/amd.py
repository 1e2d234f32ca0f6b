"""Answering machine detection: which verdict a call gets, when, and how it is reported.

The verdict is reached at a point in simulated talk time, not wall-clock time, so a test sees the
same order of events at speed 0 as at speed 1. With synchronous AMD the TwiML request waits for
it (the callee hears silence meanwhile); with AsyncAmd the TwiML runs at once and the verdict is
posted to AsyncAmdStatusCallback from the call's own thread, in the middle of the conversation.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin

from flask import Response

from simulator.logs import log
from simulator.resources import error
from simulator.runtime import Runtime
from simulator.state import Call

MODES = ("enable", "detectmessageend")  # MachineDetection, compared case-insensitively
TIMEOUT_RANGE = (3, 59)  # MachineDetectionTimeout in seconds, as Twilio documents
CALLBACK_RETRIES = 2

# Simulated seconds after answer at which detection concludes. A person says "hallo?" and
# pauses; a greeting takes a few seconds, and DetectMessageEnd waits for the beep after it.
# "unknown" is what detection says when MachineDetectionTimeout runs out.
DETECTION_SECONDS = {
    "human": 2.5,
    "fax": 3.0,
    "machine_start": 4.0,
    "machine_end_beep": 6.0,
    "machine_end_other": 7.0,
    "machine_end_silence": 9.0,
}


def options(form: Mapping[str, str]) -> dict[str, Any] | Response:
    """The AMD fields of a new call, or Twilio's 21234 for a value it does not allow."""

    def invalid(name: str) -> Response:
        return error(400, 21234, f"Invalid Machine Detection configuration value: {name}")

    mode = form.get("MachineDetection", "").strip()
    if mode.lower() in ("", "none"):
        mode = ""
    elif mode.lower() not in MODES:
        return invalid("MachineDetection must be Enable or DetectMessageEnd")
    async_amd = form.get("AsyncAmd", "false").strip().lower()
    if async_amd not in ("true", "false"):
        return invalid("AsyncAmd must be true or false")
    method = form.get("AsyncAmdStatusCallbackMethod", "POST").strip().upper()
    if method not in ("GET", "POST"):
        return invalid("AsyncAmdStatusCallbackMethod must be GET or POST")
    low, high = TIMEOUT_RANGE
    try:
        timeout = int(form.get("MachineDetectionTimeout", 30))
    except ValueError:
        timeout = -1
    if not low <= timeout <= high:
        return invalid(f"MachineDetectionTimeout must be {low}-{high} seconds")
    return {
        "machine_detection": mode or None,
        "async_amd": bool(mode) and async_amd == "true",
        "async_amd_callback": form.get("AsyncAmdStatusCallback") or None,
        "async_amd_method": method,
        "machine_detection_timeout": timeout,
    }


def natural_verdict(call: Call) -> str:
    """What detection concludes about who really picked up."""
    if call.behaviour is None or call.behaviour.behaviour != "voicemail":
        return "human"
    mode = (call.machine_detection or "").lower()
    return "machine_end_beep" if mode == "detectmessageend" else "machine_start"


def plan(call: Call) -> None:
    """At answer: fix the verdict and the moment it is reached. Sync AMD reports it at once in
    the answered callback (as before); async AMD leaves AnsweredBy empty until the verdict."""
    forced = call.behaviour.amd if call.behaviour is not None else None
    verdict = forced or natural_verdict(call)
    limit = float(call.machine_detection_timeout)
    seconds = DETECTION_SECONDS.get(verdict, limit)
    if seconds > limit:  # detection gives up before it could tell
        verdict, seconds = "unknown", limit
    call.amd_pending = (verdict, seconds)
    if not call.async_amd:
        call.answered_by = verdict


def conclude(rt: Runtime, call: Call, document_url: str | None) -> None:
    """The verdict is reached now: record it and, for AsyncAmd, post it and wait for the answer
    (a redirect the gateway makes while handling it is in place when this returns)."""
    if call.amd_pending is None:
        return
    verdict, seconds = call.amd_pending
    call.amd_pending = None
    call.answered_by = verdict
    mode = "async" if call.async_amd else "sync"
    call.transcript.append(
        {"verb": "amd", "answered_by": verdict, "mode": mode, "at": round(seconds, 3)}
    )
    log("amd_verdict", logging.DEBUG, call_sid=call.sid, answered_by=verdict, mode=mode)
    rt.store.publish(call)
    if call.async_amd and call.async_amd_callback:
        post(rt, call, verdict, seconds, document_url)


def post(rt: Runtime, call: Call, verdict: str, seconds: float, document_url: str | None) -> None:
    params = {
        "AccountSid": call.account_sid,
        "CallSid": call.sid,
        "AnsweredBy": verdict,
        "MachineDetectionDuration": str(round(seconds * 1000)),
    }
    url = call.async_amd_callback or ""
    base = call.url or document_url
    if base and "://" not in url:  # Twilio accepts a URL relative to the call's Url
        url = urljoin(base, url)
    result = rt.webhooks.send(url, params, call.async_amd_method, retries=CALLBACK_RETRIES)
    entry = result.entry(url, verdict, params, kind="amd")
    call.callbacks.append(entry)
    if not result.ok:
        log("amd_callback_failed", logging.WARNING, call_sid=call.sid, http_status=result.status)
