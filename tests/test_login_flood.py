"""A login flood must not starve Twilio's webhooks: argon2 is slow on purpose, so password checks
run one at a time per web process, in a low-priority helper, and a login that finds the slot taken
is refused at once rather than holding one of the web process's eight threads.

The web process is the Procfile's (gunicorn, threads as in production). What the webhooks get
during the login flood is compared, in the same run, with what they get during a flood of the same
size that checks no password at all (the login page itself): the shared machine's noise is in
both. Without the slot, eight waiting logins hold every thread and webhooks wait seconds."""

from __future__ import annotations

import multiprocessing
import os
import statistics
import threading
import time

import pytest
import requests
from twilio.request_validator import RequestValidator

from tests.helpers import free_port
from tests.processes import System, gateway_env, procfile

ATTACKERS = 32
FLOOD_SECONDS = 6.0


def flood(base: str, kind: str, seconds: float, results) -> None:
    """An attacker in a process of its own: 32 clients guessing passwords of many accounts
    (kind "login") or fetching the login page (kind "page"). A real attacker's CPU is elsewhere;
    here it shares our two cores, so it runs at low priority to measure what the server does with
    the flood, not what the attacker's clients cost."""
    os.nice(10)
    stop, statuses = threading.Event(), []

    def attack(n: int) -> None:
        session = requests.Session()
        page = session.get(base + "/console/login", timeout=30).text
        csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
        while not stop.is_set():
            if kind == "login":
                response = session.post(base + "/console/login", timeout=30, data={
                    "username": f"user{n}", "password": "guess", "csrf_token": csrf})
            else:
                response = session.get(base + "/console/login", timeout=30)
            statuses.append(response.status_code)

    threads = [threading.Thread(target=attack, args=(n,)) for n in range(ATTACKERS)]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    results.put(statuses)


def webhook_latencies(base: str, public_base_url: str, auth_token: str, kind: str) -> tuple:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    attacker = context.Process(target=flood, args=(base, kind, FLOOD_SECONDS, results))
    attacker.start()
    try:
        time.sleep(3.0)  # the attacker's interpreter starts and the flood builds up
        validator = RequestValidator(auth_token)
        webhook = requests.Session()
        latencies = []
        for i in range(60):
            path = f"/twilio/status/voice/999999/{i}"  # nothing of ours: a 204 after a lookup
            params = {"CallSid": f"CA{i}", "CallStatus": "ringing"}
            signature = validator.compute_signature(public_base_url + path, params)
            started = time.perf_counter()
            response = webhook.post(base + path, data=params, timeout=30,
                                    headers={"X-Twilio-Signature": signature})
            latencies.append(time.perf_counter() - started)
            assert response.status_code == 204
            time.sleep(0.03)
        statuses = results.get(timeout=60)
    finally:
        attacker.join(30)
    return latencies, statuses


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_webhooks_stay_fast_during_a_login_flood(config, tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = gateway_env(config, {"web": port, "sim": free_port()}, "+318000011")
    # The flood comes from many addresses at once (a botnet): the per-address limit does not
    # help here, the hashing slot must.
    env |= {"PUBLIC_BASE_URL": base, "WEB_CONCURRENCY": "1", "LOGIN_ATTEMPTS_PER_ADDRESS": "1000000"}
    system = System(env, tmp_path)
    system.spawn("web", procfile()["web"])
    try:
        system.wait_http(base + "/health")
        page, _ = webhook_latencies(base, base, config.twilio_auth_token, "page")
        login, statuses = webhook_latencies(base, base, config.twilio_auth_token, "login")
    finally:
        system.stop()
    # Sharing the CPU with argon2 may slow webhooks a little: a few times plus 50 ms is fast.
    usual, flooded = (statistics.quantiles(x, n=20)[17] for x in (page, login))
    assert flooded < 3 * usual + 0.05, (
        f"webhook p90 {flooded * 1000:.0f} ms during the login flood, "
        f"{usual * 1000:.0f} ms during a page flood of the same size")
    # Logins holding the threads make webhooks wait seconds, behind queued password checks.
    assert max(login) < max(page) + 1.0, (
        f"slowest webhook {max(login) * 1000:.0f} ms during the login flood, "
        f"{max(page) * 1000:.0f} ms during a page flood of the same size")
    assert len(statuses) > 100 and 401 in statuses and 429 in statuses
