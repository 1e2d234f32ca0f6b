"""Pacing benchmark: what rate does the provider see, end to end through the real system?

Starts on loopback a minimal stand-in for Twilio's REST API (it answers every Calls.json and
Messages.json create with 201 and records when each one arrived; no status callbacks) and N real
worker processes (`burgernet worker`) against a fresh database. For each channel and worker
count it seeds participants, drafts and starts an action through the action service, and lets
the workers' fan-out and send jobs do the rest. It then reads the arrival times at the provider:

  achieved/s   (arrivals - 1) / (last - first): the rate while there was work;
  ratio        achieved / configured; the requirement is >= 0.95;
  worst 1s     the most arrivals in any 1-second window [t, t + 1);
  worst .85s   the same for 0.85 s windows: the requirement (never more than the rate in any
               second, allowing 150 ms of network jitter) is that this stays <= the rate;
  maxgap       the longest pause between two arrivals (the nominal one is 1 / rate).

It also measures the ceiling: the rate the same stub takes from the twilio client with the same
concurrency (workers x MAX_PROVIDER_CONCURRENCY threads in as many processes, creating unpaced),
so the configured rate can be seen to be well below what this machine could push.

    .venv/bin/python bench/pacing.py                      # voice and sms at 20/s, 1, 2, 4 workers
    .venv/bin/python bench/pacing.py --rate 10 --workers 2 --runs 1 --channels sms
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from bisect import bisect_left
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import psycopg
from redis import Redis
from redis.exceptions import ResponseError
from sqlalchemy import func, insert, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway.config import Config  # noqa: E402
from gateway.migrate import upgrade  # noqa: E402
from gateway.models import Address, Delivery, Participant, utcnow  # noqa: E402
from gateway.provider.client import make_client  # noqa: E402
from gateway.provider.pacing import MAX_AHEAD_SECONDS  # noqa: E402
from gateway.queues import QUEUE_NAMES  # noqa: E402
from gateway.runtime import Runtime  # noqa: E402
from gateway.service import actions  # noqa: E402

POSTGRES_ADMIN = os.environ.get("BENCH_POSTGRES_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
WINDOW = 0.85  # one second less 150 ms of allowed arrival jitter
REQUIRED_RATIO = 0.95
CEILING_SECONDS = 2.0
DESCRIPTION = "Man, rode jas, zwarte fiets."  # keeps the SMS alert to one segment
# Which provider resource and rate setting each benchmarked channel uses.
CHANNELS = {"voice": ("Calls", "CALLS_PER_SECOND", "calls/s"),
            "sms": ("Messages", "SMS_SEGMENTS_PER_SECOND", "segments/s")}
CREATE = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/(Calls|Messages)\.json$")


# -- the provider: a minimal Twilio that records arrivals --------------------------------------

class Arrivals:
    def __init__(self):
        self.lock, self.seen = threading.Lock(), []  # (monotonic time, resource, to)

    def add(self, stamp: float, resource: str, to: str) -> None:
        with self.lock:
            self.seen.append((stamp, resource, to))

    def times(self, to_prefix: str) -> list[float]:
        with self.lock:
            return sorted(t for t, _, to in self.seen if to.startswith(to_prefix))

    def clear(self) -> None:
        with self.lock:
            self.seen.clear()


def provider_stub(arrivals: Arrivals) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the twilio client's session expects
        disable_nagle_algorithm = True

        def do_POST(self):  # noqa: N802
            stamp = time.monotonic()
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            match = CREATE.match(self.path)
            if not match:
                return self._reply(404, {"code": 20404, "message": "not found", "status": 404})
            account, resource = match.groups()
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            to = form.get("To", "")
            arrivals.add(stamp, resource, to)
            self._reply(201, created(account, resource, to, form))

        def _reply(self, status: int, payload: dict) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 256  # 32 clients connecting at once must not overflow the backlog

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def created(account: str, resource: str, to: str, form: dict) -> dict:
    """The fields of a freshly created call or message, as Twilio answers a create."""
    now = formatdate(usegmt=True)
    kind = "CA" if resource == "Calls" else "SM"
    sid = kind + uuid.uuid4().hex
    uri = f"/2010-04-01/Accounts/{account}/{resource}/{sid}.json"
    common = {"sid": sid, "account_sid": account, "to": to, "from": form.get("From"),
              "status": "queued", "date_created": now, "date_updated": now,
              "api_version": "2010-04-01", "price": None, "price_unit": "USD", "uri": uri}
    if resource == "Calls":
        return {**common, "direction": "outbound-api", "answered_by": None, "duration": None,
                "start_time": None, "end_time": None, "parent_call_sid": None,
                "to_formatted": to, "from_formatted": form.get("From"), "queue_time": "0",
                "subresource_uris": {}}
    return {**common, "body": form.get("Body", ""), "direction": "outbound-api", "date_sent": None,
            "error_code": None, "error_message": None, "num_media": "0", "num_segments": "1",
            "messaging_service_sid": None, "subresource_uris": {}}


# -- measures ------------------------------------------------------------------------------------

def worst_window(stamps: list[float], width: float) -> int:
    """The most arrivals in any window [t, t + width); a worst window starts at an arrival."""
    return max((bisect_left(stamps, t + width) - i for i, t in enumerate(stamps)), default=0)


def achieved_rate(stamps: list[float]) -> float:
    return (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else 0.0


# -- the ceiling: unpaced creates through the twilio client ----------------------------------

def _hammer(base_url: str, resource: str, to_prefix: str, threads: int, ready, go, until) -> None:
    client = make_client(Config(twilio_api_base_url=base_url))
    target = client.calls if resource == "Calls" else client.messages
    params = ({"from_": "+31790000001", "url": "http://127.0.0.1:1/twilio/voice/message/1",
               "status_callback": "http://127.0.0.1:1/twilio/status/voice/1/1",
               "status_callback_event": ["initiated", "ringing", "answered", "completed"],
               "machine_detection": "DetectMessageEnd", "async_amd": "true", "timeout": 25}
              if resource == "Calls" else
              {"from_": "+31790000001", "body": DESCRIPTION,
               "status_callback": "http://127.0.0.1:1/twilio/status/sms/1/1"})
    counter = iter(range(10**9))

    def loop() -> None:
        go.wait()
        while time.time() < until.value:
            target.create(to=f"{to_prefix}{next(counter):05d}", **params)

    target.create(to=f"{to_prefix}99999", **params)  # warm: connection open, imports done
    ready.put(os.getpid())
    pool = [threading.Thread(target=loop) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()


def ceiling(base_url: str, arrivals: Arrivals, resource: str, processes: int, threads: int,
            to_prefix: str) -> float:
    ctx = multiprocessing.get_context("spawn")
    ready, go, until = ctx.Queue(), ctx.Event(), ctx.Value("d", 0.0)
    children = [ctx.Process(target=_hammer, daemon=True, args=(
        base_url, resource, f"{to_prefix}{i}", threads, ready, go, until)) for i in range(processes)]
    for child in children:
        child.start()
    try:
        for _ in children:
            ready.get(timeout=60)
        started = time.monotonic()
        until.value = time.time() + CEILING_SECONDS
        go.set()
        for child in children:
            child.join(CEILING_SECONDS + 30)
    finally:
        for child in children:
            if child.is_alive():
                child.kill()
    stamps = [t for t in arrivals.times(to_prefix) if t >= started]
    arrivals.clear()
    return achieved_rate(stamps)


# -- the system: database, workers --------------------------------------------------------------

def make_database(kind: str, name: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tempfile.mkdtemp(prefix='pacing-bench-')}/bench.db"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return POSTGRES_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"


def drop_database(url: str, name: str) -> None:
    if url.startswith("sqlite"):
        shutil.rmtree(Path(url.removeprefix("sqlite:///")).parent, ignore_errors=True)
        return
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Workers:
    def __init__(self, env: dict, logs: Path):
        self.env, self.logs, self.procs = env, logs, []

    def start(self, count: int, redis: Redis, prefix: str) -> None:
        from rq import Worker
        for i in range(count):
            log = open(self.logs / f"worker-{count}-{i}.log", "ab")
            self.procs.append(subprocess.Popen(
                [str(ROOT / ".venv" / "bin" / "burgernet"), "worker"], env=self.env, cwd=ROOT,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
            log.close()
        queue_name = f"{prefix}-{QUEUE_NAMES[0]}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            listening = [w for w in Worker.all(connection=redis)
                         if queue_name in w.queue_names() and w.state != "suspended"]
            if len(listening) >= count:
                return
            if any(p.poll() is not None for p in self.procs):
                break
            time.sleep(0.1)
        raise SystemExit(f"workers did not come up; see the logs in {self.logs}")

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)  # RQ's warm shutdown: it unregisters
        for proc in self.procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        self.procs = []


def seed(rt: Runtime, trial: int, channel: str, count: int) -> tuple[dict, str]:
    """`count` verified participants in a small cluster of their own; the circle that holds
    exactly them, and the phone prefix that marks their arrivals."""
    lat, lon = 50.8 + 0.05 * (trial // 40), 3.6 + 0.08 * (trial % 40)  # ~5 km apart
    prefix = f"+316{trial:03d}"
    now = utcnow()
    with rt.transaction() as db:
        ids = db.scalars(insert(Participant).returning(Participant.id), [
            {"phone": f"{prefix}{i:05d}", "language": "nl", "verified_at": now, "active": True,
             "created_at": now} for i in range(count)]).all()
        db.execute(insert(Address), [
            {"participant_id": pid, "label": "home", "channel": channel,
             "lat": lat + ((i % 30) - 15) * 0.00005, "lon": lon + ((i // 30) - 15) * 0.00008}
            for i, pid in enumerate(ids)])
    return {"type": "Circle", "center": [lon, lat], "radius_m": 600}, prefix


def trial(rt: Runtime, arrivals: Arrivals, number: int, channel: str, recipients: int,
          rate: float, seconds: float) -> dict:
    area, prefix = seed(rt, number, channel, recipients)
    action = actions.draft(rt, None, "burglary", DESCRIPTION, area)
    reach = action.preview
    if reach.get(channel) != recipients or (channel == "sms" and reach.get("sms_segments") != 1):
        raise SystemExit(f"the action would reach {reach}, not {recipients} by {channel}")
    actions.start(rt, None, action.id, confirm=True)
    deadline = time.monotonic() + seconds * 4 + 60
    while time.monotonic() < deadline and len(arrivals.times(prefix)) < recipients:
        time.sleep(0.1)
    time.sleep(0.3)  # anything beyond the expected count would show up here
    stamps = arrivals.times(prefix)
    with rt.sessions() as db:
        statuses = dict(db.execute(select(Delivery.status, func.count()).where(
            Delivery.action_id == action.id).group_by(Delivery.status)).all())
    achieved = achieved_rate(stamps)
    return {"channel": channel, "recipients": recipients, "arrivals": len(stamps),
            "achieved": achieved, "ratio": achieved / rate, "worst_1s": worst_window(stamps, 1.0),
            "worst_window": worst_window(stamps, WINDOW), "statuses": statuses,
            "max_gap": max((stamps[i + 1] - stamps[i] for i in range(len(stamps) - 1)), default=0.0)}


def clean_redis(redis: Redis, prefix: str) -> None:
    from rq import Queue
    from rq.serializers import JSONSerializer
    job_ids: set[str] = set()
    for name in QUEUE_NAMES:
        q = Queue(f"{prefix}-{name}", connection=redis, serializer=JSONSerializer)
        job_ids.update(q.get_job_ids())
        for registry in (q.finished_job_registry, q.failed_job_registry, q.started_job_registry,
                         q.scheduled_job_registry, q.deferred_job_registry, q.canceled_job_registry):
            job_ids.update(registry.get_job_ids())
    keys = [k for i in job_ids for k in (f"rq:job:{i}", f"rq:job:{i}:dependents",
                                         f"rq:job:{i}:dependencies", f"rq:results:{i}")]
    keys += list(redis.scan_iter(f"*{prefix}*"))
    # RQ keeps a dead worker's hash for 60 s, and lists queues and workers in two sets.
    workers = []
    for key in redis.scan_iter("rq:worker:*"):
        try:
            queues = redis.hget(key, "queues") or b""
        except ResponseError:
            continue
        if queues.decode().startswith(f"{prefix}-"):
            workers.append(key)
    keys += workers
    for start in range(0, len(keys), 500):
        redis.delete(*keys[start:start + 500])
    if workers:
        redis.srem("rq:workers", *workers)
    ours = [q for q in redis.smembers("rq:queues") if q.decode().startswith(f"rq:queue:{prefix}-")]
    if ours:
        redis.srem("rq:queues", *ours)


# -- main -------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=20.0,
                        help="the configured rate for every channel (calls/s, SMS segments/s)")
    parser.add_argument("--workers", default="1,2,4", help="worker counts, comma separated")
    parser.add_argument("--runs", type=int, default=3, help="runs of every configuration")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds of sending per run")
    parser.add_argument("--channels", default="voice,sms", help=f"of {', '.join(CHANNELS)}")
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    args = parser.parse_args()
    worker_counts = [int(w) for w in args.workers.split(",") if w.strip()]
    chosen = [c.strip() for c in args.channels.split(",") if c.strip()]
    if unknown := [c for c in chosen if c not in CHANNELS]:
        parser.error(f"unknown channel(s) {unknown}; choose from {', '.join(CHANNELS)}")
    recipients = max(2, round(args.rate * args.seconds))
    concurrency = Config().max_provider_concurrency

    arrivals = Arrivals()
    stub = provider_stub(arrivals)
    stub_url = f"http://127.0.0.1:{stub.server_address[1]}"
    prefix = f"pacing-bench-{os.getpid()}"
    db_name = f"burgernet_pacing_{os.getpid()}"
    database_url = make_database(args.database, db_name)
    redis = Redis.from_url(REDIS_URL)
    logs = Path(tempfile.mkdtemp(prefix="pacing-bench-logs-"))
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": REDIS_URL,
           "QUEUE_PREFIX": prefix, "SECRET_KEY": "pacing-bench",
           "PUBLIC_BASE_URL": "http://127.0.0.1:9", "TWILIO_API_BASE_URL": stub_url,
           "CALLS_PER_SECOND": str(args.rate), "SMS_SEGMENTS_PER_SECOND": str(args.rate),
           "WHATSAPP_PER_SECOND": str(args.rate), "MAX_PROVIDER_CONCURRENCY": str(concurrency),
           "CALL_RETRY_DELAYS_SECONDS": "", "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}"
                                                     f"{os.environ.get('PATH', '')}"}
    workers = Workers(env, logs)
    rt = None
    rows, ceilings = [], {}
    print(__doc__.split("\n\n    .venv")[0])
    print(f"\ndatabase={args.database} rate={args.rate:g}/s per channel, {recipients} recipients per "
          f"run (~{args.seconds:g} s), {args.runs} run(s) each, MAX_PROVIDER_CONCURRENCY={concurrency}, "
          f"{os.cpu_count()} CPUs\n")
    try:
        upgrade(database_url)
        rt = Runtime.from_config(Config(database_url=database_url, redis_url=REDIS_URL,
                                        queue_prefix=prefix, secret_key="pacing-bench",
                                        twilio_api_base_url=stub_url))
        for count in worker_counts:
            for channel in chosen:
                ceilings[channel, count] = ceiling(stub_url, arrivals, CHANNELS[channel][0], count,
                                                   concurrency, "+3169")
        print("ceiling (unpaced creates the stub takes from the twilio client, same concurrency):")
        for (channel, count), value in ceilings.items():
            print(f"  {channel:<6} {count} process(es) x {concurrency} threads: {value:7.0f}/s")
        print()
        header = (f"{'channel':<8}{'rate':>6}{'unit':>12}{'workers':>8}{'run':>4}{'recips':>7}{'arrived':>8}"
                  f"{'achieved/s':>11}{'ratio':>7}{'worst1s':>8}{'worst.85s':>10}{'maxgap':>7}  ok  statuses")
        print(header)
        print("-" * len(header))
        number = 0
        for count in worker_counts:
            workers.start(count, redis, prefix)
            try:
                for channel in chosen:
                    for run in range(1, args.runs + 1):
                        number += 1
                        time.sleep(MAX_AHEAD_SECONDS + 0.2)  # the previous run's schedule has run out
                        row = trial(rt, arrivals, number, channel, recipients, args.rate, args.seconds)
                        row["workers"] = count
                        row["ok"] = (row["worst_window"] <= args.rate and row["ratio"] >= REQUIRED_RATIO
                                     and row["arrivals"] == recipients)
                        rows.append(row)
                        print(f"{channel:<8}{args.rate:>6g}{CHANNELS[channel][2]:>12}{count:>8}"
                              f"{run:>4}{recipients:>7}{row['arrivals']:>8}{row['achieved']:>11.2f}"
                              f"{row['ratio']:>7.3f}{row['worst_1s']:>8}{row['worst_window']:>10}"
                              f"{row['max_gap'] * 1000:>5.0f}ms"
                              f"  {'yes' if row['ok'] else 'NO '} "
                              f"{','.join(f'{k}={v}' for k, v in sorted(row['statuses'].items()))}",
                              flush=True)
            finally:
                workers.stop()
        print(f"(run 1 of {chosen[0]} at each worker count is on freshly started worker processes)")
    finally:
        workers.stop()
        stub.shutdown()
        stub.server_close()
        if rt is not None:
            rt.engine.dispose()
        drop_database(database_url, db_name)
        clean_redis(redis, prefix)

    print("\nper configuration, over the runs (ratio = achieved / configured; need >= "
          f"{REQUIRED_RATIO} and worst .85s <= {args.rate:g}):")
    print(f"{'channel':<8}{'workers':>8}{'ratio min':>10}{'median':>8}{'max':>7}{'worst1s':>8}"
          f"{'worst.85s':>10}{'ceiling/s':>10}{'rate/ceiling':>13}  ok")
    for count in worker_counts:
        for channel in chosen:
            mine = [r for r in rows if r["workers"] == count and r["channel"] == channel]
            if not mine:
                continue
            ratios = [r["ratio"] for r in mine]
            top = ceilings.get((channel, count), 0.0)
            print(f"{channel:<8}{count:>8}{min(ratios):>10.3f}{statistics.median(ratios):>8.3f}"
                  f"{max(ratios):>7.3f}{max(r['worst_1s'] for r in mine):>8}"
                  f"{max(r['worst_window'] for r in mine):>10}{top:>10.0f}"
                  f"{args.rate / top if top else float('nan'):>13.3f}"
                  f"  {'yes' if all(r['ok'] for r in mine) else 'NO'}")
    if not all(r["ok"] for r in rows):
        print(f"\nworker logs kept in {logs}")
        sys.exit(1)
    shutil.rmtree(logs, ignore_errors=True)


if __name__ == "__main__":
    main()
