"""Fault injection: replayed and out-of-order status callbacks."""

from __future__ import annotations

from tests.simulator.conftest import CALLER_ID

EVENTS = ["initiated", "ringing", "answered", "completed"]


def start(sim, gateway) -> str:
    response = sim.api(
        "POST",
        "/Calls.json",
        data={
            "To": "+31612345671",
            "From": CALLER_ID,
            "Url": gateway.on("/alert", "<Response><Say>Hallo</Say></Response>"),
            "StatusCallback": gateway.url("/status"),
            "StatusCallbackEvent": EVENTS,
        },
    )
    assert response.status_code == 201
    return response.json()["sid"]


def sequence(gateway) -> list[tuple[int, str]]:
    return [
        (int(h.params["SequenceNumber"]), h.params["CallStatus"])
        for h in gateway.requests_to("/status")
    ]


def test_duplicate_callbacks(sim, gateway):
    assert sim.put("/sim/config", {"duplicate_callbacks": True}).json()["duplicate_callbacks"]
    start(sim, gateway)
    sim.wait()
    assert sequence(gateway) == [
        (0, "initiated"),
        (0, "initiated"),
        (1, "ringing"),
        (1, "ringing"),
        (2, "in-progress"),
        (2, "in-progress"),
        (3, "completed"),
        (3, "completed"),
    ]
    hits = gateway.requests_to("/status")
    # A replay carries the same idempotency token, like a real Twilio retry.
    tokens = [h.headers.get("I-Twilio-Idempotency-Token") for h in hits]
    assert tokens[0] and tokens[0] == tokens[1]
    assert len(set(tokens)) == 4


def test_reordered_callbacks_keep_true_sequence_numbers(sim, gateway):
    sim.put("/sim/config", {"reorder_callbacks": True})
    sid = start(sim, gateway)
    sim.wait()
    received = sequence(gateway)
    assert sorted(received) == [
        (0, "initiated"),
        (1, "ringing"),
        (2, "in-progress"),
        (3, "completed"),
    ]
    assert received != sorted(received)
    # All were held until the call ended: the gateway got the TwiML request first.
    first_status = gateway.hits.index(gateway.requests_to("/status")[0])
    assert gateway.hits.index(gateway.requests_to("/alert")[0]) < first_status
    assert sim.call(sid)["status"] == "completed"


def test_reordered_sms_callbacks(sim, gateway):
    sim.put("/sim/config", {"reorder_callbacks": True})
    sim.api(
        "POST",
        "/Messages.json",
        data={"To": "+31612345671", "From": "X", "Body": "b", "StatusCallback": gateway.url("/s")},
    )
    sim.wait()
    assert [h.params["MessageStatus"] for h in gateway.requests_to("/s")] == ["delivered", "sent"]


def test_reset_clears_faults_and_traffic(sim, gateway):
    sim.put("/sim/config", {"duplicate_callbacks": True, "reorder_callbacks": True})
    start(sim, gateway)
    sim.wait()
    sim.post("/sim/reset")
    config = sim.get("/sim/config").json()
    assert config["duplicate_callbacks"] is False and config["reorder_callbacks"] is False
    assert sim.get("/sim/calls").json()["calls"] == []


def test_failing_status_callback_is_retried(sim, gateway):
    gateway.on("/status", (503, "try later"))
    sid = start(sim, gateway)
    sim.wait()
    callbacks = sim.call(sid)["callbacks"]
    assert [c["attempts"] for c in callbacks] == [3, 3, 3, 3]
    assert {c["http_status"] for c in callbacks} == {503}
    assert len(gateway.requests_to("/status")) == 12
    assert sim.call(sid)["status"] == "completed"  # the call itself is not affected
