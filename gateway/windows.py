"""Weekly time windows on an address: when that address may be used for an alert.

A window is `{"days": ["mon", "tue"], "start": "08:00", "end": "18:00"}` in Europe/Amsterdam
wall-clock time; an address with no windows is always open. Times are what a person reads on
their own clock, so a window follows summer and winter time: `open_at` converts the moment to
local time first. In the spring-forward hour (02:00-03:00 does not exist) no moment is local
02:30; in the fall-back hour both passes of 02:30 count as 02:30.

Pure functions, no I/O: the selection uses `open_at`, the API and pages use `parse`."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Europe/Amsterdam")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_WINDOWS = 14  # two a day is plenty; more is a mistake or abuse
TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]|24:00")  # ASCII digits only, as the schema
KEYS = {"days", "start", "end"}


class InvalidWindow(ValueError):
    """`path` names the offending part, e.g. `windows[0].end`."""

    def __init__(self, path: str, message: str):
        super().__init__(message)
        self.path, self.message = path, message


def _minutes(value: str) -> int:
    return int(value[:2]) * 60 + int(value[3:])


def _time(window: dict, key: str, path: str) -> str:
    value = window.get(key)
    if not isinstance(value, str) or not TIME.fullmatch(value):
        raise InvalidWindow(f"{path}.{key}", "must be a time HH:MM between 00:00 and 24:00")
    return value


def parse(value, path: str = "windows") -> list[dict]:
    """The windows as given, checked strictly; returned in a normal form (days in week order).
    None or [] means always open. Raises InvalidWindow naming the part that is wrong."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidWindow(path, "must be a list of windows")
    if len(value) > MAX_WINDOWS:
        raise InvalidWindow(path, f"must hold at most {MAX_WINDOWS} windows")
    result = []
    for i, window in enumerate(value):
        here = f"{path}[{i}]"
        if not isinstance(window, dict):
            raise InvalidWindow(here, "must be an object with days, start and end")
        unknown = sorted(set(window) - KEYS)
        if unknown:
            raise InvalidWindow(f"{here}.{unknown[0]}", "is not a window field (days, start, end)")
        days = window.get("days")
        if not isinstance(days, list) or not days:
            raise InvalidWindow(f"{here}.days", f"must be a non-empty list of {', '.join(DAYS)}")
        for j, day in enumerate(days):
            if day not in DAYS:
                raise InvalidWindow(f"{here}.days[{j}]", f"must be one of {', '.join(DAYS)}")
        if len(set(days)) != len(days):
            raise InvalidWindow(f"{here}.days", "names a day twice")
        start, end = _time(window, "start", here), _time(window, "end", here)
        if start == "24:00":
            raise InvalidWindow(f"{here}.start", "must be before 24:00")
        if _minutes(end) <= _minutes(start):
            # Overnight windows are two windows; one that wraps would be easy to misread.
            raise InvalidWindow(f"{here}.end", "must be after start (a window past midnight is "
                                               "two windows: until 24:00 and from 00:00)")
        result.append({"days": [d for d in DAYS if d in days], "start": start, "end": end})
    return result


def open_at(windows: list[dict] | None, moment_utc: datetime) -> bool:
    """Whether an address with these (parsed) windows may be used at this moment. No windows:
    always. A window includes its start minute and excludes its end minute."""
    if not windows:
        return True
    if moment_utc.tzinfo is None:
        raise ValueError("moment_utc must be timezone-aware")
    local = moment_utc.astimezone(ZONE)
    day = DAYS[local.weekday()]
    minute = local.hour * 60 + local.minute
    return any(day in w["days"] and _minutes(w["start"]) <= minute < _minutes(w["end"])
               for w in windows)
