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
                         channel=ch, status="queued", provider_sid=sid, attempts=1)
                for p, ch, sid in [(voice, "voice", "CA1"), (sms, "sms", "SM1")]]
        db.add_all(rows)
        db.flush()
        return {"action": action.id, "voice": rows[0].id, "sms": rows[1].id}


def status_of(runtime, delivery_id):
    with runtime.sessions() as db:
        return db.get(Delivery, delivery_id).status


def call_callback(client, config, delivery_id, status, seq, **extra):
    params = {"CallSid": "CA1", "CallStatus": status, "SequenceNumber": str(seq), **extra}
    return signed_post(client, config, f"/twilio/status/voice/{delivery_id}/1", params)


def test_forged_signature_is_403_and_changes_nothing(client, config, runtime, alerted):
    path = f"/twilio/status/voice/{alerted['voice']}/1"
    params = {"CallSid": "CA1", "CallStatus": "completed"}
    assert client.post(path, data=params).status_code == 403
    assert client.post(path, data=params, headers={"X-Twilio-Signature": "forged"}).status_code == 403
    # Signed for other parameters than those sent: also refused.
    response = signed_post(client, config, path, {"CallSid": "CA1", "CallStatus": "failed"})
    assert response.status_code == 204
    tampered = client.post(path, data={**params, "CallStatus": "completed"},
                           headers={"X-Twilio-Signature": "x"})
    assert tampered.status_code == 403
    assert status_of(runtime, alerted["voice"]) == "failed"


def test_signature_uses_public_url_behind_a_proxy(client, config, alerted):
    """Flask sees http://localhost/...; Twilio signed the public URL. The public one must win."""
    path = f"/twilio/status/voice/{alerted['voice']}/1"
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


def test_voicemail_is_its_own_final_state(client, config, runtime, alerted):
    call_callback(client, config, alerted["voice"], "completed", 3, AnsweredBy="machine_end_beep")
    assert status_of(runtime, alerted["voice"]) == "voicemail"


def test_message_callbacks_never_move_back(client, config, runtime, alerted):
    path = f"/twilio/status/sms/{alerted['sms']}/1"
    signed_post(client, config, path, {"MessageSid": "SM1", "MessageStatus": "delivered"})
    signed_post(client, config, path, {"MessageSid": "SM1", "MessageStatus": "sent"})
    assert status_of(runtime, alerted["sms"]) == "delivered"


def test_undelivered_keeps_the_error_code(client, config, runtime, alerted):
    path = f"/twilio/status/sms/{alerted['sms']}/1"
    signed_post(client, config, path, {"MessageSid": "SM1", "MessageStatus": "undelivered",
                                       "ErrorCode": "30003"})
    with runtime.sessions() as db:
        row = db.get(Delivery, alerted["sms"])
    assert (row.status, row.error_code) == ("undelivered", "30003")


def test_callback_for_another_sid_is_ignored(client, config, runtime, alerted):
    path = f"/twilio/status/voice/{alerted['voice']}/1"
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


def test_alert_twiml_speaks_at_once_offers_keys_then_the_tipline(client, config, alerted):
    response = signed_post(client, config, f"/twilio/voice/message/{alerted['voice']}",
                           {"CallSid": "CA1"})
    assert response.status_code == 200
    root = ET.fromstring(response.data)
    assert root[0].tag == "Gather"  # nothing before the message: no silence while AMD runs
    gather = root[0]
    assert gather.get("numDigits") == "1"
    assert gather.get("action") == f"{config.public_base_url}/twilio/voice/keys/{alerted['voice']}"
    message, keys = [e.text for e in gather if e.tag == "Say"]
    assert "Man in rode jas." in message and "Onderneem zelf niets" in message
    assert "Toets 1" in keys and "Toets 2" in keys
    assert gather[0].get("language") == "nl-NL" and gather[0].get("voice") == config.tts_voice
    after = [e for e in root[1:] if e.tag == "Say"]
    assert "0 8 0 0, 0 0 1 1" in after[0].text and root[-1].tag == "Hangup"


def test_key_1_repeats_the_alert_and_key_2_connects_to_the_control_room(client, config, runtime,
                                                                         alerted):
    path = f"/twilio/voice/keys/{alerted['voice']}"
    again = ET.fromstring(signed_post(client, config, path, {"CallSid": "CA1", "Digits": "1"}).data)
    assert "Man in rode jas." in again.find("Gather").find("Say").text
    params = {"CallSid": "CA1", "Digits": "2", "Direction": "outbound-api",
              "From": config.voice_from_number, "To": "+31600000001"}
    dial = ET.fromstring(signed_post(client, config, path, params).data).find("Dial")
    assert dial.find("Number").text == config.control_room_number
    dialed = dial.get("action").removeprefix(config.public_base_url)
    assert f"action={alerted['action']}" in dialed
    signed_post(client, config, dialed, {**params, "DialCallStatus": "completed",
                                         "DialCallDuration": "40"})
    with runtime.sessions() as db:
        tip = db.scalars(select(Tip)).one()
    # The tip carries the participant's number, not our caller ID.
    assert (tip.action_id, tip.kind, tip.phone, tip.duration_s) == (
        alerted["action"], "call", "+31600000001", 40)


def test_machine_verdict_redirects_the_live_call_to_the_short_voicemail(
        client, config, runtime, alerted, monkeypatch):
    redirected = []
    monkeypatch.setattr(type(runtime.provider), "redirect_call",
                        lambda self, sid, url: redirected.append((sid, url)))
    path = f"/twilio/voice/amd/{alerted['voice']}/1"
    assert signed_post(client, config, path, {"CallSid": "CA1", "AnsweredBy": "human"}
                       ).status_code == 204
    assert redirected == []
    signed_post(client, config, path, {"CallSid": "CA1", "AnsweredBy": "machine_end_beep"})
    voicemail_url = f"{config.public_base_url}/twilio/voice/voicemail/{alerted['voice']}"
    assert redirected == [("CA1", voicemail_url)]
    short = ET.fromstring(signed_post(client, config, voicemail_url.removeprefix(
        config.public_base_url), {"CallSid": "CA1"}).data)
    words = short.find("Say").text
    assert "Man in rode jas." in words and words.endswith("0 8 0 0, 0 0 1 1.")
    # The completed callback carries no verdict; the one we were told before decides.
    call_callback(client, config, alerted["voice"], "completed", 4)
    assert status_of(runtime, alerted["voice"]) == "voicemail"


def test_callback_of_an_earlier_attempt_changes_nothing(client, config, runtime, alerted):
    with runtime.transaction() as db:
        db.get(Delivery, alerted["voice"]).attempts = 2
    call_callback(client, config, alerted["voice"], "completed", 3, AnsweredBy="human")
    assert status_of(runtime, alerted["voice"]) == "queued"


@pytest.mark.parametrize("call_status", ["busy", "no-answer"])
def test_busy_or_unanswered_alert_is_redialled_by_policy(client, config, runtime, alerted,
                                                          call_status):
    call_callback(client, config, alerted["voice"], call_status, 2)
    call_callback(client, config, alerted["voice"], call_status, 2)  # a replay
    with runtime.sessions() as db:
        row = db.get(Delivery, alerted["voice"])
    assert (row.status, row.redials, row.provider_sid) == ("retry", 1, None)
    assert row.error_code == call_status.replace("-", "_")
    wait = (row.next_attempt_at - utcnow()).total_seconds()
    assert config.call_retry_delays[0] - 5 < wait <= config.call_retry_delays[0]
    scheduled = runtime.jobs.queues["alerts"].scheduled_job_registry.get_job_ids()
    assert scheduled == [runtime.jobs.retry_key(alerted["voice"], 1)]


def test_no_redial_after_the_action_closed(client, config, runtime, alerted):
    with runtime.transaction() as db:
        action = db.get(Action, alerted["action"])
        action.status, action.outcome, action.closed_at = CLOSED, "Gevonden.", utcnow()
    call_callback(client, config, alerted["voice"], "busy", 2)
    assert status_of(runtime, alerted["voice"]) == "busy"


def test_inbound_whatsapp_becomes_a_tip_with_a_plain_number(client, config, runtime, alerted):
    reply = signed_post(client, config, "/twilio/sms/inbound", {
        "MessageSid": "SMwa1", "From": "whatsapp:+31600000002", "To": "whatsapp:+31790000001",
        "Body": "Hij liep richting het park", "ProfileName": "Jan", "WaId": "31600000002"})
    assert reply.status_code == 200 and "bedankt" in reply.data.decode().lower()
    signed_post(client, config, "/twilio/sms/inbound", {
        "MessageSid": "SMjunk", "From": "x" * 300, "Body": "?"})
    with runtime.sessions() as db:
        tips = [(t.channel, t.phone, t.action_id) for t in db.scalars(select(Tip).order_by(Tip.id))]
    # Junk as a sender is kept out of the phone column; with one action active it is linked.
    assert tips == [("whatsapp", "+31600000002", alerted["action"]),
                    ("sms", None, alerted["action"])]


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
    # No key: the menu once more, then the operator.
    again = ET.fromstring(signed_post(client, config, menu_path, {"CallSid": "CAin"}).data)
    menu_path = again.find("Gather").get("action").removeprefix(config.public_base_url)
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



def test_sms_pumping_gets_no_replies_and_a_flood_is_not_stored(client, config, runtime, alerted):
    """Anyone can text us. A stranger gets no reply at all; a participant at most five a day;
    one sender's tips are kept up to an hour's limit."""
    from gateway.webhooks.messaging import REPLIES_PER_DAY, TIPS_PER_HOUR
    stranger_replies = [signed_post(client, config, "/twilio/sms/inbound", {
        "MessageSid": f"SMpump{i}", "From": "+31699990000", "Body": "hallo"}).data
        for i in range(TIPS_PER_HOUR + 10)]
    assert all(b"<Message>" not in r for r in stranger_replies)
    participant_replies = [signed_post(client, config, "/twilio/sms/inbound", {
        "MessageSid": f"SMknown{i}", "From": "+31600000002", "Body": f"tip {i}"}).data
        for i in range(REPLIES_PER_DAY + 3)]
    # One confirmation per action: more would invite pumping (REPLIES_PER_DAY caps the rest).
    assert sum(b"<Message>" in r for r in participant_replies) == 1
    assert len(participant_replies) > REPLIES_PER_DAY
    with runtime.sessions() as db:
        from_stranger = db.scalar(select(func.count()).select_from(Tip).where(
            Tip.phone == "+31699990000"))
    assert from_stranger == TIPS_PER_HOUR
    stop = signed_post(client, config, "/twilio/sms/inbound", {
        "MessageSid": "SMstop", "From": "+31699990001", "Body": "STOP"})
    assert b"<Message>" not in stop.data  # not ours to confirm: we never texted them


def test_an_errored_call_is_failed_not_reached(client, config, runtime, alerted):
    call_callback(client, config, alerted["voice"], "completed", 3, AnsweredBy="human",
                  ErrorCode="12100")
    with runtime.sessions() as db:
        row = db.get(Delivery, alerted["voice"])
    assert (row.status, row.error_code) == ("failed", "12100")


def test_a_callback_with_another_deliverys_sid_is_ignored(client, config, runtime, alerted):
    with runtime.transaction() as db:
        db.get(Delivery, alerted["voice"]).provider_sid = None  # still being sent
    path = f"/twilio/status/voice/{alerted['voice']}/1"
    response = signed_post(client, config, path, {"CallSid": "SM1", "CallStatus": "ringing"})
    assert response.status_code == 204
    with runtime.sessions() as db:
        row = db.get(Delivery, alerted["voice"])
    assert (row.status, row.provider_sid) == ("queued", None)


@pytest.mark.parametrize("word", ["STOP", "stoppen", "Afmelden"])
def test_every_stop_word_opts_out_at_once_and_confirms(client, config, runtime, alerted, word):
    reply = signed_post(client, config, "/twilio/sms/inbound",
                        {"MessageSid": f"SM{word}", "From": "+31600000002", "Body": word})
    assert "u ontvangt geen berichten meer" in reply.data.decode()
    with runtime.sessions() as db:
        assert db.scalar(select(Participant.active).where(Participant.phone == "+31600000002")) is False
        assert db.scalar(select(func.count()).select_from(Tip)) == 0
    again = signed_post(client, config, "/twilio/sms/inbound",
                        {"MessageSid": f"SMa{word}", "From": "+31600000002", "Body": "AANMELDEN"})
    assert "weer berichten" in again.data.decode()
    with runtime.sessions() as db:
        assert db.scalar(select(Participant.active).where(Participant.phone == "+31600000002")) is True


def test_info_explains_to_anyone_in_their_language(client, config, runtime, alerted):
    with runtime.transaction() as db:
        factories.participant(db, "+31600000003", language="en")
    english = signed_post(client, config, "/twilio/sms/inbound",
                          {"MessageSid": "SMinfo1", "From": "+31600000003", "Body": "help"})
    assert "Text STOP to unsubscribe" in english.data.decode()
    stranger = signed_post(client, config, "/twilio/sms/inbound",
                           {"MessageSid": "SMinfo2", "From": "+31699990002", "Body": "INFO"})
    assert "Sms STOP om af te melden" in stranger.data.decode()
    assert f"{config.public_base_url}/deelnemen" in stranger.data.decode()
    with runtime.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Tip)) == 0


def test_a_21610_refusal_opts_the_participant_out(runtime, alerted):
    from gateway.dispatch import deliveries
    with runtime.transaction() as db:
        for key in ("voice", "sms"):
            row = db.get(Delivery, alerted[key])
            row.status = "sending"
    with runtime.transaction() as db:
        deliveries.fail(db, alerted["sms"], 1, "21610", "Attempt to send to unsubscribed recipient")
        deliveries.fail(db, alerted["voice"], 1, "21211", "Invalid 'To' Phone Number")
    with runtime.sessions() as db:
        active = dict(db.execute(select(Participant.phone, Participant.active)).all())
    assert active == {"+31600000002": False, "+31600000001": True}


def statements_during(runtime, action) -> list[str]:
    from sqlalchemy import event

    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        seen.append(statement.split()[0].upper())

    event.listen(runtime.engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(runtime.engine, "before_cursor_execute", record)
    return [s for s in seen if s in ("SELECT", "UPDATE", "INSERT", "DELETE")]


def test_a_forward_move_of_a_known_request_is_one_statement(client, config, runtime, alerted):
    """Hundreds of these arrive a second during a large action: one UPDATE ... RETURNING, no
    read first. Whatever it cannot decide alone (a replay here) takes the full path."""
    path = f"/twilio/status/sms/{alerted['sms']}/1"
    sent = {"MessageSid": "SM1", "MessageStatus": "sent"}
    assert statements_during(runtime, lambda: signed_post(client, config, path, sent)) == ["UPDATE"]
    assert status_of(runtime, alerted["sms"]) == "sent"
    replay = statements_during(runtime, lambda: signed_post(client, config, path, sent))
    assert replay == ["UPDATE", "SELECT", "UPDATE"] and status_of(runtime, alerted["sms"]) == "sent"
    # A completed call without a verdict of its own depends on the stored one: read first.
    completed = lambda: call_callback(client, config, alerted["voice"], "completed", 3)  # noqa: E731
    assert statements_during(runtime, completed)[0] == "SELECT"
    assert status_of(runtime, alerted["voice"]) == "answered"


def test_the_one_statement_path_keeps_error_codes_and_verdicts(client, config, runtime, alerted):
    with runtime.transaction() as db:
        db.get(Delivery, alerted["voice"]).answered_by = "machine_start"
    call_callback(client, config, alerted["voice"], "ringing", 1)
    call_callback(client, config, alerted["voice"], "completed", 3, AnsweredBy="human")
    with runtime.sessions() as db:
        row = db.get(Delivery, alerted["voice"])
    assert (row.status, row.answered_by, row.error_code) == ("answered", "human", None)
