"""Schemathesis generates requests from the served OpenAPI document, valid and invalid, and checks
every answer with all its checks: no server error, every status and body as documented, invalid
data refused, valid data accepted. A bounded, derandomised run, on PostgreSQL: the database we
deploy on, and the stricter one (integer ranges, string lengths); the API code is the same on
both, and every other database test runs on both."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from gateway.api.openapi import DOCUMENT
from tests import factories

CONFIG = SchemathesisConfig.from_dict({
    # The test sends a real token with every request; a generated Authorization header would be
    # replaced by it, so a "missing token" case would reach the server with one. (The
    # `ignored_auth` check still sends requests without it.)
    "generation": {"with-security-parameters": False},
    "checks": {
        # Valid per the schema yet refused with 422 is right where the rule is one JSON Schema
        # cannot say: a real mobile number, polygon validity, the service area, the SMS budget,
        # consent for a missing person. Everything else must be accepted (or 404/409), or
        # refused by a rate limit (429: the examples text one number more often than allowed).
        "positive_data_acceptance": {"expected-statuses": ["2xx", "404", "409", "422", "429"]},
    },
})

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

# Loaded from the document itself, not from a running app, because every test here gets its own
# app; the first test checks that this is what the app serves.
schema = schemathesis.openapi.from_dict(json.loads(json.dumps(DOCUMENT)), config=CONFIG)


@pytest.fixture
def config(config):
    """Event streams end after their first event here: a case must not wait for the stream."""
    return replace(config, events_stream_seconds=0)


def test_the_document_tested_is_the_one_served(client):
    assert client.get("/api/openapi.json").json == schema.raw_schema


@pytest.fixture
def active_action(client, auth, runtime) -> int:
    with runtime.transaction() as db:
        factories.participant(db, "+31600000001")
    action = client.post("/api/actions", headers=auth, json={
        "incident_type": "burglary", "description": "Man, rode jas", "area": factories.circle()}).json
    assert client.post(f"/api/actions/{action['id']}/start", headers=auth).status_code == 202
    return action["id"]


@schema.parametrize()
# 30 examples an operation: 1,200 requests, a minute and a half at 50 (the suite's largest
# item after the end-to-end runs); derandomised, so every run checks the same cases.
@settings(max_examples=30, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_document(case, app, auth, staff_auth, active_action):
    # A generated id almost never exists: valid cases get a real, active action, so that what
    # follows the lookup (202, 409) is checked too. Invalid cases keep their generated id.
    if "action_id" in (case.path_parameters or {}) and case.meta.generation.mode.is_positive:
        case.path_parameters["action_id"] = active_action
    # This test's app, for the request and for the checks that send one again (e.g. without auth).
    case.operation.app = case.operation.schema.app = app
    # Participants and neighbourhood groups are kept by municipality staff, actions by operators.
    staff = case.path.startswith(("/api/participants", "/api/groups", "/api/supplies"))
    case.call_and_validate(headers=staff_auth if staff else auth)
