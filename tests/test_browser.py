"""The console in a real browser: Playwright drives Debian's chromium (headless, never a browser
download) against the real system, as in the end-to-end tests: the Procfile's web and worker
lines and the simulator. An operator logs in, draws a circle, sees the preview, starts, watches
the counters reach final without a reload, sees tips arrive, widens with a polygon, closes with
an outcome; then finds it in the history, the CSV and (as a supervisor) the audit log. Each test
saves screenshots under its tmp_path. On PostgreSQL only: what a browser sees does not depend on
the database, and every database test below the pages runs on both."""

from __future__ import annotations

import csv
import os
import re

import pytest
import requests
from playwright.sync_api import Page, expect, sync_playwright

from gateway.auth import create_operator
from tests import factories
from tests.test_console import PASSWORD
from tests.test_end_to_end import TIPLINE, start_system

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
EAST = 4.4931 + 1500 / 68_540  # 1.5 km east of the centre (a degree of longitude is ~68.5 km here)
# Centre: 5 voice (2 answer, voicemail, busy, no answer) and 3 SMS. East: 1 voice, 1 SMS, for
# the widening. The simulator's behaviour follows the last digit (6 voicemail, 7 no answer, 8 busy).
CENTRE_PEOPLE = {"+31620000001": "voice", "+31620000011": "voice", "+31620000006": "voice",
                 "+31620000007": "voice", "+31620000008": "voice", "+31620000002": "sms",
                 "+31620000012": "sms", "+31620000022": "sms"}
EAST_PEOPLE = {"+31620000031": "voice", "+31620000032": "sms"}
# Controls without a label, an aria-label or text of their own.
UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
  .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                  && !el.textContent.trim())
  .map((el) => el.id || el.outerHTML)"""


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def people(runtime):
    with runtime.transaction() as db:
        for phone, channel in CENTRE_PEOPLE.items():
            factories.participant(db, phone, channel=channel)
        for phone, channel in EAST_PEOPLE.items():
            factories.participant(db, phone, channel=channel, lon=EAST)


@pytest.fixture
def system(runtime, config, tmp_path, token):
    with runtime.transaction() as db:
        create_operator(db, "chef", PASSWORD, role="supervisor")
    # No redials: a busy phone is final at once, so "done" comes within seconds.
    sut = start_system(config, tmp_path, CALL_RETRY_DELAYS_SECONDS="")
    yield sut
    sut.stop()


@pytest.fixture
def page(browser, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_default_timeout(30_000)
    expect.set_options(timeout=15_000)  # a busy CI machine runs web, worker and simulator too
    yield page
    page.screenshot(path=tmp_path / "last.png", full_page=True)
    context.close()
    assert errors == [], errors  # no script error on any page


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(base + "/console/login")
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_role("heading", name="Acties")).to_be_visible()


def map_ready(page: Page) -> None:
    """The page's scripts have run: a click on the map before Leaflet made it would be lost."""
    page.wait_for_load_state("load")
    expect(page.locator("#map.leaflet-container")).to_be_visible()


def test_an_operator_runs_an_action_from_the_map(people, system, page, tmp_path):
    base = system.web
    log_in(page, base, "centralist")
    page.get_by_role("link", name="Nieuwe actie").first.click()
    map_ready(page)

    # Draw a circle: click the incident's location, then drag the radius handle outwards.
    box = page.locator("#map").bounding_box()
    middle = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.click(*middle)
    handle = page.locator(".map-handle.radius").bounding_box()
    page.mouse.move(handle["x"] + 8, handle["y"] + 8)
    page.mouse.down()
    page.mouse.move(handle["x"] + 20, handle["y"] + 8, steps=5)
    page.mouse.up()
    radius = int(page.get_by_label("Straal (meter)").input_value())
    assert 850 < radius < 1200, radius  # dragged wider, still short of the east side
    page.get_by_label("Soort incident").select_option("burglary")
    page.get_by_label("Signalement").fill("Man, 1.80 m, rode jas, op zwarte fiets richting station")

    # The live preview: reach per channel and both texts, from the service.
    expect(page.get_by_test_id("preview-total")).to_have_text("8")
    expect(page.locator("#preview-channels")).to_have_text("spraak 5sms 3")
    expect(page.locator("#preview-sms")).to_contain_text("rode jas")
    expect(page.locator("#preview-segments")).to_contain_text("GSM-7, 1")
    expect(page.locator("#preview-voice")).to_contain_text("Dit is Burgernet")
    page.screenshot(path=tmp_path / "1-preview.png")

    # The confirmation names the number of people; starting leads to the live page.
    page.get_by_role("button", name="Controleren en starten").click()
    expect(page.locator("#confirm-people")).to_have_text("Deze actie alarmeert 8 mensen.")
    expect(page.locator("#confirm-what")).to_have_text(
        "Inbraak: Man, 1.80 m, rode jas, op zwarte fiets richting station")
    page.get_by_role("button", name="Start de actie").click()
    page.wait_for_url(re.compile(r"/console/actions/\d+$"))
    action_id = int(page.url.rsplit("/", 1)[1])
    map_ready(page)
    page.evaluate("window.sameDocument = true")  # gone if the page were reloaded
    assert page.evaluate(UNLABELLED) == []

    # Counters move to final by server-sent events.
    expect(page.get_by_test_id("progress-text")).to_have_text("8 van 8 klaar", timeout=60_000)
    counters = {name: page.locator(f'[data-counter="{name}"] .value') for name in
                ("answered", "voicemail", "delivered", "failed", "waiting")}
    expect(counters["answered"]).to_have_text("2")
    expect(counters["voicemail"]).to_have_text("1")
    expect(counters["delivered"]).to_have_text("3")
    expect(counters["failed"]).to_have_text("2")  # busy and no answer
    expect(counters["waiting"]).to_have_text("0")
    expect(page.get_by_test_id("status")).to_have_text("actief")

    # Tips arrive live: a text from someone alerted, a recorded message from someone answered.
    sim = system.sim
    requests.post(sim + "/sim/inbound/message", json={
        "from": "+31620000002", "to": TIPLINE, "body": "Zag hem bij het station"}, timeout=30)
    requests.post(sim + "/sim/inbound/call", json={
        "from": "+31620000001", "to": TIPLINE, "digits": "2", "recording_seconds": 6}, timeout=30)
    tips = page.locator("#tips .tip")
    expect(tips).to_have_count(2, timeout=30_000)
    expect(page.locator("#tips")).to_contain_text("Zag hem bij het station")
    expect(tips.filter(has_text="ingesproken")).to_contain_text("gealarmeerd")
    expect(tips.filter(has_text="ingesproken")).to_contain_text("6 s")
    expect(page.locator("#tips")).to_contain_text("+316*****001")
    expect(page.locator("#tips")).not_to_contain_text("+31620000001")
    # The recording plays in the page, through the app: the player's source answers with audio.
    recorded = tips.filter(has_text="ingesproken")
    player = recorded.locator("audio")
    expect(player).to_have_count(1)
    source = player.get_attribute("src")
    assert source.startswith("/api/tips/") and source.endswith("/recording"), source
    audio = page.evaluate("""async (src) => {
        const response = await fetch(src);
        const bytes = (await response.arrayBuffer()).byteLength;
        return [response.status, response.headers.get("content-type"), bytes];
    }""", source)
    assert audio[0] == 200 and audio[1].startswith("audio/") and audio[2] > 0, audio
    # An operator marks it handled with a note; the feed shows both.
    recorded.get_by_label("Notitie").fill("Teruggebeld, bruikbaar")
    recorded.get_by_role("button", name="Notitie opslaan").click()
    recorded.get_by_role("button", name="Afgehandeld").click()
    expect(recorded).to_contain_text("afgehandeld")
    expect(recorded.get_by_label("Notitie")).to_have_value("Teruggebeld, bruikbaar")
    page.screenshot(path=tmp_path / "2-live.png", full_page=True)

    # Widen with a polygon around the whole view, zoomed out once: only the east side is new.
    page.get_by_role("button", name="Veelhoek", exact=True).click()
    page.get_by_role("button", name="Zoom out").click()
    page.wait_for_timeout(400)  # the zoom animation
    box = page.locator("#map").bounding_box()
    for x, y in ((0.1, 0.1), (0.9, 0.1), (0.9, 0.9), (0.1, 0.9)):
        page.mouse.click(box["x"] + box["width"] * x, box["y"] + box["height"] * y)
    page.get_by_role("button", name="Veelhoek sluiten").click()
    expect(page.get_by_test_id("widen-preview")).to_have_text("Voegt 2 mensen toe")
    page.get_by_role("button", name="Uitbreiden").click()
    expect(page.get_by_test_id("progress-text")).to_have_text("10 van 10 klaar", timeout=60_000)

    # An update to everyone reached so far; the page lists it and counts it out.
    page.get_by_label("Update sturen").fill("Hij is gezien bij het station.")
    expect(page.locator("#update-preview")).to_contain_text("Gaat naar 8 mensen")
    page.get_by_role("button", name="Update versturen").click()
    expect(page.locator("#updates")).to_contain_text("Hij is gezien bij het station.")
    expect(page.locator("#followups")).to_contain_text("Updates: 8 van 8 verstuurd", timeout=60_000)

    # Close with an outcome: the preview says who gets it and by which channel.
    page.get_by_label("Afsluiten met afloop").fill("De verdachte is aangehouden.")
    # Reached: 2 answered + 1 east answered by voice; voicemail, 3 + 1 delivered texts by SMS.
    expect(page.get_by_test_id("close-preview")).to_contain_text("Afloop gaat naar 8 mensen")
    expect(page.locator("#close-channels")).to_have_text("spraak 3sms 5")
    page.get_by_role("button", name="Actie afsluiten").click()
    expect(page.get_by_test_id("status")).to_have_text("afgesloten")
    expect(page.locator("#followups")).to_contain_text("Afloop: 8 van 8 verstuurd", timeout=60_000)
    assert page.evaluate("window.sameDocument") is True  # all of it without a reload
    page.screenshot(path=tmp_path / "3-closed.png", full_page=True)

    # The history has it, with its figures and the CSV without a phone number.
    page.get_by_role("link", name="Geschiedenis").click()
    row = page.locator(f'tr[data-action="{action_id}"]')
    expect(row).to_contain_text("Inbraak")
    expect(row).to_contain_text("8 / 10")
    expect(row).to_contain_text("80%")
    with page.expect_download() as download:
        row.get_by_role("link", name="CSV").click()
    text = open(download.value.path(), encoding="utf-8").read()
    rows = list(csv.DictReader(text.splitlines()))
    assert len([r for r in rows if r["purpose"] == "alert"]) == 10
    assert len([r for r in rows if r["purpose"] == "outcome"]) == 8
    assert "+316" not in text and "620000" not in text
    page.screenshot(path=tmp_path / "4-history.png", full_page=True)

    # The audit log, for a supervisor: who started, widened and closed it.
    page.get_by_role("button", name="Uitloggen").click()
    log_in(page, base, "chef")
    page.get_by_role("link", name="Auditlog").click()
    page.get_by_label("Actie").fill(str(action_id))
    page.get_by_role("button", name="Toon").click()
    log = page.locator("#audit")
    for words in ("concept gemaakt", "gestart", "uitgebreid", "afgesloten", "centralist"):
        expect(log).to_contain_text(words)
    page.screenshot(path=tmp_path / "5-audit.png", full_page=True)


def test_keyboard_tablet_english_and_a_typed_confirmation(public_site, token, page, runtime,
                                                          tmp_path):
    """Above the threshold the number must be typed. All of it by keyboard, in English, at
    tablet width; cancelling discards the draft, so nothing is sent."""
    from sqlalchemy import select

    from gateway.models import Action
    from gateway.seed import demo_participants
    with runtime.transaction() as db:
        demo_participants(db, 1100)
    page.set_viewport_size({"width": 820, "height": 1180})
    page.goto(public_site + "/console/login")  # nothing is sent: the web app alone
    page.get_by_role("link", name="English").click()
    page.get_by_label("User name").fill("centralist")
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.get_by_role("link", name="New action").first.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="New action")).to_be_visible()
    map_ready(page)
    assert page.evaluate(UNLABELLED) == []

    # An address centres the map (the offline geocoder's table): its coordinates fill the fields.
    page.get_by_label("Postcode").focus()
    page.keyboard.type("2711 aa")
    page.keyboard.press("Tab")
    page.keyboard.type("2")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # Find
    expect(page.get_by_label("Latitude")).to_have_value("52.056016")
    expect(page.get_by_label("Longitude")).to_have_value("4.491392")
    page.get_by_label("House number").fill("9999")
    page.get_by_role("button", name="Find").click()
    expect(page.locator("#find-error")).to_contain_text("no address is known at 2711AA 9999")

    page.get_by_label("Latitude").fill("")
    page.get_by_label("Latitude").focus()
    page.keyboard.type("52.0575, 4.4931")  # a pasted pair fills both fields
    page.keyboard.press("Tab")
    expect(page.get_by_label("Longitude")).to_have_value("4.4931")
    page.keyboard.press("Tab")
    page.keyboard.press("Control+A")
    page.keyboard.type("5000")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # Apply
    page.get_by_label("Description").focus()
    page.keyboard.type("Two men on a grey scooter")
    expect(page.get_by_test_id("preview-total")).to_have_text("1,100")
    expect(page.locator("#preview-sms")).to_contain_text("Two men on a grey scooter")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    page.get_by_role("button", name="Check and start").focus()
    page.keyboard.press("Enter")
    start = page.get_by_role("button", name="Start the action")
    expect(page.locator("#confirm-people")).to_have_text("This action alerts 1,100 people.")
    expect(start).to_be_disabled()
    typed = page.get_by_label("More than 1,000 people")
    expect(typed).to_be_focused()
    page.keyboard.type("1010")
    expect(start).to_be_disabled()
    typed.fill("")
    page.keyboard.type("1,100")
    expect(start).to_be_enabled()
    page.screenshot(path=tmp_path / "1-confirm.png")
    page.keyboard.press("Escape")  # changed my mind: the draft is discarded, nothing sent
    expect(page.locator("#confirm")).not_to_be_visible()

    def statuses():
        with runtime.sessions() as db:
            return list(db.scalars(select(Action.status)))
    for _ in range(100):
        if statuses() == ["discarded"]:
            break
        page.wait_for_timeout(100)
    assert statuses() == ["discarded"]


def test_municipality_staff_land_on_participants_per_postcode_area_on_a_map(public_site, page,
                                                                             runtime, tmp_path):
    with runtime.transaction() as db:
        create_operator(db, "balie", PASSWORD, role="municipality")
        for i, (postcode, lon) in enumerate([("2711AB", 4.490), ("2711AC", 4.492), ("2712AA", 4.52)]):
            person = factories.participant(db, f"+3162000010{i}", lon=lon)
            person.addresses[0].postcode = postcode
    page.goto(public_site + "/console/login")
    page.get_by_label("Gebruikersnaam").fill("balie")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_role("heading", name="Deelnemers per postcodegebied")).to_be_visible()
    expect(page.locator("path.pc4-area")).to_have_count(2)  # 2711 and 2712, one marker each
    page.wait_for_timeout(400)  # fitBounds' animation
    page.locator("path.pc4-area").first.click(force=True)
    # The marker under the click says its own area's counts (the two may sit close together).
    expect(page.locator(".leaflet-popup-content")).to_have_text(re.compile(r"2711voice 2|2712voice 1"))
    page.screenshot(path=tmp_path / "statistics.png", full_page=True)


# -- pages that send nothing: the app alone serves them, in this process, without map tiles ----
@pytest.fixture
def public_site(runtime):
    from dataclasses import replace

    from gateway import create_app
    from tests.helpers import ServerThread, free_port

    runtime.config = replace(runtime.config, map_tile_url="")  # no tiles: nothing external
    port = free_port()
    server = ServerThread(create_app(runtime=runtime), port)
    yield f"http://127.0.0.1:{port}"
    server.stop()


def _active_group(runtime, name: str, **where) -> int:
    from gateway.models import Group, GroupAdministrator

    with runtime.transaction() as db:
        group = Group(name=name, municipality="Zoetermeer", streets=["Stadhuisplein"],
                      member_count=30, members_adult=True, one_per_household=True,
                      status="active", **where)
        group.administrator = GroupAdministrator(name="Bea", email="bea@example.nl",
                                                 phone="+31612345678")
        db.add(group)
        db.flush()
        return group.id


def test_the_public_coverage_map_shows_groups_and_answers_a_postcode(public_site, runtime, page):
    half = 0.004
    _active_group(runtime, "Stadshart", area={"type": "Polygon", "coordinates": [[
        [4.4931 - half, 52.0575 - half], [4.4931 + half, 52.0575 - half],
        [4.4931 + half, 52.0575 + half], [4.4931 - half, 52.0575 + half],
        [4.4931 - half, 52.0575 - half]]]})
    _active_group(runtime, "Postcode 2712", postcodes=["2712"])
    page.goto(public_site + "/buurtpreventie")
    areas = page.locator("#map path.leaflet-interactive")
    expect(areas).to_have_count(2)  # the drawn area and the postcode group's marker
    expect(page.locator("#map path.postcode-group")).to_have_count(1)
    areas.first.click()
    expect(page.locator(".leaflet-popup-content")).to_contain_text("Stadshart")
    page.locator('[id="postcode"]').fill("2711 AB")
    page.locator('[id="house_number"]').fill("1")
    page.locator('[id="house_number"]').press("Enter")
    expect(page.locator("#lookup-result")).to_contain_text("Stadshart")


def test_registering_a_group_in_the_browser_requests_it(public_site, runtime, page):
    from sqlalchemy import select

    from gateway.models import Group

    page.goto(public_site + "/buurtpreventie/aanmelden")
    expect(page.locator("#draw-map.leaflet-container")).to_be_visible()
    draw = page.locator("#draw-map")
    box = draw.bounding_box()
    for dx, dy in ((-60, -40), (60, -40), (60, 40), (-60, 40)):  # four corners
        draw.click(position={"x": box["width"] / 2 + dx, "y": box["height"] / 2 + dy}, force=True)
        page.wait_for_timeout(600)  # apart, so that two clicks are not a double click (zoom)
    expect(page.locator("#area")).not_to_have_value("")
    fields = {"name": "Buurtpreventie Browserwijk", "municipality": "Zoetermeer",
              "streets": "Stadhuisplein", "member_count": "25",
              "administrator.name": "Bea Beheer", "administrator.email": "bea@example.nl",
              "administrator.phone": "06 12345678"}
    for name, value in fields.items():
        page.locator(f'[id="{name}"]').fill(value)
    page.locator('[id="members_adult"]').check()
    page.locator('[id="one_per_household"]').check()
    page.locator('form[method="post"] button[type="submit"]').click()
    expect(page.locator("body")).to_contain_text("De aanmelding is ontvangen")
    with runtime.sessions() as db:
        [group] = db.scalars(select(Group)).all()
        assert (group.name, group.status) == ("Buurtpreventie Browserwijk", "requested")
        assert group.area["type"] == "Polygon" and len(group.area["coordinates"][0]) == 5
        assert group.administrator.phone == "+31612345678"
