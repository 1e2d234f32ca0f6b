"""The public neighbourhood-group pages as a resident uses them: register a group (Dutch and
English, CSRF, errors next to the field, the rules shown), the coverage map with Leaflet served
by the app, and "is my street covered?"."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from gateway.models import Group
from tests.test_groups import active

FORM = {"name": "Buurtpreventie Rokkeveen", "municipality": "Zoetermeer",
        "postcodes": "2711AB, 2712", "streets": "Stadhuisplein\nMarkt", "member_count": "35",
        "members_adult": "1", "one_per_household": "1",
        "administrator.name": "Anna de Vries", "administrator.email": "anna@example.nl",
        "administrator.phone": "06 12345678", "administrator.publish_contact": "1"}


@pytest.fixture
def config(config):
    return replace(config, map_tile_url="")


def csrf(page) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def post_form(client, data: dict, **kwargs):
    token = csrf(client.get("/buurtpreventie/aanmelden"))
    return client.post("/buurtpreventie/aanmelden", data={"csrf_token": token, **data}, **kwargs)


def groups(runtime) -> list[Group]:
    with runtime.sessions() as db:
        return list(db.scalars(select(Group)))


def test_the_form_shows_the_rules_in_dutch_and_english(client):
    page = client.get("/buurtpreventie/aanmelden").get_data(as_text=True)
    assert '<html lang="nl">' in page and "De regels" in page
    for rule in ("precies één beheerder", "ongeveer 40 leden", "18 jaar of ouder",
                 "Eén lid per huishouden"):
        assert rule in page
    english = client.get("/buurtpreventie/aanmelden?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english and "exactly one administrator" in english


def test_register_a_group_through_the_form(client, runtime):
    done = post_form(client, FORM)
    assert done.status_code == 200, done.get_data(as_text=True)
    assert "De aanmelding is ontvangen" in done.get_data(as_text=True)
    [group] = groups(runtime)
    assert group.status == "requested" and group.postcodes == ["2711AB", "2712"]
    assert group.streets == ["Stadhuisplein", "Markt"] and group.member_count == 35
    with runtime.sessions() as db:
        admin = db.get(Group, group.id).administrator
        assert (admin.phone, admin.publish_contact) == ("+31612345678", True)


def test_a_large_group_is_warned_and_overlaps_are_shown(client, staff_auth, runtime):
    active(client, staff_auth, name="Stadshart", area=None, postcodes=["2711"])
    page = post_form(client, {**FORM, "member_count": "90"}).get_data(as_text=True)
    assert 'id="size-warning"' in page and "40" in page
    assert "overlapt" in page and "Stadshart" in page


@pytest.mark.parametrize("changes, field, dutch", [
    ({"name": ""}, "name", "Vul dit in."),
    ({"postcodes": ""}, "postcodes", "Teken het gebied op de kaart of vul de postcodes in."),
    ({"postcodes": "", "area": "[1, 2"}, "area", "Het getekende gebied klopt niet; teken"),
    ({"area": '{"type": "Polygon", "coordinates": [[[4.48, 52.05], [4.5, 52.06], [4.5, 52.05], '
              '[4.48, 52.06], [4.48, 52.05]]]}'}, "area", "Het getekende gebied klopt niet (kr"),
    ({"postcodes": "2711AB, 99"}, "postcodes", "Vul postcodes in zoals 2711 of 2711AB."),
    ({"member_count": "veel"}, "member_count", "Vul een getal in."),
    ({"member_count": "5000"}, "member_count", "Vul een aantal leden in van 1 tot 1024."),
    ({"members_adult": ""}, "members_adult", "Bevestig dat alle leden 18 jaar of ouder zijn."),
    ({"one_per_household": ""}, "one_per_household", "Bevestig dat er één lid per huishouden is."),
    ({"administrator.phone": "070 1234567"}, "administrator.phone", "Dit is geen mobiel nummer."),
    ({"administrator.email": "anna"}, "administrator.email", "Vul een e-mailadres in"),
])
def test_errors_are_shown_next_to_their_field_and_nothing_is_written(client, runtime, changes,
                                                                     field, dutch):
    response = post_form(client, {**FORM, **changes})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'<span class="error" id="{field}-error">{dutch}' in page
    assert f'id="{field}"' in page and 'aria-invalid="true"' in page
    assert 'value="Anna de Vries"' in page  # what was typed is kept
    assert groups(runtime) == []


def test_a_drawn_area_is_stored_as_the_groups_polygon(client, runtime):
    ring = [[4.488, 52.055], [4.498, 52.055], [4.498, 52.061], [4.488, 52.055]]
    area = json.dumps({"type": "Polygon", "coordinates": [ring]})
    done = post_form(client, {**FORM, "postcodes": "", "area": area})
    assert done.status_code == 200, done.get_data(as_text=True)
    [group] = groups(runtime)
    assert group.area == {"type": "Polygon", "coordinates": [ring]} and group.postcodes is None


def test_the_form_has_a_map_to_draw_on(client):
    html = client.get("/buurtpreventie/aanmelden").get_data(as_text=True)
    assert 'id="draw-map" hidden' in html and 'name="area"' in html  # shown by the script
    for url in re.findall(r'<script src="([^"]+)"', html):
        assert client.get(url).status_code == 200, url


def test_errors_in_english(client, runtime):
    client.get("/buurtpreventie/aanmelden?lang=en")
    page = post_form(client, {**FORM, "one_per_household": ""}).get_data(as_text=True)
    assert "The administrator must confirm that there is one member per household." in page


def test_the_form_needs_its_csrf_token(client, runtime):
    client.get("/buurtpreventie/aanmelden")
    assert client.post("/buurtpreventie/aanmelden", data=FORM).status_code == 403
    assert groups(runtime) == []


def test_the_form_shares_the_public_api_limit(client, runtime):
    limit = runtime.config.group_requests_per_address_hour
    for _ in range(limit):
        assert post_form(client, FORM).status_code == 200
    over = post_form(client, FORM)
    assert over.status_code == 429 and "te veel groepen" in over.get_data(as_text=True)
    assert client.post("/api/public/groups", json={}).status_code == 422  # checked first
    assert len(groups(runtime)) == limit


def test_the_map_page_serves_leaflet_itself_and_lists_active_groups(client, staff_auth):
    active(client, staff_auth, name="Stadshart")
    active(client, staff_auth, name="Open", administrator={
        "name": "Bram", "email": "bram@example.nl", "phone": "0611111111",
        "publish_contact": True})
    page = client.get("/buurtpreventie")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Stadshart" in html and "Open" in html
    assert "bram@example.nl" in html and "anna@example.nl" not in html  # consent only
    assert "0611111111" not in html and "Anna de Vries" not in html
    scripts = re.findall(r'<script src="([^"]+)"', html)
    styles = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert all(src.startswith("/") for src in scripts + styles)  # no CDN
    for url in scripts + styles:
        assert client.get(url).status_code == 200, url
    assert "Leaflet 1.9" in client.get("/buurtpreventie/leaflet/leaflet.js").get_data(as_text=True)
    assert client.get("/buurtpreventie/leaflet/images/marker-icon.png").status_code == 200
    assert client.get("/buurtpreventie/leaflet/../../__init__.py").status_code == 404
    assert 'data-tiles=""' in html  # no tile server configured: the areas on a plain background
    assert "<script>" not in html  # the CSP allows no inline script


def test_the_tile_server_is_configurable(client, runtime, config):
    app = client.application
    runtime.config = replace(config, map_tile_url="https://tiles.example.nl/{z}/{x}/{y}.png")
    html = app.test_client().get("/buurtpreventie").get_data(as_text=True)
    assert 'data-tiles="https://tiles.example.nl/{z}/{x}/{y}.png"' in html


def test_is_my_street_covered(client, staff_auth):
    # 2711AB 1 is the Stadhuisplein (52.0575, 4.4931 in the bundled table).
    centre = active(client, staff_auth, name="Stadshart")
    by_code = active(client, staff_auth, name="Postcode 2711", area=None, postcodes=["2711"])
    active(client, staff_auth, name="Elders", area={"type": "Polygon", "coordinates": [[
        [4.50, 52.07], [4.51, 52.07], [4.51, 52.08], [4.50, 52.08], [4.50, 52.07]]]})
    html = client.get("/buurtpreventie?postcode=2711+ab&house_number=1").get_data(as_text=True)
    result = html[html.index('id="lookup-result"'):]
    result = result[:result.index("</div>")]
    assert f'href="#group-{centre["id"]}"' in result and f'href="#group-{by_code["id"]}"' in result
    assert "Elders" not in result


@pytest.mark.parametrize("query, field", [
    ("postcode=27&house_number=1", "postcode"),
    ("postcode=2711AB&house_number=een", "house_number"),
    ("postcode=2711AB&house_number=99999", "postcode"),  # no such address
])
def test_a_bad_lookup_is_shown_at_its_field(client, query, field):
    response = client.get(f"/buurtpreventie?{query}")
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)


def test_a_lookup_outside_every_group_says_so(client, staff_auth, runtime):
    active(client, staff_auth, name="Elders", area={"type": "Polygon", "coordinates": [[
        [4.50, 52.07], [4.51, 52.07], [4.51, 52.08], [4.50, 52.08], [4.50, 52.07]]]})
    html = client.get("/buurtpreventie?postcode=2711AB&house_number=1").get_data(as_text=True)
    assert "valt (nog) onder geen groep" in html


def test_nothing_is_written_by_a_lookup(client, runtime):
    client.get("/buurtpreventie?postcode=2711AB&house_number=1")
    with runtime.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Group)) == 0
