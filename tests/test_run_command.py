"""`burgernet run`, the README's first command, starts the whole system and prints a working
console URL, demo login and API token."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.conftest import REDIS_URL
from tests.helpers import free_port

ROOT = Path(__file__).resolve().parent.parent


def test_run_starts_everything_on_embedded_defaults(tmp_path):
    web, sim = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "TWILIO_"))}
    env.update(BURGERNET_VAR=str(tmp_path / "var"), WEB_PORT=str(web), SIM_PORT=str(sim),
               REDIS_URL=REDIS_URL, QUEUE_PREFIX=f"test-run-{os.getpid()}")
    out = open(tmp_path / "run.log", "w+")
    process = subprocess.Popen([sys.executable, "-m", "gateway.cli", "run", "--seed-count", "50"],
                               cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while "API token:" not in (text := (tmp_path / "run.log").read_text()):
            assert process.poll() is None, text
            assert time.monotonic() < deadline, text
            time.sleep(0.2)
        token = re.search(r"API token: (\S+)", text).group(1)
        assert f"http://127.0.0.1:{web}/console" in text and "demo / demo-burgernet" in text
        headers = {"Authorization": f"Bearer {token}"}
        draft = requests.post(f"http://127.0.0.1:{web}/api/actions", headers=headers, json={
            "incident_type": "burglary", "description": "Man met rode jas",
            "area": {"type": "Circle", "center": [4.4931, 52.0575], "radius_m": 5000}})
        assert draft.status_code == 201
        assert draft.json()["preview"]["total"] == 50  # the seeded demo participants
        assert requests.get(f"http://127.0.0.1:{sim}/sim/health", timeout=5).ok
        assert (tmp_path / "var" / "burgernet.db").exists()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(20)
