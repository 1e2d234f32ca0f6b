"""The participants' pages as a new user uses them on a phone: register, enter the code, manage
addresses and windows, change the number, unsubscribe, sign in again, delete everything."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from gateway.models import Participant, Registration
from tests import factories, fakes
from tests.helpers import run_jobs

PHONE = "+31612345678"


@pytest.fixture
def config(config):
    return replace(config, sms_segments_per_second=1000)


@pytest.fixture
def phone(runtime):
    return fakes.install(runtime)


def csrf(page) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def form(client, path: str, data: dict, page: str | None = None, **kwargs):
    token = csrf(client.get(page or path))
    return client.post(path, data={"csrf_token": token, **data}, **kwargs)


REGISTRATION = {"phone": "06 12345678", "language": "nl", "birth_year": "1985",
                "address.label": "home", "address.postcode": "2711 ab",
                "address.house_number": "1", "address.channel": "sms"}


def sign_up(client, phone, data=REGISTRATION):
    response = form(client, "/deelnemen", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    verify_path = response.headers["Location"]
    run_jobs(client.application.extensions["burgernet"])
    code = phone.last_code(PHONE)
    done = form(client, verify_path, {"code": code})
    assert done.status_code == 302 and done.headers["Location"].endswith("/deelnemen/mijn")
    return verify_path


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_register_page_is_dutch_and_made_for_a_phone(client):
    page = client.get("/deelnemen")
    assert page.status_code == 200
    body = text(page)
    assert '<html lang="nl">' in body and 'name="viewport"' in body
    assert "Aanmelden voor Burgernet" in body and 'autocomplete="one-time-code"' not in body
    english = text(client.get("/deelnemen?lang=en"))
    assert "Sign up for Burgernet" in english and '<html lang="en">' in english


def test_register_verify_and_manage(client, runtime, phone):
    sign_up(client, phone)
    page = text(client.get("/deelnemen/mijn"))
    assert PHONE in page and "U ontvangt berichten." in page
    with runtime.sessions() as db:
        participant = db.scalar(select(Participant))
        assert participant.verified_at is not None
        assert participant.addresses[0].postcode == "2711AB"
        address_id = participant.addresses[0].id
    # A work address with a window, then the home address by voice.
    added = form(client, "/deelnemen/mijn/adres", {
        "new.label": "work", "new.postcode": "2712AA", "new.house_number": "3",
        "new.channel": "sms", "new.windows[0].days.mon": "1", "new.windows[0].days.fri": "1",
        "new.windows[0].start": "08:00", "new.windows[0].end": "18:00"}, page="/deelnemen/mijn")
    assert added.status_code == 302
    edited = form(client, f"/deelnemen/mijn/adres/{address_id}", {
        f"a{address_id}.label": "home", f"a{address_id}.postcode": "2711AB",
        f"a{address_id}.house_number": "1", f"a{address_id}.channel": "voice"},
        page="/deelnemen/mijn")
    assert edited.status_code == 302
    with runtime.sessions() as db:
        addresses = db.scalar(select(Participant)).addresses
        assert [(a.label, a.channel, a.windows) for a in addresses] == [
            ("home", "voice", []),
            ("work", "sms", [{"days": ["mon", "fri"], "start": "08:00", "end": "18:00"}])]


def test_errors_are_shown_next_to_their_field_in_dutch_and_nothing_is_written(client, runtime,
                                                                             phone):
    response = form(client, "/deelnemen", {**REGISTRATION, "birth_year": "2015"})
    assert response.status_code == 422
    body = text(response)
    assert re.search(r'id="birth_year"[^>]*aria-invalid="true"', body)
    assert '<span class="error" id="birth_year-error">U moet 16 jaar of ouder zijn' in body
    assert 'value="2711 ab"' in body  # what was typed stays
    bad_window = form(client, "/deelnemen?lang=en", {
        **REGISTRATION, "address.windows[0].days.mon": "1", "address.windows[0].start": "18:00",
        "address.windows[0].end": "08:00"})
    assert bad_window.status_code == 422
    assert 'id="address.windows[0].end-error">Must be after start' in text(bad_window)
    unknown = form(client, "/deelnemen?lang=nl", {**REGISTRATION, "address.postcode": "9999ZZ"})
    assert 'id="address.postcode-error">Dit adres kennen we niet' in text(unknown)
    run_jobs(runtime)
    with runtime.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Registration)) == 0
    assert phone.messages.sent == []


def test_a_form_without_the_csrf_token_is_refused(client, runtime, phone):
    client.get("/deelnemen")
    assert client.post("/deelnemen", data=REGISTRATION).status_code == 403
    assert client.post("/deelnemen/inloggen", data={"phone": "0612345678"}).status_code == 403
    run_jobs(runtime)
    assert phone.messages.sent == []


def test_a_wrong_code_is_shown_next_to_the_code(client, runtime, phone):
    response = form(client, "/deelnemen", REGISTRATION)
    verify_path = response.headers["Location"]
    run_jobs(runtime)
    wrong = "000000" if phone.last_code(PHONE) != "000000" else "111111"
    refused = form(client, verify_path, {"code": wrong})
    assert refused.status_code == 422
    assert 'id="code-error">Verkeerde code.' in text(refused)


def test_sign_in_later_with_a_code_and_unknown_numbers_look_the_same(client, runtime, phone):
    with runtime.transaction() as db:
        factories.participant(db, PHONE, channel="sms")
    known = form(client, "/deelnemen/inloggen", {"phone": "06 12345678"})
    unknown = form(client, "/deelnemen/inloggen", {"phone": "06 87654321"})
    assert known.status_code == unknown.status_code == 302
    assert "/deelnemen/bevestigen/" in unknown.headers["Location"]
    run_jobs(runtime)
    assert phone.texts_to("+31687654321") == []  # nobody we know: no SMS
    for code in ("000000", "123456"):
        assert form(client, unknown.headers["Location"], {"code": code}).status_code == 422
    assert client.get("/deelnemen/mijn").status_code == 302  # not signed in
    signed_in = form(client, known.headers["Location"], {"code": phone.last_code(PHONE)})
    assert signed_in.status_code == 302
    assert PHONE in text(client.get("/deelnemen/mijn"))
    form(client, "/deelnemen/uitloggen", {}, page="/deelnemen/mijn")
    assert client.get("/deelnemen/mijn").status_code == 302


def test_changing_the_number_needs_a_code_on_the_new_number(client, runtime, phone):
    sign_up(client, phone)
    response = form(client, "/deelnemen/mijn/nummer", {"phone": "06 11112222"},
                    page="/deelnemen/mijn")
    assert response.status_code == 302
    with runtime.sessions() as db:
        assert db.scalar(select(Participant.phone)) == PHONE  # not before the code
    run_jobs(runtime)
    new_code = phone.last_code("+31611112222")
    assert form(client, response.headers["Location"], {"code": new_code}).status_code == 302
    with runtime.sessions() as db:
        assert db.scalar(select(Participant.phone)) == "+31611112222"


def test_unsubscribe_and_erase(client, runtime, phone):
    sign_up(client, phone)
    form(client, "/deelnemen/mijn/afmelden", {}, page="/deelnemen/mijn")
    with runtime.sessions() as db:
        assert db.scalar(select(Participant.active)) is False
    assert "U bent afgemeld" in text(client.get("/deelnemen/mijn?done=unsubscribed"))
    form(client, "/deelnemen/mijn/aanmelden", {}, page="/deelnemen/mijn")
    with runtime.sessions() as db:
        assert db.scalar(select(Participant.active)) is True
    erased = form(client, "/deelnemen/mijn/verwijderen", {}, page="/deelnemen/mijn")
    assert erased.status_code == 200 and "Uw gegevens zijn verwijderd." in text(erased)
    with runtime.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Participant)) == 0
    assert client.get("/deelnemen/mijn").status_code == 302


def test_an_unknown_registration_is_said_at_the_top_of_the_form(client):
    response = form(client, "/deelnemen/bevestigen/999", {"code": "123456"})
    assert response.status_code == 404
    assert '<p class="error" role="alert">' in text(response)


def test_sign_in_is_rate_limited_per_number(client, runtime, phone, config):
    runtime.config = replace(config, codes_per_number_hour=1)
    with runtime.transaction() as db:
        factories.participant(db, PHONE, channel="sms")
    assert form(client, "/deelnemen/inloggen", {"phone": "06 12345678"}).status_code == 302
    refused = form(client, "/deelnemen/inloggen", {"phone": "06 12345678"})
    assert refused.status_code == 429
    assert 'id="phone-error">Er zijn te veel codes gestuurd' in text(refused)


def test_editing_on_the_page_keeps_windows_it_does_not_show(client, runtime, phone):
    sign_up(client, phone)
    two = [{"days": ["mon"], "start": "08:00", "end": "12:00"},
           {"days": ["sat"], "start": "10:00", "end": "11:00"}]
    with runtime.transaction() as db:
        address = db.scalar(select(Participant)).addresses[0]
        address.windows, address_id = two, address.id
    assert "(+1)" in text(client.get("/deelnemen/mijn"))
    prefix = f"a{address_id}"
    form(client, f"/deelnemen/mijn/adres/{address_id}", {
        f"{prefix}.postcode": "2711AB", f"{prefix}.house_number": "1", f"{prefix}.channel": "sms",
        f"{prefix}.windows[0].days.tue": "1", f"{prefix}.windows[0].start": "09:00",
        f"{prefix}.windows[0].end": "17:00"}, page="/deelnemen/mijn")
    with runtime.sessions() as db:
        assert db.scalar(select(Participant)).addresses[0].windows == [
            {"days": ["tue"], "start": "09:00", "end": "17:00"}, two[1]]


def test_a_decoy_sign_in_never_texts_the_number(client, runtime, phone):
    unknown = form(client, "/deelnemen/inloggen", {"phone": "06 87654321"})
    registration_id = int(unknown.headers["Location"].rsplit("/", 1)[1])
    assert client.post(f"/api/registrations/{registration_id}/resend").status_code == 202
    again = form(client, f"/deelnemen/bevestigen/{registration_id}/opnieuw", {},
                 page=unknown.headers["Location"])
    assert again.status_code == 200
    run_jobs(runtime)
    assert phone.messages.sent == []


def test_a_sign_in_lasts_an_hour(client, runtime, phone):
    sign_up(client, phone)
    assert client.get("/deelnemen/mijn").status_code == 200
    with client.session_transaction() as session:
        session["participant_since"] -= 3601
    assert client.get("/deelnemen/mijn").status_code == 302
