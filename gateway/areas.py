"""Action areas: a circle or a GeoJSON (Multi)Polygon, and which points lie inside.

Selection runs in two steps: the database narrows addresses by bounding box (an index range
scan), then shapely decides exactly, vectorised over all candidates at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import shape

EARTH_RADIUS_M = 6_371_008.8
MAX_RADIUS_M = 100_000


class InvalidArea(ValueError):
    pass


@dataclass(frozen=True)
class Area:
    geojson: dict
    bbox: tuple[float, float, float, float]  # min_lon, min_lat, max_lon, max_lat

    def contains(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        raise NotImplementedError


@dataclass(frozen=True)
class Circle(Area):
    lon: float = 0.0
    lat: float = 0.0
    radius_m: float = 0.0

    def contains(self, lons, lats):
        # Haversine: exact enough at any radius we allow, no projection needed.
        lon1, lat1 = math.radians(self.lon), math.radians(self.lat)
        lon2, lat2 = np.radians(lons), np.radians(lats)
        a = (np.sin((lat2 - lat1) / 2) ** 2
             + math.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
        return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(a)) <= self.radius_m


@dataclass(frozen=True)
class Polygonal(Area):
    geometry: object = None

    def contains(self, lons, lats):
        return shapely.intersects_xy(self.geometry, lons, lats)


def parse(data: object) -> Area:
    """Validate an area as sent by an operator; InvalidArea says what is wrong with it."""
    if not isinstance(data, dict):
        raise InvalidArea("must be an object")
    kind = data.get("type")
    if kind == "Circle":
        return _circle(data)
    if kind in ("Polygon", "MultiPolygon"):
        return _polygon(data)
    raise InvalidArea("type must be Circle, Polygon or MultiPolygon")


def _circle(data: dict) -> Circle:
    center, radius = data.get("center"), data.get("radius_m")
    if not (isinstance(center, list) and len(center) == 2
            and all(isinstance(v, int | float) for v in center)):
        raise InvalidArea("center must be [longitude, latitude]")
    lon, lat = float(center[0]), float(center[1])
    _check_lon_lat(lon, lat)
    if not isinstance(radius, int | float) or not 0 < radius <= MAX_RADIUS_M:
        raise InvalidArea(f"radius_m must be a number of metres between 0 and {MAX_RADIUS_M}")
    dlat = math.degrees(radius / EARTH_RADIUS_M)
    dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
    geojson = {"type": "Circle", "center": [lon, lat], "radius_m": float(radius)}
    return Circle(geojson, (lon - dlon, lat - dlat, lon + dlon, lat + dlat), lon, lat, radius)


def _polygon(data: dict) -> Polygonal:
    try:
        geometry = shape({"type": data["type"], "coordinates": data.get("coordinates")})
    except Exception as exc:  # shapely raises several types for malformed coordinates
        raise InvalidArea(f"coordinates are not a valid {data['type']} ({exc})") from None
    if geometry.is_empty or not geometry.is_valid:
        reason = shapely.is_valid_reason(geometry) if not geometry.is_empty else "empty"
        raise InvalidArea(f"polygon is not valid: {reason}")
    min_lon, min_lat, max_lon, max_lat = geometry.bounds
    _check_lon_lat(min_lon, min_lat)
    _check_lon_lat(max_lon, max_lat)
    shapely.prepare(geometry)
    geojson = {"type": data["type"], "coordinates": data["coordinates"]}
    return Polygonal(geojson, geometry.bounds, geometry)


def _check_lon_lat(lon: float, lat: float) -> None:
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidArea("coordinates must be [longitude, latitude] in degrees")
