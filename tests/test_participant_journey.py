"""A new participant's whole journey over real HTTP, through the real twilio client and the
simulated network: register, the code arrives as an SMS, verify, get alerted, text STOPPEN,
get no more alerts, text AANMELDEN."""

from __future__ import annotations

import re

import pytest
import requests

from tests.helpers import pump
from tests.live import TIPLINE, live_config

PHONE = "+31610000212"  # the simulator delivers texts to numbers ending in 2


@pytest.fixture
def config(config, ports):
    return live_config(config, ports)


def texts(live, phone: str) -> list[str]:
    return [m["body"] for m in live.sim("GET", "/sim/messages", params={"to": phone}).json()[
        "messages"]]


def test_a_new_user_registers_is_alerted_and_unsubscribes(live, runtime):
    # No operator token: the public API.
    register = requests.post(live.gateway_url + "/api/registrations", timeout=10, json={
        "phone": "06 1000 0212", "language": "nl", "birth_year": 1990, "addresses": [
            {"label": "home", "postcode": "2711AB", "house_number": 1, "channel": "sms"}]})
    assert register.status_code == 202
    registration_id = register.json()["id"]
    pump(runtime, lambda: texts(live, PHONE), what="the code SMS")
    code = re.search(r"\b(\d{6})\b", texts(live, PHONE)[0]).group(1)
    assert texts(live, PHONE) == [f"Burgernet: uw code is {code}. Hij is 10 minuten geldig."]
    verified = requests.post(f"{live.gateway_url}/api/registrations/{registration_id}/verify",
                             json={"code": code}, timeout=10)
    assert verified.status_code == 200 and verified.json()["participant"]["verified"] is True

    live.start_action()
    assert {p: d.status for p, d in live.settle().items()} == {PHONE: "delivered"}
    assert texts(live, PHONE)[-1].startswith("Burgernet inbraak: Man in rode jas")

    stop = live.sim("POST", "/sim/inbound/message",
                    json={"from": PHONE, "to": TIPLINE, "body": "STOPPEN"}).json()
    assert "u ontvangt geen berichten meer" in stop["reply"]
    second = live.api("POST", "/api/actions", json={
        "incident_type": "robbery", "description": "Twee mannen op een scooter",
        "area": {"type": "Circle", "center": [4.4931, 52.0575], "radius_m": 1000}}).json()
    assert second["preview"]["total"] == 0  # opted out: not alerted

    again = live.sim("POST", "/sim/inbound/message",
                     json={"from": PHONE, "to": TIPLINE, "body": "aanmelden"}).json()
    assert "weer berichten" in again["reply"]
    third = live.api("POST", "/api/actions", json={
        "incident_type": "robbery", "description": "Twee mannen op een scooter",
        "area": {"type": "Circle", "center": [4.4931, 52.0575], "radius_m": 1000}}).json()
    assert third["preview"]["total"] == 1
