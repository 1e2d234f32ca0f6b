"""What is texted (SMS and WhatsApp alike), and inbound keywords."""

from __future__ import annotations

from callflows import texts

STOP_WORDS = {"STOP", "STOPPEN", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "AFMELDEN"}
START_WORDS = {"START", "UNSTOP", "YES", "AANMELDEN"}
INFO_WORDS = {"INFO", "HELP"}


def alert(incident_type: str, description: str, tipline_display: str, language: str) -> str:
    return texts.text(
        "alert_sms", language,
        label=texts.label(incident_type, language),
        description=texts.sentence(description),
        ask=texts.ask_sms(incident_type, language, tipline_display),
    )


def for_group(message: str, language: str) -> str:
    """Heterdaadkracht: what a neighbourhood group's administrator gets, to forward."""
    return texts.text("group_forward", language, message=message)


def update(update_text: str, language: str) -> str:
    return texts.text("update_sms", language, text=update_text)


def outcome(outcome_text: str, language: str) -> str:
    return texts.text("outcome_sms", language, outcome=outcome_text)


def keyword(body: str) -> str | None:
    """'stop' / ' Stop! ' -> 'stop'; 'start' -> 'start'; 'help' -> 'info'; anything else is a
    tip (None). Only a message that is the keyword alone counts: "stop him!" is a tip."""
    word = body.strip().rstrip(".!").strip().upper()
    if word in STOP_WORDS:
        return "stop"
    if word in START_WORDS:
        return "start"
    if word in INFO_WORDS:
        return "info"
    return None
