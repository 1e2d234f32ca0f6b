"""Phone numbers: validate and normalise to E.164 with phonenumbers, and mask for logs."""

from __future__ import annotations

import re

import phonenumbers

DEFAULT_REGION = "NL"
DEFAULT_COUNTRIES = ("NL", "BE", "DE")
# Dutch 097 numbers are for machines (M2M): typed mobile by the numbering plan, but nobody
# answers them.
MACHINE_PREFIXES = ("+3197",)


WHATSAPP_PREFIX = "whatsapp:"
E164 = re.compile(r"\+[1-9]\d{6,14}")


class InvalidPhone(ValueError):
    pass


def normalise(raw: str, region: str = DEFAULT_REGION, mobile_only: bool = False,
              countries: tuple[str, ...] = DEFAULT_COUNTRIES) -> str:
    """'06 12345678' -> '+31612345678'. Raises InvalidPhone with a reason a person understands.
    `mobile_only`: a mobile number of one of `countries` (a number that may be fixed or mobile,
    as in the US plan, does not count: an alert must reach a phone that rings and gets texts)."""
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidPhone("a phone number is required")
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"not a phone number ({exc._msg})") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone("not a valid phone number")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if mobile_only:
        country = phonenumbers.region_code_for_number(number)
        if country not in countries:
            raise InvalidPhone(f"only mobile numbers of {', '.join(countries)} can take part")
        if phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE \
                or e164.startswith(MACHINE_PREFIXES):
            raise InvalidPhone("not a mobile number")
    return e164


def mask(phone: str | None) -> str:
    """'+31612345678' -> '+316*****678': enough to tell numbers apart in a log, not to call one."""
    if not phone:
        return "-"
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:4] + "*" * (len(phone) - 7) + phone[-3:]


def spoken(phone_or_display: str) -> str:
    """Digits separated so text-to-speech reads '0800-0011' as 'nul acht nul nul, nul nul een een'."""
    groups = [g for g in phone_or_display.replace("+", " ").split("-")]
    return ", ".join(" ".join(ch for ch in g if ch.isdigit()) for g in groups)


def tipline_display(number: str) -> str:
    """+318000011 -> 0800-0011: how Dutch people write and say a free number."""
    if number.startswith("+31800"):
        return "0800-" + number[6:]
    return number


def parse_address(raw: str | None) -> tuple[str, str | None]:
    """A provider address as it arrives on a webhook, read into (channel, E.164 or None):
    'whatsapp:+31612345678' -> ('whatsapp', '+31612345678'), '+31612345678' -> ('sms', ...).
    The one place the `whatsapp:` prefix is taken off; anything that is not a valid number
    (an alphanumeric sender, junk) gives None rather than reaching a database column."""
    raw = (raw or "").strip()
    channel = "sms"
    if raw.lower().startswith(WHATSAPP_PREFIX):
        channel, raw = "whatsapp", raw[len(WHATSAPP_PREFIX):]
    # The provider sends E.164; we check its shape only, because a number it connected is real
    # even where our copy of the numbering plan is older.
    return channel, raw if E164.fullmatch(raw) else None
