"""A burst of 200 tip-line calls placed by the simulator against real processes (the Procfile's
web and worker), across three active actions: 200 tips, each under the action its caller meant."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from gateway.models import Action, Address, Delivery, Participant, Tip, utcnow
from gateway.models.action import ACTIVE
from tests import factories
from tests.test_end_to_end import TIPLINE, start_system

CALLERS = 200


@pytest.fixture
def system(runtime, config, tmp_path):
    sut = start_system(config, tmp_path)
    yield sut
    sut.stop()


def seed(runtime) -> dict[str, tuple[str, int]]:
    """Three actions, newest last. Callers 0-79 were alerted by the first, 80-159 by the second,
    160-199 by the second and third: of those, the even ones choose the third (digit 1: newest
    first), the odd ones the second (digit 2). Returns phone -> (digits, expected action)."""
    now = utcnow()
    with runtime.transaction() as db:
        actions = [Action(incident_type="burglary", description=f"Signalement {i}",
                          area=factories.circle(), status=ACTIVE,
                          operator_line="+3188100000" + str(i) if i == 0 else None,
                          started_at=now - timedelta(minutes=30 - i)) for i in range(3)]
        db.add_all(actions)
        db.flush()
        first, second, third = (a.id for a in actions)
        plan, alerts = {}, []
        for n in range(CALLERS):
            phone = f"+3161100{n:04d}"
            person = Participant(phone=phone, language="nl", verified_at=now, addresses=[
                Address(label="home", lat=52.0575, lon=4.4931, channel="voice")])
            db.add(person)
            if n < 80:
                plan[phone], ids = ("1", first), [first]
            elif n < 160:
                plan[phone], ids = ("1", second), [second]
            else:
                plan[phone] = ("1,1", third) if n % 2 == 0 else ("2,1", second)
                ids = [second, third]
            alerts += [(action_id, person, phone) for action_id in ids]
        db.flush()
        db.add_all(Delivery(action_id=a, participant_id=p.id, phone=phone, channel="voice",
                            status="answered", attempts=1, claimed_at=now) for a, p, phone in alerts)
    return plan


def test_a_burst_of_200_tip_calls_lands_each_under_its_action(system, runtime):
    plan = seed(runtime)

    def place(item):
        phone, (digits, _) = item
        response = requests.post(system.sim + "/sim/inbound/call", timeout=30, json={
            "from": phone, "to": TIPLINE, "digits": digits})
        response.raise_for_status()

    with ThreadPoolExecutor(32) as pool:
        list(pool.map(place, plan.items()))
    idle = requests.get(system.sim + "/sim/wait", params={"idle": 1, "timeout": 240},
                        timeout=250).json()
    assert idle["idle"], idle
    with runtime.sessions() as db:
        tips = {t.phone: t for t in db.scalars(select(Tip))}
    assert len(tips) == CALLERS
    assert {phone: t.action_id for phone, t in tips.items()} == {
        phone: action for phone, (_, action) in plan.items()}
    assert {t.kind for t in tips.values()} == {"call"}
    assert all(t.alerted_at is not None for t in tips.values())
    calls = requests.get(system.sim + "/sim/calls", params={"direction": "inbound"},
                         timeout=30).json()["calls"]
    assert len(calls) == CALLERS and {c["status"] for c in calls} == {"completed"}
    web_log = system.log("web")
    assert " 500 " not in web_log and "Traceback" not in web_log
    assert not any(phone in web_log for phone in plan)
