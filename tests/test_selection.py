"""Selection in the database (grid cells, exact test on edge cells) against the plain geometric
answer: the same people, on SQLite and PostgreSQL, for circles and concave polygons, including
addresses a metre inside or outside the edge."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime

import numpy as np
import pytest
from sqlalchemy import select, update

from gateway import areas, grid
from gateway.dispatch import selection
from gateway.models import Address, Delivery, Participant, utcnow
from tests import factories

CENTRE = factories.ZOETERMEER  # lon, lat


def destination(lon: float, lat: float, bearing_deg: float, distance_m: float) -> tuple[float, float]:
    """The point `distance_m` from (lon, lat) on the sphere the circle test uses."""
    d, b = distance_m / areas.EARTH_RADIUS_M, math.radians(bearing_deg)
    lat1, lon1 = math.radians(lat), math.radians(lon)
    lat2 = math.asin(math.sin(lat1) * math.cos(d) + math.cos(lat1) * math.sin(d) * math.cos(b))
    lon2 = lon1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(lat1),
                             math.cos(d) - math.sin(lat1) * math.sin(lat2))
    return math.degrees(lon2), math.degrees(lat2)


_numbers = iter(range(10_000_000, 99_999_999))


def add(db, points, channel="voice") -> list[int]:
    """One participant per (lon, lat), each with a new number."""
    return [factories.participant(db, f"+316{next(_numbers)}", lat=lat, lon=lon, channel=channel).id
            for lon, lat in points]


def expected(db, area) -> dict[int, str]:
    """The plain answer: every alertable address tested with the area's own numpy/shapely test."""
    rows = db.execute(select(Address.participant_id, Address.lon, Address.lat, Address.channel)
                      .join(Participant).where(Participant.active.is_(True),
                                               Participant.verified_at.is_not(None))).all()
    inside = area.contains(np.array([r.lon for r in rows]), np.array([r.lat for r in rows]))
    best: dict[int, str] = {}
    for row, hit in zip(rows, inside, strict=True):
        if hit:
            known = best.get(row.participant_id)
            best[row.participant_id] = row.channel if known is None else \
                selection.channels.preferred(row.channel, known)
    return best


def selected(db, area) -> dict[int, str]:
    return {r.participant_id: r.channel for r in selection.recipients(db, area)}


@pytest.mark.parametrize("radius", [150, 1000, 7500])
def test_circle_edge_a_metre_inside_and_outside(runtime, radius):
    with runtime.transaction() as db:
        inside = add(db, [destination(*CENTRE, b, radius - 1) for b in range(0, 360, 15)])
        outside = add(db, [destination(*CENTRE, b, radius + 1) for b in range(0, 360, 15)])
        area = areas.parse(factories.circle(radius))
        chosen = selected(db, area)
        assert set(chosen) == set(inside)
        assert not set(chosen) & set(outside)
        assert selection.reach(db, area)["total"] == len(inside)


def concave():
    """A U: two arms with a notch between them; the notch is outside."""
    lon, lat = CENTRE
    return {"type": "Polygon", "coordinates": [[
        [lon - 0.02, lat - 0.01], [lon + 0.02, lat - 0.01], [lon + 0.02, lat + 0.01],
        [lon + 0.01, lat + 0.01], [lon + 0.01, lat], [lon - 0.01, lat], [lon - 0.01, lat + 0.01],
        [lon - 0.02, lat + 0.01], [lon - 0.02, lat - 0.01]]]}


def test_concave_polygon_leaves_out_its_notch_to_the_metre(runtime):
    lon, lat = CENTRE
    metre_lat = 1 / 111_320
    with runtime.transaction() as db:
        arms = add(db, [(lon - 0.015, lat + 0.005), (lon + 0.015, lat + 0.005), (lon, lat - 0.005),
                        (lon, lat - 2 * metre_lat)])  # the last: 2 m below the notch's floor
        notch = add(db, [(lon, lat + 0.005), (lon, lat + 2 * metre_lat), (lon - 0.0099, lat + 0.009)])
        outside = add(db, [(lon + 0.021, lat), (lon, lat - 0.0101)])
        area = areas.parse(concave())
        chosen = selected(db, area)
        assert set(chosen) == set(arms), (notch, outside)
        assert selection.reach(db, area)["total"] == len(arms)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_areas_select_exactly_what_the_geometry_says(runtime, seed):
    rng = random.Random(seed)
    lon, lat = CENTRE
    with runtime.transaction() as db:
        for i in range(400):
            p = Participant(phone=f"+3161{seed}{i:06d}", verified_at=utcnow() if i % 9 else None,
                            active=i % 13 != 0, addresses=[
                                Address(label="home", lon=lon + rng.uniform(-0.06, 0.06),
                                        lat=lat + rng.uniform(-0.04, 0.04),
                                        channel=rng.choice(["voice", "sms", "whatsapp"]))])
            if i % 3 == 0:
                p.addresses.append(Address(label="work", lon=lon + rng.uniform(-0.06, 0.06),
                                           lat=lat + rng.uniform(-0.04, 0.04),
                                           channel=rng.choice(["voice", "sms"])))
            db.add(p)
        db.flush()
        for _ in range(5):
            circle = areas.parse(factories.circle(rng.uniform(200, 4000),
                                                  [lon + rng.uniform(-0.03, 0.03), lat]))
            star = areas.parse(_star(lon + rng.uniform(-0.02, 0.02), lat, rng))
            for area in (circle, star):
                assert selected(db, area) == expected(db, area)
                counts = selection.reach(db, area)
                want = expected(db, area)
                assert counts["total"] == len(want)
                for name in ("voice", "sms", "whatsapp"):
                    assert counts[name] == sum(1 for c in want.values() if c == name)


def _star(lon, lat, rng, points=7):
    """A concave star with random spikes."""
    ring = []
    for k in range(points * 2):
        r = (0.03 if k % 2 == 0 else 0.008) * rng.uniform(0.6, 1.0)
        a = math.pi * k / points
        ring.append([lon + r * math.cos(a) * 1.6, lat + r * math.sin(a)])
    ring.append(ring[0])
    return {"type": "Polygon", "coordinates": [ring]}


def test_cells_in_the_database_match_the_grid(runtime):
    rng = random.Random(7)
    points = [(rng.uniform(3.2, 7.3), rng.uniform(50.7, 53.7)) for _ in range(200)]
    points += [(grid.LON0 + 10 * grid.DLON, grid.LAT0 + 20 * grid.DLAT), (0.0, 40.0)]  # a border, outside
    with runtime.transaction() as db:
        add(db, points)
        rows = db.execute(select(Address.lon, Address.lat, Address.cell)).all()
    want = grid.cells(np.array([r.lat for r in rows]), np.array([r.lon for r in rows]))
    assert [r.cell for r in rows] == want.tolist()
    assert grid.OUTSIDE in want


def test_insert_alerts_batches_by_participant_and_adds_nobody_twice(runtime, client, auth):
    with runtime.transaction() as db:
        ids = add(db, [destination(*CENTRE, b, 300) for b in range(0, 360, 10)])
    action = client.post("/api/actions", headers=auth, json={
        "incident_type": "burglary", "description": "x", "area": factories.circle(1000)}).json
    area = areas.parse(factories.circle(1000))
    with runtime.transaction() as db:
        assert selection.insert_alerts(db, action["id"], area, "k-", 10, utcnow()) == len(ids)
        assert selection.insert_alerts(db, action["id"], area, "k-", 10, utcnow()) == 0
        rows = db.execute(select(Delivery.participant_id, Delivery.batch)
                          .where(Delivery.action_id == action["id"])).all()
    assert sorted(r.participant_id for r in rows) == sorted(ids)
    by_batch = {}
    for r in rows:
        by_batch.setdefault(r.batch, []).append(r.participant_id)
    assert sorted(by_batch) == ["k-0", "k-1", "k-2", "k-3"]
    assert [len(by_batch[f"k-{n}"]) for n in range(4)] == [10, 10, 10, 6]
    assert max(by_batch["k-0"]) < min(by_batch["k-1"])  # batches follow participant order


def test_an_area_beyond_the_grid_selects_nobody(runtime):
    with runtime.transaction() as db:
        add(db, [(0.0, 40.0)])
        far = areas.load({"type": "Circle", "center": [0.0, 40.0], "radius_m": 5000})
        assert selection.recipients(db, far) == []
        assert selection.reach(db, far)["total"] == 0


def test_opting_out_and_verifying_change_the_reach_at_once(runtime):
    """`addresses.alertable` follows the participant, whoever writes it (database triggers)."""
    with runtime.transaction() as db:
        first, second = add(db, [CENTRE, CENTRE])
        late = factories.participant(db, "+31699999999", verified=False).id
    area = areas.parse(factories.circle(500))
    with runtime.transaction() as db:
        assert selection.reach(db, area)["total"] == 2
        db.execute(update(Participant).where(Participant.id == first).values(active=False))
        db.execute(update(Participant).where(Participant.id == late).values(verified_at=utcnow()))
    with runtime.transaction() as db:
        assert {r.participant_id for r in selection.recipients(db, area)} == {second, late}
        assert selection.reach(db, area)["total"] == 2
        db.execute(update(Participant).where(Participant.id == first).values(active=True))
        moved = db.scalar(select(Address).where(Address.participant_id == late))
        moved.lat += 0.05  # moved away: out of the area, still alertable
    with runtime.transaction() as db:
        assert {r.participant_id for r in selection.recipients(db, area)} == {first, second}
        assert selection.reach(db, area)["total"] == 2


def test_imported_participants_are_selected_and_an_opt_out_is_not(client, staff_auth, runtime):
    """The import writes in bulk (COPY and an upsert on PostgreSQL): the database's own triggers
    still mark who may be alerted."""
    csv = "phone,lat,lon,channel\n" + "".join(
        f"06123450{i:02d},{lat},{lon},sms\n"
        for i, (lon, lat) in enumerate(destination(*CENTRE, b, 200) for b in range(0, 360, 30)))
    response = client.post("/api/participants/import", data=csv,
                           headers={**staff_auth, "Content-Type": "text/csv"})
    assert response.status_code == 200, response.json
    area = areas.parse(factories.circle(500))
    with runtime.transaction() as db:
        assert selection.reach(db, area) == {"voice": 0, "sms": 12, "whatsapp": 0, "total": 12}
        db.execute(update(Participant).where(Participant.phone == "+31612345000").values(active=False))
    with runtime.sessions() as db:
        assert selection.reach(db, area)["total"] == 11


MONDAY_10 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Amsterdam (winter time)
SUNDAY_10 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
OFFICE_HOURS = [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "18:00"}]


def test_an_address_counts_only_while_one_of_its_windows_is_open(runtime, client, auth):
    with runtime.transaction() as db:
        always = add(db, [CENTRE])[0]
        office = factories.participant(db, "+31611110001", channel="sms")
        office.addresses[0].windows = OFFICE_HOURS
        both = factories.participant(db, "+31611110002", channel="voice")  # office voice, home SMS
        both.addresses[0].windows = OFFICE_HOURS
        both.addresses.append(Address(label="home", lat=CENTRE[1] + 0.001, lon=CENTRE[0], channel="sms"))
        db.flush()
        office_id, both_id = office.id, both.id
    area = areas.parse(factories.circle(500))
    with runtime.sessions() as db:
        monday = {r.participant_id: r.channel for r in selection.recipients(db, area, MONDAY_10)}
        sunday = {r.participant_id: r.channel for r in selection.recipients(db, area, SUNDAY_10)}
        assert monday == {always: "voice", office_id: "sms", both_id: "voice"}
        assert sunday == {always: "voice", both_id: "sms"}  # the office is shut: home, by SMS
        assert selection.reach(db, area, now=SUNDAY_10) == {"voice": 1, "sms": 1, "whatsapp": 0, "total": 2}
    action = client.post("/api/actions", headers=auth, json={
        "incident_type": "burglary", "description": "x", "area": factories.circle(500)}).json
    with runtime.transaction() as db:
        assert selection.insert_alerts(db, action["id"], area, "w-", 10, SUNDAY_10) == 2
        assert selection.insert_alerts(db, action["id"], area, "w-", 10, MONDAY_10) == 1  # the office


def test_an_area_of_postcodes_selects_by_postcode(runtime, client, auth):
    with runtime.transaction() as db:
        people = {}
        for phone, postcode in [("+31611120001", "2711AB"), ("+31611120002", "2711ZZ"),
                                ("+31611120003", "2712AA"), ("+31611120004", "2713BC"),
                                ("+31611120005", None)]:  # coordinates only: in no postcode area
            p = factories.participant(db, phone, channel="sms")
            p.addresses[0].postcode = postcode
            people[postcode] = p.id
        db.flush()
    response = client.post("/api/actions", headers=auth, json={
        "incident_type": "burglary", "description": "x",
        "area": {"type": "Postcodes", "postcodes": ["2711", "2712 aa", "2711AB"]}})
    assert response.status_code == 201, response.json
    assert response.json["preview"]["total"] == 3
    area = areas.parse({"type": "Postcodes", "postcodes": ["2711", "2712aa"]})
    with runtime.transaction() as db:
        assert {r.participant_id for r in selection.recipients(db, area)} == {
            people["2711AB"], people["2711ZZ"], people["2712AA"]}
        assert selection.insert_alerts(db, response.json["id"], areas.load(area.geojson), "pc-", 10,
                                       utcnow()) == 3


@pytest.mark.parametrize("postcodes, words", [
    ([], "list of 1 to"), (["27111"], "postcodes[0]"), ([2711], "postcodes[0]"),
    (["2711AB", "0711AB"], "postcodes[1]"), (["2711SS"], "postcodes[0]")])
def test_a_bad_postcode_area_is_422_naming_the_entry(client, auth, postcodes, words):
    response = client.post("/api/actions", headers=auth, json={
        "incident_type": "burglary", "description": "x",
        "area": {"type": "Postcodes", "postcodes": postcodes}})
    assert response.status_code == 422
    assert response.json["error"]["field"] == "area" and words in response.json["error"]["message"]
