"""Status-callback benchmark: signed Twilio status callbacks into the web tier as the Procfile
starts it (gunicorn, WEB_CONCURRENCY workers x 8 threads), from many concurrent clients.

Each run posts `--callbacks` signed callbacks (sent, then delivered, for fresh SMS deliveries,
so every one is a real state change) from `--clients` concurrent connections: half as fast as the
server answers (closed loop: the rate it sustains), half offered at `--rate` a second (open loop:
the latency at that rate, counted from when each was due). And the same number of requests to the
same server's trivial endpoint (/health), closed loop with the same client and concurrency: the
ceiling of this server, client and machine. Prints min/median/max over the runs.

    .venv/bin/python bench/callbacks.py                    # 64 clients, 3 runs of 10,000
    .venv/bin/python bench/callbacks.py --clients 32 --runs 5 --json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from sqlalchemy import func, insert, select
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import free_port, fresh_database  # noqa: E402
from gateway.config import Config  # noqa: E402
from gateway.devserver import wait_until_up  # noqa: E402
from gateway.migrate import upgrade  # noqa: E402
from gateway.models import Action, Delivery, utcnow  # noqa: E402
from gateway.models import delivery as state  # noqa: E402
from gateway.runtime import Runtime  # noqa: E402

TOKEN = "bench-auth-token"


def seed(rt: Runtime, count: int) -> tuple[int, list[int]]:
    """An active action with `count` SMS deliveries the provider has queued."""
    now = utcnow()
    with rt.transaction() as db:
        action = Action(incident_type="burglary", description="bench", status="active",
                        area={"type": "Circle", "center": [4.49, 52.05], "radius_m": 1000},
                        started_at=now)
        db.add(action)
        db.flush()
        db.execute(insert(Delivery), [
            {"action_id": action.id, "phone": f"+3162{i:07d}", "channel": "sms", "purpose": state.ALERT,
             "round": 0, "status": state.QUEUED, "attempts": 1, "redials": 0,
             "provider_sid": f"SM{i:032d}", "created_at": now, "updated_at": now}
            for i in range(count)])
        ids = [d for (d,) in db.execute(Delivery.__table__.select().with_only_columns(Delivery.id)
                                        .order_by(Delivery.id))]
    return action.id, ids


def signed_callbacks(base: str, ids: list[int], first_id: int) -> list[tuple[str, dict, str]]:
    """(url, form, signature) for sent then delivered of each delivery, made before timing.
    `first_id`: the id of the first delivery seeded, whose sid is SM0…0 (see seed)."""
    validator = RequestValidator(TOKEN)
    requests_ = []
    for status in ("sent", "delivered"):
        for i in ids:
            url = f"{base}/twilio/status/sms/{i}/1"
            form = {"MessageSid": f"SM{i - first_id:032d}", "MessageStatus": status,
                    "AccountSid": "AC" + "0" * 32}
            requests_.append((url, form, validator.compute_signature(url, form)))
    return requests_


async def load(requests_: list, clients: int, method: str,
               rate: float | None = None) -> tuple[float, list[float], int]:
    """Send all requests from `clients` concurrent connections; rate, latencies, errors.
    Closed loop (each client sends its next request when the last one is answered) unless
    `rate` is given: then request i is due at i / rate seconds, as callbacks arrive when calls
    progress, and its latency counts from when it was due, so waiting for a free connection
    counts too."""
    latencies: list[float] = []
    errors = 0
    queue = iter(enumerate(requests_))
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def client():
            nonlocal errors
            for i, (url, form, signature) in queue:
                started = time.perf_counter()
                if rate:
                    due = begun + i / rate
                    if due > started:
                        await asyncio.sleep(due - started)
                    started = due
                try:
                    async with session.request(method, url, data=form or None,
                                               headers={"X-Twilio-Signature": signature}) as response:
                        await response.read()
                        if response.status >= 300:
                            errors += 1
                except aiohttp.ClientError:
                    errors += 1
                latencies.append(time.perf_counter() - started)
        begun = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        elapsed = time.perf_counter() - begun
    return len(requests_) / elapsed, latencies, errors


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def spread(values: list[float]) -> str:
    return f"{min(values):,.0f}/{statistics.median(values):,.0f}/{max(values):,.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--callbacks", type=int, default=10_000, help="per run")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rate", type=float, default=600,
                        help="the offered rate (per second) at which latency is measured")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    config = Config(database_url=fresh_database("burgernet_bench_callbacks"), redis_url="redis://127.0.0.1:6379/14",
                    queue_prefix=f"bench-{os.getpid()}", secret_key="bench", public_base_url=base,
                    twilio_auth_token=TOKEN, twilio_api_base_url="http://127.0.0.1:9")
    upgrade(config.database_url)
    rt = Runtime.from_config(config)
    per_run = args.callbacks // 2
    _, ids = seed(rt, per_run * args.runs)
    rt.engine.dispose()

    env = {**os.environ, "DATABASE_URL": config.database_url, "REDIS_URL": config.redis_url,
           "QUEUE_PREFIX": config.queue_prefix, "SECRET_KEY": "bench", "PUBLIC_BASE_URL": base,
           "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_API_BASE_URL": config.twilio_api_base_url,
           "LOG_LEVEL": "WARNING"}
    procfile = (ROOT / "Procfile").read_text()
    web = next(line.split(":", 1)[1].strip() for line in procfile.splitlines() if line.startswith("web:"))
    command = os.path.expandvars(web.replace("${WEB_CONCURRENCY:-2}", os.environ.get("WEB_CONCURRENCY", "2"))
                                 .replace("${PORT:-8080}", str(port)).replace("0.0.0.0", "127.0.0.1"))
    log = Path(tempfile.mkdtemp()) / "web.log"
    server = subprocess.Popen([sys.executable, "-m", *command.split()], env=env, cwd=ROOT,
                              stdout=open(log, "wb"), stderr=subprocess.STDOUT, start_new_session=True)
    results = {"callbacks": [], "trivial": [], "callbacks at rate": []}
    try:
        wait_until_up(base + "/health")
        trivial = [(base + "/health", {}, "")] * args.callbacks
        asyncio.run(load(trivial[:2000], args.clients, "GET"))  # warm both up
        for run in range(args.runs):
            chunk = ids[run * per_run:(run + 1) * per_run]
            half = len(chunk) // 2
            for name, requests_, method, offered in (
                    ("trivial", trivial, "GET", None),
                    ("callbacks", signed_callbacks(base, chunk[:half], ids[0]), "POST", None),
                    ("callbacks at rate", signed_callbacks(base, chunk[half:], ids[0]), "POST",
                     args.rate)):
                rate, latencies, errors = asyncio.run(load(requests_, args.clients, method, offered))
                results[name].append({"rate": rate, "p50": percentile(latencies, 0.5) * 1000,
                                      "p99": percentile(latencies, 0.99) * 1000, "errors": errors})
    finally:
        server.terminate()
        server.wait(10)
    # Each callback must have been a real state change, not a stale one the server ignored.
    with rt.engine.connect() as conn:
        delivered = conn.scalar(select(func.count()).select_from(Delivery)
                                .where(Delivery.status == state.DELIVERED))
    if delivered != len(ids):
        sys.exit(f"only {delivered} of {len(ids)} deliveries were moved to delivered")
    print(f"clients={args.clients} requests_per_run={args.callbacks:,} runs={args.runs} "
          f"web='{command}' (min/median/max)")
    print(f"{'endpoint':<18}{'requests/s':>20}{'p50 ms':>18}{'p99 ms':>18}{'errors':>8}")
    for name in ("callbacks", "trivial", "callbacks at rate"):
        rows = results[name]
        print(f"{name:<18}{spread([r['rate'] for r in rows]):>20}{spread([r['p50'] for r in rows]):>18}"
              f"{spread([r['p99'] for r in rows]):>18}{sum(r['errors'] for r in rows):>8}")
    rate = statistics.median(r["rate"] for r in results["callbacks"])
    trivial_rate = statistics.median(r["rate"] for r in results["trivial"])
    print(f"callbacks / trivial = {rate / trivial_rate:.2f}")
    at_rate = results["callbacks at rate"]
    print(f"at an offered {args.rate:,.0f}/s: p99 {statistics.median(r['p99'] for r in at_rate):.0f} ms")
    if args.json:
        print(json.dumps({"rate": round(rate), "p99_ms": round(statistics.median(
            r["p99"] for r in at_rate), 1), "offered_rate": args.rate,
            "closed_loop_p99_ms": round(statistics.median(r["p99"] for r in results["callbacks"]), 1),
            "trivial_rate": round(trivial_rate),
            "errors": sum(r["errors"] for r in results["callbacks"] + at_rate)}))


if __name__ == "__main__":
    main()
