"""Municipality import: per-row errors, whole participants or nothing, idempotent on the phone,
--verify texting codes; from the command line and through the API."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select

from gateway import cli
from gateway.models import Address, Participant, Registration
from tests import fakes
from tests.helpers import run_jobs

CSV = """phone,lat,lon,channel,language,birth_year,label,postcode,house_number,windows
0612345001,52.0575,4.4931,voice,nl,1970,home,2711AB,1,
0612345001,52.06,4.5,sms,nl,1970,work,,,"[{""days"": [""mon""], ""start"": ""08:00"", ""end"": ""18:00""}]"
0612345002,52.06,4.49,sms,en,,home,,,
0612345003,95,4.49,sms,nl,,home,,,
0612345004,52.06,4.49,fax,nl,,home,,,
0612345004,52.06,4.49,sms,nl,,work,,,
12,52.06,4.49,sms,nl,,home,,,
0612345005,,,sms,nl,,home,2711AB,1,
0612345006,52.06,4.49,sms,nl,2020,home,,,
"""


@pytest.fixture
def config(config):
    return replace(config, sms_segments_per_second=1000)


def people(runtime) -> dict[str, list[tuple]]:
    with runtime.sessions() as db:
        return {p.phone: [(a.label, a.channel, a.postcode, a.windows) for a in p.addresses]
                for p in db.scalars(select(Participant).order_by(Participant.phone))}


def test_import_through_the_api(client, staff_auth, runtime):
    response = client.post("/api/participants/import", data=CSV, headers={
        **staff_auth, "Content-Type": "text/csv"})
    assert response.status_code == 200, response.json
    report = response.json
    assert (report["rows"], report["created"], report["updated"], report["skipped_rows"]) == (
        9, 3, 0, 5)
    assert [(e["line"], e["field"]) for e in report["errors"]] == [
        (5, "lat"), (6, "channel"), (8, "phone"), (10, "birth_year")]
    imported = people(runtime)
    assert imported == {
        "+31612345001": [("home", "voice", "2711AB", []),
                         ("work", "sms", None, [{"days": ["mon"], "start": "08:00", "end": "18:00"}])],
        "+31612345002": [("home", "sms", None, [])],
        "+31612345005": [("home", "sms", "2711AB", [])],  # located by the geocoder
    }
    # +31612345004 had one bad row of two: left out whole.
    with runtime.sessions() as db:
        assert all(p.verified_at is not None for p in db.scalars(select(Participant)))
        assert db.scalar(select(Participant.language).where(
            Participant.phone == "+31612345002")) == "en"


def test_reimport_is_idempotent_and_keeps_opt_outs(client, staff_auth, runtime):
    headers = {**staff_auth, "Content-Type": "text/csv"}
    client.post("/api/participants/import", data=CSV, headers=headers)
    with runtime.transaction() as db:
        db.scalar(select(Participant).where(Participant.phone == "+31612345002")).active = False
    before = people(runtime)
    again = client.post("/api/participants/import", data=CSV, headers=headers).json
    assert (again["created"], again["updated"]) == (0, 3)
    assert people(runtime) == before
    with runtime.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Address)) == 4
        assert db.scalar(select(Participant.active).where(
            Participant.phone == "+31612345002")) is False


def test_import_with_verify_texts_codes_to_new_people_only(client, staff_auth, runtime):
    phone = fakes.install(runtime)
    headers = {**staff_auth, "Content-Type": "text/csv"}
    client.post("/api/participants/import", data="phone,lat,lon,channel\n0612345002,52,4.4,sms\n",
                headers=headers)
    report = client.post("/api/participants/import?verify=true", data=CSV, headers=headers).json
    assert report["codes"] == 2
    run_jobs(runtime)
    assert phone.texts_to("+31612345002") == []  # already verified: kept, no code
    body = phone.texts_to("+31612345001")[0]
    assert "uw gemeente heeft u aangemeld" in body
    with runtime.sessions() as db:
        registration_id = db.scalar(select(Registration.id).where(
            Registration.phone == "+31612345001"))
        assert db.scalar(select(Participant.verified_at).where(
            Participant.phone == "+31612345001")) is None
    assert f"/deelnemen/bevestigen/{registration_id}" in body
    done = client.post(f"/api/registrations/{registration_id}/verify",
                       json={"code": phone.last_code("+31612345001")})
    assert done.status_code == 200 and done.json["participant"]["verified"] is True


@pytest.mark.parametrize("body, words", [
    ("telefoon,lat,lon,channel\n0612345001,52,4,sms\n", "lacks phone"),
    ("phone,channel\n0612345001,sms\n", "lat and lon"),
    ("phone,lat,lon,channel,colour\n0612345001,52,4,sms,red\n", "unknown column colour"),
    ("phone,lat,lon,channel\n0612345001,52,4\x00,sms\n", "control character"),
])
def test_a_bad_file_is_422_and_writes_nothing(client, staff_auth, runtime, body, words):
    response = client.post("/api/participants/import", data=body,
                           headers={**staff_auth, "Content-Type": "text/csv"})
    assert response.status_code == 422 and response.json["error"]["field"] == "file"
    assert words in response.json["error"]["message"]
    assert people(runtime) == {}


def test_only_municipality_staff_import(client, auth):
    response = client.post("/api/participants/import", data=CSV,
                           headers={**auth, "Content-Type": "text/csv"})
    assert response.status_code == 403


def test_the_command_line_import(runtime, config, tmp_path, monkeypatch, capsys):
    path = tmp_path / "people.csv"
    path.write_text(CSV)
    errors = tmp_path / "errors.csv"
    for name in ("database_url", "redis_url", "queue_prefix", "secret_key"):
        monkeypatch.setenv(name.upper(), getattr(config, name))
    with pytest.raises(SystemExit) as exit_code:  # some rows were refused: exit 1
        cli.main(["import-participants", str(path), "--errors", str(errors)])
    assert exit_code.value.code == 1
    out, err = capsys.readouterr()
    assert "9 rows: 3 participants created, 0 updated, 5 rows skipped" in out
    assert "line 5: lat: must be between -90 and 90" in err and "writing" in err
    assert errors.read_text().splitlines()[0] == "line,field,message"
    assert len(people(runtime)) == 3
    path.write_text("phone,lat,lon,channel\n0612345001,52,4.4,sms\n")
    cli.main(["import-participants", str(path)])  # no errors: exit 0
    assert "0 participants created, 1 updated" in capsys.readouterr().out


def test_an_import_without_verify_vouches_for_an_earlier_unverified_one(client, staff_auth,
                                                                        runtime):
    headers = {**staff_auth, "Content-Type": "text/csv"}
    body = "phone,lat,lon,channel\n0612345009,52,4.4,sms\n"
    client.post("/api/participants/import?verify=true", data=body, headers=headers)
    with runtime.sessions() as db:
        assert db.scalar(select(Participant.verified_at)) is None
    client.post("/api/participants/import", data=body, headers=headers)
    with runtime.sessions() as db:
        verified_at = db.scalar(select(Participant.verified_at))
    assert verified_at is not None
    client.post("/api/participants/import?verify=true", data=body, headers=headers)
    with runtime.sessions() as db:  # never taken back
        assert db.scalar(select(Participant.verified_at)) == verified_at
