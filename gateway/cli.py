"""`burgernet` command: run, migrate, seed, simulator, worker, web, create-operator, reconcile,
import-participants, purge, purge-recordings."""

from __future__ import annotations

import argparse
import os
import sys

from gateway.config import Config
from gateway.models.operator import ROLES


def _migrate(args) -> None:
    from gateway.migrate import upgrade

    upgrade(Config.from_env().database_url)
    print("database is up to date")


def _seed(args) -> None:
    import time

    from gateway.runtime import Runtime
    from gateway.seed import demo_participants
    from gateway.seed_national import national

    rt = Runtime.from_config(Config.from_env())
    started = time.monotonic()
    if args.spread == "national":
        def progress(done: int) -> None:
            print(f"\r{done:,} of {args.count:,} participants", end="", file=sys.stderr, flush=True)
        added = national(rt.engine, args.count, progress=progress)
        print(file=sys.stderr)
    else:
        with rt.transaction() as db:
            added = demo_participants(db, args.count)
    print(f"added {added} demo participants in {time.monotonic() - started:.1f} s" if added
          else "participants exist; nothing added")


def _create_operator(args) -> None:
    from gateway.auth import create_operator
    from gateway.runtime import Runtime

    password = args.password or os.environ.get("OPERATOR_PASSWORD")
    if not password:
        sys.exit("give --password or set OPERATOR_PASSWORD")
    rt = Runtime.from_config(Config.from_env())
    with rt.transaction() as db:
        _, token = create_operator(db, args.username, password, role=args.role)
    print(f"operator {args.username} created; API token (shown once): {token}")


def _disable_operator(args) -> None:
    from sqlalchemy import select, update

    from gateway.models import Operator, utcnow
    from gateway.runtime import Runtime

    rt = Runtime.from_config(Config.from_env())
    with rt.transaction() as db:
        found = db.scalar(select(Operator.id).where(Operator.username == args.username))
        if found is None:
            sys.exit(f"no operator {args.username}")
        # Their sessions end either way. Disabled, their token stops working (enabled again,
        # they get a new one with rotate-token); their history stays.
        values = {"session_epoch": Operator.session_epoch + 1}
        if args.enable:
            values["disabled_at"] = None
        else:
            values.update(disabled_at=utcnow(), token_hash=None)
        db.execute(update(Operator).where(Operator.id == found).values(**values))
    print(f"operator {args.username} {'enabled' if args.enable else 'disabled'}")


def _rotate_token(args) -> None:
    import secrets

    from sqlalchemy import update

    from gateway.auth import token_hash
    from gateway.models import Operator
    from gateway.runtime import Runtime

    token = secrets.token_urlsafe(32)
    rt = Runtime.from_config(Config.from_env())
    with rt.transaction() as db:
        changed = db.execute(update(Operator).where(Operator.username == args.username)
                             .values(token_hash=token_hash(token))).rowcount
    if not changed:
        sys.exit(f"no operator {args.username}")
    print(f"new API token for {args.username} (shown once; the old one no longer works): {token}")


def _import_participants(args) -> None:
    import time

    import click

    from gateway.errors import ApiError
    from gateway.runtime import Runtime
    from gateway.service import importer

    bars, times = [], []

    def stage(name: str, total: int) -> None:
        times.append((name, time.perf_counter()))
        if bars:
            bars.pop().render_finish()
        bar = click.progressbar(length=total, label=f"{name:9}", file=sys.stderr, show_pos=True,
                                show_eta=False)
        bars.append(bar)

    def progress(n: int) -> None:
        bars[-1].update(n)

    rt = Runtime.from_config(Config.from_env())
    try:
        with open(args.file, newline="", encoding="utf-8-sig") as handle:
            report = importer.run(rt, handle, verify=args.verify, progress=progress, stage=stage)
    except ApiError as exc:
        sys.exit(f"{args.file}: {exc.message}")
    finally:
        if bars:
            bars.pop().render_finish()
    times.append(("", time.perf_counter()))
    took = ", ".join(f"{name} {end - start:.1f} s" for (name, start), (_, end)
                     in zip(times, times[1:], strict=False))
    print(f"{report.rows} rows: {report.created} participants created, {report.updated} "
          f"updated, {report.skipped_rows} rows skipped, {report.codes} codes to text ({took})")
    for error in report.errors[:20]:
        print(f"  line {error['line']}: {error['field']}: {error['message']}", file=sys.stderr)
    if len(report.errors) > 20:
        print(f"  ... and {len(report.errors) - 20} more", file=sys.stderr)
    if args.errors:
        import csv

        with open(args.errors, "w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, ["line", "field", "message"])
            writer.writeheader()
            writer.writerows(report.errors)
    if report.errors:
        sys.exit(1)


def _purge(args) -> None:
    from gateway.runtime import Runtime, install
    from worker.purge import purge

    install(Runtime.from_config(Config.from_env()))
    print(purge())


def _worker(args) -> None:
    from worker.main import run_worker

    run_worker(Config.from_env(), burst=args.burst)


def _web(args) -> None:
    port = args.port or os.environ.get("PORT", "8080")
    os.execv(sys.executable, [sys.executable, "-m", "gunicorn", "--workers", str(args.workers),
                              "--threads", "8", "--bind", f"{args.host}:{port}", "gateway.wsgi:app"])


def _simulator(args) -> None:
    from simulator.__main__ import main as simulator_main

    simulator_main(["--host", args.host, "--port", str(args.port)])


def _reconcile(args) -> None:
    from gateway.runtime import Runtime

    Runtime.from_config(Config.from_env()).jobs.reconcile()
    print("reconcile job enqueued")


def _purge_recordings(args) -> None:
    from gateway import recordings
    from gateway.runtime import Runtime

    rt = Runtime.from_config(Config.from_env())
    print(f"{recordings.purge(rt)} recordings older than {rt.config.recording_retention_days} "
          "days deleted")


def _run(args) -> None:
    from gateway.devserver import run_all

    run_all(seed_count=args.seed_count)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="burgernet", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="create or upgrade the database").set_defaults(func=_migrate)
    seed = sub.add_parser("seed", help="add demo participants to an empty registry")
    seed.add_argument("--count", type=int, default=300)
    seed.add_argument("--spread", choices=("town", "national"), default="town",
                      help="town: around Zoetermeer (the demo); national: over the Netherlands, "
                           "clustered around 30 cities (benchmarks)")
    seed.set_defaults(func=_seed)
    op = sub.add_parser("create-operator", help="add a control-room operator, print its API token")
    op.add_argument("username")
    op.add_argument("--password")
    op.add_argument("--role", default="operator", choices=ROLES)
    op.set_defaults(func=_create_operator)
    off = sub.add_parser("disable-operator", help="end an operator's sessions and token; "
                                                  "their history stays")
    off.add_argument("username")
    off.add_argument("--enable", action="store_true", help="allow logging in again")
    off.set_defaults(func=_disable_operator)
    rot = sub.add_parser("rotate-token", help="give an operator a new API token")
    rot.add_argument("username")
    rot.set_defaults(func=_rotate_token)
    sub.add_parser("purge-recordings", help="delete tip-line recordings older than "
                   "RECORDING_RETENTION_DAYS, here and at the provider (run it daily)"
                   ).set_defaults(func=_purge_recordings)
    wk = sub.add_parser("worker", help="run an RQ worker (scale by starting more)")
    wk.add_argument("--burst", action="store_true", help="stop when the queues are empty")
    wk.set_defaults(func=_worker)
    web = sub.add_parser("web", help="serve the web app with gunicorn")
    web.add_argument("--host", default="127.0.0.1")
    web.add_argument("--port")
    web.add_argument("--workers", type=int, default=2)
    web.set_defaults(func=_web)
    sim = sub.add_parser("simulator", help="run the telephony simulator")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8090)
    sim.set_defaults(func=_simulator)
    sub.add_parser("reconcile", help="re-queue work owed after a crash").set_defaults(func=_reconcile)
    imp = sub.add_parser("import-participants", help="import participants from CSV (header: "
                                                     "phone, lat, lon, channel, ...); "
                                                     "idempotent on phone")
    imp.add_argument("file")
    imp.add_argument("--verify", action="store_true",
                     help="text new participants a code instead of storing them verified")
    imp.add_argument("--errors", help="write every refused row to this CSV file")
    imp.set_defaults(func=_import_participants)
    sub.add_parser("purge", help="remove unverified registrations and expired data now "
                                 "(the worker does it every hour)").set_defaults(func=_purge)
    run = sub.add_parser("run", help="the whole system on embedded defaults (demo); "
                                     "ports from WEB_PORT (8080) and SIM_PORT (8090)")
    run.add_argument("--seed-count", type=int, default=300)
    run.set_defaults(func=_run)
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
