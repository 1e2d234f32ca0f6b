"""Phone numbers: validate and normalise to E.164 with phonenumbers, and mask for logs."""

from __future__ import annotations

import re

import phonenumbers

DEFAULT_REGION = "NL"
MOBILE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


WHATSAPP_PREFIX = "whatsapp:"
E164 = re.compile(r"\+[1-9]\d{6,14}")


class InvalidPhone(ValueError):
    pass


def normalise(raw: str, region: str = DEFAULT_REGION, mobile_only: bool = False) -> str:
    """'06 12345678' -> '+31612345678'. Raises InvalidPhone with a reason a person understands."""
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidPhone("a phone number is required")
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"not a phone number ({exc._msg})") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone("not a valid phone number")
    if mobile_only and phonenumbers.number_type(number) not in MOBILE_TYPES:
        raise InvalidPhone("not a mobile number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


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
