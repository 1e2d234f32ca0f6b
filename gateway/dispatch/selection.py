"""Who an area reaches, computed in the database: counted for a preview, inserted as alert
deliveries for a fan-out, never shipped to Python row by row.

The area's grid cover (gateway/grid.py) becomes a small table of cell ranges; addresses are read
from the covering index on (cell, participant, channel, lat, lon), and only those in edge cells
get the exact test: the haversine formula for a circle, a point-in-polygon test for a polygon
(PostGIS on PostgreSQL, shapely through a registered function on SQLite). A person with several
addresses inside counts once, by the channel the registry prefers. An address with weekly time
windows counts only while one is open: those few are kept out of the covering index and decided by
gateway/windows.py at the moment of the preview or the fan-out.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime

import shapely
from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from gateway import channels, grid, windows
from gateway.areas import EARTH_RADIUS_M, Area, Circle, Postcodes
from gateway.models import delivery as state
from gateway.models.base import UTCDateTime, utcnow
from gateway.models.participant import alertable_sql, always_open_sql

# Channel names by preference rank, and the SQL that ranks an address's channel.
BY_RANK = sorted(channels.NAMES, key=lambda name: channels.REGISTRY[name].preference)
RANK_SQL = "CASE a.channel " + " ".join(
    f"WHEN '{name}' THEN {rank}" for rank, name in enumerate(BY_RANK)) + " END"
# The same words as the partial indexes' (gateway/models/participant.py), so they are used.
ALWAYS_OPEN = always_open_sql("a.")
CHANNEL_SQL = "CASE h.rank " + " ".join(
    f"WHEN {rank} THEN '{name}'" for rank, name in enumerate(BY_RANK)) + " END"


@dataclass(frozen=True)
class Recipient:
    participant_id: int
    phone: str
    channel: str
    language: str


def _hits(session: Session, area: Area, now: datetime) -> tuple[str, dict] | None:
    """SQL of the CTE `h` (participant id, best channel rank; after `r`, the cell ranges, for a
    shape) for an area at the moment `now`, with its parameters; None when it covers nothing."""
    if isinstance(area, Postcodes):
        ctes, source, (where, params) = "", "addresses a", _postcode_test(area)
    else:
        cover = grid.cover(area)
        ranges = [(lo, hi, 0) for lo, hi in cover.inner] + [(lo, hi, 1) for lo, hi in cover.edge]
        if not ranges:
            return None
        # Integers of our own making, inlined: an area can have thousands of ranges, more than
        # a driver may bind.
        values = ", ".join(f"({int(lo)}, {int(hi)}, {exact})" for lo, hi, exact in ranges)
        exact, params = _exact_test(session, area)
        ctes = f"WITH r(lo, hi, exact) AS (VALUES {values})"
        source, where = "r JOIN addresses a ON a.cell BETWEEN r.lo AND r.hi", f"(r.exact = 0 OR {exact})"
    windowed = ", ".join(f"({int(pid)}, {int(rank)})" for pid, rank in _open_windowed(
        session, f"{ctes} SELECT a.participant_id, {RANK_SQL}, a.windows FROM {source} "
                 f"WHERE a.alertable AND NOT {ALWAYS_OPEN} AND {where}", params, now))
    sql = (
        f"{ctes}{', ' if ctes else 'WITH '}h AS (SELECT pid, MIN(rank) AS rank FROM ("
        f"SELECT a.participant_id AS pid, {RANK_SQL} AS rank FROM {source} "
        f"WHERE a.alertable AND {ALWAYS_OPEN} AND {where}"
        + (f" UNION ALL VALUES {windowed}" if windowed else "") +
        ") u GROUP BY pid ORDER BY pid) "
    )
    return sql, params


def _open_windowed(session: Session, query: str, params: dict,
                   now: datetime) -> list[tuple[int, int]]:
    """(participant id, channel rank) of the addresses in the area with time windows that are
    open at `now`: found through their own small index, decided by gateway/windows.py."""
    rows = session.execute(text(query), params)
    return [(pid, rank) for pid, rank, value in rows
            if windows.open_at(json.loads(value) if isinstance(value, str) else value, now)]


def _postcode_test(area: Postcodes) -> tuple[str, dict]:
    """Whole PC4 areas as a range of the postcode index, single streets by equality."""
    terms, params = [], {}
    for i, pc4 in enumerate(area.pc4):
        terms.append(f"a.postcode BETWEEN :pc4_{i} AND :pc4_{i}_last")
        params.update({f"pc4_{i}": f"{pc4}AA", f"pc4_{i}_last": f"{pc4}ZZ"})
    if area.pc6:
        terms.append("a.postcode IN (" + ", ".join(f":pc6_{i}" for i in range(len(area.pc6))) + ")")
        params.update({f"pc6_{i}": pc6 for i, pc6 in enumerate(area.pc6)})
    return "(" + " OR ".join(terms) + ")", params


def _exact_test(session: Session, area: Area) -> tuple[str, dict]:
    if isinstance(area, Circle):
        # Haversine, compared before the square root: a <= sin^2(r / 2R).
        return ("power(sin(radians(a.lat - :clat) / 2), 2) + :coslat * cos(radians(a.lat)) "
                "* power(sin(radians(a.lon - :clon) / 2), 2) <= :amax"), {
            "clat": area.lat, "clon": area.lon, "coslat": math.cos(math.radians(area.lat)),
            "amax": math.sin(area.radius_m / (2 * EARTH_RADIUS_M)) ** 2}
    if session.get_bind().dialect.name == "postgresql":
        return "ST_Intersects(ST_GeomFromText(:wkt), ST_MakePoint(a.lon, a.lat))", {
            "wkt": shapely.to_wkt(area.geometry, rounding_precision=-1)}
    # SQLite: shapely decides, called by the database for edge addresses only.
    geometry = area.geometry
    session.connection().connection.driver_connection.create_function(
        "bn_in_area", 2, lambda lon, lat: bool(shapely.intersects_xy(geometry, lon, lat)),
        deterministic=True)
    return "bn_in_area(a.lon, a.lat)", {}


# CTE `s`: each person the area reaches with their phone, in participant order, the phone NULL
# for someone no longer active and verified. Addresses carry `alertable` (kept by triggers) but
# the participant is checked again as the phone is read, which costs nothing extra. A scalar
# subquery, one primary-key probe per person in id order: joined instead, PostgreSQL misjudges
# how many people the cell ranges hold and reads all of participants. In id order (h is), the
# probes walk the table's index from one end to the other instead of jumping about; MATERIALIZED
# runs each probe once, not again for the filter on its result.
PEOPLE_SQL = (
    ", s AS MATERIALIZED (SELECT h.pid, (SELECT p.phone FROM participants p WHERE p.id = h.pid "
    f"AND {alertable_sql('p.')}) AS phone, " + CHANNEL_SQL + " AS channel, "
    "{extra} FROM h) "
)


def reach(session: Session, area: Area, exclude_action: int | None = None,
          now: datetime | None = None) -> dict[str, int]:
    """How many would be alerted, per channel and in total: one aggregate query over the
    address index alone."""
    counts = dict.fromkeys(channels.NAMES, 0)
    hits = _hits(session, area, now or utcnow())
    if hits is not None:
        sql, params = hits
        if exclude_action is not None:  # widening: whom the action alerted already adds nobody
            sql += ("SELECT h.rank, COUNT(*) FROM h WHERE NOT EXISTS (SELECT 1 FROM deliveries d "
                    f"WHERE d.action_id = :exclude AND d.participant_id = h.pid "
                    f"AND d.purpose = '{state.ALERT}') GROUP BY h.rank")
        else:
            sql += "SELECT h.rank, COUNT(*) FROM h GROUP BY h.rank"
        rows = session.execute(text(sql), {**params, "exclude": exclude_action})
        for rank, count in rows:
            counts[BY_RANK[rank]] = count
    return {**counts, "total": sum(counts.values())}


def recipients(session: Session, area: Area, now: datetime | None = None) -> list[Recipient]:
    """Everyone an area reaches, by participant id (for tests and benchmarks: the fan-out
    inserts its deliveries without fetching these)."""
    hits = _hits(session, area, now or utcnow())
    if hits is None:
        return []
    sql, params = hits
    rows = session.execute(text(
        sql + PEOPLE_SQL.format(extra="(SELECT p.language FROM participants p WHERE p.id = h.pid) "
                                "AS language") +
        "SELECT pid, phone, channel, language FROM s WHERE phone IS NOT NULL ORDER BY pid"),
        params)
    return [Recipient(*row) for row in rows]


def insert_alerts(session: Session, action_id: int, area: Area, batch_prefix: str, size: int,
                  now: datetime) -> int:
    """One pending alert delivery per person the area reaches, in one INSERT ... SELECT. Batch n
    (of `size` rows, in participant order as `s` yields them) gets the key `batch_prefix + n`.
    Running it again, or for a wider area, adds nobody twice: a row that exists keeps its own
    batch. An address with time windows counts if one is open at `now`."""
    hits = _hits(session, area, now)
    if hits is None:
        return 0
    sql, params = hits
    # The WITH goes after INSERT: a statement that starts with WITH reports no row count (SQLite).
    statement = text(
        "INSERT INTO deliveries (action_id, participant_id, phone, channel, purpose, round, "
        "status, attempts, redials, batch, created_at, updated_at) " + sql + PEOPLE_SQL.format(extra="1") +
        f"SELECT :action, pid, phone, channel, '{state.ALERT}', 0, '{state.PENDING}', 0, 0, "
        ":prefix || CAST((ROW_NUMBER() OVER () - 1) / :size AS TEXT), :now, :now "
        "FROM s WHERE phone IS NOT NULL ON CONFLICT (action_id, phone, purpose, round) DO NOTHING"
    ).bindparams(bindparam("now", type_=UTCDateTime()))
    result = session.execute(statement, {**params, "action": action_id,
                                         "prefix": batch_prefix, "size": int(size), "now": now})
    return result.rowcount
