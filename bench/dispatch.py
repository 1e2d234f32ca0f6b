"""Dispatch benchmark: how close do we come to the provider's own speed?

Starts the real system (simulator, gunicorn web, N RQ workers) on loopback, seeds participants,
then measures in one run:
  1. selection: recipients of an area out of all participants (median of 5);
  2. raw: the same number of creates sent straight through the twilio client to the simulator,
     from as many threads as the workers send with: the provider-bound ceiling here;
  3. dispatch: POST start -> every delivery accepted by the provider -> every delivery final.
The figure that matters is the ratio dispatch/raw (machines are shared and noisy; ratios are not).

    .venv/bin/python bench/dispatch.py --participants 20000 --recipients 2000 --workers 2
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import requests
from sqlalchemy import func, insert, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway import areas  # noqa: E402
from gateway.auth import create_operator  # noqa: E402
from gateway.config import Config  # noqa: E402
from gateway.devserver import wait_until_up  # noqa: E402
from gateway.dispatch import selection  # noqa: E402
from gateway.migrate import upgrade  # noqa: E402
from gateway.models import Address, Delivery, Participant, utcnow  # noqa: E402
from gateway.models import delivery as state  # noqa: E402
from gateway.provider.client import make_client  # noqa: E402
from gateway.runtime import Runtime  # noqa: E402

CENTRE = (4.4931, 52.0575)
SPREAD_M = 10_000
TIPLINE = "+318000011"


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database(kind: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    admin = os.environ.get("BENCH_POSTGRES_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute('DROP DATABASE IF EXISTS "burgernet_bench" WITH (FORCE)')
        conn.execute('CREATE DATABASE "burgernet_bench"')
    return admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/burgernet_bench"


def seed(rt: Runtime, count: int) -> None:
    rng = random.Random(1)
    now = utcnow()
    with rt.transaction() as db:
        db.execute(insert(Participant), [
            {"phone": f"+3162{i:07d}", "language": "nl", "verified_at": now, "active": True,
             "created_at": now} for i in range(count)])
        ids = list(db.scalars(select(Participant.id).order_by(Participant.id)))
        rows = []
        for pid in ids:
            r, a = SPREAD_M * rng.random() ** 0.5, rng.uniform(0, 6.2832)
            rows.append({"participant_id": pid, "label": "home", "channel": rng.choice(["voice", "sms"]),
                         "lat": CENTRE[1] + r * math.cos(a) / 111_320,
                         "lon": CENTRE[0] + r * math.sin(a) / 68_500})
        db.execute(insert(Address), rows)


def radius_for(total: int, wanted: int) -> float:
    return SPREAD_M * (wanted / total) ** 0.5  # uniform over the disc


def spawn(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(args, env=env, cwd=ROOT, stdout=open(log, "wb"),
                            stderr=subprocess.STDOUT, start_new_session=True)


def raw_rate(config: Config, count: int, threads: int) -> float:
    """Creates straight through the twilio client, half calls half SMS, like a mixed action."""
    client = make_client(config)
    base = config.public_base_url

    def one(i: int) -> None:
        to = f"+3163{i:07d}"
        if i % 2:
            client.messages.create(to=to, from_=config.sms_from, body="bench",
                                   status_callback=f"{base}/twilio/status/message/0")
        else:
            client.calls.create(to=to, from_=config.voice_from_number, url=f"{base}/twilio/voice/message/0",
                                status_callback=f"{base}/twilio/status/call/0",
                                status_callback_event=["initiated", "ringing", "answered", "completed"],
                                machine_detection="DetectMessageEnd")
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, range(count)))
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--participants", type=int, default=20_000)
    parser.add_argument("--recipients", type=int, default=2_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    args = parser.parse_args()

    ports = {"web": free_port(), "sim": free_port()}
    config = Config(database_url=database(args.database), redis_url="redis://127.0.0.1:6379/14",
                    queue_prefix=f"bench-{os.getpid()}", secret_key="bench",
                    public_base_url=f"http://127.0.0.1:{ports['web']}",
                    twilio_api_base_url=f"http://127.0.0.1:{ports['sim']}")
    upgrade(config.database_url)
    rt = Runtime.from_config(config)
    seed(rt, args.participants)
    with rt.transaction() as db:
        _, token = create_operator(db, "bench", "bench-password")

    area = areas.parse({"type": "Circle", "center": list(CENTRE),
                        "radius_m": radius_for(args.participants, args.recipients)})
    timings = []
    for _ in range(5):
        with rt.sessions() as db:
            started = time.perf_counter()
            chosen = selection.recipients(db, area)
            timings.append(time.perf_counter() - started)
    total = len(chosen)

    env = {**os.environ, "DATABASE_URL": config.database_url, "REDIS_URL": config.redis_url,
           "QUEUE_PREFIX": config.queue_prefix, "SECRET_KEY": "bench", "SIM_SPEED": "0",
           "SIM_CONCURRENCY": "64", "PUBLIC_BASE_URL": config.public_base_url,
           "TWILIO_API_BASE_URL": config.twilio_api_base_url,
           "SIM_INCOMING": json.dumps({TIPLINE: {}}),
           # Throughput, not pacing (bench/pacing.py measures that): no rate limit in the way,
           # and no redials of busy phones minutes later.
           "CALLS_PER_SECOND": "100000", "SMS_SEGMENTS_PER_SECOND": "100000",
           "CALL_RETRY_DELAYS_SECONDS": ""}
    logs = Path(tempfile.mkdtemp())
    py = sys.executable
    procs = [spawn([py, "-m", "simulator", "--port", str(ports["sim"]), "--speed", "0"], env,
                   logs / "sim.log"),
             spawn([py, "-m", "gunicorn", "--workers", "2", "--threads", "8", "--bind",
                    f"127.0.0.1:{ports['web']}", "gateway.wsgi:app"], env, logs / "web.log")]
    procs += [spawn([py, "-m", "gateway.cli", "worker"], env, logs / f"worker{i}.log")
              for i in range(args.workers)]
    try:
        wait_until_up(config.public_base_url + "/health")
        wait_until_up(config.twilio_api_base_url + "/sim/health")
        raw = raw_rate(config, total, args.workers * config.max_provider_concurrency)
        requests.get(config.twilio_api_base_url + "/sim/wait", params={"idle": 1, "timeout": 120})
        requests.post(config.twilio_api_base_url + "/sim/reset")

        headers = {"Authorization": f"Bearer {token}"}
        gw = config.public_base_url
        action = requests.post(gw + "/api/actions", headers=headers, json={
            "incident_type": "burglary", "description": "Man in rode jas",
            "area": area.geojson}).json()
        started = time.perf_counter()
        requests.post(f"{gw}/api/actions/{action['id']}/start", headers=headers,
                      json={"confirm": True}).raise_for_status()
        accepted_at = final_at = None
        while final_at is None and time.perf_counter() - started < 900:
            with rt.sessions() as db:
                rows = dict(db.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all())
            done = sum(rows.values())
            waiting = sum(rows.get(s, 0) for s in (state.PENDING, state.RETRY, state.SENDING))
            if done == total and waiting == 0 and accepted_at is None:
                accepted_at = time.perf_counter() - started
            if done == total and all(s in state.FINAL for s in rows):
                final_at = time.perf_counter() - started
            time.sleep(0.05)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(10)
    dispatch = total / accepted_at if accepted_at else 0.0
    print(f"database={args.database} participants={args.participants} recipients={total} "
          f"workers={args.workers}")
    print(f"selection_ms_median={statistics.median(timings) * 1000:.1f}")
    print(f"raw_provider_creates_per_s={raw:.0f}")
    print(f"dispatch_accepted_per_s={dispatch:.0f} (start -> all accepted: {accepted_at:.2f} s)")
    print(f"dispatch_to_raw_ratio={dispatch / raw:.2f}")
    print(f"start_to_all_final_s={final_at:.2f}" if final_at else "start_to_all_final_s=timeout")
    print(f"final_statuses={rows}")


if __name__ == "__main__":
    main()
