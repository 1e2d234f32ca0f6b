"""The administrators' Heterdaadkracht opt-in: asked by SMS when switched on, confirmed by JA,
ended by STOP; a JA from anyone else is still a tip."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from gateway.models import GroupAdministrator, Participant, Tip
from tests import factories, fakes
from tests.helpers import run_jobs, signed_post
from tests.test_groups import create

ADMIN = "+31612345678"


@pytest.fixture
def config(config):
    return replace(config, sms_segments_per_second=1000)


@pytest.fixture
def phone(runtime):
    return fakes.install(runtime)


def text(client, config, sender: str, body: str) -> str:
    response = signed_post(client, config, "/twilio/sms/inbound", {
        "From": sender, "To": config.tipline_number, "Body": body, "MessageSid": "SM1"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def state(runtime) -> str:
    with runtime.sessions() as db:
        return db.scalar(select(GroupAdministrator.heterdaadkracht))


def test_switched_on_asked_by_sms_confirmed_by_ja_ended_by_stop(client, staff_auth, runtime,
                                                                 config, phone):
    group = create(client, staff_auth)
    client.patch(f"/api/groups/{group['id']}", headers=staff_auth, json={"heterdaadkracht": True})
    run_jobs(runtime)
    [question] = phone.texts_to(ADMIN)
    assert "Heterdaadkracht" in question and "Antwoord JA" in question
    assert state(runtime) == "pending"
    # Asking again while pending does not text again.
    client.patch(f"/api/groups/{group['id']}", headers=staff_auth, json={"heterdaadkracht": True})
    run_jobs(runtime)
    assert len(phone.texts_to(ADMIN)) == 1
    reply = text(client, config, ADMIN, "Ja!")
    assert "bevestigd" in reply and "Buurtpreventie Stadshart" in reply
    assert state(runtime) == "confirmed"
    reply = text(client, config, ADMIN, "STOP")
    assert "geen politieberichten meer" in reply
    assert state(runtime) == "off"
    with runtime.sessions() as db:
        assert db.scalar(select(Tip)) is None  # neither answer was taken for a tip


def test_ja_without_a_question_is_a_tip_and_changes_nothing(client, staff_auth, runtime, config):
    create(client, staff_auth)  # opt-in off
    text(client, config, ADMIN, "JA")
    assert state(runtime) == "off"
    with runtime.sessions() as db:
        assert db.scalar(select(Tip.body)) == "JA"


def test_an_administrator_who_is_a_participant_stops_both(client, staff_auth, runtime, config):
    with runtime.transaction() as db:
        factories.participant(db, ADMIN)
    group = create(client, staff_auth)
    client.patch(f"/api/groups/{group['id']}", headers=staff_auth, json={"heterdaadkracht": True})
    text(client, config, ADMIN, "ja")
    assert state(runtime) == "confirmed"
    reply = text(client, config, ADMIN, "stop")
    assert "geen berichten meer" in reply  # the participant's own confirmation
    assert state(runtime) == "off"
    with runtime.sessions() as db:
        assert db.scalar(select(Participant.active)) is False


def test_a_stranger_cannot_confirm_someone_elses_opt_in(client, staff_auth, runtime, config):
    group = create(client, staff_auth)
    client.patch(f"/api/groups/{group['id']}", headers=staff_auth, json={"heterdaadkracht": True})
    text(client, config, "+31687654321", "JA")
    assert state(runtime) == "pending"
