"""The served OpenAPI document is valid and every response the API gives conforms to it."""

from __future__ import annotations

import json

import pytest
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIResponse
from openapi_core.datatypes import RequestParameters
from openapi_spec_validator import validate
from werkzeug.datastructures import Headers, ImmutableMultiDict

from tests import factories


@pytest.fixture
def spec(client):
    document = client.get("/api/openapi.json").json
    validate(document)  # a valid OpenAPI 3.0 document
    # GeoJSON is JSON under its own media type (the public coverage map's feed).
    config = Config(extra_media_type_deserializers={"application/geo+json": json.loads})
    return OpenAPI.from_dict(document, config=config)


class SentRequest:
    """The request side, for finding the operation (the test client consumed its body)."""

    def __init__(self, request):
        self.host_url = request.host_url.rstrip("/")
        self.path = request.path
        self.method = request.method.lower()
        self.parameters = RequestParameters(query=ImmutableMultiDict(request.args),
                                            header=Headers(request.headers))
        self.body = b""
        self.content_type = "application/json"


def conforms(spec, response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    spec.validate_response(SentRequest(response.request), WerkzeugOpenAPIResponse(response))
    return response.json


def test_responses_conform(spec, client, auth, staff_auth, runtime):
    with runtime.transaction() as db:
        factories.participant(db, "+31600000001")
    participant = conforms(spec, client.post("/api/participants", headers=staff_auth, json={
        "phone": "0612345678", "birth_year": 1980, "addresses": [
            {"label": "work", "lat": 52.06, "lon": 4.49, "channel": "sms"}]}), 201)
    conforms(spec, client.get(f"/api/participants/{participant['id']}", headers=staff_auth), 200)
    conforms(spec, client.post("/api/participants", headers=staff_auth, json={"phone": "1"}), 422)
    conforms(spec, client.get("/api/participants/99", headers=staff_auth), 404)
    conforms(spec, client.get("/api/participants/99", headers=auth), 403)  # an operator
    action = conforms(spec, client.post("/api/actions", headers=auth, json={
        "incident_type": "robbery", "description": "Twee mannen", "area": factories.circle()}), 201)
    conforms(spec, client.get(f"/api/actions/{action['id']}", headers=auth), 200)
    conforms(spec, client.post(f"/api/actions/{action['id']}/start", headers=auth), 202)
    conforms(spec, client.post(f"/api/actions/{action['id']}/start", headers=auth), 409)
    conforms(spec, client.get(f"/api/actions/{action['id']}/tips", headers=auth), 200)
    conforms(spec, client.post(f"/api/actions/{action['id']}/widen", headers=auth,
                               json={"area": factories.circle(3000)}), 202)
    conforms(spec, client.post(f"/api/actions/{action['id']}/widen", headers=auth,
                               json={"area": {"type": "Circle"}}), 422)
    conforms(spec, client.post(f"/api/actions/{action['id']}/update", headers=auth,
                               json={"text": "Gezien bij het station"}), 202)
    conforms(spec, client.get(f"/api/actions/{action['id']}", headers=auth), 200)
    conforms(spec, client.post(f"/api/actions/{action['id']}/close", headers=auth,
                               json={"outcome": "Aangehouden"}), 202)
    conforms(spec, client.post(f"/api/actions/{action['id']}/update", headers=auth,
                               json={"text": "Te laat"}), 409)
    conforms(spec, client.get("/api/tips?unlinked=true", headers=auth), 200)
    draft = conforms(spec, client.post("/api/actions", headers=auth, json={
        "incident_type": "other", "description": "Groene bus", "area": factories.circle()}), 201)
    conforms(spec, client.delete(f"/api/actions/{draft['id']}", headers=auth), 200)
    conforms(spec, client.post("/api/actions", headers=auth, json={
        "incident_type": "missing_person", "description": "Meisje, 6 jaar",
        "area": factories.circle()}), 422)
    conforms(spec, client.get("/api/actions", headers=auth), 200)
    conforms(spec, client.get("/api/actions"), 401)


def test_group_responses_conform(spec, client, auth, staff_auth):
    from tests.test_groups import group_body

    group = conforms(spec, client.post("/api/groups", headers=staff_auth,
                                       json=group_body(member_count=90)), 201)
    conforms(spec, client.post("/api/groups", headers=staff_auth,
                               json=group_body(members_adult=False)), 422)
    conforms(spec, client.post("/api/groups", headers=auth, json=group_body()), 403)
    conforms(spec, client.post(f"/api/groups/{group['id']}/approve", headers=staff_auth), 200)
    conforms(spec, client.post(f"/api/groups/{group['id']}/approve", headers=staff_auth), 409)
    conforms(spec, client.patch(f"/api/groups/{group['id']}", headers=staff_auth,
                                json={"heterdaadkracht": True, "streets": []}), 200)
    conforms(spec, client.get(f"/api/groups/{group['id']}", headers=auth), 200)
    conforms(spec, client.get("/api/groups/77", headers=auth), 404)
    conforms(spec, client.get("/api/groups", headers=auth), 200)
    conforms(spec, client.post("/api/public/groups", json=group_body(area=None,
                                                                     postcodes=["2711"])), 201)
    conforms(spec, client.get("/api/groups", headers=auth), 200)
    conforms(spec, client.get("/api/public/groups.geojson"), 200)
    order = {"signs": 1, "address": "Markt 1, Zoetermeer", "postcode": "2711AB"}
    supply = conforms(spec, client.post(f"/api/groups/{group['id']}/supplies",
                                        headers=staff_auth, json=order), 201)
    conforms(spec, client.post(f"/api/groups/{group['id']}/supplies", headers=staff_auth,
                               json={**order, "postcode": "1"}), 422)
    conforms(spec, client.post(f"/api/supplies/{supply['id']}/approve", headers=staff_auth), 200)
    conforms(spec, client.post(f"/api/supplies/{supply['id']}/approve", headers=staff_auth), 409)
    conforms(spec, client.post(f"/api/supplies/{supply['id']}/deliver", headers=staff_auth), 200)
    conforms(spec, client.get("/api/supplies?status=delivered", headers=auth), 200)
    conforms(spec, client.get(f"/api/groups/{group['id']}/supplies", headers=auth), 200)
    conforms(spec, client.delete(f"/api/groups/{group['id']}", headers=staff_auth), 200)
    conforms(spec, client.delete(f"/api/groups/{group['id']}", headers=staff_auth), 404)
