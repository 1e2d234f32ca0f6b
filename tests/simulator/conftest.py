"""Fixtures: the simulator and a tiny fake gateway, each on its own free loopback port."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from aiohttp import web
from flask import Flask, Response, request
from twilio.request_validator import RequestValidator

from simulator.app import create_app
from simulator.client import make_client
from simulator.server import front
from simulator.settings import Settings
from tests.helpers import ServerThread, free_port

AUTH_TOKEN = "test-auth-token"
ACCOUNT_SID = "AC" + "ab" * 16
GATEWAY_NUMBER = "+3197010000000"  # the gateway's own number (incoming)
CALLER_ID = "+3197010000001"


Handler = str | tuple[int, str] | Callable[[dict[str, str]], Any]


@dataclass
class Hit:
    path: str
    method: str
    params: dict[str, str]
    signature_valid: bool
    headers: dict[str, str]


@dataclass
class FakeGateway:
    """Serves TwiML per path and records every request with its signature check."""

    base_url: str
    routes: dict[str, Handler] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return self.base_url + path

    def on(self, path: str, handler: Handler) -> str:
        self.routes[path] = handler
        return self.url(path)

    def requests_to(self, path: str) -> list[Hit]:
        with self.lock:
            return [h for h in self.hits if h.path == path]

    def reset(self) -> None:
        with self.lock:
            self.routes.clear()
            self.hits.clear()


def build_gateway(gateway: FakeGateway) -> Flask:
    app = Flask("fake_gateway")
    validator = RequestValidator(AUTH_TOKEN)

    @app.route("/<path:path>", methods=["GET", "POST"])
    def any_path(path: str):
        path = "/" + path
        params = request.form.to_dict() if request.method == "POST" else {}
        signed_params = request.form if request.method == "POST" else {}
        valid = validator.validate(
            request.url, signed_params, request.headers.get("X-Twilio-Signature", "")
        )
        if request.method == "GET":
            params = request.args.to_dict()
        with gateway.lock:
            gateway.hits.append(Hit(path, request.method, params, valid, dict(request.headers)))
        handler = gateway.routes.get(path)
        if handler is None:
            return Response("", status=204)
        if callable(handler):
            handler = handler(params)
        if isinstance(handler, tuple):
            status, body = handler
            return Response(body, status=status, mimetype="text/plain")
        return Response(handler, mimetype="text/xml")

    return app


@dataclass
class Sim:
    base_url: str
    settings: Settings
    app: Flask
    http: requests.Session

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.http.get(self.base_url + path, **kwargs)

    def put(self, path: str, json: Any) -> requests.Response:
        return self.http.put(self.base_url + path, json=json)

    def post(self, path: str, json: Any = None) -> requests.Response:
        return self.http.post(self.base_url + path, json=json)

    def api(self, method: str, path: str, auth=None, **kwargs) -> requests.Response:
        url = f"{self.base_url}/2010-04-01/Accounts/{self.settings.account_sid}{path}"
        auth = auth or (self.settings.account_sid, self.settings.auth_token)
        return self.http.request(method, url, auth=auth, **kwargs)

    def number(self, number: str, **behaviour: Any) -> None:
        response = self.put(f"/sim/numbers/{number}", behaviour)
        assert response.status_code == 200, response.text

    def wait(self, timeout: float = 20) -> None:
        response = self.get("/sim/wait", params={"idle": 1, "timeout": timeout})
        assert response.json()["idle"], "simulator did not become idle"

    def call(self, sid: str) -> dict[str, Any]:
        response = self.get(f"/sim/calls/{sid}")
        assert response.status_code == 200, response.text
        return response.json()


class FrontThread:
    """The simulator's aiohttp front (server.front) on a thread with its own event loop."""

    def __init__(self, app: Flask, port: int) -> None:
        self.application, self.handler = front(app, "127.0.0.1", port)
        self.loop = asyncio.new_event_loop()
        self.runner = web.AppRunner(self.application, access_log=None)
        started = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(self.runner.setup())
            self.loop.run_until_complete(web.TCPSite(self.runner, "127.0.0.1", port).start())
            started.set()
            self.loop.run_forever()

        threading.Thread(target=run, name="sim-front", daemon=True).start()
        assert started.wait(10), "the simulator's front did not start"

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.handler.pool.shutdown(wait=False, cancel_futures=True)


@pytest.fixture(scope="session")
def gateway_server() -> Iterator[FakeGateway]:
    port = free_port()
    gateway = FakeGateway(base_url=f"http://127.0.0.1:{port}")
    server = ServerThread(build_gateway(gateway), port)
    yield gateway
    server.stop()


@pytest.fixture(scope="session")
def sim_server(gateway_server: FakeGateway) -> Iterator[Sim]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    settings = Settings(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        public_url=base_url,
        speed=0,
        concurrency=8,
        # SIM_TEST_PROCESSES=2 runs every test against playback processes (playback.py) and
        # the aiohttp front, as `python -m simulator` serves.
        processes=int(os.environ.get("SIM_TEST_PROCESSES", "0")),
        slow_seconds=1.5,
        incoming={GATEWAY_NUMBER: {"voice_url": "", "sms_url": ""}},
    )
    app = create_app(settings)
    # With playback processes, also the HTTP server of `python -m simulator` (server.front).
    server = FrontThread(app, port) if settings.processes else ServerThread(app, port)
    yield Sim(base_url=base_url, settings=settings, app=app, http=requests.Session())
    server.stop()
    app.extensions["simulator"].pool.shutdown()


@pytest.fixture
def gateway(gateway_server: FakeGateway) -> Iterator[FakeGateway]:
    gateway_server.reset()
    yield gateway_server


@pytest.fixture
def sim(sim_server: Sim, gateway: FakeGateway) -> Iterator[Sim]:
    """A clean simulator whose incoming number points at the fake gateway."""
    sim_server.wait()
    assert sim_server.post("/sim/reset").status_code == 200
    sim_server.put("/sim/config", {"speed": 0})
    sim_server.put(
        f"/sim/incoming/{GATEWAY_NUMBER}",
        {"voice_url": gateway.url("/voice"), "sms_url": gateway.url("/sms")},
    )
    yield sim_server
    sim_server.wait()


@pytest.fixture
def client(sim: Sim):
    return make_client(sim.base_url, sim.settings.account_sid, sim.settings.auth_token)
