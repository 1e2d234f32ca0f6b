"""A live system in one process: the gateway and the simulator each behind a real HTTP server
on loopback, the real `twilio` client between them, and jobs run by the test (`pump`).
The fixtures here are a pytest plugin (tests/conftest.py loads it); a test module that uses
`live` overrides `config` with `live_config`."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest
import requests
from sqlalchemy import select

from gateway import create_app
from gateway.config import Config
from gateway.models import Delivery
from gateway.models import delivery as state
from gateway.runtime import Runtime
from simulator.app import create_app as create_simulator
from simulator.settings import Settings
from tests.helpers import ServerThread, free_port, pump

TIPLINE = "+318000011"


def live_config(config: Config, ports: dict, **changes) -> Config:
    """The suite's config, pointed at real loopback servers, with short fault timings."""
    defaults = dict(
        public_base_url=f"http://127.0.0.1:{ports['gateway']}",
        twilio_api_base_url=f"http://127.0.0.1:{ports['sim']}",
        twilio_timeout_seconds=0.5, verify_after_seconds=2.0, retry_base_seconds=0.05,
        # Pacing has its own tests and benchmark; here it must not slow the faults down.
        calls_per_second=1000, sms_segments_per_second=1000, whatsapp_per_second=1000,
        call_retry_delays_seconds="")
    return replace(config, **{**defaults, **changes})


@pytest.fixture
def ports():
    return {"gateway": free_port(), "sim": free_port()}


@pytest.fixture
def live(runtime, config, ports, token):
    sim_app = create_simulator(Settings(
        account_sid=config.twilio_account_sid, auth_token=config.twilio_auth_token, speed=0,
        public_url=config.twilio_api_base_url, slow_seconds=1.0,
        incoming={TIPLINE: {"voice_url": f"{config.public_base_url}/twilio/voice/tipline",
                            "sms_url": f"{config.public_base_url}/twilio/sms/inbound"}}))
    servers = [ServerThread(create_app(runtime=runtime), ports["gateway"]),
               ServerThread(sim_app, ports["sim"])]
    yield Live(runtime, config.public_base_url, config.twilio_api_base_url,
               {"Authorization": f"Bearer {token}"})
    for server in servers:
        server.stop()
    sim_app.extensions["simulator"].pool.shutdown()


@dataclass
class Live:
    runtime: Runtime
    gateway_url: str
    sim_url: str
    headers: dict

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(method, self.gateway_url + path, headers=self.headers,
                                timeout=10, **kwargs)

    def sim(self, method: str, path: str, **kwargs) -> requests.Response:
        response = requests.request(method, self.sim_url + path, timeout=30, **kwargs)
        response.raise_for_status()
        return response

    def behave(self, phone: str, behaviour: str, **extra) -> None:
        self.sim("PUT", f"/sim/numbers/{phone}", json={"behaviour": behaviour, **extra})

    def sim_records(self, phone: str) -> list[dict]:
        """Every call and message the simulated network saw for one phone."""
        calls = self.sim("GET", "/sim/calls", params={"to": phone}).json()["calls"]
        messages = self.sim("GET", "/sim/messages", params={"to": phone}).json()["messages"]
        return calls + messages

    def deliveries(self, purpose: str = state.ALERT) -> dict[str, Delivery]:
        with self.runtime.sessions() as db:
            rows = db.scalars(select(Delivery).where(Delivery.purpose == purpose))
            return {d.phone: d for d in rows}

    def settle(self, purpose: str = state.ALERT, timeout: float = 30) -> dict[str, Delivery]:
        """Run jobs until every delivery of `purpose` is final and the network is quiet."""
        def done() -> bool:
            rows = self.deliveries(purpose)
            return bool(rows) and all(d.status in state.FINAL for d in rows.values()) and \
                self.sim("GET", "/sim/wait", params={"idle": 1, "timeout": 5}).json()["idle"]
        pump(self.runtime, done, timeout, f"all {purpose} deliveries final")
        return self.deliveries(purpose)

    def start_action(self, radius_m: float = 1000, **extra) -> int:
        action = self.api("POST", "/api/actions", json={
            "incident_type": "burglary", "description": "Man in rode jas op zwarte fiets",
            "area": {"type": "Circle", "center": [4.4931, 52.0575], "radius_m": radius_m},
            **extra}).json()
        assert self.api("POST", f"/api/actions/{action['id']}/start").status_code == 202
        return action["id"]
