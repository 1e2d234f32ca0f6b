"""The tip line through the simulator over real HTTP: what the caller and the operator hear,
and the tip each call leaves, through the real twilio client and media proxy."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import select

from gateway import transcription
from gateway.config import Config
from gateway.models import Action, Delivery, Recording, utcnow
from gateway.models.action import ACTIVE
from tests import factories
from tests.helpers import run_jobs
from tests.live import TIPLINE, live_config

RED_LINE = "+31881111111"
ALERTED_AT = datetime(2026, 11, 22, 13, 3, tzinfo=UTC)  # 14:03 in Amsterdam
BOTH, RED_ONLY = "+31610000201", "+31610000202"


@pytest.fixture
def config(config, ports) -> Config:
    return live_config(config, ports)


@pytest.fixture
def actions(runtime):
    with runtime.transaction() as db:
        people = {phone: factories.participant(db, phone) for phone in (BOTH, RED_ONLY)}
        red = Action(incident_type="burglary", description="Man, 1.80 m, rode jas",
                     area=factories.circle(), status=ACTIVE, operator_line=RED_LINE,
                     started_at=utcnow() - timedelta(minutes=30))
        blue = Action(incident_type="robbery", description="Vrouw in blauwe auto",
                      area=factories.circle(), status=ACTIVE, started_at=utcnow())
        db.add_all([red, blue])
        db.flush()
        for action, phone in [(red, BOTH), (blue, BOTH), (red, RED_ONLY)]:
            db.add(Delivery(action_id=action.id, participant_id=people[phone].id, phone=phone,
                            channel="voice", status="answered", attempts=1, claimed_at=ALERTED_AT))
        return {"red": red.id, "blue": blue.id}


def tip_call(live, caller: str, digits: str, **extra) -> dict:
    sid = live.sim("POST", "/sim/inbound/call", json={"from": caller, "to": TIPLINE,
                                                      "digits": digits, **extra}).json()["sid"]
    assert live.sim("GET", "/sim/wait", params={"idle": 1, "timeout": 20}).json()["idle"]
    return live.sim("GET", f"/sim/calls/{sid}").json()


def heard(call: dict) -> list[str]:
    return [e["text"] for e in call["transcript"] if e.get("verb") == "Say"]


def dial_of(call: dict) -> dict:
    [dial] = [e for e in call["transcript"] if e.get("verb") == "Dial"]
    return dial


def tips(live, action_id: int) -> list[dict]:
    return live.api("GET", f"/api/actions/{action_id}/tips").json()["tips"]


def test_key_1_reaches_the_actions_operator_who_hears_the_whisper(live, actions):
    call = tip_call(live, RED_ONLY, "1")
    assert "U belt over: Man, 1.80 m, rode jas." in heard(call)
    dial = dial_of(call)
    assert (dial["number"], dial["status"]) == (RED_LINE, "completed")
    assert dial["whisper"] == [f"Burgernet-tip voor actie {actions['red']}. "
                               "De beller is gewaarschuwd om 14:03."]
    child = live.sim("GET", f"/sim/calls/{dial['dial_call_sid']}").json()
    assert child["from"] == RED_ONLY  # the caller's own number, so the operator can call back
    [tip] = tips(live, actions["red"])
    assert (tip["kind"], tip["alerted"], tip["phone"]) == ("call", True, "+316*****202")


def test_no_key_at_all_repeats_once_then_connects(live, actions):
    call = tip_call(live, RED_ONLY, "")
    assert heard(call).count("We hebben geen toets gehoord.") == 1
    assert dial_of(call)["status"] == "completed"
    assert [t["kind"] for t in tips(live, actions["red"])] == ["call"]


def test_choosing_the_second_action_and_recording_a_tip(live, actions):
    call = tip_call(live, BOTH, "2,2", recording_seconds=9)
    assert "U bent gewaarschuwd voor 2 oproepen." in heard(call)
    [recorded] = [e for e in call["transcript"] if e.get("verb") == "Record"]
    [callback] = [c for c in call["callbacks"] if c["kind"] == "recording"]
    assert callback["http_status"] == 204
    [tip] = tips(live, actions["red"])
    assert (tip["kind"], tip["duration_s"]) == ("recording", 9)
    assert tips(live, actions["blue"]) == []
    with live.runtime.sessions() as db:
        recording = db.scalar(select(Recording))
    assert (recording.sid, recording.tip_id, recording.action_id) == (
        recorded["recording_sid"], tip["id"], actions["red"])
    audio = live.api("GET", tip["recording_url"])
    assert audio.status_code == 200 and audio.content[:4] == b"RIFF"


@pytest.mark.parametrize("behaviour", ["busy", "no-answer"])
def test_a_busy_or_unanswered_operator_line_offers_a_recording(live, actions, behaviour):
    live.behave(RED_LINE, behaviour)
    call = tip_call(live, RED_ONLY, "1", recording_seconds=5)
    assert dial_of(call)["status"] == behaviour
    assert "Er is nu niemand beschikbaar. U kunt uw tip inspreken." in heard(call)
    [tip] = tips(live, actions["red"])
    assert (tip["kind"], tip["duration_s"]) == ("recording", 5)


def test_transcription_is_off_by_default_and_runs_when_configured(live, actions, runtime,
                                                                   monkeypatch):
    tip_call(live, RED_ONLY, "2", recording_seconds=3)
    assert runtime.jobs.queues["default"].count == 0  # off: nothing is sent anywhere
    heard_audio = []

    class Transcriber:
        def transcribe(self, audio: bytes, language: str) -> str:
            heard_audio.append((audio[:4], language))
            return "Hij liep richting het station"

    monkeypatch.setitem(transcription.REGISTRY, "test", lambda config: Transcriber())
    monkeypatch.setattr(runtime, "config", replace(runtime.config, transcriber="test"))
    tip_call(live, BOTH, "1,2", recording_seconds=4)
    run_jobs(runtime)
    with runtime.sessions() as db:
        transcripts = dict(db.execute(select(Recording.duration_s, Recording.transcript)).all())
    assert transcripts == {3: None, 4: "Hij liep richting het station"}
    assert heard_audio == [(b"RIFF", "nl")]


def test_an_unknown_transcriber_is_named():
    with pytest.raises(RuntimeError, match="'nope' is not a registered transcriber"):
        transcription.configured(Config(transcriber="nope"))


def test_the_purge_deletes_the_media_at_the_provider(live, actions, runtime, config):
    from gateway import recordings

    tip_call(live, RED_ONLY, "2", recording_seconds=3)
    with runtime.transaction() as db:
        recording = db.scalar(select(Recording))
        recording.created_at = utcnow() - timedelta(days=config.recording_retention_days + 1)
        sid, url = recording.sid, recording.url
    assert requests.get(url, timeout=5).status_code == 200
    assert recordings.purge(runtime) == 1
    assert requests.get(url, timeout=5).status_code == 404
    assert recordings.purge(runtime) == 0  # nothing left, here or there
    [tip] = tips(live, actions["red"])
    assert tip["recording_url"] is None and tip["kind"] == "recording"
    assert live.api("GET", f"/api/tips/{tip['id']}/recording").status_code == 404
    assert sid.startswith("RE")
