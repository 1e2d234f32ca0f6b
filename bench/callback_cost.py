"""What one status callback costs the web process, without HTTP or other processes: the Flask
test client posts signed callbacks (sent, then delivered, for fresh SMS deliveries) into the
app in this process, on a fresh database. Prints wall time and CPU time a callback, for
several runs: CPU is what a busy machine cannot hide, and what bench/callbacks.py's
throughput is made of.

    .venv/bin/python bench/callback_cost.py                     # PostgreSQL, 3 runs of 6,000
    .venv/bin/python bench/callback_cost.py --database sqlite
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.callbacks import TOKEN, seed, signed_callbacks  # noqa: E402
from bench.common import fresh_database  # noqa: E402
from gateway import create_app  # noqa: E402
from gateway.config import Config  # noqa: E402
from gateway.migrate import upgrade  # noqa: E402
from gateway.runtime import Runtime  # noqa: E402

BASE = "http://bench.test"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--callbacks", type=int, default=6000, help="per run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    args = parser.parse_args()
    logging.disable(logging.INFO)  # a log line a callback would be measured too
    if args.database == "sqlite":
        url = f"sqlite:///{tempfile.mkdtemp()}/callbacks.db"
    else:
        url = fresh_database("burgernet_bench_callback_cost")
    upgrade(url)
    rt = Runtime.from_config(Config(database_url=url, redis_url="redis://127.0.0.1:6379/14",
                                    queue_prefix="bench-callback-cost", secret_key="bench",
                                    public_base_url=BASE, twilio_auth_token=TOKEN))
    client = create_app(runtime=rt).test_client()
    per_run = args.callbacks // 2
    _, ids = seed(rt, per_run * args.runs)
    walls, cpus = [], []
    for run in range(args.runs):
        requests_ = signed_callbacks(BASE, ids[run * per_run:(run + 1) * per_run], ids[0])
        wall, cpu = time.perf_counter(), time.process_time()
        for url_, form, signature in requests_:
            response = client.post(url_.removeprefix(BASE), data=form,
                                   headers={"X-Twilio-Signature": signature})
            assert response.status_code == 204, response.status_code
        walls.append((time.perf_counter() - wall) / len(requests_) * 1000)
        cpus.append((time.process_time() - cpu) / len(requests_) * 1000)
    print(f"{args.database}, {args.runs} runs of {len(requests_):,} callbacks (min/median/max)")
    print(f"wall ms a callback  {min(walls):.2f} / {statistics.median(walls):.2f} / {max(walls):.2f}")
    print(f"CPU ms a callback   {min(cpus):.2f} / {statistics.median(cpus):.2f} / {max(cpus):.2f}")


if __name__ == "__main__":
    main()
