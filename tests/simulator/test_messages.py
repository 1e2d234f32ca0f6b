"""SMS: segment counting, delivery callbacks, failures."""

from __future__ import annotations

import pytest

from callflows.segments import measure
from simulator import messages
from simulator.messages import num_segments

# An extension character exactly where part one would end: it moves whole to part two, which
# then overflows into a third part, although 305 septets would fit two parts of 153.
EURO_AT_THE_SEAM = "a" * 152 + "€" + "a" * 152


@pytest.mark.parametrize(
    "text, segments",
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("{" * 80, 1),  # extension characters take two septets each
        ("{" * 81, 2),
        ("ë" * 70, 1),  # ë is not GSM-7: the whole text becomes UCS-2
        ("ë" * 71, 2),
        ("a" * 100 + "\u2019" + "a" * 33, 2),  # one curly quote: 134 UCS-2 units
        ("a" * 134, 1),
        ("é" * 160, 1),  # é is in the GSM-7 basic set
        ("😀" * 35, 1),  # 70 UTF-16 units
        ("😀" * 36, 2),
        (EURO_AT_THE_SEAM, 3),
    ],
)
def test_num_segments(text, segments):
    assert num_segments(text) == segments
    assert num_segments(text) == measure(text).count  # the gateway's counter, not a copy


def test_simulator_has_no_segment_tables_of_its_own():
    # One counter for gateway and simulator: a second copy would drift (it did: ESC was
    # counted as a GSM-7 character here and not in callflows).
    assert not hasattr(messages, "GSM7_BASIC") and not hasattr(messages, "is_gsm7")


def test_whatsapp_is_always_one_segment():
    assert num_segments("ë" * 500, to="whatsapp:+31612345671") == 1
    assert num_segments("ë" * 500, to="+31612345671") == 8


def test_segments_in_resource_follow_gsm_03_38(sim):
    response = sim.api(
        "POST", "/Messages.json", data={"To": "+31612345671", "From": "X", "Body": EURO_AT_THE_SEAM}
    )
    assert response.status_code == 201 and response.json()["num_segments"] == "3"


def send(sim, gateway, to: str, body: str = "Burgernet: kijk uit naar een witte scooter.") -> str:
    response = sim.api(
        "POST",
        "/Messages.json",
        data={"To": to, "From": "Burgernet", "Body": body, "StatusCallback": gateway.url("/sms")},
    )
    assert response.status_code == 201, response.text
    return response.json()["sid"]


def test_delivered_with_signed_callbacks(sim, gateway):
    sid = send(sim, gateway, "+31612345678")  # busy for calls, still receives SMS
    sim.wait()
    hits = gateway.requests_to("/sms")
    assert [(h.params["MessageStatus"], h.params["SmsStatus"]) for h in hits] == [
        ("sent", "sent"),
        ("delivered", "delivered"),
    ]
    assert all(h.signature_valid for h in hits)
    params = hits[-1].params
    assert params["MessageSid"] == sid == params["SmsSid"]
    assert params["To"] == "+31612345678" and params["From"] == "Burgernet"
    assert params["AccountSid"] == sim.settings.account_sid and "ErrorCode" not in params


def test_unreachable_is_undelivered_30003(sim, gateway):
    sim.number("+31612345671", behaviour="unreachable")
    sid = send(sim, gateway, "+31612345671")
    sim.wait()
    last = gateway.requests_to("/sms")[-1].params
    assert last["MessageStatus"] == "undelivered" and last["ErrorCode"] == "30003"
    resource = sim.api("GET", f"/Messages/{sid}.json").json()
    assert resource["status"] == "undelivered" and resource["error_code"] == 30003


def test_ucs2_segments_in_resource(sim, gateway):
    response = sim.api(
        "POST", "/Messages.json", data={"To": "+31612345671", "From": "X", "Body": "ë" * 100}
    )
    assert response.json()["num_segments"] == "2"


def test_body_too_long_and_missing_from(sim):
    response = sim.api(
        "POST", "/Messages.json", data={"To": "+31612345671", "From": "X", "Body": "a" * 1601}
    )
    assert response.status_code == 400 and response.json()["code"] == 21617
    response = sim.api("POST", "/Messages.json", data={"To": "+31612345671", "Body": "a"})
    assert response.status_code == 400 and response.json()["code"] == 21603


def test_unsubscribed_recipient_is_21610(sim):
    sim.number("+31612345671", behaviour="unsubscribed")
    response = sim.api(
        "POST", "/Messages.json", data={"To": "+31612345671", "From": "X", "Body": "hoi"}
    )
    assert response.status_code == 400 and response.json()["code"] == 21610


def test_messaging_service_sender(sim, gateway):
    service = "MG" + "1" * 32
    response = sim.api(
        "POST",
        "/Messages.json",
        data={"To": "+31612345671", "MessagingServiceSid": service, "Body": "hoi"},
    )
    body = response.json()
    assert response.status_code == 201
    assert body["status"] == "accepted" and body["messaging_service_sid"] == service
    assert body["from"] is None
