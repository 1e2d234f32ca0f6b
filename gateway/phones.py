"""Phone numbers: validate and normalise to E.164 with phonenumbers, and mask for logs."""

from __future__ import annotations

import phonenumbers

DEFAULT_REGION = "NL"
MOBILE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


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
