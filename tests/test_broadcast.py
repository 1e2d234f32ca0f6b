"""The broadcast features on the engine, over real HTTP into the simulator: widening, updates,
WhatsApp, redials, and the retry policy's caps."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gateway.config import Config
from tests import factories
from tests.helpers import pump, run_jobs
from tests.live import live_config
from tests.test_live import add_people

NEAR, FAR = (4.4931, 52.0575), (4.4931, 52.0845)  # the centre, and 3 km north of it


@pytest.fixture
def config(config, ports) -> Config:
    return live_config(config, ports, call_retry_delays_seconds="0.2,0.2")


def people(runtime, spec: dict[str, tuple[str, tuple[float, float]]]) -> None:
    with runtime.transaction() as db:
        for phone, (channel, (lon, lat)) in spec.items():
            factories.participant(db, phone, channel=channel, lat=lat, lon=lon)


def test_widen_alerts_only_the_newly_covered(live, runtime):
    people(runtime, {"+31610000201": ("voice", NEAR), "+31610000202": ("sms", NEAR),
                     "+31610000203": ("sms", FAR)})
    action_id = live.start_action(radius_m=1000)
    assert set(live.settle()) == {"+31610000201", "+31610000202"}
    wider = {"type": "Circle", "center": list(NEAR), "radius_m": 5000}
    response = live.api("POST", f"/api/actions/{action_id}/widen", json={"area": wider})
    assert response.status_code == 202
    assert response.json()["added"] == {
        "voice": 0, "sms": 1, "whatsapp": 0, "total": 1,
        "groups": {"enabled": True, "groups": 0, "administrators": 0, "available": 0}}
    assert response.json()["areas"][1] == wider
    alerts = live.settle()
    assert {p: d.status for p, d in alerts.items()} == {
        "+31610000201": "answered", "+31610000202": "delivered", "+31610000203": "delivered"}
    for phone in alerts:
        assert len(live.sim_records(phone)) == 1, phone  # nobody twice
    again = live.api("POST", f"/api/actions/{action_id}/widen", json={"area": wider})
    assert again.json()["added"]["total"] == 0


def test_widen_refuses_a_draft_and_a_bad_area(live):
    draft = live.api("POST", "/api/actions", json={
        "incident_type": "robbery", "description": "Twee mannen op een scooter",
        "area": factories.circle()}).json()
    assert live.api("POST", f"/api/actions/{draft['id']}/widen",
                    json={"area": factories.circle()}).status_code == 409
    live.api("POST", f"/api/actions/{draft['id']}/start")
    bad = live.api("POST", f"/api/actions/{draft['id']}/widen", json={"area": {"type": "Blob"}})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "area"


def test_update_reaches_everyone_reached_by_their_channel(live, runtime):
    add_people(runtime, {"+31610000211": "voice", "+31610000216": "voice",  # answers, voicemail
                         "+31610000212": "sms", "+31610000218": "voice"})  # delivered, busy
    action_id = live.start_action()
    live.settle()
    text = "Hij is gezien bij het station, richting Den Haag."
    response = live.api("POST", f"/api/actions/{action_id}/update", json={"text": text})
    assert response.status_code == 202
    updates = live.settle("update")
    assert {p: (d.channel, d.status) for p, d in updates.items()} == {
        "+31610000211": ("voice", "answered"), "+31610000216": ("sms", "delivered"),
        "+31610000212": ("sms", "delivered")}
    call = live.sim("GET", f"/sim/calls/{updates['+31610000211'].provider_sid}").json()
    assert any(text in t.get("text", "") for t in call["transcript"])
    texts = [m["body"] for m in live.sim("GET", "/sim/messages",
                                         params={"to": "+31610000216"}).json()["messages"]]
    assert texts == [f"Burgernet aanvulling: {text}"]
    overview = live.api("GET", f"/api/actions/{action_id}").json()
    assert [u["text"] for u in overview["updates"]] == [text]
    closed = live.api("POST", f"/api/actions/{action_id}/update", json={"text": " "})
    assert closed.status_code == 422 and closed.json()["error"]["field"] == "text"


def test_voicemail_hears_the_short_version_after_the_verdict(live, runtime):
    add_people(runtime, {"+31610000226": "voice"})
    live.start_action()
    alert = live.settle()["+31610000226"]
    assert (alert.status, alert.answered_by) == ("voicemail", "machine_end_beep")
    transcript = live.sim("GET", f"/sim/calls/{alert.provider_sid}").json()["transcript"]
    verdict = next(i for i, t in enumerate(transcript) if t.get("verb") == "amd")
    after = [t["text"] for t in transcript[verdict:] if t.get("verb") == "Say"]
    assert after and after[-1].startswith("Dit is Burgernet.")
    assert "rode jas" in after[-1] and after[-1].endswith("0 8 0 0, 0 0 1 1.")


def test_busy_is_redialled_by_policy_then_stays_final(live, runtime):
    add_people(runtime, {"+31610000238": "voice"})  # busy, every time
    live.start_action()
    alert = live.settle(timeout=30)["+31610000238"]
    assert (alert.status, alert.redials, alert.attempts) == ("busy", 2, 3)
    assert len(live.sim_records("+31610000238")) == 3  # the first call and two redials


def test_close_stops_a_waiting_redial(live, runtime, config):
    live.runtime.config = replace(config, call_retry_delays_seconds="30")
    add_people(runtime, {"+31610000248": "voice"})
    action_id = live.start_action()
    pump(runtime, lambda: live.deliveries()["+31610000248"].status == "retry", 20, "a redial")
    live.api("POST", f"/api/actions/{action_id}/close", json={"outcome": "Aangehouden."})
    run_jobs(runtime)
    alert = live.deliveries()["+31610000248"]
    assert (alert.status, alert.error_code) == ("cancelled", "busy")
    assert len(live.sim_records("+31610000248")) == 1


def test_whatsapp_outside_24_hours_fails_with_63016_and_is_not_retried(live, runtime):
    add_people(runtime, {"+31610000251": "whatsapp"})
    live.start_action()
    alert = live.settle()["+31610000251"]
    assert (alert.status, alert.error_code, alert.attempts) == ("failed", "63016", 1)
    [message] = live.sim("GET", "/sim/messages",
                         params={"to": "whatsapp:+31610000251"}).json()["messages"]
    assert message["from"] == "whatsapp:+31790000001"


def test_whatsapp_inside_24_hours_or_as_template_is_delivered(live, runtime, config):
    add_people(runtime, {"+31610000261": "whatsapp", "+31610000262": "whatsapp"})
    live.sim("PUT", "/sim/incoming/+31790000001",
             json={"sms_url": f"{config.public_base_url}/twilio/sms/inbound"})
    live.sim("POST", "/sim/inbound/message", json={
        "from": "whatsapp:+31610000261", "to": "whatsapp:+31790000001", "body": "Hallo"})
    template = "HX" + "ab" * 16
    live.runtime.config = replace(config, whatsapp_content_sid=template)
    action_id = live.start_action()
    alerts = live.settle()
    assert {p: d.status for p, d in alerts.items()} == {
        "+31610000261": "delivered", "+31610000262": "delivered"}
    sent = live.sim("GET", "/sim/messages", params={"to": "whatsapp:+31610000262"}).json()
    assert sent["messages"][0]["body"].startswith(f"[{template}]")
    tips = live.api("GET", f"/api/actions/{action_id}/tips").json()["tips"]
    assert tips == []  # the inbound "Hallo" came before the action: not a tip of it


def test_permanent_errors_keep_their_reason(live, runtime):
    add_people(runtime, {"+31610000271": "sms"})
    live.behave("+31610000271", "unsubscribed")
    live.start_action()
    alert = live.settle()["+31610000271"]
    assert (alert.status, alert.error_code, alert.attempts) == ("failed", "21610", 1)
    assert "unsubscribed" in alert.error_message


def test_an_unknown_outcome_counts_as_an_attempt_and_is_capped(live, runtime, config):
    from tests.test_live import _stuck_in_sending
    from worker import jobs
    delivery_id = _stuck_in_sending(runtime, "+31610000281", "voice")
    from gateway.models import Delivery
    with runtime.transaction() as db:
        db.get(Delivery, delivery_id).attempts = config.max_send_attempts
    assert jobs.verify_sending(delivery_id, config.max_send_attempts) == "failed"
    alert = live.deliveries()["+31610000281"]
    assert (alert.status, alert.error_code) == ("failed", "timeout")
    assert live.sim_records("+31610000281") == []


def test_a_bug_in_our_code_is_not_retried_as_a_provider_error(live, runtime, monkeypatch):
    """A programming error must surface, not go down the provider's retry loop: the job fails
    loudly, nothing is sent, and the claim is left for reconciliation to verify."""
    from gateway.channels.sms import Sms
    add_people(runtime, {"+31610000292": "sms"})

    def broken(self, out, urls, config):
        raise KeyError("a bug")

    monkeypatch.setattr(Sms, "request", broken)
    live.start_action()
    run_jobs(runtime)
    alert = live.deliveries()["+31610000292"]
    assert (alert.status, alert.attempts) == ("sending", 1)
    failed = runtime.jobs.queues["alerts"].failed_job_registry.get_job_ids()
    assert len(failed) == 1
    assert live.sim_records("+31610000292") == []


def test_a_claim_renewed_while_verification_asks_is_not_released(live, runtime, config,
                                                                 monkeypatch):
    """A delivery waited long for its pacing slot, so reconciliation took its claim for a dead
    worker's. Its sender renews the claim just before sending; verification, which asked the
    provider before that and found nothing, must then leave it alone: else it would go twice."""
    from datetime import timedelta

    from gateway.channels.voice import Voice
    from gateway.dispatch import deliveries
    from gateway.models import Delivery, utcnow
    from tests.test_live import _stuck_in_sending
    from worker import jobs
    delivery_id = _stuck_in_sending(runtime, "+31610000301", "voice")
    with runtime.transaction() as db:
        db.get(Delivery, delivery_id).claimed_at = utcnow() - timedelta(hours=1)
    find = Voice.find

    def sender_renews_meanwhile(self, *args):
        found = find(self, *args)
        with runtime.transaction() as db:
            assert deliveries.still_mine(db, delivery_id, 1)
        return found

    monkeypatch.setattr(Voice, "find", sender_renews_meanwhile)
    assert jobs.verify_sending(delivery_id, 1, True) == "alive"
    assert live.deliveries()["+31610000301"].status == "sending"
    monkeypatch.setattr(Voice, "find", find)
    # Renewed a moment ago: reconciliation's verification leaves it alone from the start.
    assert jobs.verify_sending(delivery_id, 1, True) == "alive"
    # A sender that asks too late finds its delivery released and does not send it.
    with runtime.transaction() as db:
        db.get(Delivery, delivery_id).claimed_at = utcnow() - timedelta(hours=1)
    assert jobs.verify_sending(delivery_id, 1, True) == "released"
    with runtime.transaction() as db:
        assert not deliveries.still_mine(db, delivery_id, 1)


def test_redis_away_at_the_pacing_step_sends_nothing_and_costs_no_attempt(live, runtime,
                                                                          monkeypatch):
    """The shared rate limit lives in Redis. Without it nothing is sent (the provider's rate is
    a contract), and the delivery waits again without using up an attempt: outages of our own
    must never make a participant skipped."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    from gateway.provider.pacing import RateLimiter
    add_people(runtime, {"+31610000311": "sms"})

    def redis_away(self, *args):
        raise RedisConnectionError("Redis is restarting")

    monkeypatch.setattr(RateLimiter, "acquire", redis_away)
    live.start_action()
    pump(runtime, lambda: live.deliveries()["+31610000311"].status == "retry", 20, "a retry")
    alert = live.deliveries()["+31610000311"]
    assert (alert.attempts, alert.error_code) == (0, "not-sent")
    assert live.sim_records("+31610000311") == []
    monkeypatch.undo()
    with runtime.transaction() as db:  # skip the 5 s wait
        from sqlalchemy import update

        from gateway.models import Delivery
        db.execute(update(Delivery).values(next_attempt_at=None))
    run_jobs(runtime, ahead=60)  # and the job scheduled for it
    alert = live.settle()["+31610000311"]
    assert (alert.status, alert.attempts) == ("delivered", 1)
    assert len(live.sim_records("+31610000311")) == 1


def test_a_dead_workers_claim_is_released_without_using_an_attempt(live, runtime):
    from datetime import timedelta

    from gateway.models import Delivery, utcnow
    from tests.test_live import _stuck_in_sending
    from worker import jobs
    delivery_id = _stuck_in_sending(runtime, "+31610000321", "sms")
    with runtime.transaction() as db:
        row = db.get(Delivery, delivery_id)
        row.attempts, row.claimed_at = 5, utcnow() - timedelta(hours=1)
    assert jobs.verify_sending(delivery_id, 5, True) == "released"
    alert = live.settle()["+31610000321"]
    assert (alert.status, alert.attempts) == ("delivered", 5)
