"""Tip-line benchmark: 200 callers at once going through the menu, against the web tier as the
Procfile starts it (gunicorn), on a fresh database with three active actions.

Every caller is a thread that does what Twilio does for one call, with signed webhooks: the
incoming call, the choice (callers alerted for two actions), key 1 at the menu, the operator's
whisper, and the <Dial> action when the operator hangs up. Between two steps a caller listens
for a random 0.5 to 1.5 times --think seconds (a real prompt takes 5 to 15 s, so the default of
1 s is harsher than real callers); all callers ring within the first --spread seconds. With
--think 0 --spread 0 every caller fires its next request the moment the last one is answered:
a stress test, not a phone network. The callers are spread over a few processes so that the
client's own GIL does not become the figure. In the same run, probe threads request the
server's trivial endpoint (/health) in a loop, so the webhook latency can be read next to what
the same server, under the same load, takes to answer nothing.

    .venv/bin/python bench/tipline.py                      # 200 callers, 3 runs, PostgreSQL
    .venv/bin/python bench/tipline.py --callers 50 --runs 1 --database sqlite --json
    .venv/bin/python bench/tipline.py --think 0 --spread 0       # all at once, no listening

Reported per run: p50 and p99 of every webhook request and of /health, and errors (a non-2xx
answer, a request that failed, or TwiML that did not lead where it should). Then min / median /
max over the runs. With --json the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path

import psycopg
import requests
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import free_port  # noqa: E402
from gateway.config import SIMULATOR_AUTH_TOKEN  # noqa: E402
from gateway.devserver import wait_until_up  # noqa: E402
from gateway.migrate import upgrade  # noqa: E402
from gateway.models import Action, Address, Delivery, Participant, utcnow  # noqa: E402
from gateway.models.action import ACTIVE  # noqa: E402
from gateway.runtime import Runtime  # noqa: E402

POSTGRES_ADMIN = os.environ.get("BENCH_POSTGRES_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
TIPLINE = "+318000011"
PROBES = 4  # threads requesting /health during a run
GOAL_P99_MS = 100.0


def procfile_web() -> str:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if ": " in line)["web"]


# -- the system under test ----------------------------------------------------------------------

def database(kind: str, workdir: Path) -> tuple[str, callable]:
    if kind == "sqlite":
        return f"sqlite:///{workdir}/bench.db", lambda: None
    name = f"bench_tipline_{os.getpid()}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    base = POSTGRES_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    return f"{base}/{name}", drop


def seed(url: str, callers: int) -> list[tuple[str, str]]:
    """Three active actions; a third of the callers alerted for two of them (they choose).
    Returns (phone, digits) per caller."""
    from gateway.config import Config

    rt = Runtime.from_config(Config(database_url=url, redis_url=REDIS_URL, testing=True))
    now, plan = utcnow(), []
    with rt.transaction() as db:
        actions = [Action(incident_type="burglary", description=f"Man in rode jas, actie {i}",
                          area={"type": "Circle", "center": [4.4931, 52.0575], "radius_m": 800},
                          status=ACTIVE, started_at=now - timedelta(minutes=30 - i))
                   for i in range(3)]
        db.add_all(actions)
        db.flush()
        for n in range(callers):
            phone = f"+3162{n:07d}"
            person = Participant(phone=phone, language="nl", verified_at=now, addresses=[
                Address(label="home", lat=52.0575, lon=4.4931, channel="voice")])
            db.add(person)
            db.flush()
            alerted = [actions[n % 3]] if n % 3 else [actions[1], actions[2]]
            for action in alerted:
                db.add(Delivery(action_id=action.id, participant_id=person.id, phone=phone,
                                channel="voice", status="answered", attempts=1, claimed_at=now))
            plan.append((phone, "2" if len(alerted) > 1 else ""))
    rt.engine.dispose()
    return plan


def start_web(url: str, port: int, workdir: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": REDIS_URL, "SECRET_KEY": "bench",
           "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "PORT": str(port),
           "QUEUE_PREFIX": f"bench-{uuid.uuid4().hex[:6]}",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    log = open(workdir / "web.log", "ab")
    process = subprocess.Popen(["bash", "-c", f"exec {procfile_web()}"], env=env, cwd=ROOT,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    wait_until_up(f"http://127.0.0.1:{port}/health", 60)
    return process


# -- one caller -----------------------------------------------------------------------------------

class Caller:
    def __init__(self, base: str, phone: str, choice: str, think: float):
        self.base, self.phone, self.choice, self.think = base, phone, choice, think
        self.sid = f"CA{uuid.uuid4().hex}"
        self.session = requests.Session()
        self.validator = RequestValidator(SIMULATOR_AUTH_TOKEN)
        self.latencies: list[tuple[str, float]] = []

    def post(self, url: str, **form) -> ET.Element:
        url = url if url.startswith("http") else self.base + url
        params = {"AccountSid": "AC" + "0" * 31 + "1", "CallSid": self.sid, "From": self.phone,
                  "To": TIPLINE, "Direction": "inbound", "CallStatus": "in-progress", **form}
        # A connection per request, as webhooks arrive; reusing one across a caller's pauses
        # would race gunicorn closing idle keep-alive connections (2 s), a client artefact.
        headers = {"X-Twilio-Signature": self.validator.compute_signature(url, params),
                   "Connection": "close"}
        if self.think:
            time.sleep(random.uniform(0.5, 1.5) * self.think)  # listening to the prompt
        started = time.perf_counter()
        response = self.session.post(url, data=params, headers=headers, timeout=30)
        step = url.split("?")[0].rsplit("/", 1)[-1]
        self.latencies.append((step, time.perf_counter() - started))
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code} from {url.split('?')[0]}")
        return ET.fromstring(response.content)

    def run(self) -> None:
        """Incoming call -> (choice) -> key 1 -> whisper -> the operator hangs up."""
        step = self.post("/twilio/voice/tipline")
        if self.choice:
            step = self.post(step.find("Gather").get("action"), Digits=self.choice)
        dial = self.post(step.find("Gather").get("action"), Digits="1").find("Dial")
        whisper = self.post(dial.find("Number").get("url"), Direction="outbound-dial")
        if whisper.find("Say") is None:
            raise RuntimeError("the whisper says nothing")
        done = self.post(dial.get("action"), DialCallStatus="completed", DialCallDuration="30")
        if done.find("Hangup") is None:
            raise RuntimeError("the call does not end after the operator")


def callers_process(base: str, plan: list, think: float, spread_s: float, start_at: float,
                    out) -> None:
    latencies, errors = [], []
    callers = [Caller(base, phone, choice, think) for phone, choice in plan]

    def one(caller: Caller) -> None:
        time.sleep(max(0.0, start_at + random.uniform(0, spread_s) - time.time()))
        try:
            caller.run()
        except Exception as exc:  # every kind of failure counts as an error of the run
            errors.append(f"{type(exc).__name__}: {exc}")
        latencies.extend(caller.latencies)

    threads = [threading.Thread(target=one, args=(c,)) for c in callers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.put((latencies, errors))


def probe(base: str, stop: threading.Event, latencies: list[float], errors: list[str]) -> None:
    session = requests.Session()
    while not stop.is_set():
        started = time.perf_counter()
        try:
            ok = session.get(base + "/health", timeout=30).status_code == 200
        except requests.RequestException as exc:
            ok = False
            errors.append(type(exc).__name__)
        latencies.append(time.perf_counter() - started)
        if not ok:
            errors.append("health")
        time.sleep(0.01)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))] * 1000


def one_run(base: str, plan: list, think: float, spread_s: float, processes: int) -> dict:
    start_at = time.time() + 1.0
    out = multiprocessing.Queue()
    shares = [plan[i::processes] for i in range(processes)]
    workers = [multiprocessing.Process(target=callers_process,
                                       args=(base, share, think, spread_s, start_at, out))
               for share in shares if share]
    for worker in workers:
        worker.start()
    stop, health, health_errors = threading.Event(), [], []
    time.sleep(max(0.0, start_at - time.time()))
    probes = [threading.Thread(target=probe, args=(base, stop, health, health_errors))
              for _ in range(PROBES)]
    for thread in probes:
        thread.start()
    latencies, errors = [], []
    for _ in workers:
        got, failed = out.get()
        latencies += got
        errors += failed
    stop.set()
    elapsed = time.time() - start_at
    for thread in probes + workers:
        thread.join()
    steps = {}
    for step, seconds in latencies:
        steps.setdefault(step, []).append(seconds)
    latencies = [seconds for _, seconds in latencies]
    return {"requests": len(latencies), "requests_per_s": round(len(latencies) / elapsed, 1),
            "webhook_p50_ms": percentile(latencies, 0.5),
            "webhook_p99_ms": percentile(latencies, 0.99), "errors": len(errors),
            "steps": {step: {"n": len(v), "p50_ms": round(percentile(v, 0.5), 1),
                             "p99_ms": round(percentile(v, 0.99), 1)} for step, v in steps.items()},
            "error_examples": sorted(set(errors))[:3], "health_requests": len(health),
            "health_p50_ms": percentile(health, 0.5), "health_p99_ms": percentile(health, 0.99),
            "health_errors": len(health_errors)}


def spread(runs: list[dict], key: str) -> dict:
    values = [r[key] for r in runs]
    return {"min": round(min(values), 1), "median": round(statistics.median(values), 1),
            "max": round(max(values), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--callers", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--processes", type=int, default=4, help="client processes")
    parser.add_argument("--think", type=float, default=1.0,
                        help="seconds a caller listens between two steps (x 0.5-1.5)")
    parser.add_argument("--spread", type=float, default=1.0,
                        help="all callers ring within this many seconds")
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--json", action="store_true", help="one JSON object on the last line")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-tipline-"))
    url, drop = database(args.database, workdir)
    web = None
    try:
        upgrade(url)
        plan = seed(url, args.callers)
        port = free_port()
        web = start_web(url, port, workdir)
        base = f"http://127.0.0.1:{port}"
        runs = []
        for run in range(args.runs):
            result = one_run(base, plan, args.think, args.spread, args.processes)
            runs.append(result)
            print(f"run {run + 1}: {result['requests']} webhook requests "
                  f"({result['requests_per_s']:.0f}/s), p50 "
                  f"{result['webhook_p50_ms']:.1f} ms, p99 {result['webhook_p99_ms']:.1f} ms, "
                  f"errors {result['errors']} {result['error_examples'] or ''}| /health p50 "
                  f"{result['health_p50_ms']:.1f} ms, p99 {result['health_p99_ms']:.1f} ms",
                  flush=True)
            print("       per step (p50/p99 ms): " + ", ".join(
                f"{step} {v['p50_ms']:.0f}/{v['p99_ms']:.0f}" for step, v in result["steps"].items()),
                flush=True)
    finally:
        if web is not None:
            os.killpg(web.pid, signal.SIGTERM)
            web.wait(15)
        drop()
    summary = {
        "callers": args.callers, "runs": args.runs, "database": args.database,
        "think_s": args.think, "spread_s": args.spread,
        "web": procfile_web(), "webhook_p50_ms": spread(runs, "webhook_p50_ms"),
        "webhook_p99_ms": spread(runs, "webhook_p99_ms"),
        "health_p50_ms": spread(runs, "health_p50_ms"),
        "health_p99_ms": spread(runs, "health_p99_ms"),
        "errors": sum(r["errors"] + r["health_errors"] for r in runs),
        "steps_last_run": runs[-1]["steps"],
        "goal_met": all(r["webhook_p99_ms"] < GOAL_P99_MS and not r["errors"] for r in runs),
    }
    for key in ("webhook_p50_ms", "webhook_p99_ms", "health_p50_ms", "health_p99_ms"):
        s = summary[key]
        print(f"{key:15} min {s['min']:7.1f}  median {s['median']:7.1f}  max {s['max']:7.1f}")
    print(f"errors {summary['errors']}; goal (webhook p99 < {GOAL_P99_MS:.0f} ms, no errors) "
          f"{'met' if summary['goal_met'] else 'NOT met'}")
    if args.json:
        print(json.dumps(summary))


if __name__ == "__main__":
    main()
