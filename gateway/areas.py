"""Action areas: a circle or a GeoJSON (Multi)Polygon, and which points lie inside.

Selection (gateway/dispatch/selection.py) asks an area which grid cells it covers (gateway/grid.py)
and tests exactly only the addresses in cells its boundary passes through. A circle is tested with
the haversine formula, a polygon as shapely and PostGIS read it: straight edges in lon/lat.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import shape

from gateway import postcodes

EARTH_RADIUS_M = 6_371_008.8
MAX_RADIUS_M = 100_000
# Limits on what one area may cost us. The vertices are counted before shapely builds anything,
# so a million-vertex polygon is refused at once instead of after seconds of geometry work; and
# no area may be larger than the largest circle.
MAX_VERTICES = 2_000  # over all rings of all polygons
MAX_AREA_M2 = math.pi * MAX_RADIUS_M**2
MAX_POSTCODES = 500  # a city's PC4 areas; streets one by one are for small areas
# Where we alert: a generous box around the Netherlands (min_lon, min_lat, max_lon, max_lat). A
# circle must be centred in it and a polygon must touch it; anything else is a typo, most often
# longitude and latitude swapped. A constant for now; a setting once another region joins.
SERVICE_AREA = (3.2, 50.7, 7.3, 53.7)
SERVICE_AREA_NAME = "the Netherlands"


class InvalidArea(ValueError):
    pass


@dataclass(frozen=True)
class Area:
    geojson: dict
    bbox: tuple[float, float, float, float] | None  # min_lon, min_lat, max_lon, max_lat; None: postcodes

    def contains(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def boundary(self, step_deg: float) -> tuple[np.ndarray, np.ndarray]:
        """Points along the boundary, lons and lats, no more than step_deg apart on either axis
        (what gateway/grid.py needs to find the cells the boundary passes through)."""
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

    def boundary(self, step_deg):
        # A degree of longitude is shortest at the circle's most poleward latitude: space the
        # points for that one, and they are close enough everywhere.
        poleward = min(abs(self.lat) + math.degrees(self.radius_m / EARTH_RADIUS_M), 89.0)
        step_m = step_deg * math.radians(1) * EARTH_RADIUS_M * math.cos(math.radians(poleward))
        count = max(8, math.ceil(2 * math.pi * self.radius_m / step_m) + 1)
        bearing = np.linspace(0, 2 * math.pi, count)
        lat1, lon1 = math.radians(self.lat), math.radians(self.lon)
        d = self.radius_m / EARTH_RADIUS_M
        lat2 = np.arcsin(math.sin(lat1) * math.cos(d) + math.cos(lat1) * math.sin(d) * np.cos(bearing))
        lon2 = lon1 + np.arctan2(np.sin(bearing) * math.sin(d) * math.cos(lat1),
                                 math.cos(d) - math.sin(lat1) * np.sin(lat2))
        return np.degrees(lon2), np.degrees(lat2)


@dataclass(frozen=True)
class Polygonal(Area):
    geometry: object = None

    def contains(self, lons, lats):
        return shapely.intersects_xy(self.geometry, lons, lats)

    def boundary(self, step_deg):
        # Edges are straight lines in lon/lat (as shapely and PostGIS read them): densify them.
        xy = shapely.get_coordinates(shapely.segmentize(shapely.boundary(self.geometry), step_deg))
        return xy[:, 0], xy[:, 1]


@dataclass(frozen=True)
class Postcodes(Area):
    """Addresses by their postcode: whole PC4 areas ('2711') and single PC6 streets ('2711AB').
    No geometry: an address without a postcode (given by coordinates) is not in it."""

    pc4: tuple[str, ...] = ()
    pc6: tuple[str, ...] = ()


def parse(data: object) -> Area:
    """Validate an area as sent by an operator; InvalidArea says what is wrong with it."""
    if not isinstance(data, dict):
        raise InvalidArea("must be an object")
    kind = data.get("type")
    if kind == "Circle":
        return _circle(data)
    if kind in ("Polygon", "MultiPolygon"):
        return _polygon(data)
    if kind == "Postcodes":
        return _postcodes(data.get("postcodes"))
    raise InvalidArea("type must be Circle, Polygon, MultiPolygon or Postcodes")


def _postcodes(values: object) -> Postcodes:
    if not isinstance(values, list) or not 1 <= len(values) <= MAX_POSTCODES:
        raise InvalidArea(f"postcodes must be a list of 1 to {MAX_POSTCODES} postcodes like 2711 or 2711AB")
    found = []
    for i, value in enumerate(values):
        if not isinstance(value, str):
            raise InvalidArea(f"postcodes[{i}] must be a postcode like 2711 or 2711AB")
        try:
            found.append(postcodes.area(value))
        except postcodes.InvalidPostcode:
            raise InvalidArea(f"postcodes[{i}] must be a postcode like 2711 or 2711AB") from None
    return _make_postcodes(found)


def _make_postcodes(found: list[str]) -> Postcodes:
    unique = sorted(set(found))
    pc4 = tuple(p for p in unique if len(p) == 4)
    # A street inside a whole neighbourhood that is also listed adds nothing.
    pc6 = tuple(p for p in unique if len(p) == 6 and p[:4] not in pc4)
    return Postcodes({"type": "Postcodes", "postcodes": unique}, None, pc4, pc6)


def load(geojson: dict) -> Area:
    """An area stored with an action: it was valid when the operator sent it. Limits added since
    (service area, vertices, size) must not stop an action already under way."""
    if geojson["type"] == "Postcodes":
        return _make_postcodes(geojson["postcodes"])
    if geojson["type"] == "Circle":
        (lon, lat), radius = geojson["center"], geojson["radius_m"]
        return _make_circle(float(lon), float(lat), float(radius))
    geometry = shape(geojson)
    shapely.prepare(geometry)
    return Polygonal(geojson, geometry.bounds, geometry)


def _make_circle(lon: float, lat: float, radius: float) -> Circle:
    dlat = math.degrees(radius / EARTH_RADIUS_M)
    dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
    geojson = {"type": "Circle", "center": [lon, lat], "radius_m": float(radius)}
    return Circle(geojson, (lon - dlon, lat - dlat, lon + dlon, lat + dlat), lon, lat, radius)


def _circle(data: dict) -> Circle:
    center, radius = data.get("center"), data.get("radius_m")
    if not (isinstance(center, list) and len(center) == 2 and all(_finite(v) for v in center)):
        raise InvalidArea("center must be [longitude, latitude]")
    lon, lat = float(center[0]), float(center[1])
    _check_lon_lat(lon, lat)
    if not _finite(radius) or not 0 < radius <= MAX_RADIUS_M:
        raise InvalidArea(f"radius_m must be a number of metres above 0 and at most {MAX_RADIUS_M}")
    if not _in_service_area(lon, lat):
        raise InvalidArea(f"center {_outside(_in_service_area(lat, lon))}")
    return _make_circle(lon, lat, radius)


def _polygon(data: dict) -> Polygonal:
    kind, coordinates = data["type"], data.get("coordinates")
    _check_coordinates(kind, coordinates)  # before shapely: cheap, and names what is wrong
    try:
        geometry = shape({"type": kind, "coordinates": coordinates})
    except Exception as exc:  # shapely raises several types for malformed coordinates
        raise InvalidArea(f"coordinates are not a valid {kind} ({exc})") from None
    if geometry.is_empty or not geometry.is_valid:
        reason = shapely.is_valid_reason(geometry) if not geometry.is_empty else "empty"
        raise InvalidArea(f"polygon is not valid: {reason}")
    service_area = shapely.box(*SERVICE_AREA)
    if not geometry.intersects(service_area):
        swapped = shapely.transform(geometry, lambda xy: xy[:, ::-1])
        raise InvalidArea(f"polygon {_outside(swapped.intersects(service_area))}")
    if _area_m2(geometry) > MAX_AREA_M2:
        raise InvalidArea(f"polygon covers more than {MAX_AREA_M2 / 1e6:,.0f} km² (the area of a "
                          f"circle of radius {MAX_RADIUS_M / 1000:.0f} km)")
    shapely.prepare(geometry)
    geojson = {"type": kind, "coordinates": coordinates}
    return Polygonal(geojson, geometry.bounds, geometry)


def _check_coordinates(kind: str, coordinates: object) -> None:
    """Check the nesting of GeoJSON coordinates and count the positions, refusing more than
    MAX_VERTICES before looking at any of a ring's positions."""
    polygons = [coordinates] if kind == "Polygon" else coordinates
    if not isinstance(polygons, list) or not polygons:
        raise InvalidArea(f"coordinates must be a list of {'rings' if kind == 'Polygon' else 'polygons'}")
    count = 0
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            raise InvalidArea("a polygon must be a list of rings, the outer ring first")
        for ring in polygon:
            if not isinstance(ring, list) or len(ring) < 4:
                raise InvalidArea("a ring must be a list of at least 4 [longitude, latitude] "
                                  "positions, the last equal to the first")
            count += len(ring)
            if count > MAX_VERTICES:
                raise InvalidArea(f"an area may have at most {MAX_VERTICES} vertices in all")
            for position in ring:
                if not (isinstance(position, list) and len(position) == 2
                        and all(_finite(v) for v in position)):
                    raise InvalidArea("each position must be [longitude, latitude]")
                _check_lon_lat(position[0], position[1])


def _area_m2(geometry) -> float:
    """Area on the sphere, from the sinusoidal projection: it is equal-area, so the planar area
    in it is the area on the ground (to within the straight edges, metres at these sizes)."""
    def project(lon_lat):
        lon, lat = np.radians(lon_lat[:, 0]), np.radians(lon_lat[:, 1])
        return np.column_stack([EARTH_RADIUS_M * lon * np.cos(lat), EARTH_RADIUS_M * lat])
    return shapely.transform(geometry, project).area


def _finite(value: object) -> bool:
    # bool is an int in Python, JSON's NaN and 1e999 arrive as floats, and an int too large for a
    # float would overflow later.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _check_lon_lat(lon: float, lat: float) -> None:
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidArea("coordinates must be [longitude, latitude] in degrees")


def _in_service_area(lon: float, lat: float) -> bool:
    min_lon, min_lat, max_lon, max_lat = SERVICE_AREA
    return min_lon <= lon <= max_lon and min_lat <= lat <= max_lat


def _outside(swapped_inside: bool) -> str:
    min_lon, min_lat, max_lon, max_lat = SERVICE_AREA
    message = (f"is outside the service area ({SERVICE_AREA_NAME}: longitude {min_lon} to "
               f"{max_lon}, latitude {min_lat} to {max_lat})")
    if swapped_inside:
        message += "; longitude and latitude swapped? GeoJSON order is [longitude, latitude]"
    return message


def summary(geojson: dict) -> dict:
    """An area as a list shows it: a circle whole (it is small), a polygon as its type, bounding
    box and vertex count, never its full coordinates (up to MAX_VERTICES of them)."""
    if geojson.get("type") in ("Circle", "Postcodes"):
        return geojson
    polygons = [geojson["coordinates"]] if geojson["type"] == "Polygon" else geojson["coordinates"]
    positions = [p for polygon in polygons for ring in polygon for p in ring]
    lons, lats = [p[0] for p in positions], [p[1] for p in positions]
    return {"type": geojson["type"], "bbox": [min(lons), min(lats), max(lons), max(lats)],
            "vertices": len(positions)}
