"""`python -m simulator` with playback processes: calls play out in another process, yet the
REST and control APIs see and steer them as before (the rest of tests/simulator runs in-process;
SIM_TEST_PROCESSES=2 runs it all against playback processes too)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from gateway.devserver import wait_until_up
from simulator.settings import Settings
from tests.simulator.conftest import ACCOUNT_SID, AUTH_TOKEN, CALLER_ID, Sim, free_port

ROOT = Path(__file__).parents[2]
MAX_RECORDS = 20
ALL_EVENTS = ["initiated", "ringing", "answered", "completed"]
SAY = "<Response><Say>Let op: een man in een rode jas.</Say></Response>"


def children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[Sim, subprocess.Popen]]:
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT), TWILIO_ACCOUNT_SID=ACCOUNT_SID,
               TWILIO_AUTH_TOKEN=AUTH_TOKEN, SIM_MAX_RECORDS=str(MAX_RECORDS), SIM_DETAIL_RECORDS="5",
               SIM_CONCURRENCY="4")
    env.pop("SIM_PROCESSES", None)  # the default of python -m simulator: playback processes
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator", "--port", str(port), "--speed", "0"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    sim = Sim(base_url=base, settings=Settings(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN),
              app=None, http=requests.Session())
    try:
        wait_until_up(base + "/sim/health", 15)
        yield sim, process
    finally:
        process.terminate()
        process.communicate(timeout=10)


@pytest.fixture
def sim(server, gateway) -> Iterator[Sim]:
    sim, _ = server
    sim.wait()
    sim.post("/sim/reset")
    sim.put("/sim/config", {"speed": 0})
    yield sim
    sim.wait()


def create_call(sim: Sim, gateway, to: str, twiml: str = SAY) -> str:
    response = sim.api("POST", "/Calls.json", data={
        "To": to, "From": CALLER_ID, "Url": gateway.on("/voice", twiml),
        "StatusCallback": gateway.url("/status"), "StatusCallbackEvent": ALL_EVENTS})
    assert response.status_code == 201, response.text
    return response.json()["sid"]


def wait_for(predicate, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


def test_server_plays_calls_out_in_processes_of_its_own(server):
    _, process = server
    assert len(children(process.pid)) == 2


def test_a_call_plays_out_and_its_callbacks_arrive(sim, gateway):
    sid = create_call(sim, gateway, "+31612345671")
    sim.wait()
    statuses = [h.params["CallStatus"] for h in gateway.requests_to("/status")]
    assert statuses == ["initiated", "ringing", "in-progress", "completed"]
    assert all(h.signature_valid for h in gateway.hits)
    call = sim.call(sid)
    assert call["status"] == "completed" and int(call["duration"]) >= 1
    assert [e["text"] for e in call["transcript"]] == ["Let op: een man in een rode jas."]
    assert [c["status"] for c in call["callbacks"]] == statuses
    assert len(call["requests"]) == 1
    assert sim.api("GET", f"/Calls/{sid}.json").json()["status"] == "completed"


def test_a_message_is_delivered_with_its_callbacks(sim, gateway):
    response = sim.api("POST", "/Messages.json", data={
        "To": "+31612345672", "From": CALLER_ID, "Body": "Let op", "StatusCallback": gateway.url("/sms")})
    assert response.status_code == 201, response.text
    sim.wait()
    sid = response.json()["sid"]
    assert [h.params["MessageStatus"] for h in gateway.requests_to("/sms")] == ["sent", "delivered"]
    assert sim.api("GET", f"/Messages/{sid}.json").json()["status"] == "delivered"


def test_a_redirect_reaches_the_call_in_its_playback_process(sim, gateway):
    sim.put("/sim/config", {"speed": 0.1})  # the speed reaches the playback processes too
    # 10 real seconds of Pause, cut short at once: the margin is for a loaded CI machine.
    twiml = "<Response><Pause length='100'/><Say>Oud.</Say></Response>"
    sid = create_call(sim, gateway, "+31612345673", twiml)
    wait_for(lambda: sim.call(sid)["transcript"])  # the Pause is playing
    began = time.monotonic()
    response = sim.api("POST", f"/Calls/{sid}.json", data={"Twiml": "<Response><Say>Nieuw.</Say></Response>"})
    assert response.status_code == 200, response.text
    sim.wait()
    assert time.monotonic() - began < 5  # the 10-second Pause was cut short
    transcript = sim.call(sid)["transcript"]
    assert transcript[0]["verb"] == "Pause" and transcript[0]["interrupted"] is True
    assert transcript[1]["event"] == "redirect"
    assert [e.get("text") for e in transcript if e.get("verb") == "Say"] == ["Nieuw."]


def test_cancel_and_hang_up_reach_the_call_in_its_playback_process(sim, gateway):
    sim.put("/sim/config", {"speed": 0.2})
    ringing = create_call(sim, gateway, "+31612345677")  # no-answer: rings 60 s (12 real)
    talking = create_call(sim, gateway, "+31612345674", "<Response><Pause length='60'/></Response>")
    wait_for(lambda: sim.call(ringing)["status"] == "ringing")
    wait_for(lambda: sim.call(talking)["transcript"])
    began = time.monotonic()
    assert sim.api("POST", f"/Calls/{ringing}.json", data={"Status": "canceled"}).status_code == 200
    assert sim.api("POST", f"/Calls/{talking}.json", data={"Status": "completed"}).status_code == 200
    sim.wait()
    assert time.monotonic() - began < 6  # both would have lasted 12 s
    assert sim.call(ringing)["status"] == "canceled"
    assert sim.call(talking)["status"] == "completed"
    finals = {h.params["CallSid"]: h.params["CallStatus"] for h in gateway.requests_to("/status")}
    assert finals == {ringing: "canceled", talking: "completed"}


def test_number_behaviours_reach_the_playback_processes(sim, gateway):
    sim.number("+31612345601", behaviour="busy")  # would answer by its last digit
    twiml = '<Response><Dial action="/dialled"><Number>+31612345601</Number></Dial></Response>'
    create_call(sim, gateway, "+31612345675", twiml)
    sim.wait()
    assert [h.params["DialCallStatus"] for h in gateway.requests_to("/dialled")] == ["busy"]
    child = sim.get("/sim/calls", params={"to": "+31612345601"}).json()["calls"]
    assert [c["status"] for c in child] == ["busy"]  # the child call reached the serving process


def test_wait_sees_work_in_the_playback_processes(sim, gateway):
    sim.put("/sim/config", {"speed": 0.05})
    create_call(sim, gateway, "+31612345676")  # rings 2 s, talks a few: 0.1 s real each
    busy = sim.get("/sim/wait", params={"idle": 1, "timeout": 0}).json()
    assert busy == {"idle": False, "busy": 1}
    assert sim.get("/sim/wait", params={"idle": 1, "timeout": 10}).json() == {"idle": True, "busy": 0}


def test_records_stay_capped(sim, gateway):
    sids = []
    for i in range(3 * MAX_RECORDS):
        response = sim.api("POST", "/Messages.json", data={"To": f"+316123456{i:02d}", "From": CALLER_ID,
                                                         "Body": "x", "StatusCallback": gateway.url("/sms")})
        sids.append(response.json()["sid"])
        if i % 10 == 9:  # a record still being played out is never forgotten: let them finish
            sim.wait()
    kept = sim.get("/sim/messages").json()["messages"]
    assert MAX_RECORDS <= len(kept) <= MAX_RECORDS + MAX_RECORDS // 10 + 1
    assert sim.api("GET", f"/Messages/{sids[0]}.json").status_code == 404
    newest = {m["sid"]: m for m in kept}
    assert newest[sids[-1]]["callbacks"]  # details kept for the newest (SIM_DETAIL_RECORDS)
    assert newest[sids[-10]]["callbacks"] == []  # and no further back
    assert newest[sids[-10]]["status"] == "delivered"


def test_stopping_the_server_stops_its_playback_processes(gateway):
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "simulator", "--port", str(port)], cwd=ROOT,
                               env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: len(children(process.pid)) == 2)
        playback = children(process.pid)
    finally:
        process.terminate()
        process.wait(10)
    wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in playback), timeout=5)
