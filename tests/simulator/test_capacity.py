"""Bounded memory: old records are forgotten, creates wait when the backlog is full."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from simulator.app import create_app
from simulator.client import make_client
from simulator.settings import Settings
from tests.helpers import ServerThread, free_port
from tests.simulator.conftest import ACCOUNT_SID, AUTH_TOKEN, CALLER_ID


def start(**settings) -> tuple[str, object, ServerThread]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app(Settings(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, public_url=base, **settings))
    return base, app, ServerThread(app, port)


@pytest.fixture
def small() -> Iterator[str]:
    base, app, server = start(speed=0, max_records=10)
    yield base
    server.stop()
    app.extensions["simulator"].pool.shutdown()


def test_the_oldest_finished_records_are_forgotten(small, gateway):
    client = make_client(small, ACCOUNT_SID, AUTH_TOKEN)
    sids = [client.messages.create(to=f"+3161234{i:04d}", from_=CALLER_ID, body="hallo",
                                   status_callback=gateway.url("/status")).sid
            for i in range(40)]
    requests.get(small + "/sim/wait", params={"timeout": 20})
    kept = [m.sid for m in client.messages.list()]
    assert 10 <= len(kept) <= 12  # max_records, plus what arrived since the last pass
    assert kept[0] == sids[-1]  # newest first, the newest kept
    assert set(kept) <= set(sids[-12:])
    with pytest.raises(TwilioRestException) as gone:
        client.messages(sids[0]).fetch()
    assert gone.value.status == 404
    # Every message was delivered and called back before it was forgotten.
    delivered = [h for h in gateway.requests_to("/status") if h.params["MessageStatus"] == "delivered"]
    assert len(delivered) == 40


def test_calls_under_way_are_never_forgotten_and_creates_wait_for_room(gateway):
    # One worker thread and room for one job behind it; calls that ring (no answer) a minute.
    base, app, server = start(speed=1, max_records=2, concurrency=1, backlog=1)
    client = make_client(base, ACCOUNT_SID, AUTH_TOKEN)

    def call(i: int) -> str:
        return client.calls.create(to=f"+3161234500{i}7", from_=CALLER_ID, timeout=60,
                                   url=gateway.on("/voice", "<Response/>")).sid
    try:
        ringing, waiting = call(1), call(2)
        third: list[str] = []
        blocked = threading.Thread(target=lambda: third.append(call(3)))
        blocked.start()
        blocked.join(1.0)
        assert blocked.is_alive() and not third  # no room: the create waits, it is not refused
        statuses = {c.sid: c.status for c in client.calls.list()}
        assert statuses[ringing] == "ringing" and statuses[waiting] == "queued"
        assert len(statuses) == 3  # more than max_records: none of them has finished

        client.calls(ringing).update(status="canceled")  # the thread is free: room again
        blocked.join(10)
        assert third and not blocked.is_alive()
        for sid in (waiting, third[0]):
            client.calls(sid).update(status="canceled")
        requests.get(base + "/sim/wait", params={"timeout": 10})
        assert {c.status for c in client.calls.list()} == {"canceled"}
    finally:
        server.stop()
        app.extensions["simulator"].pool.shutdown()


def test_only_the_newest_finished_keep_their_details(gateway):
    base, app, server = start(speed=0, detail_records=3)
    client = make_client(base, ACCOUNT_SID, AUTH_TOKEN)
    try:
        sids = []
        for i in range(8):
            sids.append(client.messages.create(to=f"+3161234{i:04d}", from_=CALLER_ID, body="hallo",
                                               status_callback=gateway.url("/status")).sid)
            requests.get(base + "/sim/wait", params={"timeout": 10})
        shown = {m["sid"]: m for m in requests.get(base + "/sim/messages").json()["messages"]}
        assert [len(shown[sid]["callbacks"]) for sid in sids] == [0] * 5 + [2] * 3
        # What a fetch needs stays.
        assert {client.messages(sid).fetch().status for sid in sids} == {"delivered"}
    finally:
        server.stop()
        app.extensions["simulator"].pool.shutdown()
