"""The operator console: password login (argon2), then the actions with progress and tips."""

from __future__ import annotations

from gateway.models import Action, Tip
from tests import factories


def test_login_required_then_actions_listed(client, runtime, token):
    assert client.get("/console").headers["Location"].endswith("/console/login")
    with runtime.transaction() as db:
        action = Action(incident_type="robbery", description="Twee mannen op scooter",
                        area=factories.circle(), status="active")
        db.add(action)
        db.flush()
        db.add(Tip(action_id=action.id, kind="sms", phone="+31600000001", body="Bij de Albert Heijn",
                   provider_sid="SMtip"))
    wrong = client.post("/console/login", data={"username": "centralist", "password": "nope"})
    assert wrong.status_code == 401 and b"wrong password" in wrong.data
    ok = client.post("/console/login", data={"username": "centralist",
                                               "password": "correct horse battery staple"})
    assert ok.status_code == 302
    page = client.get("/console").get_data(as_text=True)
    assert "Twee mannen op scooter" in page and "Bij de Albert Heijn" in page
    # The console session also authorises the API, for the console's own scripts.
    assert client.get("/api/actions").status_code == 200
    client.post("/console/logout")
    assert client.get("/api/actions").status_code == 401
