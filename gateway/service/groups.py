"""The neighbourhood-group registry's rules, in one place: the staff API, the public API and the
registration page all read a group through `read` and write through `create` / `update`.
Errors are ApiError naming the field; nothing is written before the whole group has been read.

The rules of the WhatsApp Buurtpreventie groups, checked where a system can:
- one administrator per group (the body has exactly one; a unique index keeps it so);
- about 40 members at most: a larger count is accepted with a warning (the municipality decides);
- members are 18 or older and one per household: the administrator must confirm both;
- groups may overlap: allowed, and the answer names the active groups it overlaps.

Lookups (overlap, "is my street covered?") test the active groups in Python with shapely: a
municipality has tens to hundreds of them, so a table scan is milliseconds."""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass

import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import areas, postcodes
from gateway.errors import ApiError
from gateway.models import AuditEvent, Group, GroupAdministrator, utcnow
from gateway.models import group as states
from gateway.service.actions import check_characters
from gateway.service.participants import read_phone

log = logging.getLogger("gateway.groups")

ADVISED_MEMBERS = 40
# "Much larger than about 40": above this the answer carries a warning.
WARN_ABOVE_MEMBERS = 50
# WhatsApp's own limit on a group's size: anything above is a typo.
MAX_MEMBERS = 1024
# A neighbourhood, not a town: a larger area is a drawing mistake.
MAX_AREA_KM2 = 25
MAX_POSTCODES = 200
MAX_STREETS = 100
MAX_STREET = 80
EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")


@dataclass
class AdministratorIn:
    name: str
    email: str
    phone: str
    publish_contact: bool


@dataclass
class GroupIn:
    name: str
    municipality: str
    area: dict | None
    postcodes: list[str] | None
    streets: list[str]
    member_count: int
    members_adult: bool
    one_per_household: bool
    administrator: AdministratorIn


# -- reading -----------------------------------------------------------------------------------
def _text(data: dict, name: str, max_length: int, path: str | None = None,
          required: bool = True) -> str | None:
    path = path or name
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ApiError(422, path, "is required")
        return None
    if not isinstance(value, str):
        raise ApiError(422, path, "must be a string")
    value = check_characters(value, path).strip()
    if len(value) > max_length:
        raise ApiError(422, path, f"must be at most {max_length} characters")
    return value


def _bool(data: dict, name: str, path: str | None = None, default: bool | None = None) -> bool:
    path = path or name
    value = data.get(name, default)
    if value is None:
        raise ApiError(422, path, "is required")
    if not isinstance(value, bool):
        raise ApiError(422, path, "must be true or false")
    return value


def read_area(value, path: str = "area") -> dict | None:
    """A GeoJSON Polygon or MultiPolygon as gateway/areas.py checks it, and no larger than a
    neighbourhood."""
    if value is None:
        return None
    if isinstance(value, dict) and value.get("type") == "Circle":
        raise ApiError(422, path, "type must be Polygon or MultiPolygon (draw the streets covered)")
    try:
        area = areas.parse(value)
    except areas.InvalidArea as exc:
        raise ApiError(422, path, str(exc)) from None
    km2 = areas._area_m2(area.geometry) / 1e6
    if km2 > MAX_AREA_KM2:
        raise ApiError(422, path, f"covers {km2:,.0f} km²; a neighbourhood group covers at most "
                                  f"{MAX_AREA_KM2} km²")
    return area.geojson


def read_postcodes(value, path: str = "postcodes") -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise ApiError(422, path, "must be a list of postcodes such as 2711 or 2711AB")
    if len(value) > MAX_POSTCODES:
        raise ApiError(422, path, f"must hold at most {MAX_POSTCODES} postcodes")
    found: list[str] = []
    for i, raw in enumerate(value):
        if not isinstance(raw, str):
            raise ApiError(422, f"{path}[{i}]", "must be a string")
        try:
            code = postcodes.area(raw)
        except postcodes.InvalidPostcode:
            raise ApiError(422, f"{path}[{i}]", "must be a Dutch postcode like 2711 or 2711AB") \
                from None
        if code not in found:
            found.append(code)
    return found or None


def read_streets(value, path: str = "streets") -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ApiError(422, path, "must be a list of street names")
    if len(value) > MAX_STREETS:
        raise ApiError(422, path, f"must hold at most {MAX_STREETS} streets")
    return [_text({"s": s}, "s", MAX_STREET, f"{path}[{i}]") for i, s in enumerate(value)]


def read_member_count(value, path: str = "member_count") -> int:
    if value is None:
        raise ApiError(422, path, "is required")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(422, path, "must be an integer")
    if not 1 <= value <= MAX_MEMBERS:
        raise ApiError(422, path, f"must be 1 to {MAX_MEMBERS}")
    return value


def read_email(value, path: str) -> str:
    email = _text({"e": value}, "e", 254, path)
    if not EMAIL.fullmatch(email):
        raise ApiError(422, path, "must be an e-mail address such as naam@example.nl")
    return email


def read_administrator(value, countries: tuple[str, ...],
                       path: str = "administrator") -> AdministratorIn:
    if value is None:
        raise ApiError(422, path, "is required: a group has exactly one administrator")
    if isinstance(value, list):
        raise ApiError(422, path, "a group has exactly one administrator: give one object")
    if not isinstance(value, dict):
        raise ApiError(422, path, "must be an object")
    prefix = path + "."
    return AdministratorIn(
        name=_text(value, "name", 100, prefix + "name"),
        email=read_email(value.get("email"), prefix + "email"),
        phone=read_phone(value.get("phone"), countries, prefix + "phone"),
        publish_contact=_bool(value, "publish_contact", prefix + "publish_contact", False))


def _confirmed(data: dict, name: str, what: str) -> bool:
    if _bool(data, name) is not True:
        raise ApiError(422, name, f"the administrator must confirm that {what}")
    return True


def read(data: dict, countries: tuple[str, ...]) -> GroupIn:
    """A whole group from a request body (APIs, page)."""
    name = _text(data, "name", 120)
    municipality = _text(data, "municipality", 80)
    area = read_area(data.get("area"))
    codes = read_postcodes(data.get("postcodes"))
    if area is None and codes is None:
        raise ApiError(422, "area", "give the area covered (a polygon) or a list of postcodes")
    streets = read_streets(data.get("streets"))
    member_count = read_member_count(data.get("member_count"))
    adult = _confirmed(data, "members_adult", "all members are 18 or older")
    household = _confirmed(data, "one_per_household", "there is one member per household")
    administrator = read_administrator(data.get("administrator"), countries)
    return GroupIn(name, municipality, area, codes, streets, member_count, adult, household,
                   administrator)


def as_input(group: Group) -> dict:
    """A stored group as a request body would give it: PATCH applies its changes to this and
    reads the result again, so an edit is held to the same rules as a registration."""
    admin = group.administrator
    return {"name": group.name, "municipality": group.municipality, "area": group.area,
            "postcodes": group.postcodes, "streets": group.streets or [],
            "member_count": group.member_count, "members_adult": group.members_adult,
            "one_per_household": group.one_per_household,
            "administrator": {"name": admin.name, "email": admin.email, "phone": admin.phone,
                              "publish_contact": admin.publish_contact}}


# -- rules that look at other groups ------------------------------------------------------------
def warnings(member_count: int) -> list[dict]:
    found = []
    if member_count > WARN_ABOVE_MEMBERS:
        found.append({"field": "member_count", "message": (
            f"{member_count} members is much more than the advised {ADVISED_MEMBERS}: a "
            f"large group is hard to keep to one member per household; consider splitting it")})
    return found


def _geometry(area: dict | None):
    return areas.load(area).geometry if area else None


def _postcodes_meet(a: list[str] | None, b: list[str] | None) -> bool:
    """PC4 2711 holds PC6 2711AB: they meet when one is the other or starts it."""
    return any(x.startswith(y) or y.startswith(x) for x in a or () for y in b or ())


def overlapping(db: Session, area: dict | None, codes: list[str] | None,
                exclude_id: int | None = None) -> list[dict]:
    """Active groups whose polygon overlaps this one's (touching at the edge does not count) or
    whose postcodes meet its postcodes. A polygon and a postcode list are not compared: that
    needs postcode outlines, which we do not have."""
    geometry = _geometry(area)
    found = []
    for other in db.scalars(select(Group).where(Group.status == states.ACTIVE)
                            .order_by(Group.id)):
        if other.id == exclude_id:
            continue
        other_geometry = _geometry(other.area)
        shapes_meet = (geometry is not None and other_geometry is not None
                       and geometry.intersects(other_geometry)
                       and not geometry.touches(other_geometry))
        if shapes_meet or _postcodes_meet(codes, other.postcodes):
            found.append({"id": other.id, "name": other.name})
    return found


def covering(db: Session, postcode: str | None, lon: float, lat: float) -> list[Group]:
    """Active groups that cover a point: inside the polygon, or in a listed postcode."""
    found = []
    for group in db.scalars(select(Group).where(Group.status == states.ACTIVE)
                            .order_by(Group.id)):
        inside = group.area is not None and bool(
            shapely.intersects_xy(_geometry(group.area), lon, lat))
        if inside or (postcode and _postcodes_meet([postcode], group.postcodes)):
            found.append(group)
    return found


# -- writing -----------------------------------------------------------------------------------
def _fill(group: Group, data: GroupIn) -> None:
    for name in ("name", "municipality", "area", "postcodes", "streets", "member_count",
                 "members_adult", "one_per_household"):
        setattr(group, name, getattr(data, name))
    admin = group.administrator
    if admin is None:
        group.administrator = GroupAdministrator(**asdict(data.administrator))
    else:
        if admin.phone != data.administrator.phone:
            # A new number has not agreed to police messages: it must opt in again; and the
            # link texted to the old number no longer opens the administrator's page.
            admin.heterdaadkracht = states.HDK_OFF
            admin.link_hash = None
        for name, value in asdict(data.administrator).items():
            setattr(admin, name, value)


def create(db: Session, data: GroupIn, operator_id: int | None = None) -> Group:
    group = Group(status=states.REQUESTED)
    _fill(group, data)
    db.add(group)
    db.flush()
    db.add(AuditEvent(operator_id=operator_id, event="group.created",
                      detail={"group_id": group.id, "by": "staff" if operator_id else "public"}))
    return group


def update(db: Session, group: Group, changes: dict, countries: tuple[str, ...],
           operator_id: int) -> bool:
    """Apply a PATCH: any of the registration's fields (the administrator's fields one by
    one), `status` "inactive", and `heterdaadkracht` true/false. True when the administrator
    is now to be asked to confirm Heterdaadkracht (the caller texts them after the commit)."""
    body = as_input(group)
    for name, value in changes.items():
        if name == "administrator" and isinstance(value, dict):
            body["administrator"] = {**body["administrator"], **value}
        elif name in body:
            body[name] = value
        elif name not in ("status", "heterdaadkracht"):
            raise ApiError(422, name, "is not a field of a group")
    data = read(body, countries)
    ask = False
    status = changes.get("status")
    if "status" in changes and status != states.INACTIVE:
        raise ApiError(422, "status", "can only be set to inactive here; approve with "
                                      "POST /api/groups/{id}/approve")
    _fill(group, data)
    if "heterdaadkracht" in changes:
        wanted = _bool(changes, "heterdaadkracht")
        admin = group.administrator
        # Opting in asks the administrator to confirm by replying JA; only then "confirmed".
        if not wanted:
            admin.heterdaadkracht = states.HDK_OFF
        elif admin.heterdaadkracht == states.HDK_OFF:
            admin.heterdaadkracht = states.HDK_PENDING
            ask = True
    if status == states.INACTIVE:
        group.status = states.INACTIVE
    db.flush()
    db.add(AuditEvent(operator_id=operator_id, event="group.updated",
                      detail={"group_id": group.id, "fields": sorted(changes)}))
    return ask


def audit(db: Session, group: Group, operator_id: int | None, event: str) -> None:
    db.add(AuditEvent(operator_id=operator_id, event=event, detail={"group_id": group.id}))


def approve(db: Session, group: Group, operator_id: int) -> None:
    if group.status == states.ACTIVE:
        raise ApiError(409, "status", "the group is active already")
    group.status, group.approved_at, group.approved_by = states.ACTIVE, utcnow(), operator_id
    db.flush()
    db.add(AuditEvent(operator_id=operator_id, event="group.approved",
                      detail={"group_id": group.id}))


# -- public registration -----------------------------------------------------------------------
HOUR = 3600


def allow_request(rt, client: str | None) -> None:
    """Public registrations per client address an hour (the form and the API share it)."""
    if client and not rt.limits.allow(f"groups-address:{client}",
                                      rt.config.group_requests_per_address_hour, HOUR):
        log.warning("groups.limited scope=address")
        raise ApiError(429, None, "too many groups were registered from your address; try "
                                  "again later")


def register_public(rt, body: dict, client: str | None) -> int:
    """A resident's registration (API or form): checked whole, then counted against the
    client address's allowance (so a typo costs none of it), then stored `requested`."""
    data = read(body, rt.config.countries)
    allow_request(rt, client)
    with rt.transaction() as db:
        group_id = create(db, data).id
    log.info("group.requested group=%s", group_id)
    return group_id


# -- showing -----------------------------------------------------------------------------------
def notes(db: Session, group: Group) -> dict:
    """What the rules say about a group: warnings, and the active groups it overlaps."""
    return {"warnings": warnings(group.member_count),
            "overlaps": overlapping(db, group.area, group.postcodes, group.id)}


def public_answer(db: Session, group_id: int) -> dict:
    """The answer to a resident: no personal data repeated, only what the rules say."""
    group = db.get(Group, group_id)
    return {"id": group.id, "status": group.status, **notes(db, group)}


def serialise(group: Group) -> dict:
    """Everything, for staff (role municipality; operators read)."""
    admin = group.administrator
    return {
        "id": group.id, "name": group.name, "municipality": group.municipality,
        "area": group.area, "postcodes": group.postcodes, "streets": group.streets or [],
        "member_count": group.member_count, "members_adult": group.members_adult,
        "one_per_household": group.one_per_household, "status": group.status,
        "created_at": group.created_at.isoformat(),
        "approved_at": group.approved_at.isoformat() if group.approved_at else None,
        "administrator": {"name": admin.name, "email": admin.email, "phone": admin.phone,
                          "publish_contact": admin.publish_contact,
                          "heterdaadkracht": admin.heterdaadkracht},
    }


def summary(group: Group) -> dict:
    """A group in a list: its area as a summary, never the full geometry."""
    body = serialise(group)
    body["area"] = areas.summary(group.area) if group.area else None
    return body


def marker(codes: list[str] | None, table: str | None = None) -> list[float] | None:
    """Where a postcode-only group is shown on the map: the centre of its postcodes' addresses
    in the geocoder's postcode table ([lon, lat], rounded), or None when none are known. We have
    no postcode outlines; registered participants' addresses are never used for this."""
    from gateway.dispatch.groups import table_points

    points = table_points(codes or [], table)
    if not points:
        return None
    return [round(sum(p[0] for p in points) / len(points), 5),
            round(sum(p[1] for p in points) / len(points), 5)]


def public_feature(group: Group, table: str | None = None) -> dict:
    """A group on the public map: no personal data unless the administrator consented, and then
    name and e-mail only (how to join); never the phone number. A group given only by postcodes
    has no geometry, but a `marker` at the centre of its postcodes when they are known."""
    properties = {"id": group.id, "name": group.name, "municipality": group.municipality,
                  "postcodes": group.postcodes or [], "streets": group.streets or [],
                  "join": None,
                  "marker": None if group.area else marker(group.postcodes, table)}
    admin = group.administrator
    if admin.publish_contact:
        properties["join"] = {"name": admin.name, "email": admin.email}
    return {"type": "Feature", "id": group.id, "geometry": group.area,
            "properties": properties}
