"""The operator console: password login (argon2) with CSRF, throttling and lock-out, sessions
that end for real, and the actions with progress and tips."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from gateway import auth
from gateway.models import Action, Tip
from tests import factories

PASSWORD = "correct horse battery staple"


def csrf_of(client, path="/console/login") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def log_in(client, username="centralist", password=PASSWORD):
    return client.post("/console/login", data={"username": username, "password": password,
                                                "csrf_token": csrf_of(client)})


def test_login_required_then_actions_listed(client, runtime, token):
    assert client.get("/console").headers["Location"].endswith("/console/login")
    with runtime.transaction() as db:
        action = Action(incident_type="robbery", description="Twee mannen op scooter",
                        area=factories.circle(), status="active")
        db.add(action)
        db.flush()
        db.add(Tip(action_id=action.id, kind="sms", phone="+31600000001", body="Bij de Albert Heijn",
                   provider_sid="SMtip"))
        db.add(Tip(action_id=None, kind="sms", phone="+31600000009", body="Niet gekoppeld",
                   provider_sid="SMloose"))
    wrong = log_in(client, password="nope")
    assert wrong.status_code == 401 and b"wrong password" in wrong.data
    assert log_in(client).status_code == 302
    page = client.get("/console").get_data(as_text=True)
    assert "Twee mannen op scooter" in page and "Bij de Albert Heijn" in page
    assert "Niet gekoppeld" in page  # a tip no action claimed is still in sight
    # The console session also authorises the API, for the console's own scripts.
    assert client.get("/api/actions").status_code == 200
    client.post("/console/logout", data={"csrf_token": csrf_of(client, "/console")})
    assert client.get("/api/actions").status_code == 401


def test_login_and_logout_need_the_csrf_token(client, token):
    refused = client.post("/console/login", data={"username": "centralist", "password": PASSWORD})
    assert refused.status_code == 403
    assert log_in(client).status_code == 302
    assert client.post("/console/logout").status_code == 403  # a cross-site form post
    assert client.get("/api/actions").status_code == 200


def test_a_copied_session_cookie_dies_with_logout(app, token):
    browser = app.test_client()
    assert log_in(browser).status_code == 302
    stolen = app.test_client()
    stolen.set_cookie("session", browser.get_cookie("session").value)
    assert stolen.get("/api/actions").status_code == 200
    browser.post("/console/logout", data={"csrf_token": csrf_of(browser, "/console")})
    assert stolen.get("/api/actions").status_code == 401
    assert stolen.get("/console").status_code == 302


def test_repeated_failures_lock_the_account_even_for_the_right_password(client, token, runtime):
    for _ in range(10):
        assert log_in(client, password="guess").status_code == 401
    locked = log_in(client)
    assert locked.status_code == 429 and "geblokkeerd" in locked.get_data(as_text=True)
    runtime.limits.clear("login-failures:centralist")
    assert log_in(client).status_code == 302


def test_one_address_guessing_many_accounts_is_throttled(client, token, runtime):
    assert runtime.config.login_attempts_per_address == 30  # the default
    # Each guess at an unknown user costs a full-price hash: a lower limit tests the same rule.
    runtime.config = replace(runtime.config, login_attempts_per_address=4)
    statuses = [log_in(client, username=f"user{i}", password="x").status_code for i in range(5)]
    assert statuses[:4] == [401] * 4 and statuses[4] == 429


def test_behind_a_proxy_each_client_address_has_its_own_login_limit(app, runtime, token):
    """Behind a reverse proxy every request comes from the proxy: without PROXY_HOPS one
    attacker would lock out the whole control room, and with it a client must not be able to
    name its own address (the proxy appends the real one; only that one is read)."""
    from dataclasses import replace

    from gateway import create_app

    def attempts(client, address, n=1):
        return [client.post("/console/login", headers={"X-Forwarded-For": address}, data={
            "username": "nobody", "password": "x", "csrf_token": csrf_of(client)}).status_code
            for _ in range(n)]

    runtime.config = replace(runtime.config, login_attempts_per_address=2)
    direct = app.test_client()  # no proxy: the header is the client's word, and ignored
    assert attempts(direct, "203.0.113.5", 2) + attempts(direct, "203.0.113.6") == [401, 401, 429]
    runtime.limits.clear("login-address:127.0.0.1")

    runtime.config = replace(runtime.config, proxy_hops=1)
    proxied = create_app(runtime=runtime).test_client()
    assert attempts(proxied, "203.0.113.5", 3) == [401, 401, 429]
    assert attempts(proxied, "203.0.113.6") == [401]  # another client behind the same proxy
    assert attempts(proxied, "203.0.113.6, 203.0.113.5") == [429]  # a forged first hop


def test_logins_beyond_the_hashing_slots_are_told_to_wait(client, token, monkeypatch):
    """argon2 takes the CPU that Twilio's webhooks need: one check at a time per process;
    more are answered at once instead of queueing in web threads."""
    taken = [auth.HASH_SLOTS.acquire(blocking=False)]
    try:
        assert all(taken)
        busy = log_in(client)
        assert busy.status_code == 429 and "druk" in busy.get_data(as_text=True)
    finally:
        for _ in taken:
            auth.HASH_SLOTS.release()
    assert log_in(client).status_code == 302


def test_a_password_check_that_gets_no_cpu_in_time_is_busy_not_an_error(client, token,
                                                                          monkeypatch):
    # Under a heavy load the low-priority checker may not answer within its timeout. A check
    # that never finishes stands for it: a real one would race the (short) timeout.
    from concurrent.futures import Future

    class Stalled:
        def submit(self, *args):
            return Future()

    monkeypatch.setattr("gateway.passwords.TIMEOUT_SECONDS", 0.05)
    monkeypatch.setattr("gateway.passwords._executor", Stalled)
    busy = log_in(client)
    assert busy.status_code == 503 and "druk" in busy.get_data(as_text=True)
    monkeypatch.undo()
    assert log_in(client).status_code == 302


def test_a_disabled_operator_cannot_log_in_and_loses_sessions(app, runtime, token):
    from sqlalchemy import update

    from gateway.models import Operator, utcnow
    browser = app.test_client()
    assert log_in(browser).status_code == 302
    with runtime.transaction() as db:
        db.execute(update(Operator).values(disabled_at=utcnow()))
    assert browser.get("/api/actions").status_code == 401
    assert log_in(app.test_client()).status_code == 401
    assert app.test_client().get("/api/actions", headers={
        "Authorization": f"Bearer {token}"}).status_code == 401


@pytest.mark.parametrize("path", ["/console", "/console/login", "/api/actions"])
def test_security_headers(client, path):
    headers = client.get(path).headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"


def test_only_provider_media_is_linked(client, runtime, token):
    with runtime.transaction() as db:
        action = Action(incident_type="robbery", description="x", area=factories.circle(),
                        status="active")
        db.add(action)
        db.flush()
        for n, url in enumerate(["https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1",
                                 "javascript:alert(1)", "http://evil.example/RE2"]):
            db.add(Tip(action_id=action.id, kind="recording", recording_url=url,
                       provider_sid=f"RE{n}"))
    log_in(client)
    page = client.get("/console").get_data(as_text=True)
    assert "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1" in page
    assert "javascript:" not in page and "evil.example" not in page
