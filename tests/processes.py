"""Real processes on loopback: the Procfile's web and worker lines, and the simulator."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

from gateway.devserver import wait_until_up

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#"))


class System:
    """Start web, worker and simulator as separate processes, as in production."""

    def __init__(self, env: dict[str, str], logs: Path):
        self.env = {**os.environ, **env, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
        self.logs = logs
        self.processes: dict[str, subprocess.Popen] = {}

    def spawn(self, name: str, command: str) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")
        # Own process group: stopping it stops gunicorn's workers too.
        process = subprocess.Popen(["bash", "-c", f"exec {command}"], env=self.env, cwd=ROOT,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.processes[name] = process
        return process

    def run(self, command: str) -> None:
        subprocess.run(["bash", "-c", command], env=self.env, cwd=ROOT, check=True,
                       capture_output=True)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        process = self.processes.pop(name)
        os.killpg(process.pid, sig)
        process.wait(10)

    def stop(self) -> None:
        for name in list(self.processes):
            self.kill(name, signal.SIGTERM)

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def wait_http(self, url: str, timeout: float = 30) -> None:
        try:
            wait_until_up(url, timeout)
        except SystemExit as exc:
            raise AssertionError(f"{exc}; logs in {self.logs}") from None


def gateway_env(config, ports: dict, tipline: str) -> dict[str, str]:
    gateway = f"http://127.0.0.1:{ports['web']}"
    return {
        "DATABASE_URL": config.database_url, "REDIS_URL": config.redis_url,
        "QUEUE_PREFIX": config.queue_prefix, "SECRET_KEY": "e2e-secret",
        "PUBLIC_BASE_URL": gateway, "TWILIO_API_BASE_URL": f"http://127.0.0.1:{ports['sim']}",
        "TIPLINE_NUMBER": tipline, "PORT": str(ports["web"]), "WEB_CONCURRENCY": "2",
        "RETRY_BASE_SECONDS": "0.1", "VERIFY_AFTER_SECONDS": "1", "STALE_SENDING_SECONDS": "2",
        "TWILIO_TIMEOUT_SECONDS": "1",
        "RECONCILE_EVERY_SECONDS": "1", "SIM_SPEED": "0",
        # Faster than Twilio's default pace, so the suite stays quick; busy numbers are redialled
        # once, a second later, by the worker's scheduler.
        "CALLS_PER_SECOND": "200", "SMS_SEGMENTS_PER_SECOND": "200",
        "CALL_RETRY_DELAYS_SECONDS": "1",
        "SIM_INCOMING": json.dumps({tipline: {"voice_url": f"{gateway}/twilio/voice/tipline",
                                              "sms_url": f"{gateway}/twilio/sms/inbound"}}),
    }


def quoted(*words: str) -> str:
    return " ".join(shlex.quote(w) for w in words)
