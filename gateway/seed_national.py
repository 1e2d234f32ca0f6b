"""National demo data: millions of synthetic, verified participants over the Netherlands, so
anyone can reproduce the benchmark figures and train on a national picture.

60% live around 30 city centres (more around bigger cities), the rest spread over the land;
40% also have a work address, mostly in a city. Participant ids are shuffled against location,
as in a real registry that grew over years. Rows are generated with numpy in chunks and loaded
with COPY on PostgreSQL (executemany on SQLite), with the selection index built afterwards: one
index build is much cheaper than millions of index inserts.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from gateway.models import Participant, utcnow

# (lon, lat, weight, spread in km): the 30 biggest places, weight about their population.
CITIES = [
    (4.895, 52.370, 9, 5.0), (4.480, 51.922, 6.5, 4.5), (4.300, 52.078, 5.5, 4.0),
    (5.121, 52.091, 3.6, 3.5), (5.470, 51.441, 2.4, 3.0), (6.567, 53.219, 2.3, 3.0),
    (5.080, 51.556, 2.2, 3.0), (5.695, 50.851, 1.2, 2.5), (5.852, 51.843, 1.8, 3.0),
    (4.780, 51.589, 1.8, 3.0), (6.890, 52.221, 1.6, 3.0), (4.636, 52.387, 1.6, 2.5),
    (5.911, 51.985, 1.6, 3.0), (5.304, 51.688, 1.6, 2.5), (5.215, 52.375, 2.2, 3.5),
    (4.493, 52.057, 1.3, 2.5), (5.388, 52.156, 1.6, 3.0), (4.491, 52.160, 1.2, 2.0),
    (4.633, 51.813, 1.2, 2.5), (5.799, 53.201, 1.2, 2.5), (5.970, 52.211, 1.6, 3.5),
    (6.093, 52.517, 1.3, 3.0), (4.748, 52.632, 1.1, 2.5), (5.167, 52.224, 0.9, 2.0),
    (4.360, 52.012, 1.0, 2.0), (4.820, 52.520, 0.9, 2.5), (4.610, 51.980, 0.8, 2.0),
    (6.170, 51.370, 1.0, 2.5), (5.650, 52.345, 0.8, 2.0), (6.552, 52.995, 0.9, 2.5),
]
# The land, roughly, as boxes (min_lon, min_lat, max_lon, max_lat) weighted by their area.
LAND = [
    (3.45, 51.25, 6.00, 51.80), (5.60, 50.76, 6.05, 51.25), (4.00, 51.80, 7.00, 52.45),
    (4.55, 52.45, 5.25, 52.95), (5.30, 52.30, 7.00, 52.80), (5.40, 52.80, 7.15, 53.40),
]
CLUSTERED = 0.6
WITH_WORK = 0.4
CHUNK = 100_000
KM_LAT = 1 / 111.32


def _city_points(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    weights = np.array([c[2] for c in CITIES])
    which = rng.choice(len(CITIES), size=n, p=weights / weights.sum())
    lon0, lat0, spread = (np.array([c[i] for c in CITIES])[which] for i in (0, 1, 3))
    lat = lat0 + rng.normal(0, 1, n) * spread * KM_LAT
    lon = lon0 + rng.normal(0, 1, n) * spread * KM_LAT / np.cos(np.radians(lat0))
    return lon, lat


def _land_points(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    boxes = np.array(LAND)
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    which = rng.choice(len(boxes), size=n, p=areas / areas.sum())
    b = boxes[which]
    return rng.uniform(b[:, 0], b[:, 2]), rng.uniform(b[:, 1], b[:, 3])


def _homes(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    clustered = rng.random(n) < CLUSTERED
    lon, lat = _land_points(rng, n)
    city_lon, city_lat = _city_points(rng, int(clustered.sum()))
    lon[clustered], lat[clustered] = city_lon, city_lat
    return lon, lat


def _channels(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.choice(np.array(["voice", "sms", "whatsapp"]), size=n, p=[0.45, 0.5, 0.05])


def national(engine: Engine, count: int, seed: int = 2026,
             progress: Callable[[int], None] | None = None) -> int:
    """Fill an empty participant registry with `count` participants; returns how many were
    added (0 if there are participants already)."""
    with engine.connect() as conn:
        if conn.scalar(select(func.count()).select_from(Participant)):
            return 0
    rng = np.random.default_rng(seed)
    ids = rng.permutation(count) + 1  # id order says nothing about where someone lives
    postgres = engine.dialect.name == "postgresql"
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX IF EXISTS ix_addresses_cell"))
        if postgres:  # everyone is active and verified: COPY says so, no trigger per row needed
            conn.execute(text("ALTER TABLE addresses DISABLE TRIGGER addresses_alertable"))
        address_id = 0
        for start in range(0, count, CHUNK):
            n = min(CHUNK, count - start)
            pid = ids[start:start + n]
            people = [(int(i), f"+316{20_000_000 + int(i)}", "en" if en else "nl", int(year))
                      for i, en, year in zip(pid, rng.random(n) < 0.1,
                                             rng.integers(1940, 2009, n), strict=True)]
            lon, lat = _homes(rng, n)
            work = rng.random(n) < WITH_WORK
            work_lon, work_lat = _city_points(rng, int(work.sum()))
            owners = np.concatenate([pid, pid[work]])
            labels = ["home"] * n + ["work"] * int(work.sum())
            all_lon, all_lat = np.concatenate([lon, work_lon]), np.concatenate([lat, work_lat])
            chans = _channels(rng, len(owners))
            rows = [(address_id + k + 1, int(o), label, round(float(y), 6), round(float(x), 6), str(c))
                    for k, (o, label, y, x, c) in enumerate(
                        zip(owners, labels, all_lat, all_lon, chans, strict=True))]
            address_id += len(rows)
            if postgres:
                _copy(conn, people, rows, now)
            else:
                _insert(conn, people, rows, now)
            if progress:
                progress(start + n)
        conn.execute(text("CREATE INDEX ix_addresses_cell ON addresses "
                          "(cell, participant_id, channel, lat, lon) WHERE alertable"))
        if postgres:
            conn.execute(text("ALTER TABLE addresses ENABLE TRIGGER addresses_alertable"))
            for table in ("participants", "addresses"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT max(id) FROM {table}))"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # Statistics for the planner, and (PostgreSQL) the visibility map that lets selection
        # read the covering index without visiting the table.
        conn.execute(text("VACUUM ANALYZE" if postgres else "ANALYZE"))
    return count


def _copy(conn, people, rows, now) -> None:
    cursor = conn.connection.driver_connection.cursor()
    stamp = now.isoformat()
    with cursor.copy("COPY participants (id, phone, language, birth_year, verified_at, active, "
                     "created_at) FROM STDIN") as copy:
        copy.write("".join(f"{i}\t{phone}\t{lang}\t{year}\t{stamp}\tt\t{stamp}\n"
                           for i, phone, lang, year in people))
    buffer = io.StringIO()
    buffer.writelines(f"{a}\t{p}\t{label}\t{lat}\t{lon}\t{c}\tt\n" for a, p, label, lat, lon, c in rows)
    with cursor.copy("COPY addresses (id, participant_id, label, lat, lon, channel, alertable) "
                     "FROM STDIN") as copy:
        copy.write(buffer.getvalue())


def _insert(conn, people, rows, now) -> None:
    raw = conn.connection.driver_connection
    stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f")  # how SQLAlchemy stores a datetime in SQLite
    raw.executemany("INSERT INTO participants (id, phone, language, birth_year, verified_at, active, "
                    "created_at) VALUES (?, ?, ?, ?, ?, 1, ?)",
                    [(i, phone, lang, year, stamp, stamp) for i, phone, lang, year in people])
    raw.executemany("INSERT INTO addresses (id, participant_id, label, lat, lon, channel) "
                    "VALUES (?, ?, ?, ?, ?, ?)", rows)
