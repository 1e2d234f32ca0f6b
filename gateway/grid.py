"""A fixed grid over the Netherlands that makes area selection an index range scan.

Every address carries the number of the grid cell it lies in (`addresses.cell`, a column the
database computes from lat/lon, so no writer can forget it). Cells are numbered row by row, so
the cells of one grid row that an area covers are one or a few ranges of numbers. `cover` sorts
an area's cells into *inner* ones (wholly inside: every address in them is selected, no test) and
*edge* ones (the area's boundary passes through: each address gets the exact test). Only the edge
cells, a thin ring, cost an exact test; the rest is counted straight from the index.

The classification is conservative: a cell is inner only if no point of the boundary comes near
it, so an address is never selected that the exact test would refuse. Floats decide cells the
same way here (numpy) and in SQL (IEEE doubles, floor), but nothing depends on that: a point on a
cell border is in both cells' closed boxes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# The grid's box: the service area with more than the largest area's radius around it, so every
# address an action can reach has a cell. Addresses outside it get cell -1 and are never selected.
LAT0, LAT1 = 49.5, 54.7
LON0, LON1 = 1.5, 8.9
# About 220 m x 200 m: a city block. Smaller cells make the ring of exact tests thinner but the
# list of ranges longer; at this size both stay small for every area we allow.
DLAT, DLON = 0.002, 0.003
ROWS = math.ceil((LAT1 - LAT0) / DLAT)
COLS = math.ceil((LON1 - LON0) / DLON)
OUTSIDE = -1

# The same formula in SQL, for the generated column. floor() exists in PostgreSQL and in SQLite
# builds with math functions (the default since 3.35); gateway/db.py supplies it otherwise.
CELL_SQL = (
    f"CASE WHEN lat >= {LAT0} AND lat < {LAT1} AND lon >= {LON0} AND lon < {LON1} "
    f"THEN CAST(floor((lat - {LAT0}) / {DLAT}) AS INTEGER) * {COLS} "
    f"+ CAST(floor((lon - {LON0}) / {DLON}) AS INTEGER) ELSE {OUTSIDE} END"
)

# Boundary points are sampled at most this far apart (degrees): well under half a cell, so every
# cell the boundary touches holds a sample or neighbours one that does.
SAMPLE_DEG = min(DLAT, DLON) / 4


def cells(lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """The cell of each point, as the database computes it."""
    lats, lons = np.asarray(lats, float), np.asarray(lons, float)
    inside = (lats >= LAT0) & (lats < LAT1) & (lons >= LON0) & (lons < LON1)
    rows = np.floor((lats - LAT0) / DLAT).astype(np.int64)
    cols = np.floor((lons - LON0) / DLON).astype(np.int64)
    return np.where(inside, rows * COLS + cols, OUTSIDE)


@dataclass(frozen=True)
class Cover:
    """Cell-number ranges (inclusive): `inner` wholly inside the area, `edge` to be tested."""

    inner: list[tuple[int, int]]
    edge: list[tuple[int, int]]


def cover(area) -> Cover:
    """The cells an area covers, as ranges. `area` gives its bbox, `contains(lons, lats)` and
    `boundary(step_deg)`: points along its boundary no further apart than step_deg."""
    min_lon, min_lat, max_lon, max_lat = area.bbox
    r0, r1 = _index(min_lat, LAT0, DLAT, ROWS), _index(max_lat, LAT0, DLAT, ROWS)
    c0, c1 = _index(min_lon, LON0, DLON, COLS), _index(max_lon, LON0, DLON, COLS)
    if min_lat >= LAT1 or max_lat < LAT0 or min_lon >= LON1 or max_lon < LON0:
        return Cover([], [])
    n_rows, n_cols = r1 - r0 + 1, c1 - c0 + 1

    edge = np.zeros((n_rows, n_cols), bool)
    lons, lats = area.boundary(SAMPLE_DEG)
    rows = np.floor((lats - LAT0) / DLAT).astype(np.int64) - r0
    cols = np.floor((lons - LON0) / DLON).astype(np.int64) - c0
    for dr in (-1, 0, 1):  # the sample's cell and its eight neighbours
        for dc in (-1, 0, 1):
            r, c = rows + dr, cols + dc
            ok = (r >= 0) & (r < n_rows) & (c >= 0) & (c < n_cols)
            edge[r[ok], c[ok]] = True

    inner_ranges: list[tuple[int, int]] = []
    edge_ranges: list[tuple[int, int]] = []
    tests: list[tuple[int, int, int]] = []  # (row, first col, last col) of each run with no edge
    for i in range(n_rows):
        for start, stop, is_edge in _runs(edge[i]):
            if is_edge:
                edge_ranges.append(_range(r0 + i, c0 + start, c0 + stop - 1))
            else:
                tests.append((r0 + i, c0 + start, c0 + stop - 1))
    if tests:
        # No boundary passes through a run of non-edge cells, so one point decides all of it.
        t = np.array(tests)
        inside = area.contains(LON0 + (t[:, 1] + 0.5) * DLON, LAT0 + (t[:, 0] + 0.5) * DLAT)
        inner_ranges = [_range(r, a, b) for (r, a, b), hit in zip(tests, inside, strict=True) if hit]
    return Cover(inner_ranges, edge_ranges)


def _index(value: float, origin: float, step: float, count: int) -> int:
    return min(max(math.floor((value - origin) / step), 0), count - 1)


def _range(row: int, first_col: int, last_col: int) -> tuple[int, int]:
    return row * COLS + first_col, row * COLS + last_col


def _runs(flags: np.ndarray):
    """(start, stop, value) of each run of equal values in a boolean row."""
    change = np.flatnonzero(flags[1:] != flags[:-1]) + 1
    starts = np.concatenate(([0], change))
    stops = np.concatenate((change, [len(flags)]))
    return [(int(a), int(b), bool(flags[a])) for a, b in zip(starts, stops, strict=True)]
