"""Answering machine detection, synchronous and asynchronous (AsyncAmd), at speed 0."""

from __future__ import annotations

import time

import pytest
import requests

from tests.simulator.conftest import CALLER_ID

PERSON, MACHINE = "+31612345671", "+31612345676"  # by last digit: answer, voicemail
ONE_SECOND_SAYS = "".join(f"<Say>{word}.</Say>" for word in ("Een", "Twee", "Drie", "Vier"))
# 20 words: 8 simulated seconds, so a verdict at 6 s lands inside it.
LONG = " ".join(["woord"] * 20)


def start(sim, gateway, to: str, twiml: str, **extra) -> str:
    data = {
        "To": to,
        "From": CALLER_ID,
        "Url": gateway.on("/alert", twiml),
        "StatusCallback": gateway.url("/status"),
        "StatusCallbackEvent": ["initiated", "ringing", "answered", "completed"],
        "MachineDetection": "DetectMessageEnd",
        "AsyncAmd": "true",
        "AsyncAmdStatusCallback": gateway.url("/amd"),
    }
    data.update(extra)
    response = sim.api("POST", "/Calls.json", data=data)
    assert response.status_code == 201, response.text
    return response.json()["sid"]


def said(transcript: list[dict]) -> list[str]:
    return [t["text"] for t in transcript if t.get("verb") == "Say"]


def after_verdict(transcript: list[dict]) -> list[dict]:
    index = next(i for i, t in enumerate(transcript) if t.get("verb") == "amd")
    return transcript[index + 1 :]


def redirect_live_call(sim, url: str):
    """A gateway handler for the AMD callback: redirect the call with the REST API, then 204."""

    def handler(params: dict[str, str]):
        response = requests.post(
            f"{sim.base_url}/2010-04-01/Accounts/{sim.settings.account_sid}"
            f"/Calls/{params['CallSid']}.json",
            data={"Url": url},
            auth=(sim.settings.account_sid, sim.settings.auth_token),
            timeout=10,
        )
        assert response.status_code == 200, response.text
        return (204, "")

    return handler


def test_async_human_hears_the_message_at_once_and_the_verdict_follows(sim, gateway):
    sid = start(sim, gateway, PERSON, f"<Response>{ONE_SECOND_SAYS}</Response>")
    sim.wait()

    fetch = gateway.requests_to("/alert")[0]
    assert "AnsweredBy" not in fetch.params  # TwiML runs before detection has concluded
    amd = gateway.requests_to("/amd")
    assert len(amd) == 1 and amd[0].signature_valid
    assert amd[0].params == {
        "AccountSid": sim.settings.account_sid,
        "CallSid": sid,
        "AnsweredBy": "human",
        "MachineDetectionDuration": "2500",
    }
    paths = [h.path for h in gateway.hits]
    assert paths.index("/alert") < paths.index("/amd")

    call = sim.call(sid)
    assert call["answered_by"] == "human"
    # Deterministic at speed 0: the verdict falls at 2.5 s, inside the third one-second Say.
    assert [t.get("text") or t["verb"] for t in call["transcript"]] == [
        "Een.",
        "Twee.",
        "Drie.",
        "amd",
        "Vier.",
    ]
    assert call["transcript"][2]["verdict_during"] is True
    verdict = {"verb": "amd", "answered_by": "human", "mode": "async", "at": 2.5}
    assert call["transcript"][3] == verdict
    kinds = [c["kind"] for c in call["callbacks"]]
    assert kinds == ["status", "status", "status", "amd", "status"]
    assert call["callbacks"][3]["http_status"] == 204

    statuses = gateway.requests_to("/status")
    answered = next(h for h in statuses if h.params["CallStatus"] == "in-progress")
    assert "AnsweredBy" not in answered.params  # not known yet when the call was answered
    assert statuses[-1].params["AnsweredBy"] == "human"


def test_machine_verdict_redirect_cuts_the_message_and_leaves_a_voicemail(sim, gateway):
    sim.number(MACHINE, behaviour="voicemail", digits="1")  # a machine never presses anything
    gateway.on("/amd", redirect_live_call(sim, gateway.url("/voicemail")))
    gateway.on("/voicemail", "<Response><Say>Bericht voor de voicemail.</Say></Response>")
    twiml = (
        f'<Response><Gather numDigits="1" action="/menu"><Say>{LONG}</Say></Gather>'
        "<Say>Niet gehoord.</Say></Response>"
    )
    sid = start(sim, gateway, MACHINE, twiml)
    sim.wait()

    amd = gateway.requests_to("/amd")[0].params
    assert amd["AnsweredBy"] == "machine_end_beep" and amd["MachineDetectionDuration"] == "6000"
    assert gateway.requests_to("/menu") == []
    voicemail = gateway.requests_to("/voicemail")[0].params
    assert voicemail["AnsweredBy"] == "machine_end_beep" and voicemail["CallSid"] == sid

    call = sim.call(sid)
    transcript = call["transcript"]
    first = transcript[0]
    assert first["text"] == LONG and first["verdict_during"] and first["interrupted"]
    assert transcript[1]["verb"] == "amd" and transcript[1]["answered_by"] == "machine_end_beep"
    assert transcript[2] == {
        "event": "redirect",
        "url": gateway.url("/voicemail"),
        "twiml": False,
        "at": 6.0,
    }
    # What the machine recorded: only what was said after the verdict.
    assert said(after_verdict(transcript)) == ["Bericht voor de voicemail."]
    assert "Niet gehoord." not in said(transcript)
    assert call["digits"] == [] and call["answered_by"] == "machine_end_beep"
    assert call["status"] == "completed" and int(call["duration"]) == 8  # 6 s, then 1.6 s of Say


def test_without_a_redirect_the_machine_records_the_rest(sim, gateway):
    twiml = f"<Response><Say>{LONG}</Say><Say>Tweede keer.</Say></Response>"
    sid = start(sim, gateway, MACHINE, twiml, MachineDetection="Enable")
    sim.wait()
    transcript = sim.call(sid)["transcript"]
    assert gateway.requests_to("/amd")[0].params["AnsweredBy"] == "machine_start"
    assert transcript[0]["verdict_during"] and "interrupted" not in transcript[0]
    assert said(after_verdict(transcript)) == ["Tweede keer."]


@pytest.mark.parametrize(
    "verdict, duration_ms",
    [
        ("machine_end_silence", "9000"),
        ("machine_end_other", "7000"),
        ("fax", "3000"),
        ("unknown", "15000"),  # MachineDetectionTimeout ran out
        ("human", "2500"),  # a machine mistaken for a person
    ],
)
def test_forced_verdict_per_number(sim, gateway, verdict, duration_ms):
    sim.number(MACHINE, behaviour="voicemail", amd=verdict)
    assert sim.get(f"/sim/numbers/{MACHINE}").json()["amd"] == verdict
    twiml = f"<Response><Pause length='20'/><Say>{LONG}</Say></Response>"
    sid = start(sim, gateway, MACHINE, twiml, MachineDetectionTimeout="15")
    sim.wait()
    amd = gateway.requests_to("/amd")[0].params
    assert (amd["AnsweredBy"], amd["MachineDetectionDuration"]) == (verdict, duration_ms)
    assert sim.call(sid)["answered_by"] == verdict
    assert gateway.requests_to("/status")[-1].params["AnsweredBy"] == verdict


def test_a_verdict_slower_than_the_timeout_is_unknown(sim, gateway):
    # DetectMessageEnd needs 6 s for the beep; with a 3 s timeout detection gives up.
    twiml = f"<Response><Say>{LONG}</Say></Response>"
    sid = start(sim, gateway, MACHINE, twiml, MachineDetectionTimeout="3")
    sim.wait()
    amd = gateway.requests_to("/amd")[0].params
    assert (amd["AnsweredBy"], amd["MachineDetectionDuration"]) == ("unknown", "3000")
    assert sim.call(sid)["answered_by"] == "unknown"


def test_amd_option_is_validated(sim):
    response = sim.put(f"/sim/numbers/{PERSON}", {"behaviour": "answer", "amd": "robot"})
    assert response.status_code == 400 and "amd" in response.json()["error"]


def test_verdict_callback_with_get_and_no_callback_at_all(sim, gateway):
    twiml = f"<Response>{ONE_SECOND_SAYS}</Response>"
    start(sim, gateway, PERSON, twiml, AsyncAmdStatusCallbackMethod="GET")
    sim.wait()
    hit = gateway.requests_to("/amd")[0]
    assert hit.method == "GET" and hit.signature_valid and hit.params["AnsweredBy"] == "human"

    gateway.hits.clear()
    sid = start(sim, gateway, PERSON, twiml, AsyncAmdStatusCallback="")
    sim.wait()
    call = sim.call(sid)
    assert gateway.requests_to("/amd") == [] and call["answered_by"] == "human"
    assert [t["verb"] for t in call["transcript"]].count("amd") == 1


def test_call_that_ends_before_the_verdict_gets_none(sim, gateway):
    sid = start(sim, gateway, PERSON, "<Response><Say>Kort.</Say></Response>")
    sim.wait()
    assert gateway.requests_to("/amd") == []
    assert sim.call(sid)["answered_by"] is None


def test_synchronous_amd_waits_for_the_verdict_before_the_twiml(sim, gateway):
    sim.number(PERSON, amd="machine_start")  # a person mistaken for a machine
    sid = start(sim, gateway, PERSON, "<Response><Say>Hallo.</Say></Response>", AsyncAmd="false")
    sim.wait()
    assert gateway.requests_to("/alert")[0].params["AnsweredBy"] == "machine_start"
    assert gateway.requests_to("/amd") == []
    call = sim.call(sid)
    assert call["transcript"][0] == {
        "verb": "amd",
        "answered_by": "machine_start",
        "mode": "sync",
        "at": 4.0,
    }
    assert int(call["duration"]) == 5  # 4 s of silence while detecting, then a short Say


@pytest.mark.parametrize(
    "field, value",
    [
        ("AsyncAmd", "sometimes"),
        ("MachineDetection", "Maybe"),
        ("MachineDetectionTimeout", "60"),
        ("MachineDetectionTimeout", "soon"),
        ("AsyncAmdStatusCallbackMethod", "PUT"),
    ],
)
def test_invalid_amd_parameters_are_21234(sim, gateway, field, value):
    data = {"To": PERSON, "From": CALLER_ID, "Twiml": "<Response/>", "MachineDetection": "Enable"}
    data[field] = value
    response = sim.api("POST", "/Calls.json", data=data)
    assert response.status_code == 400 and response.json()["code"] == 21234


def test_rest_redirect_interrupts_the_current_verb_at_once(sim, gateway):
    sim.put("/sim/config", {"speed": 0.1})  # a 30 s Pause lasts 3 real seconds
    twiml = "<Response><Pause length='30'/><Say>Niet gehoord.</Say></Response>"
    sid = start(sim, gateway, PERSON, twiml, MachineDetection="")
    deadline = time.monotonic() + 10
    while not sim.call(sid)["transcript"] and time.monotonic() < deadline:
        time.sleep(0.02)
    began = time.monotonic()
    response = sim.api(
        "POST", f"/Calls/{sid}.json", data={"Twiml": "<Response><Say>Nieuw.</Say></Response>"}
    )
    assert response.status_code == 200, response.text
    sim.wait()
    assert time.monotonic() - began < 2.0
    transcript = sim.call(sid)["transcript"]
    assert transcript[0]["verb"] == "Pause" and transcript[0]["interrupted"] is True
    assert transcript[1]["event"] == "redirect" and transcript[1]["twiml"] is True
    assert said(transcript) == ["Nieuw."]
