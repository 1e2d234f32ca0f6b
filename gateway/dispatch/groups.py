"""Heterdaadkracht: which neighbourhood groups an action's area reaches. A group counts when it
is active, its administrator confirmed the opt-in (replied JA), and its area overlaps the
action's area. Groups are few (hundreds in a region), so they are tested here, one by one, with
shapely; the deliveries they get are written by gateway/dispatch/deliveries.py.

Overlap, by what each side has:
- two shapes (a group's polygon; an action's circle or polygon): they share more than an edge;
- two postcode lists: one holds the other (PC4 2711 holds PC6 2711AB);
- a shape and postcodes: a known address of those postcodes lies inside the shape. The points
  come from the geocoder's postcode table and from the registered addresses: we have no
  postcode outlines, so a postcode nobody is known at does not count.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gateway import areas, geocoding
from gateway.models import Delivery
from gateway.models import delivery as state
from gateway.models.group import ACTIVE, HDK_CONFIRMED, Group, GroupAdministrator
from gateway.models.participant import Address

# A circle becomes a polygon with points no further apart than this (degrees; about 100 m).
CIRCLE_STEP_DEG = 0.001
# Points read per postcode list from the registered addresses: enough to meet any area.
ADDRESS_POINTS = 2000


@dataclass(frozen=True)
class Reached:
    group_id: int
    name: str
    phone: str  # the administrator's, E.164


def shape_of(area: areas.Area):
    """A shapely geometry for a circle or polygon; None for postcodes."""
    if isinstance(area, areas.Circle):
        lons, lats = area.boundary(CIRCLE_STEP_DEG)
        return shapely.Polygon(np.column_stack([lons, lats]))
    if isinstance(area, areas.Polygonal):
        return area.geometry
    return None


def meet(a: list[str] | tuple[str, ...] | None, b: list[str] | tuple[str, ...] | None) -> bool:
    """PC4 2711 holds PC6 2711AB: they meet when one is the other or starts it."""
    return any(x.startswith(y) or y.startswith(x) for x in a or () for y in b or ())


@functools.lru_cache(maxsize=4)
def _table(path: str) -> dict[str, list[tuple[float, float]]]:
    points: dict[str, list[tuple[float, float]]] = {}
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                code = row["postcode"].replace(" ", "").upper()
                points.setdefault(code, []).append((float(row["lon"]), float(row["lat"])))
    except OSError:
        return {}
    return points


def table_points(codes, table: str | Path | None = None) -> list[tuple[float, float]]:
    """(lon, lat) of the postcode table's addresses in these postcodes (PC4 or PC6)."""
    known = _table(str(table or geocoding.DEMO_TABLE))
    return [p for code, found in known.items() if meet([code], codes) for p in found]


def postcode_points(db: Session, codes, table: str | Path | None = None) -> np.ndarray:
    """Known addresses of these postcodes as an array of (lon, lat)."""
    points = table_points(codes, table)
    if codes:
        tests = [Address.postcode.startswith(c) if len(c) == 4 else Address.postcode == c
                 for c in codes]
        points += [(r.lon, r.lat) for r in db.execute(
            select(Address.lon, Address.lat).where(or_(*tests)).limit(ADDRESS_POINTS))]
    return np.array(points, dtype=float).reshape(-1, 2)


def overlaps(db: Session, group_area: dict | None, group_postcodes: list[str] | None,
             area: areas.Area, table: str | None = None) -> bool:
    """Whether a group's area (polygon and/or postcodes) overlaps an action's area."""
    group_shape = areas.load(group_area).geometry if group_area else None
    if isinstance(area, areas.Postcodes):
        if meet(group_postcodes, area.geojson["postcodes"]):
            return True
        if group_shape is None:
            return False
        points = postcode_points(db, area.geojson["postcodes"], table)
        return bool(len(points)) and bool(
            shapely.intersects_xy(group_shape, points[:, 0], points[:, 1]).any())
    action_shape = shape_of(area)
    if group_shape is not None and action_shape.intersects(group_shape) \
            and not action_shape.touches(group_shape):
        return True
    if group_postcodes:
        points = postcode_points(db, group_postcodes, table)
        return bool(len(points)) and bool(area.contains(points[:, 0], points[:, 1]).any())
    return False


def reached(db: Session, area: areas.Area, exclude_action: int | None = None,
            table: str | None = None) -> list[Reached]:
    """Active groups with a confirmed administrator whose area overlaps `area`, by group id.
    With `exclude_action`: only administrators that action has not sent a group alert yet
    (what widening adds)."""
    query = (select(Group.id, Group.name, Group.area, Group.postcodes, GroupAdministrator.phone)
             .join(GroupAdministrator, GroupAdministrator.group_id == Group.id)
             .where(Group.status == ACTIVE, GroupAdministrator.heterdaadkracht == HDK_CONFIRMED)
             .order_by(Group.id))
    done: set[str] = set()
    if exclude_action is not None:
        done = set(db.scalars(select(Delivery.phone).where(
            Delivery.action_id == exclude_action, Delivery.purpose.in_(state.GROUP_ALERTS))))
    found = []
    for row in db.execute(query):
        if row.phone in done:
            continue
        if overlaps(db, row.area, row.postcodes, area, table):
            found.append(Reached(row.id, row.name, row.phone))
    return found


def count(found: list[Reached]) -> dict[str, int]:
    """Groups and administrators (one message per number, whatever it administers)."""
    return {"groups": len(found), "administrators": len({r.phone for r in found})}
