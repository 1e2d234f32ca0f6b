"""`python -m simulator` starts a real server process that the twilio client can use."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import requests

from gateway.devserver import wait_until_up
from simulator.client import make_client
from simulator.settings import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN
from tests.simulator.conftest import free_port

ROOT = Path(__file__).parents[2]


def test_module_entry_point_serves_the_api():
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT), SIM_SPEED="5")  # the argument must win
    env.pop("TWILIO_ACCOUNT_SID", None)
    env.pop("TWILIO_AUTH_TOKEN", None)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulator",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--speed",
            "0",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/sim/health", 10)
        client = make_client(base, DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN)
        call = client.calls.create(to="+31612345678", from_="+3197010000001", twiml="<Response/>")
        requests.get(base + "/sim/wait", params={"timeout": 5}, timeout=10)
        assert client.calls(call.sid).fetch().status == "busy"
        assert requests.get(base + "/sim/config", timeout=2).json()["speed"] == 0
        requests.get(base + "/sim/numbers/+31612345678", timeout=2)
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert "event=simulator_listening" in output
    assert "/sim/numbers/+316****5678" in output  # access log masks numbers
    assert "+31612345678" not in output
