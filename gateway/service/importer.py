"""Bulk import of participants from CSV, for municipalities: `burgernet import-participants` and
POST /api/participants/import.

- One row is one address; rows with the same phone are one participant with several addresses.
  A header names the columns: at least phone, lat, lon (or postcode and house_number) and
  channel; optional language, birth_year, label, postcode, house_number, house_addition and
  windows (JSON, as in the API).
- Every row is checked with the same rules as the API. A participant with any bad row is left
  out whole (nothing half-written) and each bad row is reported with its line and field.
- Idempotent on the phone: importing again updates language and birth year and replaces the
  participant's addresses with the file's; opting out (STOP) and verification are kept, and an
  import without `verify` verifies who was imported unverified before.
- Imported participants are stored verified (the municipality vouches for them), unless
  `verify`: then new ones stay unverified and each is texted a code (see registrations.py).
- Fast: participants are upserted and addresses inserted in bulk (a statement per thousand
  rows), never one ORM object per row."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from gateway.errors import ApiError
from gateway.models import Address, Participant, Registration, utcnow
from gateway.models import registration as kinds
from gateway.service import participants

REQUIRED = ("phone", "channel")
COLUMNS = ("phone", "lat", "lon", "channel", "language", "birth_year", "label", "postcode",
           "house_number", "house_addition", "windows")
CHUNK = 1000


@dataclass
class Report:
    rows: int = 0
    created: int = 0
    updated: int = 0
    skipped_rows: int = 0
    codes: int = 0
    errors: list[dict] = field(default_factory=list)

    def as_json(self, max_errors: int | None = None) -> dict:
        shown = self.errors if max_errors is None else self.errors[:max_errors]
        return {"rows": self.rows, "created": self.created, "updated": self.updated,
                "skipped_rows": self.skipped_rows, "codes": self.codes,
                "errors_total": len(self.errors), "errors": shown}


def check_header(fieldnames: list[str] | None) -> None:
    names = set(fieldnames or ())
    missing = [c for c in REQUIRED if c not in names]
    if not ({"lat", "lon"} <= names or {"postcode", "house_number"} <= names):
        missing.append("lat and lon (or postcode and house_number)")
    if missing:
        raise ApiError(422, "file", f"the header line lacks {', '.join(missing)}; it needs at "
                                    "least phone, lat, lon and channel")
    unknown = sorted(names - set(COLUMNS))
    if unknown:
        raise ApiError(422, "file", f"unknown column {unknown[0]}; known: {', '.join(COLUMNS)}")


def _number(row: dict, name: str, kind):
    raw = (row.get(name) or "").strip()
    if not raw:
        return None
    try:
        return kind(raw)
    except ValueError:
        raise ApiError(422, name, f"must be {'an integer' if kind is int else 'a number'}") \
            from None


def _read_row(row: dict, countries, geocoder) -> tuple[str, dict, participants.AddressIn]:
    phone = participants.read_phone((row.get("phone") or "").strip(), countries)
    language = (row.get("language") or "").strip() or "nl"
    if language not in participants.LANGUAGES:
        raise ApiError(422, "language", f"must be one of {', '.join(participants.LANGUAGES)}")
    birth_year = participants.read_birth_year(_number(row, "birth_year", int))
    windows = (row.get("windows") or "").strip()
    try:
        windows = json.loads(windows) if windows else None
    except ValueError:
        raise ApiError(422, "windows", "must be JSON, e.g. [{\"days\": [\"mon\"], \"start\": "
                                       "\"08:00\", \"end\": \"18:00\"}]") from None
    item = {"label": (row.get("label") or "").strip() or None,
            "channel": (row.get("channel") or "").strip() or None,
            "lat": _number(row, "lat", float), "lon": _number(row, "lon", float),
            "postcode": (row.get("postcode") or "").strip() or None,
            "house_number": _number(row, "house_number", int),
            "house_addition": (row.get("house_addition") or "").strip() or None,
            "windows": windows}
    try:
        address = participants.read_address(item, "row", geocoder)
    except ApiError as exc:
        raise ApiError(exc.status, (exc.field or "").removeprefix("row."), exc.message) from None
    return phone, {"language": language, "birth_year": birth_year}, address


def read(rows: Iterable[tuple[int, dict]], countries, geocoder, report: Report,
         progress: Callable[[int], None] | None = None) -> dict[str, dict]:
    """{phone: {language, birth_year, addresses}} of the participants whose every row is good."""
    people: dict[str, dict] = {}
    bad: set[str] = set()
    rows_of: dict[str, int] = {}
    for line, row in rows:
        report.rows += 1
        try:
            phone, person, address = _read_row(row, countries, geocoder)
        except ApiError as exc:
            report.errors.append({"line": line, "field": exc.field, "message": exc.message})
            report.skipped_rows += 1
            raw = (row.get("phone") or "").strip()
            try:  # the whole participant is left out, not only this row
                bad.add(participants.read_phone(raw, countries))
            except ApiError:
                pass
        else:
            entry = people.setdefault(phone, {**person, "addresses": []})
            entry["addresses"].append(address)
            rows_of[phone] = rows_of.get(phone, 0) + 1
        if progress:
            progress(1)
    for phone in bad & people.keys():
        report.skipped_rows += rows_of[phone]
        del people[phone]
    for phone, person in list(people.items()):
        if len(person["addresses"]) > participants.MAX_ADDRESSES:
            report.errors.append({"line": None, "field": "phone", "message":
                                  f"{len(person['addresses'])} rows for one number; at most "
                                  f"{participants.MAX_ADDRESSES} addresses"})
            report.skipped_rows += rows_of[phone]
            del people[phone]
    return people


def _upsert(db: Session):
    dialect = db.get_bind().dialect.name
    ins = (postgresql if dialect == "postgresql" else sqlite).insert(Participant.__table__)
    # Language and birth year follow the file; opting out is the person's. A verification is
    # never taken back, and an import without --verify vouches for who was not yet verified.
    table = Participant.__table__
    return ins.on_conflict_do_update(
        index_elements=[table.c.phone],
        set_={"language": ins.excluded.language, "birth_year": ins.excluded.birth_year,
              "verified_at": func.coalesce(table.c.verified_at, ins.excluded.verified_at)},
    ).returning(table.c.id, table.c.phone, table.c.verified_at)


def write(db: Session, people: dict[str, dict], verify: bool, report: Report,
          progress: Callable[[int], None] | None = None) -> list[int]:
    """Store them; returns the ids of registrations whose code must be texted."""
    now = utcnow()
    store = _copy_postgresql if db.get_bind().dialect.name == "postgresql" else _executemany
    codes = store(db, people, verify, report, progress, now)
    registration_ids = []
    connection = db.connection()
    for start in range(0, len(codes), CHUNK):
        chunk = codes[start:start + CHUNK]
        phone_of = dict(db.execute(select(Participant.id, Participant.phone)
                                   .where(Participant.id.in_(chunk))).all())
        inserted = connection.execute(insert(Registration.__table__).returning(
            Registration.__table__.c.id), [
            {"phone": phone_of[i], "purpose": kinds.IMPORT, "participant_id": i, "tries": 0,
             "created_at": now} for i in chunk])
        registration_ids.extend(inserted.scalars())
    report.codes = len(registration_ids)
    return registration_ids


def _executemany(db: Session, people: dict[str, dict], verify: bool, report: Report,
                 progress, now) -> list[int]:
    """SQLite (and any database): a chunk at a time, upsert then addresses. Returns the ids of
    participants to text a code."""
    phones = list(people)
    codes: list[int] = []
    connection = db.connection()
    for start in range(0, len(phones), CHUNK):
        chunk = phones[start:start + CHUNK]
        known = set(db.scalars(select(Participant.phone).where(Participant.phone.in_(chunk))))
        report.created += len(chunk) - len(known)
        report.updated += len(known)
        rows = [{"phone": p, "language": people[p]["language"],
                 "birth_year": people[p]["birth_year"], "active": True, "created_at": now,
                 "verified_at": None if verify else now} for p in chunk]
        ids = {}
        # Core executemany: the statement is compiled once and the driver gets the rows in
        # multi-row batches ("insertmanyvalues"), RETURNING included.
        for row in connection.execute(_upsert(db), rows):
            ids[row.phone] = row.id
            if verify and row.verified_at is None:
                codes.append(row.id)
        db.execute(delete(Address).where(Address.participant_id.in_(ids.values())))
        addresses = [{"participant_id": ids[p], **vars(a)} for p in chunk
                     for a in people[p]["addresses"]]
        connection.execute(insert(Address.__table__), addresses)
        if progress:
            progress(len(chunk))
    return codes


ADDRESS_COLUMNS = ("label", "channel", "lat", "lon", "postcode", "house_number",
                   "house_addition", "windows")


def _copy_postgresql(db: Session, people: dict[str, dict], verify: bool, report: Report,
                     progress, now) -> list[int]:
    """PostgreSQL: COPY everything into two temporary tables, then one upsert and one insert
    in SQL. 100,000 participants take seconds instead of the minute that statements with
    bound parameters take (measured: bench/import_participants.py)."""
    cursor = db.connection().connection.dbapi_connection.cursor()
    cursor.execute("CREATE TEMPORARY TABLE import_people (phone text PRIMARY KEY, "
                   "language text, birth_year integer) ON COMMIT DROP")
    cursor.execute("CREATE TEMPORARY TABLE import_addresses (phone text, label text, "
                   "channel text, lat double precision, lon double precision, postcode text, "
                   "house_number integer, house_addition text, windows text) ON COMMIT DROP")
    with cursor.copy("COPY import_people (phone, language, birth_year) FROM STDIN") as copy:
        for phone, person in people.items():
            copy.write_row((phone, person["language"], person["birth_year"]))
    done = 0
    with cursor.copy(f"COPY import_addresses (phone, {', '.join(ADDRESS_COLUMNS)}) "
                     "FROM STDIN") as copy:
        for phone, person in people.items():
            for a in person["addresses"]:
                copy.write_row((phone, a.label, a.channel, a.lat, a.lon, a.postcode,
                                a.house_number, a.house_addition, json.dumps(a.windows)))
            done += 1
            if progress and done % CHUNK == 0:
                progress(CHUNK // 2)
    cursor.execute("SELECT count(*) FROM import_people JOIN participants USING (phone)")
    known = cursor.fetchone()[0]
    report.created += len(people) - known
    report.updated += known
    # The same rules as _upsert.
    cursor.execute(
        "INSERT INTO participants (phone, language, birth_year, active, created_at, verified_at) "
        "SELECT phone, language, birth_year, true, %(now)s, %(verified)s FROM import_people "
        "ON CONFLICT (phone) DO UPDATE SET language = EXCLUDED.language, "
        "birth_year = EXCLUDED.birth_year, "
        "verified_at = coalesce(participants.verified_at, EXCLUDED.verified_at) "
        "RETURNING id, verified_at",
        {"now": now, "verified": None if verify else now})
    codes = [row[0] for row in cursor.fetchall() if verify and row[1] is None]
    cursor.execute("DELETE FROM addresses USING participants, import_people "
                   "WHERE addresses.participant_id = participants.id "
                   "AND participants.phone = import_people.phone")
    columns = ", ".join(ADDRESS_COLUMNS)
    cursor.execute(
        f"INSERT INTO addresses (participant_id, {columns}) "
        f"SELECT p.id, {columns.replace('windows', 'a.windows::json')} "
        "FROM import_addresses a JOIN participants p USING (phone) ORDER BY a.phone")
    if progress:
        progress(len(people) - done // CHUNK * (CHUNK // 2))
    return codes


def run(rt, handle, verify: bool = False, progress: Callable[[int], None] | None = None,
        stage: Callable[[str, int], None] | None = None) -> Report:
    """Import a CSV text stream. `stage(name, total)` announces reading and writing for a
    progress display; `progress(n)` advances it."""
    reader = csv.DictReader(handle)
    try:
        check_header(reader.fieldnames)
        lines = [(reader.line_num, row) for row in reader]
    except csv.Error as exc:  # a NUL byte, an unclosed quote at the end
        raise ApiError(422, "file", f"is not readable CSV (line {reader.line_num}: {exc})") \
            from None
    report = Report()
    if stage:
        stage("checking", len(lines))
    people = read(lines, rt.config.countries, rt.geocoder, report, progress)
    if stage:
        stage("writing", len(people))
    with rt.transaction() as db:
        registration_ids = write(db, people, verify, report, progress)
    _enqueue_codes(rt, registration_ids)
    return report


def _enqueue_codes(rt, registration_ids: list[int]) -> None:
    from gateway.service.registrations import SEND_RETRY
    queue = rt.jobs.queues["default"]
    for start in range(0, len(registration_ids), CHUNK):
        with rt.redis.pipeline() as pipe:
            for registration_id in registration_ids[start:start + CHUNK]:
                queue.enqueue("worker.codes.send_code", registration_id, retry=SEND_RETRY,
                              pipeline=pipe)
            pipe.execute()
