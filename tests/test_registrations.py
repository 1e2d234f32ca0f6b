"""Self-service registration: a code texted through the provider gateway, hashed at rest,
10 minutes, 5 tries, used once; limits per number, per client address and in all."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from gateway.models import Participant, Registration, utcnow
from tests import factories, fakes
from tests.helpers import run_jobs

PHONE = "+31612345678"
BODY = {"phone": "06 12345678", "language": "en", "birth_year": 1990, "addresses": [
    {"label": "home", "postcode": "2711AB", "house_number": 1, "channel": "sms"}]}


@pytest.fixture
def config(config):
    # Fast pacing (codes share the SMS bucket with alerts); generous limits unless a test
    # sets its own.
    return replace(config, sms_segments_per_second=1000, codes_per_number_hour=50,
                   codes_per_address_hour=50, codes_per_hour=50)


@pytest.fixture
def phone(runtime):
    return fakes.install(runtime)


def register(client, body=BODY, address="10.0.0.1"):
    return client.post("/api/registrations", json=body, environ_base={"REMOTE_ADDR": address})


def verify(client, registration_id, code):
    return client.post(f"/api/registrations/{registration_id}/verify", json={"code": code})


def count(runtime, model) -> int:
    with runtime.sessions() as db:
        return db.scalar(select(func.count()).select_from(model))


def test_register_text_verify(client, runtime, phone):
    response = register(client)
    assert response.status_code == 202
    registration_id = response.json["id"]
    run_jobs(runtime)
    code = phone.last_code(PHONE)
    assert phone.texts_to(PHONE) == [f"Burgernet: your code is {code}. It is valid for 10 minutes."]
    assert count(runtime, Participant) == 0  # nothing is a participant before the code
    with runtime.sessions() as db:
        stored = db.get(Registration, registration_id)
        assert code not in (stored.code_hash or "") and len(stored.code_hash) == 64
    wrong = "000000" if code != "000000" else "111111"
    refused = verify(client, registration_id, wrong)
    assert refused.status_code == 422 and refused.json["error"]["message"] == "wrong code; 4 tries left"
    done = verify(client, registration_id, code)
    assert done.status_code == 200, done.json
    participant = done.json["participant"]
    assert participant["verified"] is True and participant["phone"] == PHONE
    assert participant["language"] == "en" and participant["addresses"][0]["postcode"] == "2711AB"
    assert verify(client, registration_id, code).status_code == 409  # used once
    with runtime.sessions() as db:
        assert db.get(Registration, registration_id).body is None  # nothing kept twice


def test_five_tries_then_even_the_right_code_is_refused(client, runtime, phone):
    registration_id = register(client).json["id"]
    run_jobs(runtime)
    code = phone.last_code(PHONE)
    wrong = [c for c in ("000001", "000002", "000003", "000004", "000005", "000006") if c != code]
    for i in range(5):
        assert verify(client, registration_id, wrong[i]).status_code == 422
    again = verify(client, registration_id, code)
    assert again.status_code == 429 and again.json["error"]["field"] == "code"
    assert count(runtime, Participant) == 0
    # A new code (texted again) gives five new tries.
    assert client.post(f"/api/registrations/{registration_id}/resend").status_code == 202
    run_jobs(runtime)
    assert verify(client, registration_id, phone.last_code(PHONE)).status_code == 200


def test_the_code_expires_after_ten_minutes(client, runtime, phone):
    registration_id = register(client).json["id"]
    run_jobs(runtime)
    with runtime.transaction() as db:
        row = db.get(Registration, registration_id)
        assert timedelta(minutes=9) < row.expires_at - utcnow() <= timedelta(minutes=10)
        row.expires_at = utcnow() - timedelta(seconds=1)
    expired = verify(client, registration_id, phone.last_code(PHONE))
    assert expired.status_code == 410 and expired.json["error"]["field"] == "code"


def test_an_old_code_dies_with_a_new_one(client, runtime, phone):
    registration_id = register(client).json["id"]
    run_jobs(runtime)
    first = phone.last_code(PHONE)
    client.post(f"/api/registrations/{registration_id}/resend")
    run_jobs(runtime)
    second = phone.last_code(PHONE)
    if first != second:
        assert verify(client, registration_id, first).status_code == 422
    assert verify(client, registration_id, second).status_code == 200


def test_registering_a_known_number_changes_nothing_until_the_code(client, runtime, phone):
    with runtime.transaction() as db:
        factories.participant(db, PHONE, channel="voice", active=False)
    registration_id = register(client).json["id"]
    run_jobs(runtime)
    with runtime.sessions() as db:
        known = db.scalar(select(Participant).where(Participant.phone == PHONE))
        assert [a.channel for a in known.addresses] == ["voice"]
    body = verify(client, registration_id, phone.last_code(PHONE)).json["participant"]
    assert [a["channel"] for a in body["addresses"]] == ["sms"]
    assert body["active"] is True and count(runtime, Participant) == 1


@pytest.mark.parametrize("code", ["12345", "1234567", "abcdef", 123456, None, "１２３４５６"])
def test_a_malformed_code_is_422_and_costs_no_try(client, runtime, phone, code):
    registration_id = register(client).json["id"]
    run_jobs(runtime)
    response = verify(client, registration_id, code)
    assert response.status_code == 422 and response.json["error"]["field"] == "code"
    with runtime.sessions() as db:
        assert db.get(Registration, registration_id).tries == 0


def test_bad_registration_is_422_and_texts_nothing(client, runtime, phone):
    response = register(client, {**BODY, "birth_year": utcnow().year - 12})
    assert response.status_code == 422 and response.json["error"]["field"] == "birth_year"
    assert "16 or older" in response.json["error"]["message"]
    run_jobs(runtime)
    assert count(runtime, Registration) == 0 and phone.messages.sent == []


def test_unknown_registration_is_404(client):
    assert verify(client, 999, "123456").status_code == 404
    assert client.post("/api/registrations/999/resend").status_code == 404


def test_unverified_registrations_are_never_alerted(client, runtime, auth, phone):
    register(client)
    run_jobs(runtime)
    draft = client.post("/api/actions", headers=auth, json={
        "incident_type": "burglary", "description": "Man, rode jas", "area": factories.circle()})
    assert draft.json["preview"]["total"] == 0


@pytest.fixture
def limited(runtime, config):
    runtime.config = replace(config, codes_per_number_hour=2, codes_per_address_hour=3,
                             codes_per_hour=4)


def other(n: int) -> dict:
    return {**BODY, "phone": f"06 1234{n:04d}"}


def test_codes_per_number_are_limited(client, runtime, phone, limited):
    assert [register(client, address=f"10.0.0.{i}").status_code for i in range(3)] == [202, 202, 429]
    refused = register(client, address="10.0.0.9")
    assert refused.json["error"]["field"] == "phone"
    with runtime.sessions() as db:
        registration_id = db.scalar(select(func.min(Registration.id)))
    assert client.post(f"/api/registrations/{registration_id}/resend").status_code == 429
    run_jobs(runtime)
    assert len(phone.texts_to(PHONE)) == 2


def test_codes_per_client_address_are_limited(client, runtime, phone, limited):
    statuses = [register(client, other(i), address="10.0.0.1").status_code for i in range(4)]
    assert statuses == [202, 202, 202, 429]
    assert register(client, other(5), address="10.0.0.2").status_code == 202


def test_codes_in_all_are_limited(client, runtime, phone, limited):
    statuses = [register(client, other(i), address=f"10.0.1.{i}").status_code for i in range(5)]
    assert statuses == [202, 202, 202, 202, 429]
    run_jobs(runtime)
    assert len(phone.messages.sent) == 4
