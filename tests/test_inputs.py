"""Hostile inputs, each injected on purpose: every one is a clear 4xx naming the problem, never a
500 and never a half-written record."""

from __future__ import annotations

import json
import math
import time
from contextlib import contextmanager
from xml.etree import ElementTree

import pytest
from sqlalchemy import event, func, select

from callflows import voice as flow
from gateway import areas
from gateway.models import Action, ActionUpdate, AuditEvent, Participant
from tests import factories
from tests.helpers import signed_post

JSON = {"Content-Type": "application/json"}


def post_json(client, path, body, headers):
    """json.dumps escapes a lone surrogate as \\ud800, exactly as a client would send it."""
    raw = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(path, data=raw, headers={**headers, **JSON})


def draft(client, auth, area=None, description="Man, rode jas, op fiets"):
    response = client.post("/api/actions", headers=auth, json={
        "incident_type": "burglary", "description": description,
        "area": area or factories.circle()})
    assert response.status_code == 201, response.json
    return response.json


def rows(runtime) -> dict:
    with runtime.sessions() as db:
        return {model.__name__: db.scalar(select(func.count()).select_from(model))
                for model in (Action, ActionUpdate, AuditEvent, Participant)}


@contextmanager
def statements(runtime):
    """Counts the SQL statements run inside the block."""
    sent = []

    def count(*_):
        sent.append(1)
    event.listen(runtime.engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(runtime.engine, "before_cursor_execute", count)


def refused(response, status, field, *words):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.json["error"]["field"] == field
    for word in words:
        assert word in response.json["error"]["message"]


# 1. Ids beyond a 32-bit integer: PostgreSQL refused to compare them (a 500).

@pytest.mark.parametrize("method, path", [
    ("get", "/api/actions/99999999999"),
    ("get", "/api/actions/2147483648/tips"),
    ("post", "/api/actions/2147483648/start"),
    ("post", "/api/actions/99999999999/close"),
    ("get", "/api/participants/2147483648"),
])
def test_ids_beyond_32_bits_are_404_without_a_query(client, auth, runtime, method, path):
    with statements(runtime) as sent:
        response = getattr(client, method)(path, headers=auth, json={"outcome": "x"})
    assert response.status_code == 404 and response.json["error"]["message"]
    assert sent == []


def test_the_largest_id_still_reaches_the_database(client, auth):
    refused(client.get("/api/actions/2147483647", headers=auth), 404, "action_id", "no such action")


@pytest.mark.parametrize("path", [
    "/twilio/status/voice/99999999999/1",
    "/twilio/status/sms/1/2147483648",
    "/twilio/voice/message/2147483648",
    "/twilio/voice/amd/1/99999999999",
])
def test_webhook_ids_beyond_32_bits_touch_nothing(client, config, runtime, path):
    with statements(runtime) as sent:
        response = signed_post(client, config, path, {"CallStatus": "completed", "CallSid": "CA1"})
    assert response.status_code in (204, 404)
    assert sent == []


# 2. A /start body that is JSON but not an object.

@pytest.mark.parametrize("body", ["[1, 2]", "null", '"confirm"', "5", "{"])
def test_start_body_that_is_not_an_object_is_400(client, auth, body):
    action = draft(client, auth)
    response = post_json(client, f"/api/actions/{action['id']}/start", body, auth)
    refused(response, 400, None, "JSON object")
    assert client.get(f"/api/actions/{action['id']}", headers=auth).json["status"] == "draft"


def test_start_confirm_must_be_a_boolean(client, auth):
    action = draft(client, auth)
    response = post_json(client, f"/api/actions/{action['id']}/start", {"confirm": "yes"}, auth)
    refused(response, 422, "confirm", "true or false")
    assert client.get(f"/api/actions/{action['id']}", headers=auth).json["status"] == "draft"


# 3. NUL, lone surrogates and control characters.

PARTICIPANT = {"phone": "06 12345678",
               "addresses": [{"label": "home", "lat": 52.0575, "lon": 4.4931, "channel": "sms"}]}


def _action_body(bad):
    return {"incident_type": "burglary", "description": f"Man{bad} rode jas",
            "area": factories.circle()}


@pytest.mark.parametrize("target, bad, code", [
    *[(target, bad, code) for bad, code in (("\x00", "U+0000"), ("\ud800", "U+D800"))
      for target in ("description", "area", "text", "outcome", "phone", "addresses[0].label")],
    ("description", "\x07", "U+0007"), ("description", "\x1b", "U+001B"),
    ("description", "\x85", "U+0085"),
])
def test_bad_characters_are_422_naming_the_field(client, auth, staff_auth, runtime, bad, code,
                                                 target):
    action = draft(client, auth)
    client.post(f"/api/actions/{action['id']}/start", headers=auth)
    before = rows(runtime)
    if target == "description":
        response = post_json(client, "/api/actions", _action_body(bad), auth)
    elif target == "area":
        area = {**factories.circle(), "type": f"Circle{bad}"}
        response = post_json(client, "/api/actions", {**_action_body(""), "area": area}, auth)
    elif target in ("text", "outcome"):
        verb = "update" if target == "text" else "close"
        response = post_json(client, f"/api/actions/{action['id']}/{verb}",
                             {target: f"Gezien{bad} bij het station"}, auth)
    elif target == "phone":
        response = post_json(client, "/api/participants", {**PARTICIPANT, "phone": f"06{bad}12345678"},
                             staff_auth)
    else:
        addresses = [{**PARTICIPANT["addresses"][0], "label": f"home{bad}"}]
        response = post_json(client, "/api/participants", {**PARTICIPANT, "addresses": addresses},
                             staff_auth)
    refused(response, 422, target, *([] if target == "area" else [code]))
    assert rows(runtime) == before
    assert client.get(f"/api/actions/{action['id']}", headers=auth).json["status"] == "active"


def test_tab_and_newline_are_kept_and_make_valid_twiml(client, auth):
    action = draft(client, auth, description="Man, rode jas,\nop fiets\trichting station")
    assert action["description"] == "Man, rode jas,\nop fiets\trichting station"
    spoken = str(flow.alert("burglary", action["description"], "nul acht", "nl", "Polly.Lotte",
                            "http://gateway.test/keys"))
    ElementTree.fromstring(spoken)
    # Why control characters are refused: the TwiML that speaks them is not XML.
    with pytest.raises(ElementTree.ParseError):
        ElementTree.fromstring(str(flow.alert("burglary", "Man\x07", "nul acht", "nl",
                                              "Polly.Lotte", "http://gateway.test/keys")))


# 4. JSON nested 10,000 deep: the parser's recursion overflowed (a 500).

DEEP = ["[" * 10_000 + "]" * 10_000, '{"a": ' * 10_000 + "1" + "}" * 10_000,
        '{"area": ' + "[" * 10_000 + "]" * 10_000 + "}"]


@pytest.mark.parametrize("path", ["/api/actions", "/api/participants", "/api/actions/1/start",
                                  "/api/actions/1/widen", "/api/actions/1/update",
                                  "/api/actions/1/close"])
def test_deeply_nested_json_is_400_on_every_json_route(client, auth, staff_auth, runtime, path):
    headers = staff_auth if path == "/api/participants" else auth
    for body in DEEP:
        refused(post_json(client, path, body, headers), 400, None, "nested too deeply")
    assert rows(runtime) == {"Action": 0, "ActionUpdate": 0, "AuditEvent": 0, "Participant": 0}


# 5. Huge areas.

def ring(n: int, center=factories.ZOETERMEER, radius=0.01) -> list:
    """A valid ring of n positions, the last repeating the first."""
    points = [[center[0] + radius * math.cos(2 * math.pi * i / (n - 1)),
               center[1] + radius * math.sin(2 * math.pi * i / (n - 1))] for i in range(n - 1)]
    return [*points, points[0]]


def test_vertices_are_counted_before_shapely_builds_anything(monkeypatch):
    def no_geometry(*_):
        raise AssertionError("shapely was asked to build a geometry")
    monkeypatch.setattr(areas, "shape", no_geometry)
    million = {"type": "Polygon", "coordinates": [[[4.49, 52.05]] * 1_000_000]}
    started = time.perf_counter()
    with pytest.raises(areas.InvalidArea, match="at most 2000 vertices"):
        areas.parse(million)
    assert time.perf_counter() - started < 0.5  # it took 14 s to accept one
    squares = {"type": "MultiPolygon", "coordinates": [[ring(5)]] * 401}  # 2005 in all
    with pytest.raises(areas.InvalidArea, match="at most 2000 vertices"):
        areas.parse(squares)


def test_vertex_limit_over_http(client, auth, runtime):
    assert draft(client, auth, {"type": "Polygon", "coordinates": [ring(areas.MAX_VERTICES)]})
    response = post_json(client, "/api/actions", {
        **_action_body(""), "area": {"type": "Polygon", "coordinates": [ring(areas.MAX_VERTICES + 1)]}},
        auth)
    refused(response, 422, "area", "at most 2000 vertices")
    million = {**_action_body(""), "area": {"type": "Polygon",
                                            "coordinates": [[[4.49, 52.05]] * 1_000_000]}}
    started = time.perf_counter()
    response = post_json(client, "/api/actions", million, auth)
    assert response.status_code in (413, 422) and response.json["error"]["message"]
    assert time.perf_counter() - started < 5  # refused unread; a loaded CI machine is slow too
    assert rows(runtime)["Action"] == 1


@pytest.mark.parametrize("area, words", [
    ({"type": "Polygon", "coordinates": [[[4.0, 51.0], [6.5, 51.0], [6.5, 53.0], [4.0, 53.0],
                                          [4.0, 51.0]]]}, ["km²", "100 km"]),
    ({"type": "Polygon", "coordinates": [[["a", 52], [4.5, 52], [4.5, 52.1], [4.4, 52]]]},
     ["[longitude, latitude]"]),
    ({"type": "Polygon", "coordinates": [[[4.4, 52], [4.5, 52], [4.4, 52]]]}, ["at least 4"]),
    ({"type": "MultiPolygon", "coordinates": "x"}, ["list of polygons"]),
    ({"type": "Circle", "center": [10**400, 52.0], "radius_m": 100}, ["center"]),
    ({"type": "Circle", "center": [4.49, 52.0], "radius_m": 1e999}, ["radius_m"]),
    ({"type": "Circle", "center": [4.49, 52.0], "radius_m": 0}, ["radius_m", "above 0"]),
])
def test_bad_areas_are_422(client, auth, runtime, area, words):
    response = post_json(client, "/api/actions", {**_action_body(""), "area": area}, auth)
    refused(response, 422, "area", *words)
    assert rows(runtime)["Action"] == 0


def test_lists_show_areas_compactly(client, auth):
    square = {"type": "Polygon", "coordinates": [[[4.40, 52.0], [4.50, 52.0], [4.50, 52.1],
                                                  [4.40, 52.1], [4.40, 52.0]]]}
    polygon = draft(client, auth, square)
    circle = draft(client, auth)
    listed = {a["id"]: a for a in client.get("/api/actions", headers=auth).json["actions"]}
    summary = {"type": "Polygon", "bbox": [4.40, 52.0, 4.50, 52.1], "vertices": 5}
    assert listed[polygon["id"]]["area"] == summary
    assert listed[polygon["id"]]["areas"] == [summary]
    assert listed[circle["id"]]["area"] == factories.circle()
    assert client.get(f"/api/actions/{polygon['id']}", headers=auth).json["area"] == square


# 6. Outside the service area, often longitude and latitude swapped.

SWAPPED = [factories.ZOETERMEER[1], factories.ZOETERMEER[0]]


@pytest.mark.parametrize("area, swapped", [
    ({"type": "Circle", "center": SWAPPED, "radius_m": 800}, True),
    ({"type": "Circle", "center": [-74.006, 40.7128], "radius_m": 800}, False),  # New York
    ({"type": "Polygon", "coordinates": [[[52.0, 4.4], [52.0, 4.5], [52.1, 4.5], [52.0, 4.4]]]}, True),
    ({"type": "Polygon", "coordinates": [[[2.3, 48.8], [2.4, 48.8], [2.4, 48.9], [2.3, 48.8]]]}, False),
])
def test_areas_outside_the_service_area_are_422_with_a_hint(client, auth, runtime, area, swapped):
    response = post_json(client, "/api/actions", {**_action_body(""), "area": area}, auth)
    refused(response, 422, "area", "outside the service area", "the Netherlands")
    assert ("swapped?" in response.json["error"]["message"]) is swapped
    assert rows(runtime)["Action"] == 0


def test_areas_stored_before_the_limits_still_load():
    """The worker loads an action's stored area without today's operator-input limits: an
    action drafted before a limit was added must not fail at fan-out."""
    import math

    import numpy as np

    from gateway import areas
    new_york = areas.load({"type": "Circle", "center": [-74.0, 40.7], "radius_m": 1000.0})
    assert new_york.contains(np.array([-74.0]), np.array([40.7])).tolist() == [True]
    ring = [[4.49 + 0.01 * math.cos(i / 500 * math.tau), 52.05 + 0.01 * math.sin(i / 500 * math.tau)]
            for i in range(2500)]
    many = areas.load({"type": "Polygon", "coordinates": [ring + [ring[0]]]})
    assert many.contains(np.array([4.49]), np.array([52.05])).tolist() == [True]
