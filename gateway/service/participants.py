"""The participant registry's rules, in one place: the operator API, self-service registration,
the web pages and the importer all read a participant through `read` and write through
`create` / `apply`. Errors are ApiError naming the field; nothing is written before the whole
participant has been read."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from callflows.texts import LANGUAGES
from gateway import channels, postcodes, windows
from gateway.errors import ApiError
from gateway.geocoding import Geocoder, GeocoderUnavailable
from gateway.models import Address, Participant, utcnow
from gateway.models.participant import LABELS
from gateway.phones import InvalidPhone, normalise
from gateway.service.actions import check_characters

MAX_ADDRESSES = 5
MIN_AGE = 16
OLDEST_BIRTH_YEAR = 1900
MAX_HOUSE_NUMBER = 99999
ADDITION = re.compile(r"[A-Z0-9]{1,6}", re.ASCII)


@dataclass
class AddressIn:
    label: str
    channel: str
    lat: float
    lon: float
    postcode: str | None = None
    house_number: int | None = None
    house_addition: str | None = None
    windows: list = field(default_factory=list)

    def model(self) -> Address:
        return Address(**asdict(self))


@dataclass
class ParticipantIn:
    phone: str
    language: str
    birth_year: int | None
    addresses: list[AddressIn]

    def as_json(self) -> dict:
        """What a registration keeps until its code is entered (JSON column)."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> ParticipantIn:
        return cls(data["phone"], data["language"], data["birth_year"],
                   [AddressIn(**a) for a in data["addresses"]])


# -- reading -----------------------------------------------------------------------------------
def _value(data: dict, name: str, kind, path: str, required: bool = True):
    value = data.get(name)
    if value is None:
        if required:
            raise ApiError(422, path, "is required")
        return None
    if isinstance(value, bool) and kind is not bool or not isinstance(value, kind):
        names = {str: "a string", int: "an integer", list: "a list", (int, float): "a number"}
        raise ApiError(422, path, f"must be {names.get(kind, 'of another type')}")
    if isinstance(value, str):
        check_characters(value, path)
    return value


def _choice(data: dict, name: str, options, path: str, default: str | None = None) -> str:
    value = _value(data, name, str, path, required=default is None)
    value = default if value is None else value
    if value not in options:
        raise ApiError(422, path, f"must be one of {', '.join(options)}")
    return value


def read_phone(raw, countries: tuple[str, ...], path: str = "phone") -> str:
    if raw is None:
        raise ApiError(422, path, "is required")
    if not isinstance(raw, str):
        raise ApiError(422, path, "must be a string")
    check_characters(raw, path)
    try:
        return normalise(raw, mobile_only=True, countries=countries)
    except InvalidPhone as exc:
        raise ApiError(422, path, str(exc)) from None


def read_birth_year(value, path: str = "birth_year") -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(422, path, "must be an integer (a year such as 1980)")
    this_year = utcnow().year
    if not OLDEST_BIRTH_YEAR <= value <= this_year:
        raise ApiError(422, path, f"is not a possible birth year ({OLDEST_BIRTH_YEAR} to "
                                  f"{this_year})")
    if value > this_year - MIN_AGE:
        raise ApiError(422, path, f"participants must be {MIN_AGE} or older")
    return value


def read_address(item, path: str, geocoder: Geocoder) -> AddressIn:
    """Postcode + house number (+ addition), located by the geocoder, or coordinates; both
    given: the coordinates are kept as given and the postcode with them."""
    if not isinstance(item, dict):
        raise ApiError(422, path, "must be an object")
    prefix = path + "."
    label = _choice(item, "label", LABELS, prefix + "label", default="home")
    channel = _choice(item, "channel", channels.NAMES, prefix + "channel")
    try:
        window_list = windows.parse(item.get("windows"), prefix + "windows")
    except windows.InvalidWindow as exc:
        raise ApiError(422, exc.path, exc.message) from None
    # Every field's type is checked whether or not it is used: nothing given is ignored.
    raw_postcode = _value(item, "postcode", str, prefix + "postcode", required=False)
    number = _value(item, "house_number", int, prefix + "house_number", required=False)
    raw_addition = _value(item, "house_addition", str, prefix + "house_addition", required=False)
    postcode = addition = None
    if raw_postcode is not None:
        try:
            postcode = postcodes.normalise(raw_postcode)
        except postcodes.InvalidPostcode as exc:
            raise ApiError(422, prefix + "postcode", str(exc)) from None
        if number is None:
            raise ApiError(422, prefix + "house_number", "is required with a postcode")
    elif number is not None or raw_addition is not None:
        raise ApiError(422, prefix + "postcode", "is required with a house number")
    if number is not None and not 1 <= number <= MAX_HOUSE_NUMBER:
        raise ApiError(422, prefix + "house_number", f"must be 1 to {MAX_HOUSE_NUMBER}")
    if raw_addition is not None:
        addition = raw_addition.replace("-", "").replace(" ", "").upper() or None
        if addition is not None and not ADDITION.fullmatch(addition):
            raise ApiError(422, prefix + "house_addition",
                           "must be up to 6 letters or digits, e.g. A or 2HG")
    has_coordinates = item.get("lat") is not None or item.get("lon") is not None
    if has_coordinates or postcode is None:
        lat = _value(item, "lat", (int, float), prefix + "lat")
        lon = _value(item, "lon", (int, float), prefix + "lon")
        if not -90 <= lat <= 90:
            raise ApiError(422, prefix + "lat", "must be between -90 and 90")
        if not -180 <= lon <= 180:
            raise ApiError(422, prefix + "lon", "must be between -180 and 180")
    else:
        try:
            found = geocoder.locate(postcode, number, addition or "")
        except GeocoderUnavailable:
            raise ApiError(503, prefix + "postcode", "the address lookup is unavailable; try "
                                                     "again later or give coordinates") from None
        if found is None:
            raise ApiError(422, prefix + "postcode", "no address is known at this postcode and "
                                                     "house number")
        lat, lon = found.lat, found.lon
    return AddressIn(label, channel, float(lat), float(lon), postcode, number, addition,
                     window_list)


def read_addresses(items, geocoder: Geocoder, path: str = "addresses") -> list[AddressIn]:
    if items is None:
        raise ApiError(422, path, "is required")
    if not isinstance(items, list):
        raise ApiError(422, path, "must be a list")
    if not 1 <= len(items) <= MAX_ADDRESSES:
        raise ApiError(422, path, f"must hold 1 to {MAX_ADDRESSES} addresses")
    return [read_address(item, f"{path}[{i}]", geocoder) for i, item in enumerate(items)]


def read(data: dict, countries: tuple[str, ...], geocoder: Geocoder) -> ParticipantIn:
    """A whole participant from a request body (API, pages, import)."""
    phone = read_phone(data.get("phone"), countries)
    language = _choice(data, "language", LANGUAGES, "language", default="nl")
    birth_year = read_birth_year(data.get("birth_year"))
    return ParticipantIn(phone, language, birth_year, read_addresses(data.get("addresses"),
                                                                     geocoder))


# -- writing -----------------------------------------------------------------------------------
def by_phone(db: Session, phone: str) -> Participant | None:
    return db.scalar(select(Participant).where(Participant.phone == phone))


def create(db: Session, data: ParticipantIn, verified: bool) -> Participant:
    """A new participant; 409 when the number is taken (the unique index has the last word
    when two requests race: the caller turns its IntegrityError into the same 409)."""
    if by_phone(db, data.phone) is not None:
        raise ApiError(409, "phone", "a participant with this number already exists")
    participant = Participant(phone=data.phone, language=data.language,
                              birth_year=data.birth_year,
                              verified_at=utcnow() if verified else None,
                              addresses=[a.model() for a in data.addresses])
    db.add(participant)
    db.flush()
    return participant


def apply(db: Session, participant: Participant, data: ParticipantIn) -> None:
    """Replace a participant's preferences and addresses (the phone stays: changing it takes
    a code sent to the new number)."""
    participant.language = data.language
    participant.birth_year = data.birth_year
    participant.addresses = [a.model() for a in data.addresses]
    db.flush()


def serialise(participant: Participant) -> dict:
    return {
        "id": participant.id,
        "phone": participant.phone,
        "language": participant.language,
        "birth_year": participant.birth_year,
        "active": participant.active,
        "verified": participant.verified_at is not None,
        "addresses": [
            {"id": a.id, "label": a.label, "lat": a.lat, "lon": a.lon, "channel": a.channel,
             "postcode": a.postcode, "house_number": a.house_number,
             "house_addition": a.house_addition, "windows": a.windows or []}
            for a in participant.addresses
        ],
    }


def per_area(db: Session) -> dict:
    """Participants who can be alerted (verified, not opted out) per PC4 and channel. Someone
    with addresses in two areas counts in each; `total` counts people once. Addresses given by
    coordinates only are under area null."""
    area = func.substr(Address.postcode, 1, 4)
    alertable = (Participant.verified_at.is_not(None), Participant.active.is_(True))
    rows = db.execute(
        select(area, Address.channel, func.count(distinct(Address.participant_id)))
        .join(Participant, Participant.id == Address.participant_id).where(*alertable)
        .group_by(area, Address.channel))
    areas: dict[str | None, dict] = {}
    for pc4, channel, count in rows:
        entry = areas.setdefault(pc4, {"pc4": pc4, **dict.fromkeys(channels.NAMES, 0)})
        entry[channel] = count
    # Where each area lies, for the console's map: the mean of its addresses (we hold no PC4
    # outlines; a marker at the centre of the people is what a map of counts needs).
    for pc4, lat, lon in db.execute(
            select(area, func.avg(Address.lat), func.avg(Address.lon))
            .join(Participant, Participant.id == Address.participant_id)
            .where(*alertable, Address.postcode.is_not(None)).group_by(area)):
        if pc4 in areas:
            areas[pc4]["centre"] = [round(float(lon), 5), round(float(lat), 5)]
    total = db.scalar(select(func.count()).select_from(Participant).where(*alertable))
    ordered = sorted(areas.values(), key=lambda a: (a["pc4"] is None, a["pc4"] or ""))
    return {"areas": ordered, "total": total}
