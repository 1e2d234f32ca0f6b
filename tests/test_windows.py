"""Weekly time windows: strict parsing and `open_at` across weekdays, edges and DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gateway.windows import InvalidWindow, open_at, parse

WORKDAYS = parse([{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "18:00"}])


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_no_windows_is_always_open():
    assert open_at([], utc(2026, 1, 1, 3, 0))
    assert open_at(None, utc(2026, 7, 4, 23, 59))


def test_winter_is_utc_plus_one():
    # Monday 12 January 2026: 08:00 in Amsterdam is 07:00 UTC.
    assert not open_at(WORKDAYS, utc(2026, 1, 12, 6, 59))
    assert open_at(WORKDAYS, utc(2026, 1, 12, 7, 0))
    assert open_at(WORKDAYS, utc(2026, 1, 12, 16, 59, 59))
    assert not open_at(WORKDAYS, utc(2026, 1, 12, 17, 0))  # 18:00 local: the end is excluded


def test_summer_is_utc_plus_two():
    # Monday 6 July 2026: 08:00 in Amsterdam is 06:00 UTC.
    assert open_at(WORKDAYS, utc(2026, 7, 6, 6, 0))
    assert not open_at(WORKDAYS, utc(2026, 7, 6, 5, 59))
    assert not open_at(WORKDAYS, utc(2026, 7, 6, 16, 0))


def test_the_day_is_the_local_day():
    # Friday 23:30 UTC in summer is Saturday 01:30 in Amsterdam.
    night = parse([{"days": ["sat"], "start": "00:00", "end": "02:00"}])
    assert open_at(night, utc(2026, 7, 10, 23, 30))
    assert not open_at(night, utc(2026, 7, 11, 23, 30))  # Sunday 01:30
    assert not open_at(WORKDAYS, utc(2026, 7, 11, 10, 0))  # a Saturday


def test_spring_forward():
    # Sunday 29 March 2026: at 01:00 UTC the clocks go from 02:00 to 03:00.
    early = parse([{"days": ["sun"], "start": "02:00", "end": "03:00"}])
    moment = utc(2026, 3, 29, 0, 0)
    for _ in range(4 * 60):  # every minute from 01:00 to 05:00 local: 02:xx never happens
        assert not open_at(early, moment)
        moment += timedelta(minutes=1)
    after = parse([{"days": ["sun"], "start": "03:00", "end": "04:00"}])
    assert not open_at(after, utc(2026, 3, 29, 0, 59))  # 01:59 winter time
    assert open_at(after, utc(2026, 3, 29, 1, 0))  # 03:00 summer time, one minute later


def test_fall_back():
    # Sunday 25 October 2026: at 01:00 UTC the clocks go from 03:00 back to 02:00.
    hour = parse([{"days": ["sun"], "start": "02:00", "end": "03:00"}])
    assert open_at(hour, utc(2026, 10, 25, 0, 30))  # 02:30 summer time
    assert open_at(hour, utc(2026, 10, 25, 1, 30))  # 02:30 winter time, an hour later
    assert not open_at(hour, utc(2026, 10, 25, 2, 0))  # 03:00 winter time
    assert not open_at(hour, utc(2026, 10, 24, 23, 59))  # 01:59 summer time


def test_until_midnight_and_several_windows():
    windows = parse([{"days": ["fri"], "start": "20:00", "end": "24:00"},
                     {"days": ["sat"], "start": "00:00", "end": "06:00"}])
    assert open_at(windows, utc(2026, 1, 16, 22, 59))  # Friday 23:59
    assert open_at(windows, utc(2026, 1, 16, 23, 0))  # Saturday 00:00
    assert not open_at(windows, utc(2026, 1, 17, 5, 0))  # Saturday 06:00


def test_naive_moment_is_refused():
    with pytest.raises(ValueError):
        open_at(WORKDAYS, datetime(2026, 1, 12, 9, 0))


def test_parse_normalises_day_order():
    assert parse([{"days": ["fri", "mon"], "start": "09:00", "end": "10:00"}]) == [
        {"days": ["mon", "fri"], "start": "09:00", "end": "10:00"}]
    assert parse(None) == [] and parse([]) == []


@pytest.mark.parametrize("value, path", [
    ("mon-fri", "windows"),
    ([1], "windows[0]"),
    ([{"days": [], "start": "08:00", "end": "09:00"}], "windows[0].days"),
    ([{"days": "mon", "start": "08:00", "end": "09:00"}], "windows[0].days"),
    ([{"days": ["maandag"], "start": "08:00", "end": "09:00"}], "windows[0].days[0]"),
    ([{"days": ["mon", "mon"], "start": "08:00", "end": "09:00"}], "windows[0].days"),
    ([{"days": ["mon"], "start": "8:00", "end": "09:00"}], "windows[0].start"),
    ([{"days": ["mon"], "start": "08:00", "end": "24:01"}], "windows[0].end"),
    ([{"days": ["mon"], "start": "08:60", "end": "09:00"}], "windows[0].start"),
    ([{"days": ["mon"], "start": 800, "end": "09:00"}], "windows[0].start"),
    ([{"days": ["mon"], "start": "24:00", "end": "24:00"}], "windows[0].start"),
    ([{"days": ["mon"], "start": "18:00", "end": "08:00"}], "windows[0].end"),
    ([{"days": ["mon"], "start": "08:00", "end": "08:00"}], "windows[0].end"),
    ([{"days": ["mon"], "start": "08:00"}], "windows[0].end"),
    ([{"days": ["mon"], "start": "08:00", "end": "09:00", "tz": "UTC"}], "windows[0].tz"),
    ([{"days": ["mon"], "start": "08:00", "end": "09:00"}] * 15, "windows"),
])
def test_bad_windows_name_the_part(value, path):
    with pytest.raises(InvalidWindow) as caught:
        parse(value)
    assert caught.value.path == path


def test_postcodes():
    from gateway import postcodes
    assert postcodes.normalise(" 2711 ab ") == "2711AB"
    assert postcodes.area("2711") == "2711" and postcodes.area("2711 ab") == "2711AB"
    assert postcodes.pc4("2711AB") == "2711" and postcodes.pc4(None) is None
    for bad in ("0711AB", "2711SA", "2711A", "27111AB", "٢٧١١AB", "271"):
        with pytest.raises(postcodes.InvalidPostcode):
            postcodes.area(bad) if bad == "271" else postcodes.normalise(bad)
