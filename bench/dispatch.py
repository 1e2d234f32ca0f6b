"""Dispatch benchmark: how close does our send path come to the provider-bound ceiling?

Starts the real system on loopback as the Procfile does (gunicorn web, N RQ workers), seeds
`--recipients` participants inside one circle, and for each target measures over `--runs` runs:
  ours     POST start -> every alert accepted by the provider (no rate limit: throughput)
  ceiling  the same number of creates sent by the bare twilio client from as many threads as the
           workers send with (workers x MAX_PROVIDER_CONCURRENCY), into the same target
Targets: `stub`, a minimal server that only answers creates (bench/provider_stub.py), so the
ratio ours/ceiling is the cost of our own bookkeeping; and `simulator`, the telephony simulator
with its call progress and callbacks into the web tier.

    .venv/bin/python bench/dispatch.py                        # 100,000 recipients, 2 workers, both targets
    .venv/bin/python bench/dispatch.py --recipients 10000 --targets stub --runs 3 --json
"""

from __future__ import annotations

import argparse
import dataclasses
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

import requests
from sqlalchemy import func, insert, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import free_port, fresh_database  # noqa: E402
from gateway.auth import create_operator  # noqa: E402
from gateway.config import Config  # noqa: E402
from gateway.devserver import wait_until_up  # noqa: E402
from gateway.migrate import upgrade  # noqa: E402
from gateway.models import Address, Delivery, Participant, utcnow  # noqa: E402
from gateway.models import delivery as state  # noqa: E402
from gateway.provider.client import make_client  # noqa: E402
from gateway.runtime import Runtime  # noqa: E402

CENTRE = (4.4931, 52.0575)
SPREAD_M = 10_000
TIPLINE = "+318000011"
ACCEPTED = (state.WAITING | {state.SENDING})  # anything here is not yet accepted


def seed(rt: Runtime, count: int) -> None:
    """`count` verified participants spread over a disc: all inside the benchmark's circle."""
    rng = random.Random(1)
    now = utcnow()
    with rt.transaction() as db:
        db.execute(insert(Participant), [
            {"phone": f"+3162{i:07d}", "language": "nl", "verified_at": now, "active": True,
             "created_at": now} for i in range(count)])
        ids = list(db.scalars(select(Participant.id).order_by(Participant.id)))
        rows = []
        for pid in ids:
            r, a = SPREAD_M * rng.random() ** 0.5, rng.uniform(0, 2 * math.pi)
            rows.append({"participant_id": pid, "label": "home", "channel": rng.choice(["voice", "sms"]),
                         "lat": CENTRE[1] + r * math.cos(a) / 111_320,
                         "lon": CENTRE[0] + r * math.sin(a) / 68_500})
        db.execute(insert(Address), rows)


def spawn(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(args, env=env, cwd=ROOT, stdout=open(log, "wb"),
                            stderr=subprocess.STDOUT, start_new_session=True)


def ceiling(config: Config, api: str, count: int, threads: int) -> float:
    """Creates straight through the twilio client, half calls half SMS, like a mixed action."""
    client = make_client(dataclasses.replace(config, twilio_api_base_url=api))
    base = config.public_base_url

    def one(i: int) -> None:
        to = f"+3163{i:07d}"
        if i % 2:
            client.messages.create(to=to, from_=config.sms_from, body="bench",
                                   status_callback=f"{base}/twilio/status/sms/0/1")
        else:
            client.calls.create(to=to, from_=config.voice_from_number, url=f"{base}/twilio/voice/message/0",
                                status_callback=f"{base}/twilio/status/voice/0/1",
                                status_callback_event=["initiated", "ringing", "answered", "completed"],
                                machine_detection="DetectMessageEnd", async_amd=True)
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, range(count)))
    return count / (time.perf_counter() - started)


def dispatch(rt: Runtime, gateway: str, token: str, count: int) -> float:
    """Start an action over everyone; seconds until the provider accepted all its alerts."""
    headers = {"Authorization": f"Bearer {token}"}
    action = requests.post(gateway + "/api/actions", headers=headers, json={
        "incident_type": "burglary", "description": "Man in rode jas",
        "area": {"type": "Circle", "center": list(CENTRE), "radius_m": SPREAD_M + 100}}).json()
    started = time.perf_counter()
    requests.post(f"{gateway}/api/actions/{action['id']}/start", headers=headers,
                  json={"confirm": True}).raise_for_status()
    while time.perf_counter() - started < 1800:
        with rt.sessions() as db:
            rows = dict(db.execute(select(Delivery.status, func.count()).where(
                Delivery.action_id == action["id"]).group_by(Delivery.status)).all())
        if sum(rows.values()) == count and not any(rows.get(s) for s in ACCEPTED):
            return time.perf_counter() - started
        time.sleep(0.05)
    raise SystemExit(f"action {action['id']} not accepted within 30 minutes: {rows}")


def spread(values: list[float], fmt: str = ",.0f") -> str:
    return "/".join(format(v, fmt) for v in (min(values), statistics.median(values), max(values)))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--targets", default="stub,simulator")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--database", default="burgernet_bench",
                        help="PostgreSQL database to (re)create: another name runs beside a colleague's run")
    args = parser.parse_args()

    ports = {"web": free_port(), "sim": free_port(), "stub": free_port()}
    apis = {"stub": f"http://127.0.0.1:{ports['stub']}", "simulator": f"http://127.0.0.1:{ports['sim']}"}
    config = Config(database_url=fresh_database(args.database), redis_url="redis://127.0.0.1:6379/14",
                    queue_prefix=f"bench-{os.getpid()}", secret_key="bench",
                    public_base_url=f"http://127.0.0.1:{ports['web']}",
                    twilio_api_base_url=apis["simulator"])
    upgrade(config.database_url)
    rt = Runtime.from_config(config)
    seed(rt, args.recipients)
    with rt.transaction() as db:
        _, token = create_operator(db, "bench", "bench-password", role="supervisor")

    env = {**os.environ, "DATABASE_URL": config.database_url, "REDIS_URL": config.redis_url,
           "QUEUE_PREFIX": config.queue_prefix, "SECRET_KEY": "bench", "SIM_SPEED": "0",
           "SIM_CONCURRENCY": "64", "PUBLIC_BASE_URL": config.public_base_url,
           "SIM_INCOMING": json.dumps({TIPLINE: {}}),
           # Throughput, not pacing (bench/pacing.py measures that): no rate limit in the way,
           # and no redials of busy phones minutes later.
           "CALLS_PER_SECOND": "100000", "SMS_SEGMENTS_PER_SECOND": "100000",
           "CALL_RETRY_DELAYS_SECONDS": ""}
    logs = Path(tempfile.mkdtemp())
    py = sys.executable
    threads = args.workers * config.max_provider_concurrency
    fixed = [spawn([py, "-m", "simulator", "--port", str(ports["sim"]), "--speed", "0"], env,
                   logs / "sim.log"),
             spawn([py, str(ROOT / "bench" / "provider_stub.py"), "--port", str(ports["stub"])], env,
                   logs / "stub.log"),
             spawn([py, "-m", "gunicorn", "--workers", "2", "--threads", "8", "--bind",
                    f"127.0.0.1:{ports['web']}", "gateway.wsgi:app"], env, logs / "web.log")]
    results = {}
    try:
        wait_until_up(config.public_base_url + "/health")
        wait_until_up(apis["simulator"] + "/sim/health")
        for target in args.targets.split(","):
            worker_env = {**env, "TWILIO_API_BASE_URL": apis[target]}
            workers = [spawn([py, "-m", "gateway.cli", "worker"], worker_env,
                             logs / f"{target}-worker{i}.log")
                       for i in range(args.workers)]
            ours, ceilings, seconds = [], [], []
            try:
                for _ in range(args.runs):
                    ceilings.append(ceiling(config, apis[target], args.recipients, threads))
                    if target == "simulator":
                        requests.get(apis[target] + "/sim/wait", params={"idle": 1, "timeout": 600})
                    seconds.append(dispatch(rt, config.public_base_url, token, args.recipients))
                    ours.append(args.recipients / seconds[-1])
                    print(f"{target}: ours {ours[-1]:,.0f}/s ceiling {ceilings[-1]:,.0f}/s", file=sys.stderr)
                    if target == "simulator":
                        requests.get(apis[target] + "/sim/wait", params={"idle": 1, "timeout": 600})
                        requests.post(apis[target] + "/sim/reset")
            finally:
                for w in workers:
                    w.terminate()
                for w in workers:
                    w.wait(10)
            results[target] = {"ours": ours, "ceiling": ceilings, "seconds": seconds}
    finally:
        for p in fixed:
            p.terminate()
        for p in fixed:
            p.wait(10)

    print(f"recipients={args.recipients:,} workers={args.workers} threads={threads} runs={args.runs} "
          "(min/median/max)")
    print(f"{'target':<11}{'ours /s':>18}{'ceiling /s':>22}{'ratio':>7}{'accepted in s':>20}")
    for target, r in results.items():
        ratio = statistics.median(r["ours"]) / statistics.median(r["ceiling"])
        print(f"{target:<11}{spread(r['ours']):>18}{spread(r['ceiling']):>22}{ratio:>7.2f}"
              f"{spread(r['seconds'], ',.1f'):>20}")
    if args.json and results:
        first = next(iter(results))
        summary = {name: {"recipients": args.recipients,
                          "accepted_seconds": round(statistics.median(r["seconds"]), 2),
                          "rate": round(statistics.median(r["ours"])),
                          "ceiling_rate": round(statistics.median(r["ceiling"])),
                          "ratio": round(statistics.median(r["ours"]) / statistics.median(r["ceiling"]), 3)}
                   for name, r in results.items()}
        print(json.dumps({**summary[first], "target": first, "targets": summary}))


if __name__ == "__main__":
    main()
