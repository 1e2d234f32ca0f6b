"""Import benchmark: how long does `burgernet import-participants` take for N rows?

Writes a CSV of N synthetic participants around Zoetermeer (one address each, every tenth with a
work address and a time window), makes a fresh database, migrates it, and times the real
command as a separate process, twice: the first import (all inserts) and a re-import of the same
file (all updates). The database is dropped afterwards.

    .venv/bin/python bench/import_participants.py                       # 100,000 rows, PostgreSQL
    .venv/bin/python bench/import_participants.py --rows 20000 --database sqlite
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
ADMIN = os.environ.get("BENCH_POSTGRES_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
WINDOW = '"[{""days"": [""mon"", ""fri""], ""start"": ""08:00"", ""end"": ""18:00""}]"'


def write_csv(path: Path, rows: int) -> int:
    rng = random.Random(2007)
    lines = ["phone,lat,lon,channel,language,birth_year,label,windows"]
    for i in range(rows):
        phone = f"+316{20000000 + i:08d}"
        lat, lon = 52.0575 + rng.uniform(-0.03, 0.03), 4.4931 + rng.uniform(-0.05, 0.05)
        channel = "voice" if i % 2 else "sms"
        language = "en" if i % 10 == 0 else "nl"
        lines.append(f"{phone},{lat:.6f},{lon:.6f},{channel},{language},{1940 + i % 60},home,")
        if i % 10 == 5:
            lines.append(f"{phone},{lat + 0.01:.6f},{lon:.6f},sms,{language},{1940 + i % 60},"
                         f"work,{WINDOW}")
    path.write_text("\n".join(lines) + "\n")
    return len(lines) - 1


def run(env: dict, path: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "gateway.cli", "import-participants", str(path)],
                          env=env, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"import failed:\n{done.stdout}\n{done.stderr}")
    print(f"  {elapsed:6.1f} s  {done.stdout.strip()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="participants (not lines)")
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "participants.csv"
        lines = write_csv(path, args.rows)
        name = f"burgernet_bench_import_{uuid.uuid4().hex[:8]}"
        if args.database == "postgresql":
            with psycopg.connect(ADMIN, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            url = ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"
        else:
            url = f"sqlite:///{tmp}/bench.db"
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench",
               "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14"),
               "QUEUE_PREFIX": name}
        try:
            subprocess.run([sys.executable, "-m", "gateway.cli", "migrate"], env=env, cwd=ROOT,
                           check=True, capture_output=True)
            print(f"{args.database}: {args.rows:,} participants, {lines:,} CSV rows")
            print("first import:")
            run(env, path)
            print("re-import (the same file):")
            run(env, path)
        finally:
            if args.database == "postgresql":
                with psycopg.connect(ADMIN, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
