"""The tip line's webhooks, recordings and the operators' tip API, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from gateway import recordings
from gateway.models import Action, AuditEvent, Delivery, Recording, Tip, utcnow
from gateway.models.action import ACTIVE, DRAFT
from tests import factories
from tests.helpers import signed_post

RED_LINE = "+31881111111"
ALERTED_AT = datetime(2026, 11, 22, 13, 3, tzinfo=UTC)  # 14:03 in Amsterdam
BOTH, RED_ONLY, STRANGER = "+31600000011", "+31600000012", "+31699999999"


@pytest.fixture
def actions(runtime):
    """Two active actions: red (its own operator line, started first) and blue. BOTH was alerted
    for both, RED_ONLY for red only, and an English speaker for blue."""
    with runtime.transaction() as db:
        people = {phone: factories.participant(db, phone, language=lang) for phone, lang in
                  [(BOTH, "nl"), (RED_ONLY, "nl"), ("+31600000013", "en")]}
        red = Action(incident_type="burglary", description="Man, 1.80 m, rode jas",
                     area=factories.circle(), status=ACTIVE, operator_line=RED_LINE,
                     started_at=utcnow() - timedelta(minutes=30))
        blue = Action(incident_type="robbery", description="Vrouw in blauwe auto",
                      area=factories.circle(), status=ACTIVE, started_at=utcnow())
        db.add_all([red, blue])
        db.flush()
        for action, phone, status in [(red, BOTH, "answered"), (blue, BOTH, "delivered"),
                                      (red, RED_ONLY, "answered"), (blue, "+31600000013", "queued"),
                                      (blue, RED_ONLY, "failed")]:
            db.add(Delivery(action_id=action.id, participant_id=people[phone].id, phone=phone,
                            channel="voice", status=status, attempts=1, claimed_at=ALERTED_AT))
        return {"red": red.id, "blue": blue.id}


def post(client, config, url_or_path, **form):
    path = url_or_path.removeprefix(config.public_base_url)
    response = signed_post(client, config, path, form)
    assert response.status_code in (200, 204), response.data
    return ET.fromstring(response.data) if response.data else None


def query(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def call(client, config, caller, sid="CAin"):
    return post(client, config, "/twilio/voice/tipline", CallSid=sid, From=caller,
                To=config.tipline_number, Direction="inbound")


def tips_of(runtime):
    with runtime.sessions() as db:
        return db.scalars(select(Tip).order_by(Tip.id)).all()


def test_an_alerted_caller_hears_the_action_and_reaches_its_own_line(client, config, runtime,
                                                                     actions):
    welcome = call(client, config, RED_ONLY)
    assert "U belt over: Man, 1.80 m, rode jas." in [s.text for s in welcome.iter("Say")]
    menu_url = welcome.find("Gather").get("action")
    dial = post(client, config, menu_url, CallSid="CAin", From=RED_ONLY, Digits="1").find("Dial")
    assert dial.get("callerId") == RED_ONLY
    number = dial.find("Number")
    assert number.text == RED_LINE
    whisper = post(client, config, number.get("url"), CallSid="CAchild", From=RED_ONLY,
                   To=RED_LINE, Direction="outbound-dial")
    assert whisper.find("Say").text == (f"Burgernet-tip voor actie {actions['red']}. "
                                        "De beller is gewaarschuwd om 14:03.")
    for _ in range(2):  # the second is a replay
        done = post(client, config, dial.get("action"), CallSid="CAin", From=RED_ONLY,
                    DialCallStatus="completed", DialCallDuration="42")
    assert [e.tag for e in done] == ["Hangup"]
    [tip] = tips_of(runtime)
    assert (tip.action_id, tip.kind, tip.duration_s, tip.call_sid) == (actions["red"], "call", 42,
                                                                       "CAin")
    assert tip.alerted_at == ALERTED_AT


def test_several_actions_choose_by_digit(client, config, runtime, actions):
    welcome = call(client, config, BOTH)
    gather = welcome.find("Gather")
    # Newest first: blue started after red.
    assert query(gather.get("action"))["actions"] == f"{actions['blue']},{actions['red']}"
    chosen = post(client, config, gather.get("action"), CallSid="CAin", From=BOTH, Digits="2")
    menu_url = chosen.find("Gather").get("action")
    assert query(menu_url)["action"] == str(actions["red"])
    record = post(client, config, menu_url, CallSid="CAin", From=BOTH, Digits="2").find("Record")
    assert query(record.get("recordingStatusCallback"))["action"] == str(actions["red"])


def test_no_choice_twice_puts_the_caller_through_to_the_newest(client, config, actions):
    choose_url = call(client, config, BOTH).find("Gather").get("action")
    again = post(client, config, choose_url, CallSid="CAin", From=BOTH)
    assert again.find("Say").text == "We hebben geen toets gehoord."
    dial = post(client, config, again.find("Gather").get("action"), CallSid="CAin", From=BOTH,
                Digits="8").find("Dial")
    assert dial.find("Number").text == config.control_room_number  # blue has no line of its own
    assert query(dial.get("action"))["action"] == str(actions["blue"])


def test_the_callers_language_is_used(client, config, actions):
    welcome = call(client, config, "+31600000013")
    assert welcome.find("Say").text == "Welcome to the Burgernet tip line."
    assert query(welcome.find("Gather").get("action"))["lang"] == "en"


@pytest.mark.parametrize("caller", [STRANGER, "anonymous", "+266696687", ""])
def test_strangers_and_withheld_numbers_get_the_general_menu_unlinked(client, config, runtime,
                                                                     actions, caller):
    welcome = call(client, config, caller)
    assert "belt over" not in " ".join(s.text for s in welcome.iter("Say"))
    menu_url = welcome.find("Gather").get("action")
    assert query(menu_url)["action"] == "none"  # two actions active: nobody can tell which
    dial = post(client, config, menu_url, CallSid="CAin", From=caller, Digits="1").find("Dial")
    assert dial.find("Number").text == config.control_room_number
    assert dial.get("callerId") is None if caller != STRANGER else dial.get("callerId") == STRANGER
    whisper = post(client, config, dial.find("Number").get("url"), CallSid="CAchild")
    assert whisper.find("Say").text == "Burgernet-tip, niet gekoppeld aan een actie."
    fallback = post(client, config, dial.get("action"), CallSid="CAin", From=caller,
                    DialCallStatus="no-answer")
    record = fallback.find("Record")
    post(client, config, record.get("action"), CallSid="CAin", From=caller, RecordingSid="RE9",
         RecordingUrl="https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE9",
         RecordingDuration="7", Digits="hangup")
    [tip] = tips_of(runtime)
    assert (tip.action_id, tip.kind, tip.alerted_at) == (None, "recording", None)
    assert tip.phone == (STRANGER if caller == STRANGER else None)


def test_a_stranger_is_linked_when_one_action_is_active(client, config, runtime, actions):
    with runtime.transaction() as db:
        db.get(Action, actions["blue"]).status = "closed"
    welcome = call(client, config, STRANGER)
    menu_url = welcome.find("Gather").get("action")
    assert query(menu_url)["action"] == str(actions["red"])
    whisper_url = post(client, config, menu_url, CallSid="CAin", From=STRANGER,
                       Digits="1").find("Dial/Number").get("url")
    assert post(client, config, whisper_url, CallSid="CAchild").find("Say").text == (
        f"Burgernet-tip voor actie {actions['red']}. De beller is niet voor deze actie "
        "gewaarschuwd.")


def test_the_alert_calls_key_2_reaches_the_actions_line(client, config, runtime, actions):
    with runtime.sessions() as db:
        delivery = db.scalar(select(Delivery).where(Delivery.phone == RED_ONLY,
                                                    Delivery.action_id == actions["red"]))
    dial = post(client, config, f"/twilio/voice/keys/{delivery.id}", CallSid="CAalert",
                Digits="2", From=config.voice_from_number, To=RED_ONLY,
                Direction="outbound-api").find("Dial")
    assert dial.find("Number").text == RED_LINE and dial.get("callerId") == RED_ONLY


def recording_callback(client, config, action_id, sid="RE1", url=None, status="completed"):
    url = url or f"https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/{sid}"
    return post(client, config, f"/twilio/voice/tipline/recording?action={action_id}",
                AccountSid="AC1", CallSid="CAin", RecordingSid=sid, RecordingUrl=url,
                RecordingStatus=status, RecordingDuration="12", RecordingChannels="1",
                RecordingSource="RecordVerb")


def record_action(client, config, action_id, sid="RE1", caller=RED_ONLY):
    return post(client, config, f"/twilio/voice/tipline/recorded?action={action_id}&lang=nl",
                CallSid="CAin", From=caller, RecordingSid=sid, Digits="hangup",
                RecordingUrl=f"https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/{sid}",
                RecordingDuration="11")


@pytest.mark.parametrize("callback_first", [True, False])
def test_a_recording_is_stored_once_and_linked_to_its_tip_in_either_order(
        client, config, runtime, actions, callback_first):
    steps = [lambda: recording_callback(client, config, actions["red"]),
             lambda: record_action(client, config, actions["red"])]
    for step in (steps if callback_first else steps[::-1]) * 2:  # then both replayed
        step()
    with runtime.sessions() as db:
        [recording] = db.scalars(select(Recording)).all()
        [tip] = db.scalars(select(Tip)).all()
    assert (recording.sid, recording.call_sid, recording.duration_s, recording.action_id) == (
        "RE1", "CAin", 12, actions["red"])
    assert recording.tip_id == tip.id and tip.duration_s == 12  # the provider's final word
    assert recording.url.endswith("/Recordings/RE1")


def test_a_recording_link_elsewhere_is_not_kept(client, config, runtime, actions):
    recording_callback(client, config, actions["red"], url="https://evil.example/RE1")
    with runtime.sessions() as db:
        assert db.scalar(select(Recording.url)) is None


def test_a_forged_recording_callback_changes_nothing(client, config, runtime, actions):
    response = client.post(f"/twilio/voice/tipline/recording?action={actions['red']}",
                           data={"RecordingSid": "RE1", "RecordingUrl": "https://api.twilio.com/x"},
                           headers={"X-Twilio-Signature": "forged"})
    assert response.status_code == 403
    with runtime.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Recording)) == 0


class Provider:
    def __init__(self, refuse=()):
        self.deleted, self.refuse = [], set(refuse)

    def delete_recording(self, sid):
        if sid in self.refuse:
            return False
        self.deleted.append(sid)
        return True


def test_purge_deletes_old_recordings_there_and_here_and_keeps_the_tips(
        client, config, runtime, actions, monkeypatch):
    for sid in ("REold", "REnew", "REstuck"):
        record_action(client, config, actions["red"], sid=sid)
        recording_callback(client, config, actions["red"], sid=sid)
    long_ago = utcnow() - timedelta(days=config.recording_retention_days + 1)
    with runtime.transaction() as db:
        for row in db.scalars(select(Recording).where(Recording.sid != "REnew")):
            row.created_at = long_ago
    provider = Provider(refuse={"REstuck"})
    monkeypatch.setattr(runtime, "provider", provider)
    assert recordings.purge(runtime) == 1
    assert provider.deleted == ["REold"]
    with runtime.sessions() as db:
        left = set(db.scalars(select(Recording.sid)))
        urls = {t.provider_sid: t.recording_url for t in db.scalars(select(Tip))}
    assert left == {"REnew", "REstuck"}  # stuck: tried again on the next run
    assert urls["REold"] is None and urls["REnew"] and urls["REstuck"]


def test_purge_recordings_command(runtime, config, monkeypatch, capsys):
    from gateway import cli
    from gateway.runtime import Runtime

    monkeypatch.setattr(Runtime, "from_config", classmethod(lambda cls, c: runtime))
    cli.main(["purge-recordings"])
    assert "0 recordings older than 30 days deleted" in capsys.readouterr().out


# -- the operators' API ---------------------------------------------------------------------------

def tip_rows(runtime, action_id, phones_and_kinds):
    with runtime.transaction() as db:
        for i, (phone, kind) in enumerate(phones_and_kinds):
            from gateway import tips
            tips.save(db, action_id=action_id, kind=kind, channel="voice", phone=phone,
                      provider_sid=f"CA{action_id}x{i}", call_sid=f"CA{action_id}x{i}")


def test_a_caller_who_calls_three_times_is_one_caller_without_the_number(
        client, auth, runtime, actions, caplog):
    caplog.set_level(logging.INFO)
    tip_rows(runtime, actions["red"], [(RED_ONLY, "call")] * 3 + [(STRANGER, "call")])
    body = client.get(f"/api/actions/{actions['red']}/tips", headers=auth).get_json()["tips"]
    assert len(body) == 4
    assert len({t["caller"] for t in body[:3]}) == 1 and body[3]["caller"] != body[0]["caller"]
    assert [t["caller_tips"] for t in body] == [3, 3, 3, 1]
    assert body[0]["phone"] == "+316*****012" and body[0]["alerted"] is True
    assert body[0]["alerted_at"].startswith("2026-11-22T13:03")
    assert body[3]["alerted"] is False and body[3]["alerted_at"] is None
    whole = client.get(f"/api/actions/{actions['red']}", headers=auth).get_data(as_text=True)
    listed = client.get("/api/tips", headers=auth).get_data(as_text=True)
    for text in (whole, listed, caplog.text):
        assert RED_ONLY not in text and STRANGER not in text


def test_link_handle_and_note_a_tip(client, auth, runtime, actions):
    tip_rows(runtime, None, [(RED_ONLY, "call")])
    [unlinked] = client.get("/api/tips?unlinked=true", headers=auth).get_json()["tips"]
    assert unlinked["action_id"] is None and unlinked["alerted"] is False
    changed = client.patch(f"/api/tips/{unlinked['id']}", headers=auth, json={
        "action_id": actions["red"], "handled": True, "note": " Teruggebeld "})
    assert changed.status_code == 200, changed.get_json()
    tip = changed.get_json()
    assert (tip["action_id"], tip["handled"], tip["note"], tip["alerted"]) == (
        actions["red"], True, "Teruggebeld", True)
    assert client.get("/api/tips?unlinked=true", headers=auth).get_json()["tips"] == []
    assert [t["id"] for t in client.get(f"/api/actions/{actions['red']}/tips?handled=true",
                                        headers=auth).get_json()["tips"]] == [tip["id"]]
    assert client.get(f"/api/actions/{actions['red']}/tips?handled=false",
                      headers=auth).get_json()["tips"] == []
    reopened = client.patch(f"/api/tips/{tip['id']}", headers=auth,
                            json={"handled": False, "note": None, "action_id": None}).get_json()
    assert (reopened["handled"], reopened["handled_at"], reopened["note"],
            reopened["action_id"]) == (False, None, None, None)
    with runtime.sessions() as db:
        events = db.scalars(select(AuditEvent.event).where(AuditEvent.event == "tip.updated")).all()
    assert len(events) == 2


@pytest.mark.parametrize("body, status, field", [
    ({}, 422, None),
    ({"phone": "+31600000000"}, 422, "phone"),
    ({"handled": "yes"}, 422, "handled"),
    ({"note": "x" * 2001}, 422, "note"),
    ({"note": "   "}, 422, "note"),
    ({"note": "a\x00b"}, 422, "note"),
    ({"action_id": "12"}, 422, "action_id"),
    ({"action_id": True}, 422, "action_id"),
    ({"action_id": 999999}, 422, "action_id"),
    ({"action_id": 2**40}, 422, "action_id"),
    ({"action_id": "draft"}, 422, "action_id"),
])
def test_bad_changes_name_the_field_and_change_nothing(client, auth, runtime, actions, body,
                                                       status, field):
    tip_rows(runtime, actions["red"], [(RED_ONLY, "call")])
    if body.get("action_id") == "draft":
        with runtime.transaction() as db:
            draft = Action(incident_type="other", description="x", area=factories.circle(),
                           status=DRAFT)
            db.add(draft)
            db.flush()
            body = {"action_id": draft.id, "handled": True}
    with runtime.sessions() as db:
        tip_id = db.scalar(select(Tip.id))
    answer = client.patch(f"/api/tips/{tip_id}", headers=auth, json=body)
    assert answer.status_code == status and answer.get_json()["error"]["field"] == field
    with runtime.sessions() as db:
        tip = db.get(Tip, tip_id)
    assert (tip.action_id, tip.handled_at, tip.note) == (actions["red"], None, None)


def test_tip_api_needs_the_right_role(client, auth, staff_auth, runtime, actions):
    tip_rows(runtime, actions["red"], [(RED_ONLY, "call")])
    assert client.get("/api/tips", headers=staff_auth).status_code == 403
    assert client.patch("/api/tips/1", headers=staff_auth, json={"handled": True}).status_code == 403
    assert client.patch("/api/tips/1", json={"handled": True}).status_code == 401
    assert client.patch("/api/tips/4242", headers=auth, json={"handled": True}).status_code == 404
    assert client.get("/api/tips?handled=maybe", headers=auth).get_json()["error"]["field"] == "handled"


def test_an_action_may_name_its_own_operator_line(client, auth):
    area = {"type": "Circle", "center": [4.4931, 52.0575], "radius_m": 500}
    made = client.post("/api/actions", headers=auth, json={
        "incident_type": "burglary", "description": "Man in rode jas", "area": area,
        "operator_line": "088 123 4567"})
    assert made.status_code == 201 and made.get_json()["operator_line"] == "+31881234567"
    bad = client.post("/api/actions", headers=auth, json={
        "incident_type": "burglary", "description": "Man in rode jas", "area": area,
        "operator_line": "12"})
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "operator_line"


def test_a_tip_without_a_recording_has_nothing_to_play(client, auth, runtime, actions):
    tip_rows(runtime, actions["red"], [(RED_ONLY, "call")])
    with runtime.sessions() as db:
        tip_id = db.scalar(select(Tip.id))
    answer = client.get(f"/api/tips/{tip_id}/recording", headers=auth)
    assert answer.status_code == 404 and answer.get_json()["error"]["field"] == "recording"
    assert client.get("/api/tips/4242/recording", headers=auth).status_code == 404


def sms(client, config, sender, sid, body="Zag hem bij het station"):
    return signed_post(client, config, "/twilio/sms/inbound",
                       {"MessageSid": sid, "From": sender, "To": config.sms_from, "Body": body})


def test_a_text_from_an_alerted_participant_is_a_tip_for_that_action_confirmed_once(
        client, config, runtime, actions):
    replies = [sms(client, config, RED_ONLY, "SM1").data, sms(client, config, RED_ONLY, "SM2").data,
               sms(client, config, "whatsapp:" + BOTH, "SM3").data]
    assert [b"<Message>" in r for r in replies] == [True, False, True]
    assert b"bedankt voor uw tip" in replies[0]
    tips = [(t.action_id, t.channel, t.alerted_at is not None) for t in tips_of(runtime)]
    # RED_ONLY's blue alert failed: red is theirs. BOTH: the newest action that alerted them.
    assert tips == [(actions["red"], "sms", True), (actions["red"], "sms", True),
                    (actions["blue"], "whatsapp", True)]


def test_tip_responses_conform_to_the_openapi_document(client, config, auth, runtime, actions):
    from openapi_core import OpenAPI

    from tests.test_openapi import conforms

    document_spec = OpenAPI.from_dict(client.get("/api/openapi.json").json)
    record_action(client, config, actions["red"])
    tip_rows(runtime, actions["red"], [(RED_ONLY, "call")])
    tips = conforms(document_spec, client.get(f"/api/actions/{actions['red']}/tips",
                                              headers=auth), 200)["tips"]
    assert len(tips) == 2 and tips[0]["recording_url"]
    conforms(document_spec, client.get("/api/tips?handled=false", headers=auth), 200)
    conforms(document_spec, client.get(f"/api/actions/{actions['red']}", headers=auth), 200)
    conforms(document_spec, client.patch(f"/api/tips/{tips[1]['id']}", headers=auth,
                                         json={"handled": True, "note": "Teruggebeld"}), 200)
    conforms(document_spec, client.patch(f"/api/tips/{tips[1]['id']}", headers=auth,
                                         json={"colour": "red"}), 422)
    conforms(document_spec, client.get("/api/tips/4242/recording", headers=auth), 404)


def test_the_scheduled_purge_also_purges_recordings(runtime, monkeypatch):
    """The workers' one purge schedule (worker/purge.py: once per round across all workers,
    tested in test_privacy.py) enqueues the recordings' purge with its own."""
    from tests.helpers import run_jobs
    from worker import purge

    purged = []
    monkeypatch.setattr(recordings, "purge", lambda rt: purged.append(rt) or 0)
    purge.enqueue(runtime)
    run_jobs(runtime)
    assert purged == [runtime]
