"""Heterdaadkracht on the broadcast engine, over real HTTP into the simulator: the administrators
of the groups an action's area overlaps get its messages by WhatsApp, with SMS when WhatsApp
fails; updates and the outcome follow; the operator's switch, the preview and the overview."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import select

from gateway import areas
from gateway.config import Config
from gateway.dispatch import groups as group_reach
from gateway.models import Action, Delivery
from gateway.models import delivery as state
from gateway.models.group import ACTIVE, HDK_CONFIRMED, HDK_PENDING, INACTIVE, Group, GroupAdministrator
from tests import factories
from tests.helpers import run_jobs
from tests.live import live_config
from worker import jobs

NEAR, FAR = (4.4931, 52.0575), (4.4931, 52.0845)  # the centre, and 3 km north of it
ADMIN, OTHER = "+31610000301", "+31610000302"


@pytest.fixture
def config(config, ports) -> Config:
    return live_config(config, ports)


def square(center, half: float = 0.003) -> dict:
    lon, lat = center
    return {"type": "Polygon", "coordinates": [[
        [lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half],
        [lon - half, lat + half], [lon - half, lat - half]]]}


def group(runtime, phone: str, area: dict | None = None, postcodes: list[str] | None = None,
          status: str = ACTIVE, hdk: str = HDK_CONFIRMED, name: str = "Buurt Centrum") -> int:
    with runtime.transaction() as db:
        made = Group(name=name, municipality="Zoetermeer", area=area, postcodes=postcodes,
                     streets=[], member_count=30, members_adult=True, one_per_household=True,
                     status=status)
        made.administrator = GroupAdministrator(name="Bea Beheer", email="bea@example.nl",
                                                phone=phone, heterdaadkracht=hdk)
        db.add(made)
        db.flush()
        return made.id


def group_deliveries(runtime, purpose: str = state.GROUP_ALERT) -> dict[str, Delivery]:
    with runtime.sessions() as db:
        return {d.phone: d for d in db.scalars(select(Delivery).where(Delivery.purpose == purpose))}


def open_window(live, phone: str) -> None:
    """As if the administrator wrote to us today: free-form WhatsApp is allowed."""
    live.sim("PUT", f"/sim/whatsapp/{phone}", json={"hours_ago": 0})


def test_a_confirmed_administrator_gets_the_alert_by_whatsapp_to_forward(live, runtime):
    reached = group(runtime, ADMIN, area=square(NEAR))
    group(runtime, OTHER, area=square(NEAR), hdk=HDK_PENDING)  # not confirmed: nothing
    group(runtime, "+31610000303", area=square(NEAR), status=INACTIVE)
    group(runtime, "+31610000304", area=square(FAR, 0.001))  # outside the circle
    open_window(live, ADMIN)
    action_id = live.start_action()
    alerts = live.settle(state.GROUP_ALERT)
    assert set(alerts) == {ADMIN}
    assert (alerts[ADMIN].channel, alerts[ADMIN].status, alerts[ADMIN].group_id) == (
        "whatsapp", "delivered", reached)
    got = live.sim("GET", f"/sim/phones/{ADMIN}").json()
    assert got["sms"] == [] and got["calls"] == []
    [message] = got["whatsapp"]
    assert message["to"] == f"whatsapp:{ADMIN}"
    assert "Man in rode jas op zwarte fiets" in message["body"]
    assert "stuur dit bericht ongewijzigd door naar uw groep" in message["body"]
    for phone in (OTHER, "+31610000303", "+31610000304"):
        assert live.sim_records(phone) == []
    overview = live.api("GET", f"/api/actions/{action_id}").json()
    assert overview["groups"] is True
    [shown] = overview["groups_reached"]
    assert (shown["id"], shown["name"], shown["administrator"]) == (
        reached, "Buurt Centrum", "+316*****301")
    assert [(m["purpose"], m["channel"], m["status"], m["fallback"])
            for m in shown["messages"]] == [("alert", "whatsapp", "delivered", False)]
    assert overview["deliveries"]["group_alert"] == {"delivered": 1}


def test_whatsapp_outside_the_window_falls_back_to_sms_once(live, runtime):
    group(runtime, ADMIN, area=square(NEAR))
    # Every status callback arrives twice: the replayed "failed" adds no second SMS.
    live.sim("PUT", "/sim/config", json={"duplicate_callbacks": True})
    action_id = live.start_action()
    fallback = live.settle(state.FALLBACK[state.GROUP_ALERT])
    first = group_deliveries(runtime)[ADMIN]
    assert (first.status, first.error_code) == ("failed", "63016")
    assert (fallback[ADMIN].channel, fallback[ADMIN].status) == ("sms", "delivered")
    got = live.sim("GET", f"/sim/phones/{ADMIN}").json()
    assert len(got["whatsapp"]) == 1 and len(got["sms"]) == 1
    assert "door naar uw groep" in got["sms"][0]["body"]
    [shown] = live.api("GET", f"/api/actions/{action_id}").json()["groups_reached"]
    assert [(m["channel"], m["status"], m["fallback"], m["error_code"]) for m in shown["messages"]] \
        == [("whatsapp", "failed", False, "63016"), ("sms", "delivered", True, None)]


def test_a_refused_whatsapp_falls_back_and_a_refused_sms_ends_it(live, runtime):
    group(runtime, ADMIN, area=square(NEAR))
    live.behave(ADMIN, "invalid")  # 21211 at create, for WhatsApp and SMS alike
    live.start_action()
    fallback = live.settle(state.FALLBACK[state.GROUP_ALERT])
    assert (group_deliveries(runtime)[ADMIN].status, fallback[ADMIN].status) == ("failed", "failed")
    with runtime.sessions() as db:
        assert db.scalar(select(Delivery.id).where(Delivery.purpose.like("group%"))
                         .order_by(Delivery.id.desc())) == fallback[ADMIN].id  # nothing third


def test_an_administrator_who_is_a_participant_gets_both_never_one_text_twice(live, runtime):
    with runtime.transaction() as db:
        factories.participant(db, ADMIN, channel="sms", lon=NEAR[0], lat=NEAR[1])
    group(runtime, ADMIN, area=square(NEAR))
    open_window(live, ADMIN)
    live.start_action()
    assert live.settle()[ADMIN].channel == "sms"
    assert live.settle(state.GROUP_ALERT)[ADMIN].channel == "whatsapp"
    got = live.sim("GET", f"/sim/phones/{ADMIN}").json()
    [sms], [whatsapp] = got["sms"], got["whatsapp"]
    assert "door naar uw groep" not in sms["body"] and "door naar uw groep" in whatsapp["body"]


def test_updates_and_the_outcome_reach_the_administrator(live, runtime):
    group(runtime, ADMIN, area=square(NEAR))
    open_window(live, ADMIN)
    action_id = live.start_action()
    live.settle(state.GROUP_ALERT)
    preview = live.api("POST", f"/api/actions/{action_id}/update/preview",
                       json={"text": "Gezien bij het station."}).json()
    assert preview["group_administrators"] == 1
    live.api("POST", f"/api/actions/{action_id}/update", json={"text": "Gezien bij het station."})
    update = live.settle(state.GROUP_UPDATE)[ADMIN]
    assert (update.channel, update.status) == ("whatsapp", "delivered")
    live.api("POST", f"/api/actions/{action_id}/close", json={"outcome": "Aangehouden."})
    outcome = live.settle(state.GROUP_OUTCOME)[ADMIN]
    assert (outcome.channel, outcome.status) == ("whatsapp", "delivered")
    bodies = [m["body"] for m in live.sim("GET", f"/sim/phones/{ADMIN}").json()["whatsapp"]]
    assert bodies[0].startswith("Burgernet afloop: Aangehouden.")
    assert bodies[1].startswith("Burgernet aanvulling: Gezien bij het station.")
    assert all("door naar uw groep" in body for body in bodies)
    [shown] = live.api("GET", f"/api/actions/{action_id}").json()["groups_reached"]
    assert [m["purpose"] for m in shown["messages"]] == ["alert", "update", "outcome"]


def test_closing_cancels_waiting_group_messages(live, runtime):
    group(runtime, ADMIN, area=square(NEAR))
    action_id = live.start_action()
    jobs.fan_out(action_id, 0)  # rows written, nothing sent yet
    assert group_deliveries(runtime)[ADMIN].status == "pending"
    live.api("POST", f"/api/actions/{action_id}/close", json={"outcome": "Loos alarm."})
    run_jobs(runtime)
    assert group_deliveries(runtime)[ADMIN].status == "cancelled"
    assert group_deliveries(runtime, state.GROUP_OUTCOME) == {}  # never reached: no outcome
    assert live.sim_records(ADMIN) == []


def test_widening_reaches_groups_newly_overlapped_once(live, runtime):
    group(runtime, ADMIN, area=square(NEAR))
    group(runtime, OTHER, area=square(FAR, 0.001), name="Buurt Noord")
    open_window(live, ADMIN)
    open_window(live, OTHER)
    action_id = live.start_action()
    assert set(live.settle(state.GROUP_ALERT)) == {ADMIN}
    wider = {"type": "Circle", "center": list(NEAR), "radius_m": 5000}
    preview = live.api("POST", f"/api/actions/{action_id}/widen/preview", json={"area": wider})
    assert preview.json()["groups"] == {"enabled": True, "groups": 1, "administrators": 1,
                                        "available": 1}
    added = live.api("POST", f"/api/actions/{action_id}/widen", json={"area": wider}).json()
    assert added["added"]["groups"]["administrators"] == 1
    assert set(live.settle(state.GROUP_ALERT)) == {ADMIN, OTHER}
    assert len(live.sim("GET", f"/sim/phones/{ADMIN}").json()["whatsapp"]) == 1


def test_the_operator_switch_and_the_incident_type_default(live, runtime):
    group(runtime, ADMIN, area=square(NEAR))
    body = {"incident_type": "burglary", "description": "Man in rode jas",
            "area": factories.circle()}
    preview = live.api("POST", "/api/actions/preview", json=body).json()
    assert preview["groups"] == {"enabled": True, "groups": 1, "administrators": 1, "available": 1}
    off = live.api("POST", "/api/actions/preview", json={**body, "groups": False}).json()
    assert off["groups"] == {"enabled": False, "groups": 0, "administrators": 0, "available": 1}
    other = live.api("POST", "/api/actions", json={**body, "incident_type": "other"}).json()
    assert other["groups"] is False and other["preview"]["groups"]["enabled"] is False
    switched_on = live.api("POST", "/api/actions", json={**body, "incident_type": "other",
                                                         "groups": True}).json()
    assert switched_on["groups"] is True
    with runtime.transaction() as db:
        factories.participant(db, "+31610000311", channel="sms")
    action_id = live.start_action(groups=False)
    live.settle()
    assert group_deliveries(runtime) == {}
    assert live.api("GET", f"/api/actions/{action_id}").json()["groups_reached"] == []


@pytest.mark.parametrize("value", ["yes", 1, [], {}])
def test_a_switch_that_is_not_a_boolean_is_refused_and_nothing_is_written(live, runtime, value):
    body = {"incident_type": "burglary", "description": "Man in rode jas",
            "area": factories.circle(), "groups": value}
    for path in ("/api/actions", "/api/actions/preview"):
        response = live.api("POST", path, json=body)
        assert response.status_code == 422, path
        assert response.json()["error"]["field"] == "groups"
    with runtime.sessions() as db:
        assert db.scalar(select(Action.id)) is None


# -- overlap, without the network --------------------------------------------------------------
def test_overlap_of_shapes_and_postcodes(runtime):
    circle = areas.parse(factories.circle(500))
    far = areas.parse(factories.circle(300, center=FAR))
    with runtime.sessions() as db:
        assert group_reach.overlaps(db, square(NEAR, 0.001), None, circle)
        assert not group_reach.overlaps(db, square(FAR, 0.001), None, circle)
        # A postcode group against a circle: the postcode table's addresses of 2711 lie inside.
        assert group_reach.overlaps(db, None, ["2711"], circle)
        assert group_reach.overlaps(db, None, ["2711AA"], circle)
        assert not group_reach.overlaps(db, None, ["2711"], far)
        assert not group_reach.overlaps(db, None, ["9999"], circle)  # nobody known there
        by_code = areas.parse({"type": "Postcodes", "postcodes": ["2711AA"]})
        assert group_reach.overlaps(db, None, ["2711"], by_code)
        assert not group_reach.overlaps(db, None, ["2712"], by_code)
        assert group_reach.overlaps(db, square(NEAR, 0.005), None, by_code)
        assert not group_reach.overlaps(db, square(FAR, 0.001), None, by_code)


def test_a_registered_address_makes_an_unknown_postcode_meet(runtime):
    with runtime.transaction() as db:
        person = factories.participant(db, "+31610000399", lon=FAR[0], lat=FAR[1])
        person.addresses[0].postcode = "9999AB"
    with runtime.sessions() as db:
        assert group_reach.overlaps(db, None, ["9999"], areas.parse(
            factories.circle(300, center=FAR)))


def test_two_groups_of_one_administrator_give_one_message(live, runtime):
    group(runtime, ADMIN, area=square(NEAR))
    group(runtime, ADMIN, postcodes=["2711"], name="Buurt Oost")
    open_window(live, ADMIN)
    live.start_action()
    live.settle(state.GROUP_ALERT)
    assert len(live.sim("GET", f"/sim/phones/{ADMIN}").json()["whatsapp"]) == 1


def test_erasing_a_group_cancels_and_anonymises_its_messages(live, runtime, staff_auth):
    group_id = group(runtime, ADMIN, area=square(NEAR))
    action_id = live.start_action()
    jobs.fan_out(action_id, 0)  # written, not sent
    response = requests.delete(f"{live.gateway_url}/api/groups/{group_id}", headers=staff_auth,
                               timeout=10)
    assert response.status_code == 200
    with runtime.sessions() as db:
        [row] = db.scalars(select(Delivery).where(Delivery.purpose == state.GROUP_ALERT))
        assert (row.status, row.group_id) == ("cancelled", None)
        assert not row.phone.startswith("+")
    [shown] = live.api("GET", f"/api/actions/{action_id}").json()["groups_reached"]
    assert (shown["id"], shown["administrator"]) == (None, "erased")


def test_the_console_pages_have_the_switch_and_the_groups_reached(live, runtime):
    from gateway import create_app
    from tests.test_console_pages import as_role

    group(runtime, ADMIN, area=square(NEAR))
    app = create_app(runtime=runtime)
    browser = as_role(app, runtime, "operator")
    new = browser.get("/console/actions/new").get_data(as_text=True)
    assert 'id="groups"' in new and "Ook naar buurtpreventie-apps" in new
    assert '"group_defaults": ["burglary", "hit_and_run", "robbery", "violent_crime"]' in new
    on = live.start_action()
    off = live.start_action(groups=False)
    assert 'data-testid="groups-reached"' in browser.get(f"/console/actions/{on}").get_data(
        as_text=True)
    assert 'data-testid="groups-reached"' not in browser.get(f"/console/actions/{off}").get_data(
        as_text=True)


def test_an_administrators_reply_is_a_tip_of_the_action_that_reached_them(live, runtime, config):
    """They forward the alert into their group and write back what the group saw: that is the
    action's tip, also when another action is active (the only-active guess would be wrong)."""
    group(runtime, ADMIN, area=square(NEAR))
    live.sim("PUT", "/sim/incoming/+31790000001",
             json={"sms_url": f"{config.public_base_url}/twilio/sms/inbound"})
    elsewhere = live.start_action(groups=False)
    action_id = live.start_action()
    live.settle(state.FALLBACK[state.GROUP_ALERT])  # WhatsApp outside the window: by SMS
    live.sim("POST", "/sim/inbound/message", json={
        "from": ADMIN, "to": "+31790000001", "body": "Buurman zag hem bij de Dorpsstraat"})
    [tip] = live.api("GET", f"/api/actions/{action_id}/tips").json()["tips"]
    assert "Dorpsstraat" in tip["body"] and tip["phone"] == "+316*****301"
    assert live.api("GET", f"/api/actions/{elsewhere}/tips").json()["tips"] == []
