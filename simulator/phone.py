"""How simulated destination numbers behave.

Deterministic by default so tests and demos are repeatable: the last digit of the number decides.
The control API can override any number with an explicit behaviour.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from typing import Any

from simulator.state import Store

# answer: a person picks up and listens; voicemail: an answering machine picks up;
# busy / no-answer: the call ends with that status; invalid: the create request is refused
# (21211); unreachable: calls fail, SMS is undelivered (30003); slow: the create response is
# delayed by slow_seconds, then the number answers; rate-limit: the next `times` creates get
# 429 / 20429, then the number answers; unsubscribed: SMS create refused with 21610 (the
# recipient texted STOP), calls are answered.
BEHAVIOURS = (
    "answer",
    "voicemail",
    "busy",
    "no-answer",
    "invalid",
    "unreachable",
    "slow",
    "rate-limit",
    "unsubscribed",
)

# AnsweredBy values Twilio's AMD can return; the `amd` option forces one of them, e.g. to
# simulate a person mistaken for a machine. It changes the verdict, not who is on the line.
AMD_VERDICTS = (
    "human",
    "machine_start",
    "machine_end_beep",
    "machine_end_silence",
    "machine_end_other",
    "fax",
    "unknown",
)

_BY_LAST_DIGIT = {"6": "voicemail", "7": "no-answer", "8": "busy"}

E164 = re.compile(r"^\+[1-9]\d{6,14}$")


@dataclass(frozen=True, slots=True)
class Behaviour:
    behaviour: str = "answer"
    # Keys pressed at <Gather>s, one entry per Gather in order ("1,2" = 1 at the first, 2 at the
    # second). Empty means the person never presses anything.
    digits: str = ""
    times: int = 1
    recording_seconds: int | None = None
    # Simulated seconds after answering at which the person hangs up.
    hangup_after: float | None = None
    # Forced answering-machine-detection verdict; None = what detection would really say.
    amd: str | None = None
    source: str = "default"

    def gather_digits(self, index: int) -> str:
        entries = [d.strip() for d in self.digits.split(",")] if self.digits else []
        return entries[index] if index < len(entries) else ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def is_e164(number: str | None) -> bool:
    return bool(number) and bool(E164.match(number))


# Shared by every call to a number without an override (a Behaviour is immutable).
_DEFAULTS = {name: Behaviour(behaviour=name) for name in ("answer", *_BY_LAST_DIGIT.values())}


def default_behaviour(number: str) -> Behaviour:
    digit = number[-1:] if number else ""
    return _DEFAULTS[_BY_LAST_DIGIT.get(digit, "answer")]


def effective(store: Store, number: str) -> Behaviour:
    with store.lock:
        override = store.overrides.get(number)
    return override or default_behaviour(number)


def parse_override(data: Any) -> Behaviour:
    """Validate a control-API body; raises ValueError naming the bad field."""
    if not isinstance(data, dict):
        raise ValueError("body must be a JSON object")
    behaviour = data.get("behaviour", "answer")
    if behaviour not in BEHAVIOURS:
        raise ValueError(f"behaviour must be one of {', '.join(BEHAVIOURS)}")
    digits = data.get("digits") or ""
    if not isinstance(digits, str) or not re.fullmatch(r"[0-9*#wW,\s]*", digits):
        raise ValueError("digits must be a string of 0-9 * # (comma between Gathers)")
    times = data.get("times", 1)
    if not isinstance(times, int) or isinstance(times, bool) or times < 1:
        raise ValueError("times must be a positive integer")
    recording_seconds = data.get("recording_seconds")
    if recording_seconds is not None and (
        not isinstance(recording_seconds, int) or recording_seconds < 0
    ):
        raise ValueError("recording_seconds must be a non-negative integer")
    hangup_after = data.get("hangup_after")
    if hangup_after is not None and (not isinstance(hangup_after, int | float) or hangup_after < 0):
        raise ValueError("hangup_after must be a non-negative number of seconds")
    amd = data.get("amd")
    if amd is not None and amd not in AMD_VERDICTS:
        raise ValueError(f"amd must be one of {', '.join(AMD_VERDICTS)}")
    return Behaviour(
        behaviour=behaviour,
        digits=digits,
        times=times,
        recording_seconds=recording_seconds,
        hangup_after=hangup_after,
        amd=amd,
        source="override",
    )


def take_for_create(store: Store, number: str) -> Behaviour:
    """The behaviour one create request meets, consuming a rate-limit allowance.

    A rate-limited number answers 429 `times` times, then behaves as `answer`.
    """
    with store.lock:
        current = store.overrides.get(number)
        if current is None:
            return default_behaviour(number)
        if current.behaviour != "rate-limit":
            return current
        if current.times > 1:
            store.overrides[number] = replace(current, times=current.times - 1)
        else:
            store.overrides[number] = replace(current, behaviour="answer", times=1)
        return current
