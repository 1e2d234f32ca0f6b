"""Twilio webhooks: signatures, replayed and reordered status callbacks, tip line, inbound SMS."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import func, select

from gateway.models import Action, Delivery, Participant, Tip, utcnow
from gateway.models.action import ACTIVE, CLOSED
from tests import factories
from tests.helpers import signed_post


@pytest.fixture
def alerted(runtime):
    """An active action with one voice and one SMS delivery already handed to the provider."""
    with runtime.transaction() as db:
        voice = factories.participant(db, "+31600000001", channel="voice")
        sms = factories.participant(db, "+31600000002", channel="sms")
        action = Action(incident_type="burglary", description="Man in rode jas",
                        area=factories.circle(), status=ACTIVE, started_at=utcnow())
        db.add(action)
        db.flush()
        rows = [Delivery(action_id=action.id, participant_id=p.id, phone=p.phone,
                         channel=ch, status="queued", provider_sid=sid)
                for p, ch, sid in [(voice, "voice", "CA1"), (sms, "sms", "SM1")]]
        db.add_all(rows)
        db.flush()
        return {"action": action.id, "voice": rows[0].id, "sms": rows[1].id}


def status_of(runtime, delivery_id):
    with runtime.sessions() as db:
        return db.get(Delivery, delivery_id).status


def call_callback(client, config, delivery_id, status, seq, **extra):
    params = {"CallSid": "CA1", "CallStatus": status, "SequenceNumber": str(seq), **extra}
    return signed_post(client, config, f"/twilio/status/call/{delivery_id}", params)


def test_forged_signature_is_403_and_changes_nothing(client, config, runtime, alerted):
    path = f"/twilio/status/call/{alerted['voice']}"
    params = {"CallSid": "CA1", "CallStatus": "completed"}
    assert client.post(path, data=params).status_code == 403
    assert client.post(path, data=params, headers={"X-Twilio-Signature": "forged"}).status_code == 403
    # Signed for other parameters than those sent: also refused.
    response = signed_post(client, config, path, {"CallSid": "CA1", "CallStatus": "busy"})
    assert response.status_code == 204
    tampered = client.post(path, data={**params, "CallStatus": "completed"},
                           headers={"X-Twilio-Signature": "x"})
    assert tampered.status_code == 403
    assert status_of(runtime, alerted["voice"]) == "busy"


def test_signature_uses_public_url_behind_a_proxy(client, config, alerted):
    """Flask sees http://localhost/...; Twilio signed the public URL. The public one must win."""
    path = f"/twilio/status/call/{alerted['voice']}"
    params = {"CallSid": "CA1", "CallStatus": "ringing"}
    from twilio.request_validator import RequestValidator
    local_signature = RequestValidator(config.twilio_auth_token).compute_signature(
        "http://localhost" + path, params)
    assert client.post(path, data=params, headers={"X-Twilio-Signature": local_signature}).status_code == 403
    assert signed_post(client, config, path, params).status_code == 204


def test_out_of_order_and_replayed_call_callbacks(client, config, runtime, alerted):
    d = alerted["voice"]
    call_callback(client, config, d, "completed", 3, AnsweredBy="human", CallDuration="31")
    call_callback(client, config, d, "ringing", 1)        # late
    call_callback(client, config, d, "in-progress", 2)    # late
    call_callback(client, config, d, "completed", 3, AnsweredBy="human")  # replay
    assert status_of(runtime, d) == "answered"


def test_voicemail_is_not_reached(client, config, runtime, alerted):
    call_callback(client, config, alerted["voice"], "completed", 3, AnsweredBy="machine_end_beep")
    assert status_of(runtime, alerted["voice"]) == "voicemail"


def test_message_callbacks_never_move_back(client, config, runtime, alerted):
    path = f"/twilio/status/message/{alerted['sms']}"
    signed_post(client, config, path, {"MessageSid": "SM1", "MessageStatus": "delivered"})
    signed_post(client, config, path, {"MessageSid": "SM1", "MessageStatus": "sent"})
    assert status_of(runtime, alerted["sms"]) == "delivered"


def test_undelivered_keeps_the_error_code(client, config, runtime, alerted):
    path = f"/twilio/status/message/{alerted['sms']}"
    signed_post(client, config, path, {"MessageSid": "SM1", "MessageStatus": "undelivered",
                                       "ErrorCode": "30003"})
    with runtime.sessions() as db:
        row = db.get(Delivery, alerted["sms"])
    assert (row.status, row.error_code) == ("undelivered", "30003")


def test_callback_for_another_sid_is_ignored(client, config, runtime, alerted):
    path = f"/twilio/status/call/{alerted['voice']}"
    signed_post(client, config, path, {"CallSid": "CAother", "CallStatus": "completed"})
    assert status_of(runtime, alerted["voice"]) == "queued"


def test_answered_after_close_still_gets_the_outcome(client, config, runtime, alerted):
    with runtime.transaction() as db:
        action = db.get(Action, alerted["action"])
        action.status, action.outcome, action.closed_at = CLOSED, "Verdachte aangehouden.", utcnow()
    call_callback(client, config, alerted["voice"], "completed", 3, AnsweredBy="human")
    # The follow-up job is queued; run only the outcome creation, not the sending.
    job = runtime.jobs.queues["alerts"].jobs[-1]
    assert job.func_name == "worker.jobs.outcome_for"
    from worker import jobs
    jobs.outcome_for(alerted["voice"])
    with runtime.sessions() as db:
        outcomes = db.execute(select(Delivery.phone, Delivery.purpose)
                              .where(Delivery.purpose == "outcome")).all()
    assert outcomes == [("+31600000001", "outcome")]


def test_alert_twiml_speaks_the_message_twice_then_the_tipline(client, config, alerted):
    response = signed_post(client, config, f"/twilio/voice/message/{alerted['voice']}",
                           {"CallSid": "CA1", "AnsweredBy": "human"})
    assert response.status_code == 200
    says = [e for e in ET.fromstring(response.data) if e.tag == "Say"]
    assert len(says) == 3
    assert says[0].text == says[1].text and "Man in rode jas." in says[0].text
    assert says[0].get("language") == "nl-NL" and says[0].get("voice") == config.tts_voice
    assert "0 8 0 0, 0 0 1 1" in says[2].text


def test_tipline_links_caller_and_records_a_tip_once(client, config, runtime, alerted):
    welcome = signed_post(client, config, "/twilio/voice/tipline",
                          {"CallSid": "CAin", "From": "+31600000001", "To": config.tipline_number})
    gather = ET.fromstring(welcome.data).find("Gather")
    assert gather is not None and gather.get("numDigits") == "1"
    menu_url = gather.get("action")
    assert f"action={alerted['action']}" in menu_url

    menu_path = menu_url.removeprefix(config.public_base_url)
    record = signed_post(client, config, menu_path, {"CallSid": "CAin", "From": "+31600000001",
                                                     "Digits": "2"})
    recorder = ET.fromstring(record.data).find("Record")
    assert recorder is not None
    recorded_path = recorder.get("action").removeprefix(config.public_base_url)
    params = {"CallSid": "CAin", "From": "+31600000001", "RecordingSid": "RE1",
              "RecordingUrl": "https://api.twilio.com/rec/RE1", "RecordingDuration": "12"}
    assert signed_post(client, config, recorded_path, params).status_code == 200
    signed_post(client, config, recorded_path, params)  # replay
    with runtime.sessions() as db:
        tips = db.scalars(select(Tip)).all()
    assert [(t.action_id, t.kind, t.duration_s) for t in tips] == [(alerted["action"], "recording", 12)]


def test_tipline_connects_to_control_room_and_falls_back_to_recording(client, config, alerted):
    welcome = signed_post(client, config, "/twilio/voice/tipline",
                          {"CallSid": "CAin", "From": "+31699999999"})
    menu_path = ET.fromstring(welcome.data).find("Gather").get("action").removeprefix(
        config.public_base_url)
    connect = ET.fromstring(signed_post(client, config, menu_path, {"CallSid": "CAin"}).data)
    dial = connect.find("Dial")
    assert dial.find("Number").text == config.control_room_number
    dialed_path = dial.get("action").removeprefix(config.public_base_url)
    fallback = ET.fromstring(signed_post(client, config, dialed_path,
                                         {"CallSid": "CAin", "DialCallStatus": "no-answer"}).data)
    assert fallback.find("Record") is not None


def test_inbound_sms_becomes_a_tip_and_stop_unsubscribes(client, config, runtime, alerted):
    reply = signed_post(client, config, "/twilio/sms/inbound",
                        {"MessageSid": "SMin1", "From": "+31600000002", "Body": "Zag hem bij station"})
    assert "bedankt" in reply.data.decode().lower()
    signed_post(client, config, "/twilio/sms/inbound",
                {"MessageSid": "SMin2", "From": "+31600000002", "Body": " stop "})
    with runtime.sessions() as db:
        tips = [(t.kind, t.body, t.action_id) for t in db.scalars(select(Tip))]
        active = db.scalar(select(Participant.active).where(Participant.phone == "+31600000002"))
        assert db.scalar(select(func.count()).select_from(Tip)) == 1
    assert tips == [("sms", "Zag hem bij station", alerted["action"])]
    assert active is False

