"""The simulator's real HTTP answers conform to Twilio's own OpenAPI description."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

from simulator import api
from tests.simulator.conftest import CALLER_ID

# A copy of ../shared/reference/twilio/, kept in the repository so any checkout can run this.
SPEC_PATH = Path(__file__).parent / "reference" / "twilio_api_v2010_calls_messages.json"


@pytest.fixture(scope="module")
def spec_dict() -> dict:
    return json.loads(SPEC_PATH.read_text())


@pytest.fixture
def openapi(spec_dict, sim) -> OpenAPI:
    spec = copy.deepcopy(spec_dict)
    # Twilio's paths, served from our address (servers are declared per path in the spec).
    spec["servers"] = [{"url": sim.base_url}]
    for item in spec["paths"].values():
        item["servers"] = [{"url": sim.base_url}]
    return OpenAPI.from_dict(spec)


def exchange(sim, openapi: OpenAPI, method: str, path: str, **kwargs) -> dict:
    """Send a real request, validate request and response against the spec, return the JSON."""
    url = f"{sim.base_url}/2010-04-01/Accounts/{sim.settings.account_sid}{path}"
    auth = (sim.settings.account_sid, sim.settings.auth_token)
    request = requests.Request(method, url, auth=auth, **kwargs)
    response = sim.http.send(request.prepare())
    assert response.status_code < 400, response.text
    openapi_request = RequestsOpenAPIRequest(request)
    openapi.validate_request(openapi_request)
    openapi.validate_response(openapi_request, RequestsOpenAPIResponse(response))
    return response.json()


def test_call_resources_conform(sim, gateway, openapi):
    twiml = '<Response><Say>Hallo</Say><Record action="/done"/></Response>'
    created = exchange(
        sim,
        openapi,
        "POST",
        "/Calls.json",
        data={
            "To": "+31612345671",
            "From": CALLER_ID,
            "Url": gateway.on("/conform", twiml),
            "StatusCallback": gateway.url("/status"),
            "StatusCallbackEvent": ["initiated", "completed"],
            "MachineDetection": "Enable",
            "Timeout": "30",
        },
    )
    sim.wait()
    sid = created["sid"]
    fetched = exchange(sim, openapi, "GET", f"/Calls/{sid}.json")
    assert fetched["status"] == "completed" and fetched["answered_by"] == "human"
    listed = exchange(sim, openapi, "GET", "/Calls.json", params={"To": "+31612345671"})
    assert [c["sid"] for c in listed["calls"]] == [sid]
    updated = exchange(sim, openapi, "POST", f"/Calls/{sid}.json", data={"Status": "completed"})
    assert updated["status"] == "completed"

    recordings = exchange(sim, openapi, "GET", "/Recordings.json", params={"CallSid": sid})
    assert len(recordings["recordings"]) == 1
    recording_sid = recordings["recordings"][0]["sid"]
    exchange(sim, openapi, "GET", f"/Recordings/{recording_sid}.json")
    by_call = exchange(sim, openapi, "GET", f"/Calls/{sid}/Recordings.json")
    assert by_call["recordings"][0]["sid"] == recording_sid


def test_message_resources_conform(sim, gateway, openapi):
    created = exchange(
        sim,
        openapi,
        "POST",
        "/Messages.json",
        data={
            "To": "+31612345671",
            "From": "Burgernet",
            "Body": "Burgernet: let op, vermist kind (8), blauwe jas.",
            "StatusCallback": gateway.url("/sms-status"),
        },
    )
    assert created["status"] == "queued" and created["num_segments"] == "1"
    sim.wait()
    fetched = exchange(sim, openapi, "GET", f"/Messages/{created['sid']}.json")
    assert fetched["status"] == "delivered" and fetched["date_sent"]
    listed = exchange(sim, openapi, "GET", "/Messages.json", params={"To": "+31612345671"})
    assert [m["sid"] for m in listed["messages"]] == [created["sid"]]


def test_async_amd_call_conforms(sim, gateway, openapi):
    created = exchange(
        sim,
        openapi,
        "POST",
        "/Calls.json",
        data={
            "To": "+31612345676",
            "From": CALLER_ID,
            "Twiml": "<Response><Pause length='10'/></Response>",
            "MachineDetection": "DetectMessageEnd",
            "MachineDetectionTimeout": "20",
            "AsyncAmd": "true",
            "AsyncAmdStatusCallback": gateway.url("/amd"),
            "AsyncAmdStatusCallbackMethod": "POST",
        },
    )
    sim.wait()
    fetched = exchange(sim, openapi, "GET", f"/Calls/{created['sid']}.json")
    assert fetched["answered_by"] == "machine_end_beep"


def test_whatsapp_template_message_conforms(sim, openapi):
    created = exchange(
        sim,
        openapi,
        "POST",
        "/Messages.json",
        data={
            "To": "whatsapp:+31612345671",
            "From": "whatsapp:+3197010000000",
            "ContentSid": "HX" + "a" * 32,
            "ContentVariables": '{"1": "Zoetermeer"}',
        },
    )
    assert created["num_segments"] == "1" and created["to"] == "whatsapp:+31612345671"
    sim.wait()
    listed = exchange(
        sim, openapi, "GET", "/Messages.json", params={"To": "whatsapp:+31612345671"}
    )
    assert [(m["sid"], m["status"]) for m in listed["messages"]] == [(created["sid"], "read")]


def test_paging_envelope_conforms(sim, openapi):
    for n in range(3):
        sim.api("POST", "/Messages.json", data={"To": f"+3161234567{n}", "From": "X", "Body": "b"})
    first = exchange(sim, openapi, "GET", "/Messages.json", params={"PageSize": 2})
    assert len(first["messages"]) == 2 and first["next_page_uri"]
    second = sim.http.get(
        sim.base_url + first["next_page_uri"],
        auth=(sim.settings.account_sid, sim.settings.auth_token),
    ).json()
    assert len(second["messages"]) == 1 and second["next_page_uri"] is None
    assert second["previous_page_uri"] and second["page"] == 1


@pytest.mark.parametrize(
    "operation, used",
    [
        (("/2010-04-01/Accounts/{AccountSid}/Calls.json", "post"), api.CALL_CREATE_PARAMS),
        (("/2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json", "post"), api.CALL_UPDATE_PARAMS),
        (("/2010-04-01/Accounts/{AccountSid}/Messages.json", "post"), api.MESSAGE_CREATE_PARAMS),
        (
            ("/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json", "post"),
            api.MESSAGE_UPDATE_PARAMS,
        ),
    ],
)
def test_accepted_parameters_are_twilios(spec_dict, operation, used):
    path, method = operation
    body = spec_dict["paths"][path][method]["requestBody"]["content"]
    properties = body["application/x-www-form-urlencoded"]["schema"]["properties"]
    assert set(used) <= set(properties), set(used) - set(properties)


@pytest.mark.parametrize(
    "path, filters",
    [
        ("/2010-04-01/Accounts/{AccountSid}/Calls.json", api.CALL_LIST_FILTERS),
        ("/2010-04-01/Accounts/{AccountSid}/Messages.json", api.MESSAGE_LIST_FILTERS),
        ("/2010-04-01/Accounts/{AccountSid}/Recordings.json", api.RECORDING_LIST_FILTERS),
    ],
)
def test_list_filters_are_twilios(spec_dict, path, filters):
    names = {p["name"] for p in spec_dict["paths"][path]["get"]["parameters"]}
    assert set(filters) <= names


def test_validator_would_catch_a_wrong_shape(sim, openapi):
    """Guard against a silently permissive validator: a broken call resource must fail."""
    url = f"{sim.base_url}/2010-04-01/Accounts/{sim.settings.account_sid}/Calls/CA{'0' * 32}.json"
    request = requests.Request("GET", url, auth=(sim.settings.account_sid, "x"))
    fake = requests.Response()
    fake.status_code = 200
    fake.headers["Content-Type"] = "application/json"
    fake._content = json.dumps({"sid": "CAnot-a-sid", "status": "dialling"}).encode()
    fake.request = request.prepare()
    with pytest.raises(Exception, match="(?i)invalid|valid"):
        openapi.validate_response(RequestsOpenAPIRequest(request), RequestsOpenAPIResponse(fake))
