"""Participant rules through the operator API: language, birth year, addresses by postcode or
coordinates with labels, channels and time windows; every bad input a 422 naming the field."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gateway.models import Address, Participant, utcnow

WORK_WINDOW = {"days": ["fri", "mon"], "start": "08:00", "end": "18:00"}


def register(client, auth, **overrides):
    body = {"phone": "06 12345678", "language": "en", "birth_year": 1980, "addresses": [
        {"label": "home", "postcode": "2711 ab", "house_number": 1, "channel": "sms"},
        {"label": "work", "lat": 52.07, "lon": 4.48, "channel": "voice",
         "windows": [WORK_WINDOW]}]}
    body.update(overrides)
    return client.post("/api/participants", json=body, headers=auth)


def test_postcode_is_located_and_kept_with_labels_channels_and_windows(client, staff_auth):
    response = register(client, staff_auth)
    assert response.status_code == 201, response.json
    home, work = response.json["addresses"]
    assert (home["postcode"], home["house_number"], home["lat"], home["lon"]) == (
        "2711AB", 1, 52.0575, 4.4931)  # the bundled table: 2711AB 1 is the Stadhuisplein
    assert home["windows"] == [] and home["channel"] == "sms"
    assert work["windows"] == [{"days": ["mon", "fri"], "start": "08:00", "end": "18:00"}]
    assert (work["label"], work["postcode"], work["lat"]) == ("work", None, 52.07)
    assert response.json["language"] == "en"


def test_other_label_and_an_addition(client, staff_auth):
    response = register(client, staff_auth, addresses=[
        {"label": "other", "postcode": "2712AA", "house_number": 3, "house_addition": "b-2",
         "channel": "voice"}])
    assert response.status_code == 201, response.json
    address = response.json["addresses"][0]
    assert (address["label"], address["house_addition"]) == ("other", "B2")


def test_coordinates_and_a_postcode_keep_the_coordinates(client, staff_auth):
    response = register(client, staff_auth, addresses=[
        {"postcode": "2711AB", "house_number": 1, "lat": 52.1, "lon": 4.5, "channel": "sms"}])
    assert response.json["addresses"][0]["lat"] == 52.1
    assert response.json["addresses"][0]["postcode"] == "2711AB"


def test_sixteen_this_year_is_old_enough(client, staff_auth):
    assert register(client, staff_auth, birth_year=utcnow().year - 16).status_code == 201


@pytest.mark.parametrize("change, field, words", [
    ({"birth_year": utcnow().year - 15}, "birth_year", "16 or older"),
    ({"birth_year": utcnow().year + 1}, "birth_year", "not a possible birth year"),
    ({"birth_year": 1850}, "birth_year", "not a possible birth year"),
    ({"birth_year": "1980"}, "birth_year", "integer"),
    ({"language": "fr"}, "language", "nl, en"),
    ({"addresses": [{"postcode": "2711AB", "channel": "sms"}]}, "addresses[0].house_number",
     "required"),
    ({"addresses": [{"house_number": 1, "channel": "sms"}]}, "addresses[0].postcode", "required"),
    ({"addresses": [{"postcode": "27111AB", "house_number": 1, "channel": "sms"}]},
     "addresses[0].postcode", "2711AB"),
    ({"addresses": [{"postcode": "2711SS", "house_number": 1, "channel": "sms"}]},
     "addresses[0].postcode", "2711AB"),
    ({"addresses": [{"postcode": "9999ZZ", "house_number": 1, "channel": "sms"}]},
     "addresses[0].postcode", "no address is known"),
    ({"addresses": [{"postcode": "2711AB", "house_number": 0, "channel": "sms"}]},
     "addresses[0].house_number", "1 to"),
    ({"addresses": [{"postcode": "2711AB", "house_number": 1, "house_addition": "a/b",
                     "channel": "sms"}]}, "addresses[0].house_addition", "letters or digits"),
    ({"addresses": [{"lat": 52, "lon": 4.4, "channel": "sms", "house_addition": 5}]},
     "addresses[0].house_addition", "string"),
    ({"addresses": [{"lat": 52, "lon": 4.4, "channel": "sms", "label": "holiday"}]},
     "addresses[0].label", "home, work, other"),
    ({"addresses": [{"lat": 52, "channel": "sms"}]}, "addresses[0].lon", "required"),
    ({"addresses": [{"lat": 52, "lon": 4.4, "channel": "sms",
                     "windows": [{"days": ["mon"], "start": "18:00", "end": "08:00"}]}]},
     "addresses[0].windows[0].end", "after start"),
    ({"addresses": [{"lat": 52, "lon": 4.4, "channel": "sms",
                     "windows": [{"days": ["zon"], "start": "08:00", "end": "18:00"}]}]},
     "addresses[0].windows[0].days[0]", "mon"),
    ({"addresses": [{"lat": 52, "lon": 4.4, "channel": "sms"}] * 6}, "addresses", "1 to 5"),
])
def test_bad_input_is_422_naming_the_field_and_nothing_is_written(client, staff_auth, runtime,
                                                                  change, field, words):
    response = register(client, staff_auth, **change)
    assert response.status_code == 422, response.json
    assert response.json["error"]["field"] == field
    assert words in response.json["error"]["message"]
    with runtime.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Participant)) == 0
        assert db.scalar(select(func.count()).select_from(Address)) == 0
