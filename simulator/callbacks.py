"""Signed webhook requests, made exactly the way Twilio makes them.

POST: form-encoded body, X-Twilio-Signature = HMAC-SHA1 over URL + sorted params.
GET: params appended to the query string, signature over the full URL alone.
"""

from __future__ import annotations

import http.client
import logging
import threading
import uuid
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urlencode, urlsplit

from twilio.request_validator import RequestValidator

from simulator.logs import log

USER_AGENT = "TwilioProxy/1.1"
_local = threading.local()
# Connection errors: no HTTP answer at all (refused, reset, timed out, bad status line).
CONNECTION_ERRORS = (OSError, http.client.HTTPException)


def _connection(scheme: str, netloc: str, timeout: float) -> tuple[http.client.HTTPConnection, bool]:
    """A keep-alive connection of this worker thread to `netloc`, and whether it is new.

    Plain http.client, not `requests`: a webhook costs a third to a quarter of the CPU that way
    (0.5-0.6 ms instead of 1.8-2.1 ms), and the simulator makes five to seven of them per call
    (the profile of issue 6 found 42% of its time in `requests`, much of it re-checking
    certificate paths for plain-HTTP URLs)."""
    pool = getattr(_local, "connections", None)
    if pool is None:
        pool = _local.connections = {}
    key = (scheme, netloc)
    connection = pool.get(key)
    if connection is not None:
        connection.timeout = timeout
        return connection, False
    kind = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
    connection = pool[key] = kind(netloc, timeout=timeout)
    return connection, True


def _drop(scheme: str, netloc: str) -> None:
    connection = _local.connections.pop((scheme, netloc), None)
    if connection is not None:
        connection.close()


def _text(body: bytes, content_type: str) -> str:
    message = Message()
    message["Content-Type"] = content_type or "text/plain"
    return body.decode(message.get_content_charset() or "utf-8", errors="replace")


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
        headers = {"User-Agent": USER_AGENT, "I-Twilio-Idempotency-Token": token, "Accept": "*/*"}
        body = None
        if method == "GET":
            url = url + ("&" if "?" in url else "?") + urlencode(params)
            headers["X-Twilio-Signature"] = self.sign(url, {})
        else:
            headers["X-Twilio-Signature"] = self.sign(url, params)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = urlencode(params).encode()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            log("webhook_failed", logging.WARNING, url=url, error="InvalidURL")
            return Result(status=None, error=f"InvalidURL: {url!r}")
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        while True:
            connection, fresh = _connection(parts.scheme, parts.netloc, self.timeout)
            try:
                connection.request(method, target, body=body, headers=headers)
                response = connection.getresponse()
                data = response.read()
            except CONNECTION_ERRORS as exc:
                _drop(parts.scheme, parts.netloc)
                if not fresh and not isinstance(exc, TimeoutError):
                    continue  # the server closed an idle keep-alive connection: a new one, once
                log("webhook_failed", logging.WARNING, url=url, error=type(exc).__name__)
                return Result(status=None, error=f"{type(exc).__name__}: {exc}")
            if response.will_close:
                _drop(parts.scheme, parts.netloc)
            content_type = response.headers.get("Content-Type", "")
            return Result(status=response.status, body=_text(data, content_type), content_type=content_type)
