"""Selection benchmark: who an area reaches, at national scale, on PostgreSQL and SQLite.

Seeds (once, then reused) a registry of synthetic participants over the Netherlands with
`burgernet seed --spread national`, then for areas of about 1k, 10k and 100k recipients around
Amsterdam, as circles and as concave stars, measures over several runs:
  selection  selection.recipients: everyone reached, as rows in Python
  count      selection.reach: how many per channel, counted in the database
  preview    POST /api/actions through the app: a draft with its per-channel reach
  fan-out    the fan-out job: the alert deliveries inserted, their send jobs enqueued
  full scan  the same exact test over every address, no grid: the ceiling to beat
and prints min/median/max of each, and the full scan's median over the count's (speed-up: both
count the same people; the full scan is the exact test in the database on all addresses).

    .venv/bin/python bench/selection.py                       # 2,000,000 participants, both databases
    .venv/bin/python bench/selection.py --participants 200000 --databases sqlite --json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from sqlalchemy import delete, func, select, text, update

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway import areas, create_app  # noqa: E402
from gateway import runtime as runtime_module  # noqa: E402
from gateway.auth import create_operator  # noqa: E402
from gateway.config import Config  # noqa: E402
from gateway.dispatch import selection  # noqa: E402
from gateway.migrate import upgrade  # noqa: E402
from gateway.models import Action, AuditEvent, Delivery, Operator, Participant  # noqa: E402
from gateway.runtime import Runtime  # noqa: E402
from gateway.seed_national import national  # noqa: E402
from worker import jobs  # noqa: E402

AMSTERDAM = (4.895, 52.370)
TARGETS = (1_000, 10_000, 100_000)


def database(kind: str, participants: int, cache: Path) -> str:
    """A database seeded with `participants`, kept between runs (seeding takes minutes)."""
    if kind == "sqlite":
        return f"sqlite:///{cache}/selection-{participants}.db"
    admin = os.environ.get("BENCH_POSTGRES_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"burgernet_selection_{participants}"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    return admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"


def star(scale: float, centre=AMSTERDAM, points: int = 7) -> dict:
    """A concave star of about `scale` metres: spikes and notches, the hard case for a grid."""
    lon, lat = centre
    ring = []
    for k in range(points * 2):
        r = scale * (1.0 if k % 2 == 0 else 0.45)
        a = math.pi * k / points
        ring.append([lon + r * math.cos(a) / (111_320 * math.cos(math.radians(lat))),
                     lat + r * math.sin(a) / 111_320])
    ring.append(ring[0])
    return {"type": "Polygon", "coordinates": [ring]}


def circle(radius: float) -> dict:
    return {"type": "Circle", "center": list(AMSTERDAM), "radius_m": radius}


def sized(rt: Runtime, shape, target: int) -> tuple[dict, int]:
    """The area of this shape whose reach is closest to `target`, by bisection on its size."""
    low, high = 10.0, 60_000.0
    best = None
    for _ in range(30):
        size = math.sqrt(low * high)
        geojson = shape(size)
        with rt.sessions() as db:
            total = selection.reach(db, areas.parse(geojson))["total"]
        if best is None or abs(total - target) < abs(best[1] - target):
            best = (geojson, total)
        if abs(total - target) <= target * 0.02:
            break
        low, high = (size, high) if total < target else (low, size)
    return best


def full_scan(rt: Runtime, area) -> float:
    """The exact test on every address, as selection would run without the grid index."""
    with rt.sessions() as db:
        exact, params = selection._exact_test(db, area)
        started = time.perf_counter()
        db.execute(text(f"SELECT COUNT(DISTINCT a.participant_id) FROM addresses a "
                        f"WHERE a.alertable AND {exact}"), params).scalar()
        return time.perf_counter() - started


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def stats(values: list[float]) -> tuple[float, float, float]:
    return min(values), statistics.median(values), max(values)


def run_case(rt: Runtime, client, headers, geojson: dict, runs: int) -> dict:
    area = areas.parse(geojson)
    found: list[int] = []

    def select_all():
        with rt.sessions() as db:
            found.append(len(selection.recipients(db, area)))

    def preview():
        response = client.post("/api/actions", headers=headers, json={
            "incident_type": "burglary", "description": "Man, rode jas", "area": geojson})
        assert response.status_code == 201, response.json
        found.append(response.json["preview"]["total"])

    def fan_out():
        action_id = client.post("/api/actions", headers=headers, json={
            "incident_type": "burglary", "description": "Man, rode jas", "area": geojson}).json["id"]
        with rt.transaction() as db:  # active without the start job: the job is what is timed
            db.execute(update(Action).where(Action.id == action_id).values(status="active"))
        fan_out.seconds.append(timed(lambda: jobs.fan_out(action_id)))
        with rt.transaction() as db:
            found.append(db.scalar(select(func.count()).where(Delivery.action_id == action_id)))
    fan_out.seconds = []

    def count():
        with rt.sessions() as db:
            found.append(selection.reach(db, area)["total"])

    timings = {"selection": [timed(select_all) for _ in range(runs)],
               "count": [timed(count) for _ in range(runs)],
               "preview": [timed(preview) for _ in range(runs)],
               "full_scan": [full_scan(rt, area) for _ in range(runs)]}
    for _ in range(runs):
        fan_out()
    timings["fanout"] = fan_out.seconds
    assert len(set(found)) == 1, f"selection, preview and fan-out disagree: {set(found)}"
    return {"recipients": found[0], **{k: stats(v) for k, v in timings.items()}}


def tidy(rt: Runtime) -> None:
    """Leave the seeded registry as it was: drop what the runs created."""
    with rt.transaction() as db:
        db.execute(delete(Delivery))
        db.execute(delete(AuditEvent))
        db.execute(delete(Action))
        db.execute(delete(Operator))
    for key in rt.redis.scan_iter(f"rq:*{rt.config.queue_prefix}*"):
        rt.redis.delete(key)


def bench_database(kind: str, args, cache: Path) -> list[dict]:
    config = Config(database_url=database(kind, args.participants, cache),
                    redis_url="redis://127.0.0.1:6379/14", queue_prefix=f"bench-{uuid.uuid4().hex[:8]}",
                    secret_key="bench", public_base_url="http://bench.test")
    upgrade(config.database_url)
    rt = Runtime.from_config(config)
    with rt.sessions() as db:
        have = db.scalar(select(func.count()).select_from(Participant))
    if have != args.participants:
        if have:
            sys.exit(f"{kind}: the bench database holds {have:,} participants, not "
                     f"{args.participants:,}; remove it to seed again")
        started = time.perf_counter()
        national(rt.engine, args.participants,
                 progress=lambda n: print(f"\rseeding {kind}: {n:,}", end="", file=sys.stderr))
        print(f"\rseeded {kind}: {args.participants:,} in {time.perf_counter() - started:.0f} s",
              file=sys.stderr)
    tidy(rt)
    with rt.transaction() as db:
        _, token = create_operator(db, "bench", "bench-password", role="supervisor")
    runtime_module.install(rt)
    client = create_app(config, runtime=rt).test_client()
    headers = {"Authorization": f"Bearer {token}"}
    cases = []
    try:
        for shape_name, shape in (("circle", circle), ("polygon", star)):
            for target in TARGETS:
                geojson, _ = sized(rt, shape, target)
                result = run_case(rt, client, headers, geojson, args.runs)
                cases.append({"database": kind, "area": f"{shape_name}~{target // 1000}k", **result})
                print(_row(cases[-1]), file=sys.stderr)
                tidy_actions(rt)
    finally:
        tidy(rt)
        rt.engine.dispose()
    return cases


def tidy_actions(rt: Runtime) -> None:
    """Between cases: no deliveries, and no send jobs whose keys a reused action id would match."""
    with rt.transaction() as db:
        db.execute(delete(Delivery))
        db.execute(delete(AuditEvent).where(AuditEvent.action_id.is_not(None)))
        db.execute(delete(Action))
    for key in rt.redis.scan_iter(f"rq:*{rt.config.queue_prefix}*"):
        rt.redis.delete(key)


def _fmt(triple) -> str:
    return "/".join(f"{v * 1000:.0f}" for v in triple)


HEADER = (f"{'database':<11}{'area':<13}{'recipients':>11}  {'selection ms':>16}  {'count ms':>14}"
          f"  {'preview ms':>14}  {'fan-out ms':>16}  {'full scan ms':>16}  {'speed-up':>8}")


def _row(case: dict) -> str:
    return (f"{case['database']:<11}{case['area']:<13}{case['recipients']:>11,}  "
            f"{_fmt(case['selection']):>16}  {_fmt(case['count']):>14}  {_fmt(case['preview']):>14}  "
            f"{_fmt(case['fanout']):>16}  {_fmt(case['full_scan']):>16}  {_speedup(case):>7.1f}x")


def _speedup(case: dict) -> float:
    """Both count the same people; the full scan tests every address, the grid only its edge."""
    return case["full_scan"][1] / case["count"][1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--participants", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--databases", default="postgresql,sqlite")
    parser.add_argument("--cache", default=os.path.join(tempfile.gettempdir(), "burgernet-bench"),
                        help="where the seeded SQLite database is kept between runs")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args()
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    print(HEADER, file=sys.stderr)
    cases = []
    for kind in args.databases.split(","):
        cases += bench_database(kind, args, cache)
    print(f"participants={args.participants:,} runs={args.runs} (min/median/max)")
    print(HEADER)
    for case in cases:
        print(_row(case))
    if args.json:
        print(json.dumps({"participants": args.participants, "cases": [
            {"database": c["database"], "area": c["area"], "recipients": c["recipients"],
             "median_s": round(c["selection"][1], 4), "count_median_s": round(c["count"][1], 4),
             "full_scan_median_s": round(c["full_scan"][1], 4),
             "preview_median_s": round(c["preview"][1], 4), "fanout_median_s": round(c["fanout"][1], 4)}
            for c in cases]}))


if __name__ == "__main__":
    main()
