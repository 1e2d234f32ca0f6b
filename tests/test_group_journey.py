"""A neighbourhood group's life over real HTTP, through the real twilio client and the
simulated network: a resident registers it, staff approve it, the administrator's phone gets the
link, they ask for signs on their page, staff approve and deliver, and every step arrives as an
SMS in the simulator."""

from __future__ import annotations

import re

import pytest
import requests

from gateway.models import GroupMessage
from tests.helpers import pump
from tests.live import live_config
from tests.test_groups import group_body

ADMIN = "+31610000312"  # the simulator delivers texts to numbers ending in 2


@pytest.fixture
def config(config, ports):
    return live_config(config, ports)


def texts(live, phone: str) -> list[str]:
    return [m["body"] for m in live.sim("GET", "/sim/messages", params={"to": phone}).json()[
        "messages"]]


def test_register_approve_and_order_signs(live, runtime, staff_auth):
    staff = {"headers": staff_auth, "timeout": 10}
    body = group_body(administrator={"name": "Anna", "email": "anna@example.nl",
                                     "phone": "06 1000 0312", "publish_contact": True})
    registered = requests.post(live.gateway_url + "/api/public/groups", json=body, timeout=10)
    assert registered.status_code == 201 and registered.json()["status"] == "requested"
    group_id = registered.json()["id"]
    public = requests.get(live.gateway_url + "/api/public/groups.geojson", timeout=10).json()
    assert public["features"] == []  # not before approval

    approved = requests.post(f"{live.gateway_url}/api/groups/{group_id}/approve", **staff)
    assert approved.status_code == 200
    pump(runtime, lambda: texts(live, ADMIN), what="the approval SMS")
    link = re.search(r"(http://\S+/buurtpreventie/beheer/\S+)", texts(live, ADMIN)[0]).group(1)
    assert link.startswith(live.gateway_url)

    browser = requests.Session()
    page = browser.get(link, timeout=10)
    assert page.status_code == 200 and "Buurtpreventie Stadshart" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    ordered = browser.post(link, timeout=10, data={
        "csrf_token": token, "signs": "2", "stickers": "40", "address": "Markt 1, Zoetermeer",
        "postcode": "2711AB"})
    assert ordered.status_code == 200 and "ontvangen</strong>" in ordered.text
    [supply] = requests.get(f"{live.gateway_url}/api/groups/{group_id}/supplies",
                            **staff).json()["requests"]
    for step in ("approve", "deliver"):
        assert requests.post(f"{live.gateway_url}/api/supplies/{supply['id']}/{step}",
                             **staff).status_code == 200
    pump(runtime, lambda: len(texts(live, ADMIN)) == 4, what="the three step texts")
    received = texts(live, ADMIN)
    assert any("2 borden en 40 stickers voor Buurtpreventie Stadshart is ontvangen" in t
               for t in received)
    assert any("is goedgekeurd. Ze worden bezorgd" in t for t in received)
    assert any("zijn bezorgd" in t for t in received)
    with runtime.sessions() as db:
        assert {m.status for m in db.query(GroupMessage)} == {"sent"}
    public = requests.get(live.gateway_url + "/api/public/groups.geojson", timeout=10).json()
    assert public["features"][0]["properties"]["join"] == {"name": "Anna",
                                                           "email": "anna@example.nl"}
