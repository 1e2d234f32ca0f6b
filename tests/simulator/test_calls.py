"""Outbound calls: default behaviours, callbacks, the TwiML verbs and the loop guard."""

from __future__ import annotations

import pytest

from tests.simulator.conftest import CALLER_ID

ALERT = (
    '<?xml version="1.0" encoding="UTF-8"?><Response>'
    '<Say voice="Polly.Lotte" language="nl-NL">Let op: gezocht wordt een man in een rode jas.</Say>'
    "</Response>"
)
ALL_EVENTS = ["initiated", "ringing", "answered", "completed"]


def start_call(sim, gateway, to: str, twiml: str = ALERT, **extra) -> str:
    data = {
        "To": to,
        "From": CALLER_ID,
        "Url": gateway.on("/alert", twiml),
        "StatusCallback": gateway.url("/status"),
        "StatusCallbackEvent": ALL_EVENTS,
    }
    data.update(extra)
    response = sim.api("POST", "/Calls.json", data=data)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "queued"
    return response.json()["sid"]


def statuses(gateway, path: str = "/status") -> list[tuple[str, str]]:
    return [(h.params["SequenceNumber"], h.params["CallStatus"]) for h in gateway.requests_to(path)]


def test_answered_call_fetches_twiml_and_reports_every_event(sim, gateway):
    sid = start_call(sim, gateway, "+31612345671")
    sim.wait()

    assert statuses(gateway) == [
        ("0", "initiated"),
        ("1", "ringing"),
        ("2", "in-progress"),
        ("3", "completed"),
    ]
    callbacks = gateway.requests_to("/status")
    assert all(h.signature_valid for h in gateway.hits)
    final = callbacks[-1].params
    assert final["CallSid"] == sid
    assert final["Direction"] == "outbound-api"
    assert final["CallbackSource"] == "call-progress-events"
    assert final["Called"] == "+31612345671" and final["Caller"] == CALLER_ID
    assert int(final["CallDuration"]) >= 1 and final["Duration"] == "1"
    assert "Timestamp" in final and final["ApiVersion"] == "2010-04-01"
    assert "AnsweredBy" not in final  # no MachineDetection asked

    fetch = gateway.requests_to("/alert")
    assert len(fetch) == 1 and fetch[0].params["CallStatus"] == "in-progress"

    call = sim.call(sid)
    assert call["status"] == "completed"
    assert call["transcript"][0] == {
        "verb": "Say",
        "text": "Let op: gezocht wordt een man in een rode jas.",
        "voice": "Polly.Lotte",
        "language": "nl-NL",
        "loop": 1,
    }
    assert [c["http_status"] for c in call["callbacks"]] == [204, 204, 204, 204]


@pytest.mark.parametrize(
    "to, final, events",
    [
        ("+31612345678", "busy", ["initiated", "ringing", "busy"]),
        ("+31612345677", "no-answer", ["initiated", "ringing", "no-answer"]),
    ],
)
def test_unanswered_numbers_never_fetch_twiml(sim, gateway, to, final, events):
    sid = start_call(sim, gateway, to)
    sim.wait()
    assert [s for _, s in statuses(gateway)] == events
    assert gateway.requests_to("/alert") == []
    call = sim.call(sid)
    assert call["status"] == final and call["duration"] == "0"


def test_default_status_callback_is_completed_only(sim, gateway):
    start_call(sim, gateway, "+31612345672", StatusCallbackEvent=[])
    sim.wait()
    assert [s for _, s in statuses(gateway)] == ["completed"]
    assert statuses(gateway)[0][0] == "0"


def test_voicemail_with_machine_detection(sim, gateway):
    sid = start_call(sim, gateway, "+31612345676", MachineDetection="DetectMessageEnd")
    sim.wait()
    fetch = gateway.requests_to("/alert")
    assert fetch[0].params["AnsweredBy"] == "machine_end_beep"
    assert gateway.requests_to("/status")[-1].params["AnsweredBy"] == "machine_end_beep"
    assert sim.call(sid)["answered_by"] == "machine_end_beep"


def test_human_with_machine_detection(sim, gateway):
    sid = start_call(sim, gateway, "+31612345670", MachineDetection="Enable")
    sim.wait()
    assert gateway.requests_to("/alert")[0].params["AnsweredBy"] == "human"
    assert sim.call(sid)["answered_by"] == "human"


def test_unreachable_call_fails(sim, gateway):
    sim.number("+31612345671", behaviour="unreachable")
    sid = start_call(sim, gateway, "+31612345671")
    sim.wait()
    assert [s for _, s in statuses(gateway)] == ["initiated", "failed"]
    assert sim.call(sid)["status"] == "failed"


GATHER = (
    "<Response>"
    '<Gather numDigits="1" action="/menu" timeout="5">'
    '<Say language="nl-NL">Druk 1 als u iets gezien heeft.</Say></Gather>'
    "<Say>Geen invoer.</Say>"
    "</Response>"
)


def test_gather_presses_the_numbers_digits(sim, gateway):
    sim.number("+31612345671", behaviour="answer", digits="1")
    gateway.on("/menu", "<Response><Say>Dank u wel.</Say><Hangup/></Response>")
    sid = start_call(sim, gateway, "+31612345671", twiml=GATHER)
    sim.wait()

    menu = gateway.requests_to("/menu")
    assert len(menu) == 1
    assert menu[0].params["Digits"] == "1" and menu[0].params["CallSid"] == sid
    assert menu[0].signature_valid
    call = sim.call(sid)
    assert call["digits"] == ["1"]
    verbs = [(t["verb"], t.get("text") or t.get("digits")) for t in call["transcript"]]
    assert verbs == [
        ("Say", "Druk 1 als u iets gezien heeft."),
        ("Gather", "1"),
        ("Say", "Dank u wel."),
        ("Hangup", None),
    ]


def test_gather_without_digits_falls_through(sim, gateway):
    sid = start_call(sim, gateway, "+31612345671", twiml=GATHER)
    sim.wait()
    assert gateway.requests_to("/menu") == []
    transcript = sim.call(sid)["transcript"]
    assert transcript[1] == {"verb": "Gather", "digits": "", "action": gateway.url("/menu")}
    assert transcript[2]["text"] == "Geen invoer."


def test_gather_without_action_posts_to_the_current_document(sim, gateway):
    sim.number("+31612345671", digits="2,3")
    answers = iter(
        [
            '<Response><Gather numDigits="1"><Say>Eerste</Say></Gather></Response>',
            '<Response><Gather numDigits="1"><Say>Tweede</Say></Gather></Response>',
            "<Response><Say>Klaar</Say></Response>",
        ]
    )
    sid = start_call(sim, gateway, "+31612345671", twiml=lambda params: next(answers))
    sim.wait()
    assert [h.params.get("Digits") for h in gateway.requests_to("/alert")] == [None, "2", "3"]
    assert sim.call(sid)["digits"] == ["2", "3"]


def test_record_creates_recording_with_media(sim, gateway):
    sim.number("+31612345671", digits="", recording_seconds=7)
    twiml = (
        "<Response><Say>Spreek na de piep.</Say>"
        '<Record action="/recorded" maxLength="60" recordingStatusCallback="/recording-status"/>'
        "<Say>Dit hoort niemand.</Say></Response>"
    )
    sid = start_call(sim, gateway, "+31612345671", twiml=twiml)
    sim.wait()

    recorded = gateway.requests_to("/recorded")
    assert len(recorded) == 1
    params = recorded[0].params
    assert params["Digits"] == "hangup" and params["RecordingDuration"] == "7"
    assert params["RecordingSid"].startswith("RE")
    assert params["RecordingUrl"] == (
        f"{sim.base_url}/2010-04-01/Accounts/{sim.settings.account_sid}"
        f"/Recordings/{params['RecordingSid']}"
    )
    status = gateway.requests_to("/recording-status")
    assert status[0].params["RecordingStatus"] == "completed" and status[0].signature_valid

    call = sim.call(sid)
    assert call["transcript"][-1] == {
        "verb": "Record",
        "recording_sid": params["RecordingSid"],
        "duration": 7,
    }
    assert int(call["duration"]) >= 7

    media = sim.http.get(params["RecordingUrl"] + ".wav")  # no auth, as on Twilio
    assert media.status_code == 200 and media.headers["Content-Type"] == "audio/x-wav"
    assert media.content[:4] == b"RIFF" and media.content[8:12] == b"WAVE"
    assert len(media.content) > 7 * 8000  # 7 seconds of 8 kHz 8-bit audio

    resource = sim.api("GET", f"/Recordings/{params['RecordingSid']}.json").json()
    assert resource["call_sid"] == sid and resource["duration"] == "7"
    by_call = sim.api("GET", f"/Calls/{sid}/Recordings.json").json()
    assert [r["sid"] for r in by_call["recordings"]] == [params["RecordingSid"]]
    assert sim.http.get(params["RecordingUrl"] + ".mp3").status_code == 404


@pytest.mark.parametrize(
    "operator, expected",
    [
        ("+31201234561", "completed"),
        ("+31201234568", "busy"),
        ("+31201234567", "no-answer"),
    ],
)
def test_dial_reports_the_dialled_numbers_status(sim, gateway, operator, expected):
    twiml = (
        f'<Response><Dial action="/dialled" timeout="20"><Number>{operator}</Number></Dial>'
        "</Response>"
    )
    gateway.on("/dialled", "<Response><Hangup/></Response>")
    sid = start_call(sim, gateway, "+31612345671", twiml=twiml)
    sim.wait()
    dialled = gateway.requests_to("/dialled")
    assert len(dialled) == 1
    assert dialled[0].params["DialCallStatus"] == expected
    child = sim.call(dialled[0].params["DialCallSid"])
    assert child["parent_call_sid"] == sid and child["direction"] == "outbound-dial"
    assert child["status"] == expected
    dial = sim.call(sid)["transcript"][0]
    assert dial["verb"] == "Dial" and dial["number"] == operator and dial["status"] == expected
    if expected == "completed":
        assert int(dialled[0].params["DialCallDuration"]) > 0


def test_dial_without_action_continues(sim, gateway):
    twiml = "<Response><Dial>+31201234568</Dial><Say>Bezet.</Say></Response>"
    sid = start_call(sim, gateway, "+31612345671", twiml=twiml)
    sim.wait()
    transcript = sim.call(sid)["transcript"]
    assert transcript[0]["status"] == "busy" and transcript[1]["text"] == "Bezet."


def test_redirect_loop_is_cut_off(sim, gateway):
    twiml = "<Response><Redirect>/alert</Redirect></Response>"
    sid = start_call(sim, gateway, "+31612345671", twiml=twiml)
    sim.wait()
    assert len(gateway.requests_to("/alert")) == 25
    call = sim.call(sid)
    assert call["status"] == "completed"
    assert call["transcript"][-1]["verb"] == "error"


@pytest.mark.parametrize("answer", [(500, "boom"), (200, "this is not xml")])
def test_broken_webhook_is_an_application_error(sim, gateway, answer):
    sid = start_call(sim, gateway, "+31612345671", twiml=answer)
    sim.wait()
    call = sim.call(sid)
    assert call["status"] == "completed"
    assert call["transcript"][-1]["text"] == "An application error has occurred"
    assert statuses(gateway)[-1][1] == "completed"


def test_inline_twiml_and_get_method(sim, gateway):
    response = sim.api(
        "POST",
        "/Calls.json",
        data={
            "To": "+31612345671",
            "From": CALLER_ID,
            "Twiml": "<Response><Say>Hoi</Say></Response>",
        },
    )
    sid = response.json()["sid"]
    gateway.on("/get-twiml", "<Response><Pause length='2'/></Response>")
    sid2 = start_call(sim, gateway, "+31612345672", Url=gateway.url("/get-twiml"), Method="GET")
    sim.wait()
    assert sim.call(sid)["transcript"] == [
        {"verb": "Say", "text": "Hoi", "voice": None, "language": None, "loop": 1}
    ]
    hit = gateway.requests_to("/get-twiml")[0]
    assert hit.method == "GET" and hit.signature_valid and hit.params["CallSid"] == sid2


def test_hangup_after_ends_call_early(sim, gateway):
    sim.number("+31612345671", hangup_after=1)
    twiml = "<Response><Say>een twee drie</Say><Say>niet gehoord</Say></Response>"
    sid = start_call(sim, gateway, "+31612345671", twiml=twiml)
    sim.wait()
    transcript = sim.call(sid)["transcript"]
    assert [t.get("text") for t in transcript] == ["een twee drie", None]
    assert transcript[-1] == {"event": "hangup", "by": "callee"}


def test_malformed_attributes_do_not_break_the_call(sim, gateway):
    twiml = '<Response><Say loop="often">Hallo</Say><Pause length="lang"/></Response>'
    sid = start_call(sim, gateway, "+31612345671", twiml=twiml)
    sim.wait()
    call = sim.call(sid)
    assert call["status"] == "completed"
    assert [t["verb"] for t in call["transcript"]] == ["Say", "Pause"]
    assert call["transcript"][1]["length"] == 1


def test_many_concurrent_calls_keep_their_callback_order(sim, gateway):
    gateway.on("/alert", ALERT)
    sids = []
    for n in range(60):
        response = sim.api(
            "POST",
            "/Calls.json",
            data={
                "To": f"+316123450{n:02d}",
                "From": CALLER_ID,
                "Url": gateway.url("/alert"),
                "StatusCallback": gateway.url("/status"),
                "StatusCallbackEvent": ALL_EVENTS,
            },
        )
        sids.append(response.json()["sid"])
    sim.wait()
    by_call: dict[str, list[str]] = {}
    for hit in gateway.requests_to("/status"):
        by_call.setdefault(hit.params["CallSid"], []).append(hit.params["SequenceNumber"])
    assert set(by_call) == set(sids)
    assert all(numbers == sorted(numbers) for numbers in by_call.values())
    calls = sim.get("/sim/calls").json()["calls"]
    finals = {c["status"] for c in calls}
    assert finals <= {"completed", "busy", "no-answer"} and len(calls) == 60
