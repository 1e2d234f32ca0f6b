"""Signs and stickers: requests and their steps (new -> approved -> delivered), and the SMS the
administrator gets at the group's approval and at each step."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from gateway.models import GroupAdministrator, GroupMessage, SupplyRequest
from tests import fakes
from tests.helpers import run_jobs
from tests.test_groups import active, create

ADMIN = "+31612345678"
ORDER = {"signs": 2, "stickers": 30, "address": "Markt 1, Zoetermeer", "postcode": "2711 ab"}


@pytest.fixture
def config(config):
    return replace(config, sms_segments_per_second=1000)


@pytest.fixture
def phone(runtime):
    return fakes.install(runtime)


def test_approval_texts_the_administrator_a_link_stored_only_as_a_hash(client, staff_auth,
                                                                       runtime, phone):
    group = active(client, staff_auth)
    run_jobs(runtime)
    [text] = phone.texts_to(ADMIN)
    assert "Buurtpreventie Stadshart is goedgekeurd" in text
    link = text.split("aanvragen: ", 1)[1]
    assert link.startswith("http://gateway.test/buurtpreventie/beheer/")
    token = link.rsplit("/", 1)[1]
    with runtime.sessions() as db:
        admin = db.scalar(select(GroupAdministrator))
        message = db.scalar(select(GroupMessage))
        assert admin.link_hash and token not in admin.link_hash
        assert token not in message.body and message.status == "sent" and message.sid
    assert group["status"] == "active"


def test_a_request_goes_new_approved_delivered_with_an_sms_at_each_step(client, staff_auth,
                                                                        runtime, phone):
    group = active(client, staff_auth)
    made = client.post(f"/api/groups/{group['id']}/supplies", headers=staff_auth, json=ORDER)
    assert made.status_code == 201, made.json
    assert made.json["status"] == "new" and made.json["postcode"] == "2711AB"
    request_id = made.json["id"]
    assert client.post(f"/api/supplies/{request_id}/deliver",
                       headers=staff_auth).status_code == 409  # not approved yet
    approved = client.post(f"/api/supplies/{request_id}/approve", headers=staff_auth).json
    assert approved["status"] == "approved" and approved["approved_at"]
    assert client.post(f"/api/supplies/{request_id}/approve",
                       headers=staff_auth).status_code == 409  # once
    delivered = client.post(f"/api/supplies/{request_id}/deliver", headers=staff_auth).json
    assert delivered["status"] == "delivered" and delivered["delivered_at"]
    run_jobs(runtime)
    texts = phone.texts_to(ADMIN)
    assert len(texts) == 4  # approval of the group, then the three steps
    assert "2 borden en 30 stickers" in texts[1] and "ontvangen" in texts[1]
    assert "goedgekeurd" in texts[2] and "bezorgd" in texts[3]
    listed = client.get("/api/supplies?status=delivered", headers=staff_auth).json["requests"]
    assert [r["id"] for r in listed] == [request_id]
    assert client.get(f"/api/groups/{group['id']}/supplies",
                      headers=staff_auth).json["requests"][0]["status"] == "delivered"


@pytest.mark.parametrize("changes, field", [
    ({"signs": 0, "stickers": 0}, "signs"),
    ({"signs": -1}, "signs"),
    ({"stickers": 501}, "stickers"),
    ({"signs": "2"}, "signs"),
    ({"address": " "}, "address"),
    ({"address": 12}, "address"),
    ({"postcode": "12"}, "postcode"),
    ({"postcode": None}, "postcode"),
])
def test_bad_requests_are_422_and_write_nothing(client, staff_auth, runtime, changes, field):
    group = active(client, staff_auth)
    response = client.post(f"/api/groups/{group['id']}/supplies", headers=staff_auth,
                           json={**ORDER, **changes})
    assert response.status_code == 422 and response.json["error"]["field"] == field
    with runtime.sessions() as db:
        assert db.scalar(select(SupplyRequest)) is None
        assert len(db.scalars(select(GroupMessage)).all()) == 1  # the approval's only


def test_only_active_groups_and_staff(client, auth, staff_auth):
    requested = create(client, staff_auth)
    refused = client.post(f"/api/groups/{requested['id']}/supplies", headers=staff_auth,
                          json=ORDER)
    assert refused.status_code == 409
    group = active(client, staff_auth, name="Actief")
    assert client.post(f"/api/groups/{group['id']}/supplies", headers=auth,
                       json=ORDER).status_code == 403
    assert client.get("/api/supplies", headers=auth).status_code == 200  # operators read
    assert client.post("/api/supplies/5/approve", headers=staff_auth).status_code == 404
    assert client.get("/api/supplies?status=lost", headers=staff_auth).status_code == 422


def test_a_refused_text_is_recorded_as_failed(client, staff_auth, runtime, phone):
    from twilio.base.exceptions import TwilioRestException

    def refuse(**params):
        raise TwilioRestException(400, "uri", msg="unsubscribed", code=21610)

    phone.messages.create = refuse
    active(client, staff_auth)
    run_jobs(runtime)
    with runtime.sessions() as db:
        assert db.scalar(select(GroupMessage.status)) == "failed"


def test_a_new_administrator_number_voids_the_old_link(client, staff_auth, runtime, phone):
    group = active(client, staff_auth)
    run_jobs(runtime)
    client.patch(f"/api/groups/{group['id']}", headers=staff_auth,
                 json={"administrator": {"phone": "0687654321"}})
    with runtime.sessions() as db:
        assert db.scalar(select(GroupAdministrator.link_hash)) is None


def _link(phone) -> str:
    text = phone.texts_to(ADMIN)[-1]
    return text.split("aanvragen: ", 1)[1].removeprefix("http://gateway.test")


def _post(client, path: str, data: dict):
    import re

    page = client.get(path).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post(path, data={"csrf_token": token, **data})


def test_the_administrator_requests_on_their_own_page(client, staff_auth, runtime, phone):
    active(client, staff_auth)
    run_jobs(runtime)
    path = _link(phone)
    page = client.get(path)
    assert page.status_code == 200 and "Buurtpreventie Stadshart" in page.get_data(as_text=True)
    done = _post(client, path, {"signs": "2", "stickers": "", "address": "Markt 1, Zoetermeer",
                                "postcode": "2711ab"})
    assert done.status_code == 200
    html = done.get_data(as_text=True)
    assert "Uw aanvraag is ontvangen" in html and "ontvangen</strong>" in html
    run_jobs(runtime)
    assert "2 borden en 0 stickers" in phone.texts_to(ADMIN)[-1]
    with runtime.sessions() as db:
        supply = db.scalar(select(SupplyRequest))
        assert (supply.signs, supply.stickers, supply.postcode) == (2, 0, "2711AB")
    bad = _post(client, path, {"signs": "0", "stickers": "0", "address": "Markt 1",
                               "postcode": "2711AB"})
    assert bad.status_code == 422
    assert '<span class="error" id="signs-error">Vraag minstens één bord' in bad.get_data(
        as_text=True)
    assert client.post(path, data={"signs": "1", "address": "x",
                                   "postcode": "2711AB"}).status_code == 403  # CSRF


def test_an_old_or_made_up_link_opens_nothing(client, staff_auth, runtime, phone):
    group = active(client, staff_auth)
    run_jobs(runtime)
    old = _link(phone)
    client.patch(f"/api/groups/{group['id']}", headers=staff_auth, json={"status": "inactive"})
    client.post(f"/api/groups/{group['id']}/approve", headers=staff_auth)  # a new link
    run_jobs(runtime)
    assert _link(phone) != old
    assert client.get(old).status_code == 404
    assert client.get(_link(phone)).status_code == 200
    assert client.get("/buurtpreventie/beheer/made-up").status_code == 404


def test_erasing_a_group_takes_its_administrator_requests_and_texts(client, auth, staff_auth,
                                                                    runtime, phone):
    from gateway.models import AuditEvent, Group

    group = active(client, staff_auth)
    client.post(f"/api/groups/{group['id']}/supplies", headers=staff_auth, json=ORDER)
    assert client.delete(f"/api/groups/{group['id']}", headers=auth).status_code == 403
    erased = client.delete(f"/api/groups/{group['id']}", headers=staff_auth)
    assert erased.status_code == 200 and erased.json == {"id": group["id"], "erased": True}
    with runtime.sessions() as db:
        for model in (Group, GroupAdministrator, SupplyRequest, GroupMessage):
            assert db.scalar(select(model)) is None, model
        assert db.scalars(select(AuditEvent.event)).all()[-1] == "group.erased"
    assert client.delete(f"/api/groups/{group['id']}", headers=staff_auth).status_code == 404
    run_jobs(runtime)  # the texts queued before are gone with their rows: nothing is sent
    assert phone.texts_to(ADMIN) == []
