"""Data rights: export, erase (statistics survive), the scheduled purge; and the statistics."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

from sqlalchemy import func, select

from gateway.dispatch import deliveries
from gateway.models import (
    Action,
    Address,
    AuditEvent,
    Delivery,
    Participant,
    Registration,
    Tip,
    utcnow,
)
from gateway.models.action import ACTIVE
from gateway.service import privacy
from tests import factories
from tests.helpers import run_jobs
from worker import purge as purge_job

PHONE = "+31600000001"


def alerted(runtime, status="delivered"):
    with runtime.transaction() as db:
        person = factories.participant(db, PHONE, channel="sms")
        other = factories.participant(db, "+31600000002", channel="sms")
        action = Action(incident_type="burglary", description="Man in rode jas",
                        area=factories.circle(), status=ACTIVE, started_at=utcnow())
        db.add(action)
        db.flush()
        db.add_all([Delivery(action_id=action.id, participant_id=p.id, phone=p.phone,
                             channel="sms", status=status, provider_sid=f"SM{p.id}", attempts=1,
                             error_message=f"about {p.phone}") for p in (person, other)])
        db.add(Tip(action_id=action.id, kind="sms", channel="sms", phone=PHONE,
                   body="Zag hem bij het station", provider_sid="SMtip"))
        return person.id, action.id


def test_export_holds_everything_about_one_person(client, staff_auth, runtime):
    person, action = alerted(runtime)
    with runtime.transaction() as db:
        db.add(Registration(phone=PHONE, purpose="sign_in", participant_id=person,
                            code_hash="x" * 64, tries=0))
    response = client.get(f"/api/participants/{person}/export", headers=staff_auth)
    assert response.status_code == 200
    data = response.json
    assert data["participant"]["phone"] == PHONE and data["participant"]["verified_at"]
    assert [(d["action_id"], d["status"]) for d in data["deliveries"]] == [(action, "delivered")]
    assert [t["body"] for t in data["tips"]] == ["Zag hem bij het station"]
    assert data["codes"][0]["purpose"] == "sign_in"
    assert "x" * 64 not in response.get_data(as_text=True)  # never the code's hash
    assert client.get("/api/participants/999/export", headers=staff_auth).status_code == 404


def test_erase_keeps_statistics_and_nothing_that_points_at_the_person(client, staff_auth, runtime):
    person, action = alerted(runtime)
    response = client.delete(f"/api/participants/{person}", headers=staff_auth)
    assert response.status_code == 200 and response.json["erased"] is True
    with runtime.sessions() as db:
        assert db.get(Participant, person) is None
        assert db.scalar(select(func.count()).select_from(Address)) == 1  # the other's
        rows = db.scalars(select(Delivery).order_by(Delivery.id)).all()
        assert [r.status for r in rows] == ["delivered", "delivered"]  # counts survive
        erased = rows[0]
        assert erased.phone == f"erased-{erased.id}"
        assert (erased.participant_id, erased.provider_sid, erased.error_message) == (None, None, None)
        assert rows[1].phone == "+31600000002"
        assert db.scalar(select(Tip.phone)) is None
        assert db.scalar(select(Tip.body)) == "Zag hem bij het station"
        audit = db.scalar(select(AuditEvent).where(AuditEvent.event == "participant.erased"))
        assert audit.detail["participant_id"] == person
        text = " ".join(str(v) for row in db.execute(select(Delivery.__table__)).all() for v in row)
    assert PHONE not in text
    assert client.get(f"/api/participants/{person}", headers=staff_auth).status_code == 404
    assert client.delete(f"/api/participants/{person}", headers=staff_auth).status_code == 404
    # The erased person gets no outcome; the other does.
    with runtime.transaction() as db:
        created = deliveries.create_followups(db, action, "outcome", 0, lambda n: f"b{n}", 50)
    assert created == 1


def test_erase_cancels_what_was_still_to_be_sent(client, staff_auth, runtime):
    person, _ = alerted(runtime, status="pending")
    client.delete(f"/api/participants/{person}", headers=staff_auth)
    with runtime.sessions() as db:
        assert sorted(db.scalars(select(Delivery.status))) == ["cancelled", "pending"]


def test_purge_removes_what_is_older_than_a_day(runtime):
    now = utcnow()
    with runtime.transaction() as db:
        old = now - timedelta(hours=25)
        fresh_unverified = factories.participant(db, "+31600000011", verified=False)
        stale_unverified = factories.participant(db, "+31600000012", verified=False)
        stale_unverified.created_at = old
        verified = factories.participant(db, "+31600000013")
        verified.created_at = old
        db.add_all([Registration(phone="+31600000021", purpose="register", body={}, tries=0,
                                 created_at=old),
                    Registration(phone="+31600000022", purpose="register", body={}, tries=0,
                                 created_at=now - timedelta(hours=23))])
        ids = fresh_unverified.id, stale_unverified.id, verified.id
    with runtime.transaction() as db:
        done = privacy.purge(db, now, timedelta(hours=24))
    assert done == {"registrations": 1, "unverified_participants": 1, "anonymised_deliveries": 0}
    with runtime.sessions() as db:
        assert sorted(db.scalars(select(Participant.id))) == [ids[0], ids[2]]
        assert list(db.scalars(select(Registration.phone))) == ["+31600000022"]


def test_purge_anonymises_old_deliveries_when_configured(runtime):
    alerted(runtime)
    with runtime.transaction() as db:
        first = db.scalar(select(Delivery).order_by(Delivery.id))
        first.created_at = utcnow() - timedelta(days=40)
    with runtime.transaction() as db:
        assert privacy.purge(db, utcnow(), timedelta(hours=24), timedelta(days=30))[
            "anonymised_deliveries"] == 1
    with runtime.transaction() as db:  # and once only
        assert privacy.purge(db, utcnow(), timedelta(hours=24), timedelta(days=30))[
            "anonymised_deliveries"] == 0


def test_the_purge_is_scheduled_once_across_workers(runtime):
    with runtime.transaction() as db:
        stale = factories.participant(db, "+31600000012", verified=False)
        stale.created_at = utcnow() - timedelta(days=2)
    stop = threading.Event()
    for _ in range(3):  # three workers start their schedules
        purge_job.start_schedule(runtime, stop, every=30)
    time.sleep(0.5)
    stop.set()
    queued = runtime.jobs.queues["default"].get_jobs()
    assert [job.func_name for job in queued] == ["worker.purge.purge", "worker.jobs.purge_recordings"]
    run_jobs(runtime)
    with runtime.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Participant)) == 0


def test_statistics_per_pc4_and_channel(client, staff_auth, runtime):
    with runtime.transaction() as db:
        factories.participant(db, "+31600000001", channel="sms")  # coordinates only
        unverified = factories.participant(db, "+31600000002", verified=False)
        unverified.addresses[0].postcode = "2711AB"
        for phone, postcodes in [("+31600000003", ["2711AB", "2712AA"]),
                                 ("+31600000004", ["2711AC"])]:
            p = factories.participant(db, phone, channel="voice")
            p.addresses[0].postcode = postcodes[0]
            for extra in postcodes[1:]:
                p.addresses.append(Address(label="work", lat=52.06, lon=4.5, channel="sms",
                                           postcode=extra))
    response = client.get("/api/participants/statistics", headers=staff_auth)
    assert response.status_code == 200
    # Each area where the console's map puts it: the mean of its alertable addresses.
    home = [factories.ZOETERMEER[0], factories.ZOETERMEER[1]]
    assert response.json == {"total": 3, "areas": [
        {"pc4": "2711", "voice": 2, "sms": 0, "whatsapp": 0, "centre": [round(c, 5) for c in home]},
        {"pc4": "2712", "voice": 0, "sms": 1, "whatsapp": 0, "centre": [4.5, 52.06]},
        {"pc4": None, "voice": 0, "sms": 1, "whatsapp": 0}]}


def test_statistics_table_for_municipality_staff(app, runtime):
    import re

    from gateway.auth import create_operator
    with runtime.transaction() as db:
        create_operator(db, "balie", "a long enough password", role="municipality")
        create_operator(db, "centralist", "a long enough password", role="viewer")
        p = factories.participant(db, "+31600000003", channel="voice")
        p.addresses[0].postcode = "2711AB"

    def log_in(name):
        browser = app.test_client()
        page = browser.get("/console/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        browser.post("/console/login", data={"csrf_token": token, "username": name,
                                             "password": "a long enough password"})
        return browser

    page = log_in("balie").get("/console/participants")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert re.search(r"<td>2711</td>\s*<td>1</td>", html)
    # The same figures on the map: the page carries each area's centre for its script.
    data = json.loads(re.search(r'id="page-data">(.*?)</script>', html, re.S).group(1))
    assert [(a["pc4"], a["voice"], a["centre"]) for a in data["config"]["areas"]] == [
        ("2711", 1, [factories.ZOETERMEER[0], factories.ZOETERMEER[1]])]
    assert 'id="map"' in html and "console-statistics.js" in html
    assert log_in("centralist").get("/console/participants").status_code == 403
    assert app.test_client().get("/console/participants").status_code == 302
