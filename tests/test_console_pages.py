"""The console's pages and the API calls behind them: previews that store nothing, the event
stream, history with its CSV, the audit log, accounts, the language. The browser itself is in
tests/test_browser.py."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from gateway import tips
from gateway.auth import create_operator
from gateway.models import Action, AuditEvent, Delivery, Operator, Participant, Tip, utcnow
from tests import factories
from tests.test_console import PASSWORD, csrf_of, log_in


@pytest.fixture
def config(config):
    # Streams end after two polls here; the browser tests use the real default.
    return replace(config, events_stream_seconds=1.5)


@pytest.fixture
def people(runtime):
    """Two voice and one SMS participant in the centre, one SMS participant 2.5 km north."""
    with runtime.transaction() as db:
        factories.participant(db, "+31600000001")
        factories.participant(db, "+31600000002")
        factories.participant(db, "+31600000003", channel="sms")
        factories.participant(db, "+31600000004", channel="sms", lat=52.08)


def as_role(app, runtime, role: str):
    with runtime.transaction() as db:
        create_operator(db, f"user-{role}", PASSWORD, role=role)
    browser = app.test_client()
    assert log_in(browser, f"user-{role}").status_code == 302
    return browser


def headers_of(browser) -> dict:
    return {"X-CSRF-Token": csrf_of(browser, "/console")}


def active_action(client, auth, radius=1000) -> int:
    action = client.post("/api/actions", headers=auth, json={
        "incident_type": "burglary", "description": "Man, rode jas", "area": factories.circle(radius)}).json
    assert client.post(f"/api/actions/{action['id']}/start", headers=auth).status_code == 202
    return action["id"]


def set_alerts(runtime, action_id: int, statuses: dict[str, str]) -> None:
    """Alert deliveries as the worker and callbacks would leave them (phone -> status), each
    with its participant as the fan-out writes it."""
    with runtime.transaction() as db:
        for phone, status in statuses.items():
            channel = "sms" if status == "delivered" else "voice"
            participant = db.scalar(select(Participant.id).where(Participant.phone == phone))
            db.add(Delivery(action_id=action_id, participant_id=participant, phone=phone,
                            channel=channel, status=status))


def test_preview_counts_and_texts_without_storing_anything(client, auth, runtime, people):
    body = {"incident_type": "robbery", "description": "Twee mannen op een scooter",
            "area": factories.circle(1000)}
    preview = client.post("/api/actions/preview", headers=auth, json=body)
    assert preview.status_code == 200, preview.json
    assert {k: preview.json[k] for k in ("voice", "sms", "total")} == {"voice": 2, "sms": 1, "total": 3}
    assert "Twee mannen op een scooter" in preview.json["sms_text"]
    assert preview.json["sms_encoding"] == "GSM-7" and preview.json["sms_segments"] == 1
    assert "Twee mannen" in preview.json["voice_text"]
    # The operator draws before typing: the reach alone, texts null.
    early = client.post("/api/actions/preview", headers=auth, json={**body, "description": ""}).json
    assert early["total"] == 3 and early["sms_text"] is None and early["voice_text"] is None
    ucs = client.post("/api/actions/preview", headers=auth, json={**body, "description": "Man met “petje”"})
    assert ucs.json["sms_encoding"] == "UCS-2"
    with runtime.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Action)) == 0
        assert db.scalar(select(func.count()).select_from(AuditEvent)) == 0


@pytest.mark.parametrize("change, field", [
    ({"area": {"type": "Circle", "center": [52.05, 4.49], "radius_m": 800}}, "area"),
    ({"area": None}, "area"),
    ({"incident_type": "parking"}, "incident_type"),
    ({"description": "x" * 601}, "description"),
    ({"description": 7}, "description"),
])
def test_a_bad_preview_is_422_naming_the_field(client, auth, change, field):
    body = {"incident_type": "robbery", "description": "Twee mannen", "area": factories.circle(), **change}
    answer = client.post("/api/actions/preview", headers=auth, json=body)
    assert answer.status_code == 422 and answer.json["error"]["field"] == field


@pytest.mark.parametrize("query, status, field", [
    ("postcode=2711aa&number=2", 200, None), ("postcode=2711AA&number=9999", 404, "postcode"),
    ("postcode=27&number=2", 422, "postcode"), ("postcode=2711AA&number=x", 422, "number"),
    ("postcode=2711AA", 422, "number")])
def test_an_address_finds_where_to_centre_the_map(client, auth, query, status, field):
    answer = client.get(f"/api/geocode?{query}", headers=auth)
    assert answer.status_code == status, answer.json
    if status == 200:  # the offline table's 2711AA 2
        assert answer.json == {"lat": 52.056016, "lon": 4.491392}
    else:
        assert answer.json["error"]["field"] == field


def test_widening_preview_counts_only_the_newly_covered(client, auth, runtime, people):
    action_id = active_action(client, auth)
    set_alerts(runtime, action_id, {"+31600000001": "answered", "+31600000002": "busy",
                                    "+31600000003": "delivered"})
    added = client.post(f"/api/actions/{action_id}/widen/preview", headers=auth,
                        json={"area": factories.circle(4000)})
    assert added.status_code == 200
    assert {k: added.json[k] for k in ("voice", "sms", "whatsapp", "total")} == {
        "voice": 0, "sms": 1, "whatsapp": 0, "total": 1}
    assert added.json["groups"]["groups"] == 0
    with runtime.sessions() as db:
        assert db.get(Action, action_id).widened == []  # nothing widened by looking
    missing = client.post("/api/actions/999/widen/preview", headers=auth, json={"area": factories.circle()})
    assert missing.status_code == 404


def test_update_and_outcome_previews_name_who_gets_them_and_how(client, auth, runtime, people):
    action_id = active_action(client, auth)
    set_alerts(runtime, action_id, {"+31600000001": "answered", "+31600000002": "voicemail",
                                    "+31600000003": "delivered", "+31600000009": "no_answer"})
    outcome = client.post(f"/api/actions/{action_id}/close/preview", headers=auth,
                          json={"outcome": "De verdachte is aangehouden."})
    assert outcome.status_code == 200, outcome.json
    # answered: by voice; voicemail: by SMS; delivered: by SMS; no answer: nothing.
    assert {k: outcome.json[k] for k in ("voice", "sms", "total")} == {"voice": 1, "sms": 2, "total": 3}
    assert outcome.json["sms_text"].startswith("Burgernet afloop: De verdachte is aangehouden.")
    update = client.post(f"/api/actions/{action_id}/update/preview", headers=auth, json={"text": "Gezien"})
    assert update.status_code == 200 and update.json["total"] == 3
    assert client.post(f"/api/actions/{action_id}/close/preview", headers=auth,
                       json={"outcome": " "}).json["error"]["field"] == "outcome"
    with runtime.sessions() as db:
        assert db.get(Action, action_id).status == "active"  # a preview closes nothing


def parse_events(text: str) -> list[dict]:
    events = []
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line
                      and not line.startswith(":"))
        if fields.get("event") == "state":
            events.append({**json.loads(fields["data"]), "event_id": int(fields["id"])})
    return events


def test_event_stream_sends_counters_and_new_tips_once(client, auth, runtime, people):
    action_id = active_action(client, auth)
    set_alerts(runtime, action_id, {"+31600000001": "answered", "+31600000002": "queued",
                                    "+31600000003": "delivered"})
    with runtime.transaction() as db:  # as gateway/tips.py saves them: when the caller was alerted
        first = Tip(action_id=action_id, kind="recording", phone="+31600000001", channel="voice",
                    duration_s=7, provider_sid="REfirst", alerted_at=utcnow(),
                    recording_url=runtime.config.twilio_api_base_url + "/nowhere")
        stranger = Tip(action_id=action_id, kind="sms", phone="+31699999999", channel="sms",
                       body="Zag hem bij het station", provider_sid="SMstranger")
        db.add_all([first, stranger])
    response = client.get(f"/api/actions/{action_id}/events", headers=auth)
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    text = response.get_data(as_text=True)
    events = parse_events(text)
    # Nothing changed during the stream: one event, not one per poll.
    assert len(events) == 1, text
    event = events[0]
    assert event["status"] == "active" and event["total"] == 3 and event["done"] == 2
    assert event["updates"] == []
    assert event["counters"] == {"waiting": 0, "calling": 1, "answered": 1, "voicemail": 0,
                                 "delivered": 1, "failed": 0, "cancelled": 0}
    assert [(t["kind"], t["alerted"], t["caller"]) for t in event["tips"]] == [
        ("recording", True, "+316*****001"), ("sms", False, "+316*****999")]
    assert event["tips"][0]["duration_s"] == 7
    assert "+31600000001" not in text and "+31699999999" not in text  # masked, always
    assert event["event_id"] == event["tips"][-1]["id"]
    # A reconnect names the last tip it saw: counts again, no tip twice.
    again = parse_events(client.get(f"/api/actions/{action_id}/events", headers={
        **auth, "Last-Event-ID": str(event["event_id"])}).get_data(as_text=True))
    assert again[0]["tips"] == [] and again[0]["counters"] == event["counters"]


def test_event_stream_follows_changes_while_open(app, auth, runtime, people):
    import threading
    import time

    from werkzeug.test import Client

    action_id = active_action(app.test_client(), auth)
    set_alerts(runtime, action_id, {"+31600000001": "queued"})

    def later():
        time.sleep(0.5)
        with runtime.transaction() as db:
            db.query(Delivery).update({"status": "answered"})
            tips.save(db, action_id=action_id, kind="sms", channel="sms", phone="+31600000001",
                      body="Hier", provider_sid="SMlater")  # as an inbound SMS is saved
    threading.Thread(target=later).start()
    events = parse_events(Client(app).get(f"/api/actions/{action_id}/events", headers=auth)
                          .get_data(as_text=True))
    assert [e["done"] for e in events] == [0, 1]
    assert [len(e["tips"]) for e in events] == [0, 1] and events[1]["tips"][0]["alerted"] is True


def test_event_stream_needs_a_reader_and_an_action(client, auth):
    assert client.get("/api/actions/1/events").status_code == 401
    assert client.get("/api/actions/999/events", headers=auth).status_code == 404


def test_pages_for_an_operator(client, auth, runtime, token, people):
    action_id = active_action(client, auth)
    log_in(client)
    new = client.get("/console/actions/new")
    assert new.status_code == 200
    page = new.get_data(as_text=True)
    assert 'id="map"' in page and "/vendor/leaflet/leaflet.js" in page and "Soort incident" in page
    data = json.loads(page.split('id="page-data">', 1)[1].split("</script>", 1)[0])
    assert data["config"]["confirm_above"] == 1000 and data["csrf"]
    assert data["config"]["tiles"].startswith("https://tile.openstreetmap.org/")
    followed = client.get(f"/console/actions/{action_id}").get_data(as_text=True)
    assert "Man, rode jas" in followed and "console-action.js" in followed
    assert client.get("/console/actions/999").status_code == 404
    leaflet = client.get("/vendor/leaflet/leaflet.js")
    assert leaflet.status_code == 200 and b"Leaflet" in leaflet.data[:2000]
    assert client.get("/vendor/leaflet/images/marker-icon.png").status_code == 200
    assert client.get("/vendor/leaflet/../../auth.py").status_code == 404
    csp = client.get("/console/actions/new").headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "unsafe-eval" not in csp


def test_a_viewer_follows_but_cannot_start(app, runtime, auth, people):
    action_id = active_action(app.test_client(), auth)
    viewer = as_role(app, runtime, "viewer")
    assert viewer.get("/console/actions/new").status_code == 403
    page = viewer.get(f"/console/actions/{action_id}").get_data(as_text=True)
    assert '"may_write": false' in page
    assert viewer.post("/api/actions/preview", json={}, headers=headers_of(viewer)).status_code == 403
    assert viewer.get("/console/audit").status_code == 403


def test_history_filters_and_figures(client, auth, runtime, token, people):
    action_id = active_action(client, auth)
    set_alerts(runtime, action_id, {"+31600000001": "answered", "+31600000002": "no_answer",
                                    "+31600000003": "delivered", "+31600000005": "voicemail"})
    with runtime.transaction() as db:
        db.add(Tip(action_id=action_id, kind="sms", phone="+31600000001", provider_sid="SM1"))
    other = client.post("/api/actions", headers=auth, json={
        "incident_type": "missing_person", "description": "Meisje, 6 jaar", "consent": True,
        "area": factories.circle()}).json["id"]
    log_in(client)
    page = client.get("/console/history").get_data(as_text=True)
    row = page.split(f'data-action="{action_id}"', 1)[1].split("</tr>", 1)[0]
    assert "3 / 4" in row and "75%" in row and "Inbraak" in row and "actief" in row
    assert f'data-action="{other}"' in page and "Vermissing" in page
    only = client.get("/console/history?type=missing_person").get_data(as_text=True)
    assert f'data-action="{other}"' in only and f'data-action="{action_id}"' not in only
    found = client.get("/console/history?q=rode&status=active").get_data(as_text=True)
    assert f'data-action="{action_id}"' in found and f'data-action="{other}"' not in found
    assert client.get("/console/history?status=gone").status_code == 400
    assert client.get("/console/history?from=yesterday").status_code == 400
    since = client.get("/console/history?from=2020-01-01").get_data(as_text=True)
    assert f'data-action="{action_id}"' in since
    assert "data-action" not in client.get("/console/history?to=2020-01-01").get_data(as_text=True)


def test_csv_has_every_outcome_and_no_phone_numbers(client, auth, runtime, token, people):
    action_id = active_action(client, auth)
    set_alerts(runtime, action_id, {"+31600000001": "answered", "+31600000002": "no_answer",
                                    "+31600000003": "delivered"})
    log_in(client)
    response = client.get(f"/console/actions/{action_id}/deliveries.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted(r["status"] for r in rows) == ["answered", "delivered", "no_answer"]
    assert {r["status_text"] for r in rows} == {"opgenomen", "afgeleverd", "geen gehoor"}
    assert "+316" not in text and "0600000" not in text and "phone" not in text.splitlines()[0]
    assert client.get("/console/actions/999/deliveries.csv").status_code == 404


def test_audit_log_for_supervisors(app, runtime, auth, people):
    client = app.test_client()
    action_id = active_action(client, auth)
    client.post(f"/api/actions/{action_id}/close", headers=auth, json={"outcome": "Aangehouden"})
    supervisor = as_role(app, runtime, "supervisor")
    page = supervisor.get("/console/audit").get_data(as_text=True)
    for words in ("concept gemaakt", "gestart", "afgesloten", "centralist", "outcome=Aangehouden"):
        assert words in page
    only = supervisor.get(f"/console/audit?action={action_id}").get_data(as_text=True)
    assert only.count("data-event=") == 3
    assert supervisor.get("/console/audit?action=x").status_code == 400
    assert as_role(app, runtime, "operator").get("/console/audit").status_code == 403


def test_an_admin_adds_and_disables_operators(app, runtime):
    admin = as_role(app, runtime, "admin")
    form = {"username": "nieuw", "password": "lang genoeg wachtwoord", "role": "operator",
            "csrf_token": csrf_of(admin, "/console/accounts")}
    added = admin.post("/console/accounts", data=form)
    assert added.status_code == 201 and "API-token voor nieuw" in added.get_data(as_text=True)
    assert admin.post("/console/accounts", data=form).status_code == 409  # the name is taken
    short = admin.post("/console/accounts", data={**form, "username": "kort", "password": "kort"})
    assert short.status_code == 422 and "password" in short.get_data(as_text=True)
    assert admin.post("/console/accounts", data={**form, "csrf_token": ""}).status_code == 403
    newcomer = app.test_client()
    assert log_in(newcomer, "nieuw", "lang genoeg wachtwoord").status_code == 302
    with runtime.sessions() as db:
        new_id = db.scalar(select(Operator.id).where(Operator.username == "nieuw"))
        admin_id = db.scalar(select(Operator.id).where(Operator.username == "user-admin"))
    token = csrf_of(admin, "/console/accounts")
    assert admin.post(f"/console/accounts/{new_id}/disabled",
                      data={"disabled": "true", "csrf_token": token}).status_code == 302
    assert newcomer.get("/console").status_code == 302  # their session ended at once
    assert log_in(app.test_client(), "nieuw", "lang genoeg wachtwoord").status_code == 401
    assert admin.post(f"/console/accounts/{admin_id}/disabled",
                      data={"disabled": "true", "csrf_token": token}).status_code == 409
    admin.post(f"/console/accounts/{new_id}/disabled", data={"disabled": "false", "csrf_token": token})
    assert log_in(app.test_client(), "nieuw", "lang genoeg wachtwoord").status_code == 302
    with runtime.sessions() as db:
        events = [e.event for e in db.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert events == ["account.created", "account.disabled", "account.enabled"]
    assert as_role(app, runtime, "supervisor").get("/console/accounts").status_code == 403


def test_english_on_request_and_no_open_redirect(client, token):
    log_in(client)
    assert "Overzicht" in client.get("/console").get_data(as_text=True)
    switched = client.get("/console/language/en?next=/console/history")
    assert switched.headers["Location"].endswith("/console/history")
    page = client.get("/console").get_data(as_text=True)
    assert 'lang="en"' in page and "Overview" in page and "Overzicht" not in page
    assert client.get("/console/language/nl?next=//evil.example/").headers["Location"] == "/console"
    assert "Overzicht" in client.get("/console").get_data(as_text=True)


def test_event_streams_are_capped_per_process_so_webhooks_keep_threads(app, auth, runtime, people):
    from gateway.config import Config
    assert Config().event_streams_per_process < 8  # the Procfile's threads per web process
    action_id = active_action(app.test_client(), auth)
    slots = runtime.config.event_streams_per_process
    open_streams = [app.test_client().get(f"/api/actions/{action_id}/events", headers=auth,
                                          buffered=False) for _ in range(slots)]
    assert [r.status_code for r in open_streams] == [200] * slots
    refused = app.test_client().get(f"/api/actions/{action_id}/events", headers=auth)
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "5"
    assert "retries by itself" in refused.json["error"]["message"]
    # A page closed: its slot is free again. (Closed last-opened first: in one thread the test
    # client stacks the streams' request contexts.)
    open_streams.pop().close()
    again = app.test_client().get(f"/api/actions/{action_id}/events", headers=auth, buffered=False)
    assert again.status_code == 200
    for response in [again, *reversed(open_streams)]:
        response.close()
