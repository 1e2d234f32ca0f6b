"""Both geocoders. PDOK is played by a local fake Locatieserver: no test reaches the internet."""

from __future__ import annotations

import time

import pytest
from flask import Flask, jsonify, request

from gateway.config import Config
from gateway.geocoding import (
    DEMO_TABLE,
    GeocoderUnavailable,
    Location,
    PdokGeocoder,
    TableGeocoder,
    make,
)
from tests.helpers import ServerThread, free_port

DOCS = {
    ("2711AB", "1"): [{"centroide_ll": "POINT(4.4931 52.0575)"}],
    ("2712CD", "12"): [{"centroide_ll": "POINT(4.5 52.06)", "huisletter": "A"},
                       {"centroide_ll": "POINT(4.6 52.07)", "huisletter": "B",
                        "huisnummertoevoeging": "2"}],
}


@pytest.fixture
def pdok():
    app = Flask("fake-pdok")
    app.asked = []

    @app.get("/locatieserver/free")
    def free():
        filters = dict(f.split(":", 1) for f in request.args.getlist("fq"))
        app.asked.append(filters)
        if filters.get("postcode") == "5000ER":
            return "overloaded", 503
        if filters.get("postcode") == "5000SL":
            time.sleep(1.0)
        assert filters["type"] == "adres"
        docs = DOCS.get((filters.get("postcode"), filters.get("huisnummer")), [])
        return jsonify(response={"numFound": len(docs), "start": 0, "docs": docs})

    server = ServerThread(app, free_port())
    app.url = f"http://127.0.0.1:{server.server.server_port}/locatieserver"
    yield app
    server.stop()


def test_pdok_locates_an_address(pdok):
    geocoder = PdokGeocoder(pdok.url)
    assert geocoder.locate("2711AB", 1) == Location(lat=52.0575, lon=4.4931)
    assert geocoder.locate("2711AB", 2) is None


def test_pdok_picks_the_addition(pdok):
    geocoder = PdokGeocoder(pdok.url)
    assert geocoder.locate("2712CD", 12, "B2") == Location(lat=52.07, lon=4.6)
    assert geocoder.locate("2712CD", 12, "a") == Location(lat=52.06, lon=4.5)
    assert geocoder.locate("2712CD", 12, "C") is None


def test_pdok_answers_are_cached(pdok):
    geocoder = PdokGeocoder(pdok.url)
    for _ in range(3):
        geocoder.locate("2711AB", 1)
        geocoder.locate("2711AB", 2)  # not found is an answer too
    assert len(pdok.asked) == 2
    expired = PdokGeocoder(pdok.url, cache_seconds=0)
    expired.locate("2711AB", 1)
    expired.locate("2711AB", 1)
    assert len(pdok.asked) == 4


def test_pdok_unavailable_is_not_a_missing_address(pdok):
    with pytest.raises(GeocoderUnavailable):
        PdokGeocoder(pdok.url).locate("5000ER", 1)
    started = time.monotonic()
    with pytest.raises(GeocoderUnavailable):
        PdokGeocoder(pdok.url, timeout=0.2).locate("5000SL", 1)
    assert time.monotonic() - started < 0.9
    with pytest.raises(GeocoderUnavailable):
        PdokGeocoder(f"http://127.0.0.1:{free_port()}/nobody").locate("2711AB", 1)


def test_table_from_csv(tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("postcode,number,lat,lon\n2711 ab,1,52.0575,4.4931\n")
    table = TableGeocoder.from_csv(path)
    assert table.locate("2711AB", 1) == Location(52.0575, 4.4931)
    assert table.locate("2711AB", 1, "A") == Location(52.0575, 4.4931)
    assert table.locate("2711AB", 3) is None


def test_configuration_chooses(tmp_path):
    assert isinstance(make(Config()), TableGeocoder)
    assert make(Config()).locate("2711AB", 1) is not None  # the bundled demo table
    assert isinstance(make(Config(geocoder="pdok")), PdokGeocoder)
    assert DEMO_TABLE.exists()
    with pytest.raises(RuntimeError, match="GEOCODER"):
        Config(geocoder="google", testing=True).check()


def test_api_says_503_when_the_geocoder_is_down(client, staff_auth, runtime, pdok):
    runtime.geocoder = PdokGeocoder(pdok.url)
    response = client.post("/api/participants", headers=staff_auth, json={
        "phone": "0612345678", "addresses": [
            {"postcode": "5000ER", "house_number": 1, "channel": "sms"}]})
    assert response.status_code == 503
    assert response.json["error"]["field"] == "addresses[0].postcode"
