"""Inbound traffic: a participant calls the tip line or texts the gateway's number."""

from __future__ import annotations

from tests.simulator.conftest import GATEWAY_NUMBER

PARTICIPANT = "+31612345671"
TIP_MENU = (
    '<Response><Gather numDigits="1" action="/tip/menu">'
    "<Say>Druk 1 voor de centralist, 2 om een tip in te spreken.</Say></Gather></Response>"
)


def test_inbound_call_presses_digits_and_records(sim, gateway):
    gateway.on("/voice", TIP_MENU)
    gateway.on(
        "/tip/menu",
        "<Response><Say>Spreek uw tip in na de piep.</Say>"
        '<Record action="/tip/recorded"/></Response>',
    )
    response = sim.post(
        "/sim/inbound/call",
        {"from": PARTICIPANT, "to": GATEWAY_NUMBER, "digits": "2", "recording_seconds": 9},
    )
    assert response.status_code == 201
    sid = response.json()["sid"]
    sim.wait()

    voice = gateway.requests_to("/voice")[0]
    assert voice.signature_valid
    assert voice.params["Direction"] == "inbound" and voice.params["CallStatus"] == "ringing"
    assert voice.params["From"] == PARTICIPANT and voice.params["To"] == GATEWAY_NUMBER
    menu = gateway.requests_to("/tip/menu")[0]
    assert menu.params["Digits"] == "2" and menu.params["CallStatus"] == "in-progress"
    recorded = gateway.requests_to("/tip/recorded")[0].params
    assert recorded["RecordingDuration"] == "9" and recorded["Digits"] == "hangup"

    call = sim.call(sid)
    assert call["direction"] == "inbound" and call["status"] == "completed"
    assert call["digits"] == ["2"]
    listed = sim.get("/sim/calls", params={"direction": "inbound"}).json()["calls"]
    assert [c["sid"] for c in listed] == [sid]


def test_inbound_call_forwarded_to_operator(sim, gateway):
    gateway.on("/voice", TIP_MENU)
    gateway.on("/tip/menu", '<Response><Dial action="/tip/dialled">+31201234561</Dial></Response>')
    gateway.on("/tip/dialled", "<Response><Say>Bedankt.</Say></Response>")
    sid = sim.post(
        "/sim/inbound/call", {"from": PARTICIPANT, "to": GATEWAY_NUMBER, "digits": "1"}
    ).json()["sid"]
    sim.wait()
    assert gateway.requests_to("/tip/dialled")[0].params["DialCallStatus"] == "completed"
    assert sim.call(sid)["transcript"][-1]["text"] == "Bedankt."


def test_rejected_inbound_call(sim, gateway):
    gateway.on("/voice", '<Response><Reject reason="busy"/></Response>')
    sid = sim.post("/sim/inbound/call", {"from": PARTICIPANT, "to": GATEWAY_NUMBER}).json()["sid"]
    sim.wait()
    assert sim.call(sid)["status"] == "busy"


def test_inbound_call_to_unknown_number_is_refused(sim):
    response = sim.post("/sim/inbound/call", {"from": PARTICIPANT, "to": "+31209999999"})
    assert response.status_code == 400 and "voice_url" in response.json()["error"]


def test_inbound_sms_returns_the_gateways_reply(sim, gateway):
    gateway.on("/sms", "<Response><Message>U bent afgemeld.</Message></Response>")
    response = sim.post(
        "/sim/inbound/message", {"from": PARTICIPANT, "to": GATEWAY_NUMBER, "body": "STOP"}
    )
    assert response.status_code == 200
    result = response.json()
    assert result["status"] == 200 and "U bent afgemeld." in result["reply"]
    assert result["replies"] == ["U bent afgemeld."]
    hit = gateway.requests_to("/sms")[0]
    assert hit.signature_valid
    assert hit.params["Body"] == "STOP" and hit.params["MessageSid"] == result["sid"]
    assert hit.params["From"] == PARTICIPANT and hit.params["NumSegments"] == "1"
    # Both the inbound text and the reply are visible as messages.
    to_participant = sim.get("/sim/messages", params={"to": PARTICIPANT}).json()["messages"]
    assert [(m["direction"], m["body"]) for m in to_participant] == [
        ("outbound-reply", "U bent afgemeld.")
    ]


def test_inbound_sms_reports_a_forbidden_answer(sim, gateway):
    gateway.on("/sms", (403, "forbidden"))
    result = sim.post(
        "/sim/inbound/message", {"from": PARTICIPANT, "to": GATEWAY_NUMBER, "body": "hoi"}
    ).json()
    assert result["status"] == 403 and result["replies"] == []
