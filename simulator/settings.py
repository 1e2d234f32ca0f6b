"""Configuration of the telephony simulator: defaults, then the environment, then arguments."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

DEFAULT_ACCOUNT_SID = "AC" + "0" * 31 + "1"
DEFAULT_AUTH_TOKEN = "simulator-auth-token"
DEFAULT_PORT = 8090
DEFAULT_PROCESSES = 2  # playback processes of `python -m simulator`


@dataclass
class Settings:
    account_sid: str = DEFAULT_ACCOUNT_SID
    auth_token: str = DEFAULT_AUTH_TOKEN
    # Base URL the gateway reaches us on; ends up in `uri`, RecordingUrl and media URLs.
    # None means "http://127.0.0.1:<port>" once the port is known.
    public_url: str | None = None
    # Multiplier for simulated waiting (ringing, speech, pauses). 0 = never sleep.
    speed: float = 1.0
    # Worker threads running calls, message deliveries and callbacks (in each playback process).
    concurrency: int = 32
    # Playback processes: 0 plays calls and messages out in the serving process itself (the
    # in-process tests); N > 0 in N processes of their own, so that playing calls out never
    # takes CPU from answering creates (`python -m simulator` uses 2; see playback.py).
    processes: int = 0
    # Jobs (calls, deliveries) that may wait for a worker thread before a create waits too.
    backlog: int = 10_000
    # Calls, messages and recordings kept each; beyond it the oldest finished ones are forgotten.
    max_records: int = 20_000
    # Finished calls and messages whose transcript, requests and callbacks are kept (control API).
    detail_records: int = 1_000
    # Numbers the gateway owns: number -> {"voice_url": ..., "sms_url": ...}.
    incoming: dict[str, dict[str, str]] = field(default_factory=dict)
    # Delay of a "slow" number's create response; deliberately not scaled by `speed`
    # so that client timeouts can be tested even when everything else is instant.
    slow_seconds: float = 15.0
    # Seconds a <Record> lasts unless the number's behaviour says otherwise.
    recording_seconds: int = 5
    # Seconds a bridged <Dial> conversation lasts when the dialled number answers.
    dial_seconds: int = 10
    # Seconds we wait for a webhook (Twilio waits 15 s for TwiML).
    webhook_timeout: float = 15.0

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        settings = cls()
        settings.account_sid = env.get("TWILIO_ACCOUNT_SID") or settings.account_sid
        settings.auth_token = env.get("TWILIO_AUTH_TOKEN") or settings.auth_token
        settings.public_url = env.get("SIM_PUBLIC_URL") or None
        if env.get("SIM_SPEED"):
            settings.speed = _number(env, "SIM_SPEED", float)
        if env.get("SIM_CONCURRENCY"):
            settings.concurrency = _number(env, "SIM_CONCURRENCY", int)
        if env.get("SIM_PROCESSES"):
            settings.processes = _number(env, "SIM_PROCESSES", int)
        if env.get("SIM_BACKLOG"):
            settings.backlog = _number(env, "SIM_BACKLOG", int)
        if env.get("SIM_MAX_RECORDS"):
            settings.max_records = _number(env, "SIM_MAX_RECORDS", int)
        if env.get("SIM_DETAIL_RECORDS"):
            settings.detail_records = _number(env, "SIM_DETAIL_RECORDS", int)
        if env.get("SIM_SLOW_SECONDS"):
            settings.slow_seconds = _number(env, "SIM_SLOW_SECONDS", float)
        if env.get("SIM_INCOMING"):
            try:
                incoming = json.loads(env["SIM_INCOMING"])
            except ValueError as exc:
                raise ValueError(f"SIM_INCOMING is not valid JSON: {exc}") from exc
            if not isinstance(incoming, dict):
                raise ValueError(
                    "SIM_INCOMING must be a JSON object: number -> {voice_url, sms_url}"
                )
            settings.incoming = incoming
        settings.validate()
        return settings

    def validate(self) -> None:
        """Fail at start-up with a clear message rather than at the first call."""
        if self.speed < 0:
            raise ValueError("speed must be >= 0")
        if self.concurrency < 1:
            raise ValueError("concurrency must be >= 1")
        if self.processes < 0:
            raise ValueError("processes must be >= 0")
        if self.backlog < 1:
            raise ValueError("backlog must be >= 1")
        if self.max_records < 1:
            raise ValueError("max_records must be >= 1")
        if self.detail_records < 0:
            raise ValueError("detail_records must be >= 0")
        if not self.auth_token:
            raise ValueError("auth_token must not be empty")
        for number, urls in self.incoming.items():
            if not isinstance(urls, dict):
                raise ValueError(f"incoming[{number!r}] must be an object with voice_url/sms_url")

    def base_url(self, port: int | None = None) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        return f"http://127.0.0.1:{port or DEFAULT_PORT}"


def _number(env, name: str, kind):
    try:
        return kind(env[name])
    except ValueError as exc:
        raise ValueError(f"{name} must be a {kind.__name__}, got {env[name]!r}") from exc
