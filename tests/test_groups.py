"""Neighbourhood groups through the API: every rule and bad field, roles, approval, overlaps,
the public registration (rate-limited) and the public GeoJSON (personal data only with consent)."""

from __future__ import annotations

import copy
import json
import logging

import pytest
from sqlalchemy import func, select

from gateway.models import AuditEvent, Group, GroupAdministrator

# A block of Zoetermeer around the Stadhuisplein, and one just east that shares its edge.
CENTRE = [[[4.488, 52.055], [4.498, 52.055], [4.498, 52.061], [4.488, 52.061], [4.488, 52.055]]]
EAST = [[[4.498, 52.055], [4.508, 52.055], [4.508, 52.061], [4.498, 52.061], [4.498, 52.055]]]
INSIDE_CENTRE = [[[4.490, 52.056], [4.495, 52.056], [4.495, 52.060], [4.490, 52.060],
                  [4.490, 52.056]]]


def group_body(**changes) -> dict:
    body = {
        "name": "Buurtpreventie Stadshart", "municipality": "Zoetermeer",
        "area": {"type": "Polygon", "coordinates": CENTRE},
        "streets": ["Stadhuisplein", "Markt"], "member_count": 32,
        "members_adult": True, "one_per_household": True,
        "administrator": {"name": "Anna de Vries", "email": "anna@example.nl",
                          "phone": "06 12345678", "publish_contact": False},
    }
    body.update(copy.deepcopy(changes))
    return body


def create(client, staff_auth, **changes) -> dict:
    response = client.post("/api/groups", headers=staff_auth, json=group_body(**changes))
    assert response.status_code == 201, response.json
    return response.json


def active(client, staff_auth, **changes) -> dict:
    group = create(client, staff_auth, **changes)
    response = client.post(f"/api/groups/{group['id']}/approve", headers=staff_auth)
    assert response.status_code == 200, response.json
    return response.json


def count(runtime, model=Group) -> int:
    with runtime.sessions() as db:
        return db.scalar(select(func.count()).select_from(model))


def test_staff_register_a_group_with_its_one_administrator(client, staff_auth, runtime):
    group = create(client, staff_auth)
    assert group["status"] == "requested" and group["approved_at"] is None
    assert group["administrator"] == {"name": "Anna de Vries", "email": "anna@example.nl",
                                      "phone": "+31612345678", "publish_contact": False,
                                      "heterdaadkracht": "off"}
    assert group["warnings"] == [] and group["overlaps"] == []
    assert group["area"]["type"] == "Polygon" and group["streets"] == ["Stadhuisplein", "Markt"]
    fetched = client.get(f"/api/groups/{group['id']}", headers=staff_auth).json
    assert fetched["administrator"]["phone"] == "+31612345678"
    with runtime.sessions() as db:
        assert db.scalar(select(AuditEvent.event)) == "group.created"


def test_a_group_by_postcodes_alone(client, staff_auth):
    group = create(client, staff_auth, area=None, postcodes=["2711 ab", "2712", "2711AB"])
    assert group["postcodes"] == ["2711AB", "2712"] and group["area"] is None


@pytest.mark.parametrize("changes, field, message", [
    ({"name": " "}, "name", "is required"),
    ({"name": "x" * 121}, "name", "at most 120"),
    ({"municipality": None}, "municipality", "is required"),
    ({"area": None}, "area", "or a list of postcodes"),
    ({"area": {"type": "Circle", "center": [4.49, 52.06], "radius_m": 300}}, "area",
     "Polygon or MultiPolygon"),
    ({"area": {"type": "Polygon", "coordinates": [[[52.05, 4.48], [52.06, 4.48], [52.06, 4.49],
                                                   [52.05, 4.48]]]}}, "area", "swapped"),
    ({"area": {"type": "Polygon", "coordinates": [[[4.3, 52.0], [4.5, 52.0], [4.5, 52.1],
                                                   [4.3, 52.1], [4.3, 52.0]]]}}, "area",
     "at most 25 km²"),
    ({"area": None, "postcodes": "2711"}, "postcodes", "must be a list"),
    ({"area": None, "postcodes": ["2711", "12345"]}, "postcodes[1]", "Dutch postcode"),
    ({"streets": ["Markt", 7]}, "streets[1]", "must be a string"),
    ({"member_count": 0}, "member_count", "1 to 1024"),
    ({"member_count": "40"}, "member_count", "an integer"),
    ({"member_count": None}, "member_count", "is required"),
    ({"members_adult": False}, "members_adult", "18 or older"),
    ({"members_adult": None}, "members_adult", "is required"),
    ({"one_per_household": False}, "one_per_household", "one member per household"),
    ({"one_per_household": "yes"}, "one_per_household", "true or false"),
    ({"administrator": None}, "administrator", "exactly one administrator"),
    ({"administrator": [{"name": "A"}, {"name": "B"}]}, "administrator", "exactly one"),
    ({"administrator": {"name": "Anna", "email": "anna@example.nl", "phone": "079 1234567"}},
     "administrator.phone", "not a mobile number"),
    ({"administrator": {"name": "Anna", "email": "anna.example.nl", "phone": "0612345678"}},
     "administrator.email", "e-mail address"),
    ({"administrator": {"email": "anna@example.nl", "phone": "0612345678"}},
     "administrator.name", "is required"),
    ({"administrator": {"name": "Anna", "email": "anna@example.nl", "phone": "0612345678",
                        "publish_contact": "ja"}}, "administrator.publish_contact",
     "true or false"),
    ({"name": "Buurt\x00"}, "name", "control character"),
])
def test_bad_input_is_a_422_naming_the_field_and_writes_nothing(client, staff_auth, runtime,
                                                                 changes, field, message):
    response = client.post("/api/groups", headers=staff_auth, json=group_body(**changes))
    assert response.status_code == 422, response.json
    assert response.json["error"]["field"] == field
    assert message in response.json["error"]["message"]
    assert count(runtime) == 0 and count(runtime, GroupAdministrator) == 0


def test_a_group_much_larger_than_40_is_accepted_with_a_warning(client, staff_auth):
    assert create(client, staff_auth, member_count=50)["warnings"] == []
    warned = create(client, staff_auth, member_count=120)["warnings"]
    assert [w["field"] for w in warned] == ["member_count"] and "40" in warned[0]["message"]


def test_overlapping_active_groups_are_listed_not_refused(client, staff_auth):
    first = active(client, staff_auth)
    create(client, staff_auth, name="Nog niet actief")  # requested groups are not listed
    inner = create(client, staff_auth, name="Binnen", area={"type": "Polygon",
                                                             "coordinates": INSIDE_CENTRE})
    assert inner["overlaps"] == [{"id": first["id"], "name": "Buurtpreventie Stadshart"}]
    neighbour = create(client, staff_auth, name="Oost", area={"type": "Polygon",
                                                               "coordinates": EAST})
    assert neighbour["overlaps"] == []  # sharing an edge is not overlapping
    by_code = active(client, staff_auth, name="Postcode", area=None, postcodes=["2711"])
    pc6 = create(client, staff_auth, name="PC6", area=None, postcodes=["2711AB"])
    assert pc6["overlaps"] == [{"id": by_code["id"], "name": "Postcode"}]
    assert client.get(f"/api/groups/{inner['id']}", headers=staff_auth).json["overlaps"] == [
        {"id": first["id"], "name": "Buurtpreventie Stadshart"}]


def test_roles(client, auth, staff_auth):
    group = create(client, staff_auth)
    assert client.get("/api/groups", headers=auth).status_code == 200  # operators may read
    assert client.get(f"/api/groups/{group['id']}", headers=auth).status_code == 200
    assert client.post("/api/groups", headers=auth, json=group_body()).status_code == 403
    assert client.patch(f"/api/groups/{group['id']}", headers=auth,
                        json={"name": "X"}).status_code == 403
    assert client.post(f"/api/groups/{group['id']}/approve", headers=auth).status_code == 403
    assert client.get("/api/groups").status_code == 401
    assert client.get("/api/groups/99999", headers=staff_auth).status_code == 404


def test_approve_then_deactivate_then_approve_again(client, staff_auth, runtime):
    group = create(client, staff_auth)
    approved = client.post(f"/api/groups/{group['id']}/approve", headers=staff_auth).json
    assert approved["status"] == "active" and approved["approved_at"]
    again = client.post(f"/api/groups/{group['id']}/approve", headers=staff_auth)
    assert again.status_code == 409
    stopped = client.patch(f"/api/groups/{group['id']}", headers=staff_auth,
                           json={"status": "inactive"})
    assert stopped.status_code == 200 and stopped.json["status"] == "inactive"
    bad = client.patch(f"/api/groups/{group['id']}", headers=staff_auth, json={"status": "active"})
    assert bad.status_code == 422 and bad.json["error"]["field"] == "status"
    assert client.post(f"/api/groups/{group['id']}/approve",
                       headers=staff_auth).json["status"] == "active"
    listed = client.get("/api/groups?status=active", headers=staff_auth).json["groups"]
    assert [g["id"] for g in listed] == [group["id"]]
    assert listed[0]["area"] == {"type": "Polygon", "bbox": [4.488, 52.055, 4.498, 52.061],
                                 "vertices": 5}  # lists summarise the geometry
    assert client.get("/api/groups?status=x", headers=staff_auth).status_code == 422


def test_patch_is_held_to_the_same_rules_and_writes_nothing_when_refused(client, staff_auth):
    group = create(client, staff_auth)
    url = f"/api/groups/{group['id']}"
    changed = client.patch(url, headers=staff_auth, json={
        "member_count": 60, "administrator": {"email": "anna@buurt.nl", "publish_contact": True}})
    assert changed.status_code == 200, changed.json
    assert changed.json["member_count"] == 60 and changed.json["warnings"]
    assert changed.json["administrator"]["email"] == "anna@buurt.nl"
    assert changed.json["administrator"]["name"] == "Anna de Vries"  # kept
    refused = client.patch(url, headers=staff_auth, json={
        "name": "Nieuw", "administrator": {"phone": "12"}})
    assert refused.status_code == 422 and refused.json["error"]["field"] == "administrator.phone"
    assert client.get(url, headers=staff_auth).json["name"] == "Buurtpreventie Stadshart"
    assert client.patch(url, headers=staff_auth, json={"colour": "red"}).json["error"][
        "field"] == "colour"
    assert client.patch(url, headers=staff_auth, json=[1]).status_code == 400


def test_heterdaadkracht_opt_in_waits_for_the_administrator(client, staff_auth):
    group = create(client, staff_auth)
    url = f"/api/groups/{group['id']}"
    opted = client.patch(url, headers=staff_auth, json={"heterdaadkracht": True}).json
    assert opted["administrator"]["heterdaadkracht"] == "pending"
    moved = client.patch(url, headers=staff_auth,
                         json={"administrator": {"phone": "0687654321"}}).json
    assert moved["administrator"]["heterdaadkracht"] == "off"  # a new number must opt in again
    client.patch(url, headers=staff_auth, json={"heterdaadkracht": True})
    off = client.patch(url, headers=staff_auth, json={"heterdaadkracht": False}).json
    assert off["administrator"]["heterdaadkracht"] == "off"
    assert client.patch(url, headers=staff_auth, json={"heterdaadkracht": "ja"}).status_code == 422


def test_public_registration_is_requested_and_rate_limited(client, runtime, caplog):
    caplog.set_level(logging.INFO)
    response = client.post("/api/public/groups", json=group_body(member_count=80))
    assert response.status_code == 201, response.json
    assert response.json["status"] == "requested" and response.json["warnings"]
    assert "administrator" not in response.json  # the answer does not repeat personal data
    assert "612345678" not in caplog.text and "anna@" not in caplog.text
    bad = client.post("/api/public/groups", json=group_body(one_per_household=False))
    assert bad.status_code == 422 and bad.json["error"]["field"] == "one_per_household"
    limit = runtime.config.group_requests_per_address_hour
    for _ in range(limit - 1):
        assert client.post("/api/public/groups", json=group_body()).status_code == 201
    over = client.post("/api/public/groups", json=group_body())
    assert over.status_code == 429
    assert count(runtime) == limit
    # Another address is not held back by this one.
    other = client.post("/api/public/groups", json=group_body(),
                        environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 201


def test_public_geojson_has_active_groups_and_contact_only_with_consent(client, staff_auth):
    quiet = active(client, staff_auth)
    consenting = active(client, staff_auth, name="Open", administrator={
        "name": "Bram", "email": "bram@example.nl", "phone": "0611111111",
        "publish_contact": True})
    create(client, staff_auth, name="Aangevraagd")
    response = client.get("/api/public/groups.geojson")
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    collection = response.json
    assert collection["type"] == "FeatureCollection"
    assert [f["id"] for f in collection["features"]] == [quiet["id"], consenting["id"]]
    first, second = collection["features"]
    assert first["geometry"]["type"] == "Polygon" and first["properties"]["join"] is None
    assert first["properties"]["streets"] == ["Stadhuisplein", "Markt"]
    assert second["properties"]["join"] == {"name": "Bram", "email": "bram@example.nl"}
    text = json.dumps(collection)
    for secret in ("Anna", "anna@example.nl", "+316", "0611111111"):
        assert secret not in text


def test_a_postcode_group_is_marked_at_the_centre_of_its_postcodes(client, staff_auth):
    by_code = active(client, staff_auth, name="Postcode 2711", area=None, postcodes=["2711"])
    unknown = active(client, staff_auth, name="Onbekend", area=None, postcodes=["9999"])
    drawn = active(client, staff_auth, name="Getekend")
    features = {f["id"]: f for f in client.get("/api/public/groups.geojson").json["features"]}
    lon, lat = features[by_code["id"]]["properties"]["marker"]
    assert features[by_code["id"]]["geometry"] is None
    assert 4.48 < lon < 4.51 and 52.05 < lat < 52.07  # the bundled table's 2711: the centre
    assert features[unknown["id"]]["properties"]["marker"] is None
    assert features[drawn["id"]]["properties"]["marker"] is None
