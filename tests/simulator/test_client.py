"""The real twilio.rest.Client works against the simulator, errors included."""

from __future__ import annotations

import time

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from simulator.client import make_client
from tests.simulator.conftest import CALLER_ID


def test_calls_create_fetch_update_list(sim, gateway, client):
    url = gateway.on("/alert", "<Response><Pause length='30'/></Response>")
    call = client.calls.create(
        to="+31612345671",
        from_=CALLER_ID,
        url=url,
        status_callback=gateway.url("/status"),
        status_callback_event=["initiated", "ringing", "answered", "completed"],
        machine_detection="Enable",
    )
    assert call.sid.startswith("CA") and len(call.sid) == 34
    assert call.status == "queued" and call.to == "+31612345671" and call._from == CALLER_ID
    assert call.direction == "outbound-api" and call.account_sid == sim.settings.account_sid

    # The call sits in a 30 s pause (speed 1 for this test), so it can be hung up.
    sim.put("/sim/config", {"speed": 1})
    deadline = time.monotonic() + 10
    while client.calls(call.sid).fetch().status != "in-progress":
        assert time.monotonic() < deadline, "call never got answered"
        time.sleep(0.05)
    updated = client.calls(call.sid).update(status="completed")
    assert updated.status == "completed"
    sim.wait()
    fetched = client.calls(call.sid).fetch()
    assert fetched.status == "completed" and fetched.end_time is not None
    assert fetched.answered_by == "human"
    assert [c.sid for c in client.calls.list(to="+31612345671")] == [call.sid]
    assert gateway.requests_to("/status")[-1].params["CallStatus"] == "completed"


def test_cancel_a_ringing_call(sim, gateway, client):
    sim.put("/sim/config", {"speed": 1})
    call = client.calls.create(
        to="+31612345677",  # never answers
        from_=CALLER_ID,
        url=gateway.on("/alert", "<Response/>"),
        status_callback=gateway.url("/status"),
    )
    canceled = client.calls(call.sid).update(status="canceled")
    assert canceled.status == "canceled"
    sim.wait(timeout=5)
    assert client.calls(call.sid).fetch().status == "canceled"
    callbacks = gateway.requests_to("/status")
    assert [h.params["CallStatus"] for h in callbacks] == ["canceled"]
    assert gateway.requests_to("/alert") == []


def test_messages_create_fetch_list(sim, gateway, client):
    message = client.messages.create(
        to="+31612345671",
        from_="Burgernet",
        body="Burgernet: uitkijken naar een grijze bestelbus.",
        status_callback=gateway.url("/sms-status"),
    )
    assert message.sid.startswith("SM") and message.status == "queued"
    assert message.num_segments == "1" and message.direction == "outbound-api"
    sim.wait()
    assert client.messages(message.sid).fetch().status == "delivered"
    assert [m.sid for m in client.messages.list(to="+31612345671")] == [message.sid]
    statuses = [h.params["MessageStatus"] for h in gateway.requests_to("/sms-status")]
    assert statuses == ["sent", "delivered"]


def test_paging_through_the_client(sim, client):
    sids = [
        client.messages.create(to=f"+3161234500{n}", from_="X", body=str(n)).sid for n in range(5)
    ]
    listed = [m.sid for m in client.messages.stream(page_size=2)]
    assert listed == list(reversed(sids))  # newest first, across three pages


@pytest.mark.parametrize(
    "kwargs, code, status",
    [
        ({"to": "0612345678", "from_": CALLER_ID, "url": "http://x/y"}, 21211, 400),
        ({"to": "+31612345671", "from_": CALLER_ID}, 21205, 400),
    ],
)
def test_call_errors_raise_twilio_exceptions(sim, client, kwargs, code, status):
    if "url" not in kwargs:
        # The client itself demands one of url/twiml/application_sid; go around it.
        response = sim.api(
            "POST", "/Calls.json", data={"To": kwargs["to"], "From": kwargs["from_"]}
        )
        assert response.status_code == status and response.json()["code"] == code
        return
    with pytest.raises(TwilioRestException) as info:
        client.calls.create(**kwargs)
    assert info.value.code == code and info.value.status == status


def test_message_errors_raise_twilio_exceptions(sim, client):
    with pytest.raises(TwilioRestException) as info:
        client.messages.create(to="+31612345671", from_="X")
    assert (info.value.code, info.value.status) == (21602, 400)
    with pytest.raises(TwilioRestException) as info:
        client.messages.create(to="not-a-number", from_="X", body="hi")
    assert (info.value.code, info.value.status) == (21211, 400)
    assert "'To' number not-a-number is not a valid phone number" in info.value.msg


def test_unknown_sid_is_20404(sim, client):
    with pytest.raises(TwilioRestException) as info:
        client.calls("CA" + "f" * 32).fetch()
    assert (info.value.code, info.value.status) == (20404, 404)
    with pytest.raises(TwilioRestException) as info:
        client.messages("SM" + "f" * 32).fetch()
    assert (info.value.code, info.value.status) == (20404, 404)


def test_wrong_credentials_are_20003(sim):
    wrong = make_client(sim.base_url, sim.settings.account_sid, "wrong-token")
    with pytest.raises(TwilioRestException) as info:
        wrong.calls("CA" + "f" * 32).fetch()
    assert (info.value.code, info.value.status) == (20003, 401)
    response = sim.http.get(
        f"{sim.base_url}/2010-04-01/Accounts/{sim.settings.account_sid}/Calls.json"
    )
    assert response.status_code == 401 and response.json() == {
        "code": 20003,
        "message": "Authenticate",
        "more_info": "https://www.twilio.com/docs/errors/20003",
        "status": 401,
    }


def test_other_account_in_url_is_20404(sim):
    other = "AC" + "c" * 32
    response = sim.http.get(
        f"{sim.base_url}/2010-04-01/Accounts/{other}/Calls.json",
        auth=(sim.settings.account_sid, sim.settings.auth_token),
    )
    assert response.status_code == 404 and response.json()["code"] == 20404


def test_rate_limit_then_success(sim, client):
    sim.number("+31612345671", behaviour="rate-limit", times=2)
    for _ in range(2):
        with pytest.raises(TwilioRestException) as info:
            client.messages.create(to="+31612345671", from_="X", body="hi")
        assert (info.value.code, info.value.status) == (20429, 429)
    message = client.messages.create(to="+31612345671", from_="X", body="hi")
    assert message.status == "queued"
    assert sim.get("/sim/numbers/+31612345671").json()["behaviour"] == "answer"


def test_invalid_behaviour_refuses_calls(sim, gateway, client):
    sim.number("+31612345671", behaviour="invalid")
    with pytest.raises(TwilioRestException) as info:
        client.calls.create(to="+31612345671", from_=CALLER_ID, url=gateway.url("/a"))
    assert (info.value.code, info.value.status) == (21211, 400)
    assert sim.get("/sim/calls").json()["calls"] == []


def test_slow_number_lets_the_client_time_out(sim, gateway):
    sim.number("+31612345671", behaviour="slow")  # slow_seconds is 1.5 in these tests
    impatient = Client(
        sim.settings.account_sid,
        sim.settings.auth_token,
        http_client=make_client(sim.base_url, "x", "y", timeout=0.3).http_client,
    )
    started = time.monotonic()
    with pytest.raises(Exception, match="(?i)timed? ?out"):
        impatient.calls.create(to="+31612345671", from_=CALLER_ID, url=gateway.url("/a"))
    assert time.monotonic() - started < 1.4
    sim.wait()
    # The request was still processed after the delay: the call exists, as on Twilio.
    calls = sim.get("/sim/calls", params={"to": "+31612345671"}).json()["calls"]
    assert len(calls) == 1
