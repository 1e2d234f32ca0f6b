"""Signed webhook requests, made exactly the way Twilio makes them.

POST: form-encoded body, X-Twilio-Signature = HMAC-SHA1 over URL + sorted params.
GET: params appended to the query string, signature over the full URL alone.
"""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

import requests
from twilio.request_validator import RequestValidator

from simulator.logs import log

USER_AGENT = "TwilioProxy/1.1"
_local = threading.local()


def _session() -> requests.Session:
    # One keep-alive session per worker thread: cheap connections under load, no sharing.
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
    return session


@dataclass
class Result:
    status: int | None  # None: no HTTP answer at all (connection error, timeout)
    body: str = ""
    content_type: str = ""
    error: str | None = None
    attempts: int = 1

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def entry(self, url: str, status: str, params: dict[str, str], **extra) -> dict:
        """How a sent webhook is shown by the control API (GET /sim/calls/<sid>, /sim/messages)."""
        shown = {**extra, "url": url, "status": status, "http_status": self.status,
                 "attempts": self.attempts, "params": params}
        if self.error:
            shown["error"] = self.error
        return shown


class Webhooks:
    def __init__(self, auth_token: str, timeout: float, sleep) -> None:
        self.validator = RequestValidator(auth_token)
        self.timeout = timeout
        self.sleep = sleep  # scaled by speed, so retries cost nothing in tests

    def sign(self, url: str, params: dict[str, str]) -> str:
        return self.validator.compute_signature(url, params)

    def send(
        self,
        url: str,
        params: dict[str, str],
        method: str = "POST",
        retries: int = 0,
        token: str | None = None,
    ) -> Result:
        """Send one webhook; retry on connection errors and 5xx `retries` more times."""
        # Same token on every retry (and replay): how a receiver recognises a repeated delivery.
        token = token or uuid.uuid4().hex
        attempt = 0
        while True:
            attempt += 1
            result = self._send_once(url, params, method, token)
            result.attempts = attempt
            retryable = result.status is None or result.status >= 500
            if not retryable or attempt > retries:
                return result
            log("webhook_retry", logging.WARNING, url=url, status=result.status, attempt=attempt)
            self.sleep(0.5 * attempt)

    def _send_once(self, url: str, params: dict[str, str], method: str, token: str) -> Result:
        method = (method or "POST").upper()
        headers = {"User-Agent": USER_AGENT, "I-Twilio-Idempotency-Token": token}
        try:
            if method == "GET":
                full = url + ("&" if "?" in url else "?") + urlencode(params)
                headers["X-Twilio-Signature"] = self.sign(full, {})
                response = _session().get(full, headers=headers, timeout=self.timeout)
            else:
                headers["X-Twilio-Signature"] = self.sign(url, params)
                response = _session().post(url, data=params, headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            log("webhook_failed", logging.WARNING, url=url, error=type(exc).__name__)
            return Result(status=None, error=f"{type(exc).__name__}: {exc}")
        return Result(
            status=response.status_code,
            body=response.text,
            content_type=response.headers.get("Content-Type", ""),
        )
