"""The sending path over real HTTP through the real twilio client into the simulator, with the
provider's faults injected: 429, timeouts, replayed and reordered callbacks."""

from __future__ import annotations

import pytest

from gateway.config import Config
from tests import factories
from tests.helpers import run_jobs
from tests.live import TIPLINE, live_config


@pytest.fixture
def config(config, ports) -> Config:
    return live_config(config, ports)


def add_people(runtime, spec: dict[str, str]) -> None:
    with runtime.transaction() as db:
        for phone, channel in spec.items():
            factories.participant(db, phone, channel=channel)


def test_each_behaviour_ends_in_its_state_and_outcome_reaches_only_the_reached(live, runtime):
    add_people(runtime, {
        "+31610000001": "voice",   # answers (default for last digit 1)
        "+31610000006": "voice",   # voicemail
        "+31610000007": "voice",   # no answer
        "+31610000008": "voice",   # busy
        "+31610000012": "sms",     # delivered
        "+31610000013": "sms",     # set to unreachable below
    })
    live.behave("+31610000013", "unreachable")
    action_id = live.start_action()
    alerts = live.settle()
    assert {p: d.status for p, d in alerts.items()} == {
        "+31610000001": "answered", "+31610000006": "voicemail", "+31610000007": "no_answer",
        "+31610000008": "busy", "+31610000012": "delivered", "+31610000013": "undelivered"}
    assert alerts["+31610000013"].error_code == "30003"
    assert alerts["+31610000001"].answered_by == "human"
    said = live.sim("GET", f"/sim/calls/{alerts['+31610000001'].provider_sid}").json()["transcript"]
    spoken = [t["text"] for t in said if t["verb"] == "Say"]
    assert "rode jas" in spoken[0] and "Toets 1" in spoken[1] and "0 8 0 0" in spoken[2]

    closed = live.api("POST", f"/api/actions/{action_id}/close", json={"outcome": "Verdachte aangehouden."})
    assert closed.status_code == 202
    outcomes = live.settle("outcome")
    # Voicemail took the alert: that person was alerted, and gets the outcome as a text.
    assert {p: (d.channel, d.status) for p, d in outcomes.items()} == {
        "+31610000001": ("voice", "answered"), "+31610000006": ("sms", "delivered"),
        "+31610000012": ("sms", "delivered")}
    sms = live.sim("GET", "/sim/messages", params={"to": "+31610000012"}).json()["messages"]
    assert [m["body"] for m in sms if "afloop" in m["body"]] == [
        "Burgernet afloop: Verdachte aangehouden. Bedankt voor het uitkijken."]
    for phone in alerts:  # nobody got anything twice
        expected = 2 if phone in outcomes else 1
        assert len(live.sim_records(phone)) == expected, phone


def test_429_is_retried_with_backoff_and_sent_once(live, runtime):
    add_people(runtime, {"+31610000021": "sms", "+31610000031": "voice"})
    live.behave("+31610000021", "rate-limit", times=2)
    live.behave("+31610000031", "rate-limit", times=2)
    live.start_action()
    alerts = live.settle()
    assert alerts["+31610000021"].status == "delivered"
    assert alerts["+31610000031"].status == "answered"
    assert alerts["+31610000021"].attempts == 3
    assert len(live.sim_records("+31610000021")) == 1
    assert len(live.sim_records("+31610000031")) == 1


def test_rate_limit_that_never_ends_gives_up(live, runtime, config):
    add_people(runtime, {"+31610000041": "sms"})
    live.behave("+31610000041", "rate-limit", times=50)
    live.start_action()
    alerts = live.settle()
    assert (alerts["+31610000041"].status, alerts["+31610000041"].error_code) == ("failed", "20429")
    assert alerts["+31610000041"].attempts == config.max_send_attempts
    assert live.sim_records("+31610000041") == []


def test_invalid_number_fails_without_retry(live, runtime):
    add_people(runtime, {"+31610000051": "voice"})
    live.behave("+31610000051", "invalid")
    live.start_action()
    alerts = live.settle()
    assert (alerts["+31610000051"].status, alerts["+31610000051"].error_code) == ("failed", "21211")
    assert alerts["+31610000051"].attempts == 1


@pytest.mark.parametrize("channel", ["voice", "sms"])
def test_timeout_is_verified_not_resent(live, runtime, channel):
    """The provider took the request but answered after our timeout: resending would alert
    the person twice. We ask the provider instead, and adopt what it has."""
    phone = "+31610000061" if channel == "voice" else "+31610000062"
    add_people(runtime, {phone: channel})
    live.behave(phone, "slow")
    live.start_action()
    alerts = live.settle()
    assert alerts[phone].status in ("answered", "delivered")
    assert alerts[phone].attempts == 1
    assert len(live.sim_records(phone)) == 1


def test_duplicated_and_reordered_callbacks_change_nothing(live, runtime):
    add_people(runtime, {"+31610000071": "voice", "+31610000081": "voice", "+31610000092": "sms"})
    live.sim("PUT", "/sim/config", json={"duplicate_callbacks": True, "reorder_callbacks": True})
    live.start_action()
    alerts = live.settle()
    assert {p: d.status for p, d in alerts.items()} == {
        "+31610000071": "answered", "+31610000081": "answered", "+31610000092": "delivered"}


def test_participant_calls_back_and_leaves_a_tip(live, runtime):
    add_people(runtime, {"+31610000101": "voice"})
    action_id = live.start_action()
    live.settle()
    live.sim("POST", "/sim/inbound/call", json={"from": "+31610000101", "to": TIPLINE,
                                                "digits": "2", "recording_seconds": 9})
    live.sim("GET", "/sim/wait", params={"idle": 1, "timeout": 10})
    tips = live.api("GET", f"/api/actions/{action_id}/tips").json()["tips"]
    assert [(t["kind"], t["phone"], t["duration_s"]) for t in tips] == [
        ("recording", "+316*****101", 9)]
    # Played through the app, which fetches the simulator's media with the credentials.
    assert tips[0]["recording_url"] == f"/api/tips/{tips[0]['id']}/recording"
    audio = live.api("GET", tips[0]["recording_url"])
    assert audio.headers["Content-Type"] in ("audio/x-wav", "audio/wav") and audio.content[:4] == b"RIFF"


def _stuck_in_sending(runtime, phone: str, channel: str) -> int:
    """A delivery as a worker killed mid-send leaves it: claimed, no sid, no callbacks."""
    from gateway.models import Action, Delivery, utcnow
    with runtime.transaction() as db:
        participant = factories.participant(db, phone, channel=channel)
        action = Action(incident_type="robbery", description="Twee mannen op scooter",
                        area=factories.circle(), status="active", started_at=utcnow())
        db.add(action)
        db.flush()
        delivery = Delivery(action_id=action.id, participant_id=participant.id, phone=phone,
                            channel=channel, status="sending", attempts=1, claimed_at=utcnow())
        db.add(delivery)
        db.flush()
        return delivery.id


def test_verify_adopts_what_the_provider_already_has(live, runtime, config):
    from worker import jobs
    delivery_id = _stuck_in_sending(runtime, "+31610000111", "sms")
    # The send reached the provider, but the worker died before it could save the sid.
    sent = runtime.client.messages.create(to="+31610000111", from_=config.sms_from, body="x")
    assert jobs.verify_sending(delivery_id, 1) == "adopted"
    assert live.deliveries()["+31610000111"].provider_sid == sent.sid
    assert len(live.sim_records("+31610000111")) == 1


def test_verify_releases_what_the_provider_never_got(live, runtime):
    from worker import jobs
    delivery_id = _stuck_in_sending(runtime, "+31610000121", "voice")
    assert jobs.verify_sending(delivery_id, 1) == "released"
    alerts = live.settle()
    assert alerts["+31610000121"].status == "answered"
    assert alerts["+31610000121"].attempts == 2
    assert len(live.sim_records("+31610000121")) == 1


def test_reconcile_finds_work_that_redis_lost(live, runtime):
    """Redis restarted empty: the queued send jobs are gone, the database still knows."""
    from worker import jobs
    add_people(runtime, {"+31610000131": "voice", "+31610000132": "sms"})
    action_id = live.start_action()
    jobs.fan_out(action_id)
    # What a Redis restart without persistence does to our queues (only ours: tests share DB 15).
    for key in runtime.redis.scan_iter(f"rq:*{runtime.config.queue_prefix}*", count=100_000):
        runtime.redis.delete(key)
    assert all(q.count == 0 for q in runtime.jobs.ordered())
    assert {d.status for d in live.deliveries().values()} == {"pending"}
    assert jobs.reconcile()["requeued"] == 1  # one batch held both
    assert jobs.reconcile()["requeued"] == 0  # its job is queued now: nothing to re-queue
    alerts = live.settle()
    assert {d.status for d in alerts.values()} == {"answered", "delivered"}


def test_close_during_a_batch_cancels_what_was_not_yet_sent(live, runtime, monkeypatch):
    """The close lands after a worker claimed a batch but before it sent it: nothing goes out."""
    from gateway.dispatch import deliveries
    from gateway.models import Action
    from worker import jobs, sending
    add_people(runtime, {"+31610000141": "sms", "+31610000142": "voice"})
    action_id = live.start_action()
    claim = deliveries.claim

    def claim_then_close(db, batch, **kwargs):
        claimed = claim(db, batch, **kwargs)
        db.get(Action, action_id).status = "closed"  # commits with the claim, before any send
        return claimed

    monkeypatch.setattr(deliveries, "claim", claim_then_close)
    monkeypatch.setattr(sending, "ACTION_CHECK_SECONDS", 0)
    jobs.fan_out(action_id)
    run_jobs(runtime)
    assert {d.status for d in live.deliveries().values()} == {"cancelled"}
    assert live.sim_records("+31610000141") == [] and live.sim_records("+31610000142") == []
