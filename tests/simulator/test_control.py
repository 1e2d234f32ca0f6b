"""Control API and settings."""

from __future__ import annotations

import pytest

from simulator.logs import mask
from simulator.phone import default_behaviour
from simulator.settings import DEFAULT_ACCOUNT_SID, Settings


def test_health(sim):
    assert sim.get("/sim/health").json() == {"ok": True}


@pytest.mark.parametrize(
    "number, behaviour",
    [
        ("+31612345670", "answer"),
        ("+31612345675", "answer"),
        ("+31612345676", "voicemail"),
        ("+31612345677", "no-answer"),
        ("+31612345678", "busy"),
        ("+31612345679", "answer"),
    ],
)
def test_default_behaviour_by_last_digit(number, behaviour):
    assert default_behaviour(number).behaviour == behaviour


def test_number_override_round_trip(sim):
    number = "+31612345678"
    assert sim.get(f"/sim/numbers/{number}").json()["behaviour"] == "busy"
    sim.number(number, behaviour="answer", digits="1", recording_seconds=3)
    shown = sim.get(f"/sim/numbers/{number}").json()
    assert shown["behaviour"] == "answer" and shown["digits"] == "1"
    assert shown["recording_seconds"] == 3 and shown["source"] == "override"
    assert sim.http.delete(f"{sim.base_url}/sim/numbers/{number}").json()["behaviour"] == "busy"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"behaviour": "sleepy"}, "behaviour"),
        ({"behaviour": "answer", "digits": "12a"}, "digits"),
        ({"behaviour": "rate-limit", "times": 0}, "times"),
        ({"behaviour": "answer", "recording_seconds": "5"}, "recording_seconds"),
    ],
)
def test_number_override_validation_names_the_field(sim, body, field):
    response = sim.put("/sim/numbers/+31612345671", body)
    assert response.status_code == 400 and field in response.json()["error"]


def test_config_validation(sim):
    assert sim.put("/sim/config", {"speed": -1}).status_code == 400
    assert sim.put("/sim/config", {"duplicate_callbacks": "yes"}).status_code == 400
    assert sim.put("/sim/config", {"colour": "red"}).status_code == 400
    assert sim.put("/sim/config", {"speed": 0.5}).json()["speed"] == 0.5


def test_incoming_validation(sim):
    response = sim.put("/sim/incoming/+3197010000009", {"voice_url": "ftp://x"})
    assert response.status_code == 400 and "voice_url" in response.json()["error"]


def test_wait_reports_idle(sim):
    assert sim.get("/sim/wait", params={"idle": 1, "timeout": 1}).json()["idle"] is True


def test_unknown_api_path_is_twilio_shaped(sim):
    response = sim.api("GET", "/Conferences.json")
    assert response.status_code == 404 and response.json()["code"] == 20404


def test_settings_from_env():
    settings = Settings.from_env(
        {
            "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
            "TWILIO_AUTH_TOKEN": "secret",
            "SIM_SPEED": "0",
            "SIM_CONCURRENCY": "4",
            "SIM_PUBLIC_URL": "http://sim:8090/",
            "SIM_INCOMING": '{"+3197010000000": {"voice_url": "http://gw/voice"}}',
        }
    )
    assert settings.account_sid == "AC" + "1" * 32 and settings.auth_token == "secret"
    assert settings.speed == 0 and settings.concurrency == 4
    assert settings.base_url() == "http://sim:8090"
    assert settings.incoming["+3197010000000"]["voice_url"] == "http://gw/voice"
    defaults = Settings.from_env({})
    assert defaults.account_sid == DEFAULT_ACCOUNT_SID and len(DEFAULT_ACCOUNT_SID) == 34
    assert defaults.speed == 1.0 and defaults.concurrency == 32 and defaults.slow_seconds == 15


@pytest.mark.parametrize(
    "env, message",
    [({"SIM_SPEED": "fast"}, "SIM_SPEED"), ({"SIM_INCOMING": "{nope"}, "SIM_INCOMING")],
)
def test_settings_errors_are_clear(env, message):
    with pytest.raises(ValueError, match=message):
        Settings.from_env(env)


def test_mask_keeps_only_the_ends():
    assert mask("+31612341234") == "+316****1234"
    assert mask("+316123451234") == "+316*****1234"
    assert mask("1234") == "1234"
    assert mask(None) == "-"


def test_mask_text_hides_numbers_in_request_lines():
    from simulator.logs import mask_text

    line = "PUT /sim/numbers/+31612341234 HTTP/1.1 GET /Calls.json?To=%2B31612349999"
    assert mask_text(line) == (
        "PUT /sim/numbers/+316****1234 HTTP/1.1 GET /Calls.json?To=%2B316****9999"
    )


def test_simulator_logs_never_show_a_full_number(sim, gateway, caplog):
    import logging

    caplog.set_level(logging.DEBUG, logger="simulator")
    number = "+31612345671"
    sim.number(number, behaviour="answer", digits="1")
    gateway.on("/alert", '<Response><Gather action="/m"><Say>x</Say></Gather></Response>')
    sim.api(
        "POST",
        "/Calls.json",
        data={"To": number, "From": "+3197010000001", "Url": gateway.url("/alert")},
    )
    sim.api("POST", "/Messages.json", data={"To": number, "From": "X", "Body": "b"})
    sim.post("/sim/inbound/message", {"from": number, "to": "+3197010000000", "body": "hoi"})
    sim.wait()
    text = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("simulator"))
    assert "+316****5671" in text
    assert number not in text
