"""Municipality staff's console page for groups: approve, stop, move sign requests on (with the
administrator's texts), CSRF, and who may see and change what."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from gateway.auth import create_operator
from gateway.models import Group, GroupMessage, SupplyRequest
from tests.test_groups import active, create
from tests.test_supplies import ORDER

PASSWORD = "a long enough password"


@pytest.fixture
def log_in(app, runtime):
    with runtime.transaction() as db:
        create_operator(db, "balie", PASSWORD, role="municipality")
        create_operator(db, "centralist", PASSWORD, role="operator")
        create_operator(db, "kijker", PASSWORD, role="viewer")

    def enter(name):
        browser = app.test_client()
        page = browser.get("/console/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        browser.post("/console/login", data={"csrf_token": token, "username": name,
                                             "password": PASSWORD})
        return browser
    return enter


def csrf(browser) -> str:
    page = browser.get("/console/groups").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_staff_approve_stop_and_handle_sign_requests(client, staff_auth, runtime, log_in):
    requested = create(client, staff_auth, member_count=80)
    other = active(client, staff_auth, name="Actief")
    browser = log_in("balie")
    page = browser.get("/console/groups").get_data(as_text=True)
    assert "Buurtpreventie Stadshart" in page and "+31612345678" in page
    assert "much more than the advised 40" in page and "Overlapt met: Actief" in page
    token = csrf(browser)
    assert browser.post(f"/console/groups/{requested['id']}/approve",
                        data={"csrf_token": token}).status_code == 302
    again = browser.post(f"/console/groups/{requested['id']}/approve", data={"csrf_token": token})
    assert again.status_code == 409 and "active already" in again.get_data(as_text=True)
    assert browser.post(f"/console/groups/{other['id']}/stop",
                        data={"csrf_token": token}).status_code == 302
    with runtime.sessions() as db:
        assert db.get(Group, requested["id"]).status == "active"
        assert db.get(Group, other["id"]).status == "inactive"
    supply = client.post(f"/api/groups/{requested['id']}/supplies", headers=staff_auth,
                         json=ORDER).json
    path = f"/console/groups/supplies/{supply['id']}"
    assert browser.post(f"{path}/delivered", data={"csrf_token": token}).status_code == 409
    assert browser.post(f"{path}/approved", data={"csrf_token": token}).status_code == 302
    assert browser.post(f"{path}/delivered", data={"csrf_token": token}).status_code == 302
    with runtime.sessions() as db:
        assert db.get(SupplyRequest, supply["id"]).status == "delivered"
        # approvals of both groups, the request, and its two steps
        assert len(db.scalars(select(GroupMessage)).all()) == 5


def test_csrf_and_roles(client, staff_auth, runtime, log_in, app):
    group = create(client, staff_auth)
    staff = log_in("balie")
    staff.get("/console/groups")
    assert staff.post(f"/console/groups/{group['id']}/approve").status_code == 403  # no token
    operator = log_in("centralist")
    page = operator.get("/console/groups")
    assert page.status_code == 200 and "Goedkeuren" not in page.get_data(as_text=True)
    with operator.session_transaction() as session:
        token = session["csrf"]
    refused = operator.post(f"/console/groups/{group['id']}/approve", data={"csrf_token": token})
    assert refused.status_code == 403
    assert log_in("kijker").get("/console/groups").status_code == 403
    assert app.test_client().get("/console/groups").status_code == 302  # to the login
    with runtime.sessions() as db:
        assert db.get(Group, group["id"]).status == "requested"
