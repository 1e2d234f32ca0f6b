"""The dispatch API as a client uses it: validation names the field, nothing is half-written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gateway.models import Action, AuditEvent, Delivery, Participant
from tests import factories
from tests.helpers import run_jobs


def register(client, auth, phone="06 12345678", **overrides):
    """`auth` here is municipality staff's: they register participants."""
    body = {"phone": phone, "addresses": [
        {"label": "home", "lat": 52.0575, "lon": 4.4931, "channel": "voice"}]}
    body.update(overrides)
    return client.post("/api/participants", json=body, headers=auth)


def test_register_participant_normalises_the_number(client, staff_auth):
    auth = staff_auth
    response = register(client, auth)
    assert response.status_code == 201
    assert response.json["phone"] == "+31612345678"
    assert response.json["verified"] is True
    assert response.json["addresses"][0]["channel"] == "voice"
    fetched = client.get(f"/api/participants/{response.json['id']}", headers=auth)
    assert fetched.json["phone"] == "+31612345678"


@pytest.mark.parametrize("change, field", [
    ({"phone": "12"}, "phone"),
    ({"phone": "070 1234567"}, "phone"),  # a landline cannot receive SMS alerts
    ({"phone": "+1 202 555 0123"}, "phone"),  # a US number: not a country we serve
    ({"phone": "+31 970 1000 0000"}, "phone"),  # an NL machine-to-machine (097) number
    ({"addresses": []}, "addresses"),
    ({"addresses": [{"lat": 95, "lon": 4.4, "channel": "sms"}]}, "addresses[0].lat"),
    ({"addresses": [{"lat": 52, "lon": 4.4, "channel": "fax"}]}, "addresses[0].channel"),
    ({"addresses": [{"lat": True, "lon": 4.4, "channel": "sms"}]}, "addresses[0].lat"),
    ({"birth_year": 2020}, "birth_year"),
    ({"language": "de"}, "language"),
])
def test_bad_participant_is_422_naming_the_field(client, staff_auth, runtime, change, field):
    response = register(client, staff_auth, **change)
    assert response.status_code == 422
    assert response.json["error"]["field"] == field
    with runtime.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Participant)) == 0


def test_duplicate_number_is_409(client, staff_auth):
    assert register(client, staff_auth).status_code == 201
    response = register(client, staff_auth, phone="+31 6 1234 5678")
    assert response.status_code == 409
    assert response.json["error"]["field"] == "phone"


def test_api_needs_a_token(client):
    assert client.get("/api/actions").status_code == 401
    assert client.get("/api/actions", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_malformed_json_is_400(client, auth):
    response = client.post("/api/actions", data="{", headers={**auth, "Content-Type": "application/json"})
    assert response.status_code == 400


def test_draft_previews_reach_per_channel(client, auth, runtime):
    with runtime.transaction() as db:
        factories.participant(db, "+31600000001", channel="voice")
        factories.participant(db, "+31600000002", channel="sms")
        factories.participant(db, "+31600000003", channel="sms", lat=52.2)  # 16 km north
        factories.participant(db, "+31600000004", verified=False)
        factories.participant(db, "+31600000005", active=False)
    response = client.post("/api/actions", headers=auth, json={
        "incident_type": "burglary", "description": "Man, rode jas, op fiets",
        "area": factories.circle(2000)})
    assert response.status_code == 201
    assert response.json["status"] == "draft"
    preview = response.json["preview"]
    assert {k: preview[k] for k in ("voice", "sms", "whatsapp", "total")} == {
        "voice": 1, "sms": 1, "whatsapp": 0, "total": 2}
    assert preview["sms_text"].startswith("Burgernet inbraak: Man, rode jas, op fiets.")
    assert (preview["sms_encoding"], preview["sms_segments"]) == ("GSM-7", 1)
    assert "Man, rode jas, op fiets." in preview["voice_text"]


def test_polygon_area(client, auth, runtime):
    with runtime.transaction() as db:
        factories.participant(db, "+31600000001", lat=52.05, lon=4.45)
        factories.participant(db, "+31600000002", lat=52.05, lon=4.55)
    square = {"type": "Polygon", "coordinates": [[[4.40, 52.0], [4.50, 52.0], [4.50, 52.1],
                                                  [4.40, 52.1], [4.40, 52.0]]]}
    response = client.post("/api/actions", headers=auth, json={
        "incident_type": "robbery", "description": "Scooter, twee personen", "area": square})
    assert response.json["preview"]["total"] == 1


@pytest.mark.parametrize("area, message", [
    ({"type": "Circle", "center": [4.49], "radius_m": 10}, "center"),
    ({"type": "Circle", "center": [4.49, 52.0], "radius_m": -1}, "radius_m"),
    ({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}, "not valid"),
    ({"type": "Point", "coordinates": [0, 0]}, "type"),
])
def test_bad_area_is_422(client, auth, runtime, area, message):
    response = client.post("/api/actions", headers=auth, json={
        "incident_type": "burglary", "description": "x", "area": area})
    assert response.status_code == 422
    assert response.json["error"]["field"] == "area"
    assert message in response.json["error"]["message"]
    with runtime.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Action)) == 0


def create_action(client, auth, radius=2000):
    return client.post("/api/actions", headers=auth, json={
        "incident_type": "missing_person", "description": "Jongen, 8 jaar, blauwe jas",
        "area": factories.circle(radius), "consent": True}).json


def test_start_is_202_and_fan_out_creates_one_delivery_per_phone(client, auth, runtime):
    with runtime.transaction() as db:
        p = factories.participant(db, "+31600000001", channel="sms")
        # Home and work both inside the area: still one delivery, by voice.
        p.addresses.append(factories.Address(label="work", lat=52.058, lon=4.494, channel="voice"))
        factories.participant(db, "+31600000002", channel="sms")
    action = create_action(client, auth)
    response = client.post(f"/api/actions/{action['id']}/start", headers=auth)
    assert response.status_code == 202
    assert response.json["status"] == "active"

    from worker import jobs
    jobs.fan_out(action["id"])
    jobs.fan_out(action["id"])  # a job delivered twice adds nothing
    with runtime.sessions() as db:
        rows = db.execute(select(Delivery.phone, Delivery.channel, Delivery.status)
                          .order_by(Delivery.phone)).all()
        audit = [e.event for e in db.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert rows == [("+31600000001", "voice", "pending"), ("+31600000002", "sms", "pending")]
    assert audit == ["action.created", "action.started"]


def test_start_twice_is_409(client, auth):
    action = create_action(client, auth)
    assert client.post(f"/api/actions/{action['id']}/start", headers=auth).status_code == 202
    second = client.post(f"/api/actions/{action['id']}/start", headers=auth)
    assert second.status_code == 409
    assert second.json["error"]["field"] == "status"


def test_large_action_needs_confirmation(client, auth, runtime, monkeypatch):
    monkeypatch.setattr("gateway.service.actions.CONFIRM_ABOVE", 1)
    with runtime.transaction() as db:
        factories.participant(db, "+31600000001")
        factories.participant(db, "+31600000002")
    action = create_action(client, auth)
    refused = client.post(f"/api/actions/{action['id']}/start", headers=auth)
    assert refused.status_code == 409 and refused.json["error"]["field"] == "confirm"
    assert client.get(f"/api/actions/{action['id']}", headers=auth).json["status"] == "draft"
    confirmed = client.post(f"/api/actions/{action['id']}/start", headers=auth, json={"confirm": True})
    assert confirmed.status_code == 202


def test_close_needs_an_outcome(client, auth):
    action = create_action(client, auth)
    client.post(f"/api/actions/{action['id']}/start", headers=auth)
    response = client.post(f"/api/actions/{action['id']}/close", headers=auth, json={"outcome": " "})
    assert response.status_code == 422 and response.json["error"]["field"] == "outcome"


def test_a_draft_is_discarded_not_closed(client, auth, runtime):
    action = create_action(client, auth)
    closed = client.post(f"/api/actions/{action['id']}/close", headers=auth,
                         json={"outcome": "Gevonden."})
    assert closed.status_code == 409 and "discard" in closed.json["error"]["message"]
    discarded = client.delete(f"/api/actions/{action['id']}", headers=auth)
    assert discarded.status_code == 200 and discarded.json["status"] == "discarded"
    assert discarded.json["outcome"] is None
    assert client.delete(f"/api/actions/{action['id']}", headers=auth).status_code == 409
    assert client.post(f"/api/actions/{action['id']}/start", headers=auth).status_code == 409


def test_close_cancels_pending_sends(client, auth, runtime):
    with runtime.transaction() as db:
        factories.participant(db, "+31600000001")
    action = create_action(client, auth)
    client.post(f"/api/actions/{action['id']}/start", headers=auth)
    from worker import jobs
    jobs.fan_out(action["id"])  # deliveries exist, not yet sent
    closed = client.post(f"/api/actions/{action['id']}/close", headers=auth,
                         json={"outcome": "De jongen is gevonden."})
    assert closed.status_code == 202
    run_jobs(runtime)  # the queued send batch finds the action closed and sends nothing
    overview = client.get(f"/api/actions/{action['id']}", headers=auth).json
    assert overview["deliveries"] == {"alert": {"cancelled": 1}, "update": {}, "outcome": {}}


def test_unknown_action_is_404(client, auth):
    response = client.get("/api/actions/999", headers=auth)
    assert response.status_code == 404
    assert response.json["error"]["field"] == "action_id"


def test_text_over_the_segment_budget_is_422_and_nothing_is_written(client, auth, runtime):
    # 'ë' is not GSM-7: the whole SMS becomes UCS-2, 67 characters a part.
    long = "Jongen met een blauwe jas, loopt richting de brug bij het café ë. " * 3
    response = client.post("/api/actions", headers=auth, json={
        "incident_type": "burglary", "description": long, "area": factories.circle()})
    assert response.status_code == 422 and response.json["error"]["field"] == "description"
    assert "UCS-2 segments" in response.json["error"]["message"]
    with runtime.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Action)) == 0
    action = create_action(client, auth)
    client.post(f"/api/actions/{action['id']}/start", headers=auth)
    closed = client.post(f"/api/actions/{action['id']}/close", headers=auth,
                         json={"outcome": "a" * 170 + "€" * 70})  # 310 septets: 3 parts
    assert closed.status_code == 202
    refused = client.post(f"/api/actions/{create_action(client, auth)['id']}/close",
                          headers=auth, json={"outcome": "ë" * 250})
    assert refused.status_code == 422 and refused.json["error"]["field"] == "outcome"


def test_missing_person_needs_recorded_consent(client, auth, runtime):
    body = {"incident_type": "missing_person", "description": "Meisje, 6 jaar, roze jas",
            "area": factories.circle()}
    refused = client.post("/api/actions", headers=auth, json=body)
    assert refused.status_code == 422 and refused.json["error"]["field"] == "consent"
    created = client.post("/api/actions", headers=auth, json={**body, "consent": True})
    assert created.status_code == 201 and created.json["consent_recorded"] is True
    with runtime.sessions() as db:
        audit = db.scalars(select(AuditEvent)).one()
    assert audit.detail["consent_recorded"] is True


def test_start_body_that_is_not_an_object_is_400(client, auth):
    action = create_action(client, auth)
    response = client.post(f"/api/actions/{action['id']}/start", headers=auth, json=[1, 2])
    assert response.status_code == 400
