"""WhatsApp on the Messages API: addresses, templates, the 24-hour window, statuses, inbound."""

from __future__ import annotations

import json

import pytest

from simulator.logs import mask
from tests.simulator.conftest import GATEWAY_NUMBER

PARTICIPANT = "+31612345671"
WA_TO, WA_FROM = f"whatsapp:{PARTICIPANT}", f"whatsapp:{GATEWAY_NUMBER}"
TEMPLATE = "HX" + "0123456789abcdef" * 2


def send(sim, gateway, to: str = WA_TO, **fields) -> dict:
    data = {"To": to, "From": WA_FROM, "StatusCallback": gateway.url("/wa-status")}
    data.update(fields)
    response = sim.api("POST", "/Messages.json", data=data)
    assert response.status_code == 201, response.text
    return response.json()


def statuses(gateway) -> list[str]:
    return [h.params["MessageStatus"] for h in gateway.requests_to("/wa-status")]


def test_free_form_outside_the_window_is_accepted_then_fails_63016(sim, gateway):
    created = send(sim, gateway, Body="Kijk uit naar een rode scooter.")
    assert created["status"] == "queued" and created["to"] == WA_TO
    sim.wait()
    hits = gateway.requests_to("/wa-status")
    assert [(h.params["MessageStatus"], h.params.get("ErrorCode")) for h in hits] == [
        ("failed", "63016")
    ]
    assert hits[0].signature_valid and hits[0].params["To"] == WA_TO
    resource = sim.api("GET", f"/Messages/{created['sid']}.json").json()
    assert resource["status"] == "failed" and resource["error_code"] == 63016


def test_inbound_message_opens_the_window(sim, gateway):
    gateway.on("/sms", "<Response/>")
    result = sim.post(
        "/sim/inbound/message",
        {"from": WA_TO, "to": WA_FROM, "body": "Ik zag hem!", "profile_name": "Anna"},
    ).json()
    hit = gateway.requests_to("/sms")[0]  # the bare number's sms_url
    assert hit.signature_valid and hit.params["MessageSid"] == result["sid"]
    assert (hit.params["From"], hit.params["To"]) == (WA_TO, WA_FROM)
    assert hit.params["ProfileName"] == "Anna" and hit.params["WaId"] == PARTICIPANT[1:]
    assert hit.params["MessageType"] == "text" and hit.params["NumSegments"] == "1"
    assert sim.get(f"/sim/whatsapp/{WA_TO}").json()["open"] is True

    created = send(sim, gateway, Body="Dank u. " + "ë" * 300)
    assert created["num_segments"] == "1"
    sim.wait()
    assert statuses(gateway) == ["sent", "delivered", "read"]
    assert sim.api("GET", f"/Messages/{created['sid']}.json").json()["status"] == "read"


def test_template_needs_no_window_and_is_stored_readably(sim, gateway):
    variables = json.dumps({"1": "Zoetermeer", "2": "rode jas"})
    created = send(sim, gateway, ContentSid=TEMPLATE, ContentVariables=variables)
    assert created["body"] == f'[{TEMPLATE}] {{"1": "Zoetermeer", "2": "rode jas"}}'
    sim.wait()
    assert statuses(gateway) == ["sent", "delivered", "read"]
    assert send(sim, gateway, ContentSid=TEMPLATE)["body"] == f"[{TEMPLATE}]"


@pytest.mark.parametrize(
    "fields, code",
    [
        ({"To": PARTICIPANT, "Body": "x"}, 21910),  # WhatsApp sender, SMS recipient
        ({"From": GATEWAY_NUMBER, "Body": "x"}, 21910),  # SMS sender, WhatsApp recipient
        ({"From": "whatsapp:Burgernet", "Body": "x"}, 63007),
        ({"To": "whatsapp:0612", "Body": "x"}, 21211),
        ({"ContentVariables": '{"1": "x"}', "Body": "x"}, 21654),
        ({"ContentSid": "HX123"}, 21655),
        ({"ContentSid": TEMPLATE, "ContentVariables": "[1, 2]"}, 21656),
        ({"ContentSid": TEMPLATE, "ContentVariables": "{nope"}, 21656),
        ({}, 21602),  # neither Body nor ContentSid
    ],
)
def test_create_errors(sim, fields, code):
    data = {"To": WA_TO, "From": WA_FROM, **fields}
    response = sim.api("POST", "/Messages.json", data=data)
    assert response.status_code == 400 and response.json()["code"] == code, response.text


def test_window_control_api(sim, gateway):
    assert sim.put(f"/sim/whatsapp/{WA_TO}", {"hours_ago": 25}).json()["open"] is False
    send(sim, gateway, Body="te laat")
    view = sim.put(f"/sim/whatsapp/{PARTICIPANT}", {"hours_ago": 23}).json()
    assert view["open"] is True and view["number"] == PARTICIPANT and view["expires"]
    send(sim, gateway, Body="op tijd")  # the window is judged at create time
    assert sim.http.delete(f"{sim.base_url}/sim/whatsapp/{WA_TO}").json()["open"] is False
    sim.wait()
    status = {m["body"]: m["status"] for m in sim.get("/sim/messages").json()["messages"]}
    assert status == {"te laat": "failed", "op tijd": "read"}
    assert sim.put(f"/sim/whatsapp/{WA_TO}", {"hours_ago": -1}).status_code == 400
    assert sim.put(f"/sim/whatsapp/{WA_TO}", {"open": True}).status_code == 400


def test_reset_closes_every_window(sim):
    sim.put(f"/sim/whatsapp/{WA_TO}", {})
    sim.post("/sim/reset")
    assert sim.get(f"/sim/whatsapp/{WA_TO}").json()["open"] is False


def test_number_behaviours_apply_to_the_bare_number(sim, gateway):
    sim.put(f"/sim/whatsapp/{WA_TO}", {})
    sim.number(PARTICIPANT, behaviour="unreachable")
    send(sim, gateway, Body="hoi")
    sim.wait()
    last = gateway.requests_to("/wa-status")[-1].params
    assert statuses(gateway) == ["sent", "undelivered"] and last["ErrorCode"] == "30003"
    sim.number(PARTICIPANT, behaviour="invalid")
    response = sim.api("POST", "/Messages.json", data={"To": WA_TO, "From": WA_FROM, "Body": "x"})
    assert response.status_code == 400 and response.json()["code"] == 21211


def test_list_filter_keeps_the_channels_apart(sim, gateway, client):
    sim.put(f"/sim/whatsapp/{WA_TO}", {})
    wa = send(sim, gateway, Body="via WhatsApp")["sid"]
    sms = client.messages.create(to=PARTICIPANT, from_="Burgernet", body="via sms").sid
    listed = sim.api("GET", "/Messages.json", params={"To": WA_TO}).json()["messages"]
    assert [m["sid"] for m in listed] == [wa]
    assert [m.sid for m in client.messages.list(to=PARTICIPANT)] == [sms]


def test_the_twilio_client_sends_templates(sim, client):
    message = client.messages.create(
        to=WA_TO, from_=WA_FROM, content_sid=TEMPLATE, content_variables=json.dumps({"1": "x"})
    )
    assert message.status == "queued" and message.num_segments == "1"
    assert message.body == f'[{TEMPLATE}] {{"1": "x"}}'


def test_inbound_needs_matching_channels(sim):
    response = sim.post("/sim/inbound/message", {"from": WA_TO, "to": GATEWAY_NUMBER, "body": "x"})
    assert response.status_code == 400 and "whatsapp" in response.json()["error"]


def test_inbound_reply_goes_back_over_whatsapp(sim, gateway):
    gateway.on("/sms", "<Response><Message>Bedankt voor uw tip.</Message></Response>")
    result = sim.post("/sim/inbound/message", {"from": WA_TO, "to": WA_FROM, "body": "tip"})
    assert result.json()["replies"] == ["Bedankt voor uw tip."]
    replies = sim.get("/sim/messages", params={"to": WA_TO}).json()["messages"]
    assert [(m["from"], m["direction"], m["num_segments"]) for m in replies] == [
        (WA_FROM, "outbound-reply", "1")
    ]


def test_mask_keeps_the_channel_prefix():
    assert mask(WA_TO) == "whatsapp:+316****5671"
