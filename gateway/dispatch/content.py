"""What one delivery says: the texts of alerts, updates and outcomes for a language, and the
checks an operator's text must pass before anything is sent."""

from __future__ import annotations

from callflows import sms, voice
from callflows.segments import measure
from callflows.texts import LANGUAGES
from gateway.config import Config
from gateway.models import Action
from gateway.models import delivery as state
from gateway.phones import spoken, tipline_display


def tipline(config: Config) -> str:
    return tipline_display(config.tipline_number)


def tipline_spoken(config: Config) -> str:
    return spoken(tipline_display(config.tipline_number))


def _sms(purpose: str, incident_type: str, body: str, language: str, config: Config) -> str:
    """An alert from its description; an update or outcome from the operator's words."""
    if purpose == state.OUTCOME:
        return sms.outcome(body, language)
    if purpose == state.UPDATE:
        return sms.update(body, language)
    return sms.alert(incident_type, body, tipline(config), language)


def text_for(purpose: str, action: Action, round_text: str | None, language: str,
             config: Config) -> str:
    """The text of an SMS or WhatsApp delivery. A group purpose carries the participant's text
    of the same kind with the request to forward it into the group."""
    base = state.GROUP_OF.get(purpose, purpose)
    body = {state.OUTCOME: action.outcome or "", state.UPDATE: round_text or ""}.get(
        base, action.description)
    text = _sms(base, action.incident_type, body, language, config)
    return group_text(text, language) if purpose in state.GROUP_OF else text


def group_text(text: str, language: str = "nl") -> str:
    """A message to a group administrator: the text, then what to do with it."""
    return sms.for_group(text, language)


def texts_of(purpose: str, incident_type: str, body: str, config: Config) -> dict[str, str]:
    """The text every language would get."""
    return {lang: _sms(purpose, incident_type, body, lang, config) for lang in LANGUAGES}


def too_long(texts: dict[str, str], config: Config) -> str | None:
    """Why these texts cannot be sent, or None."""
    for lang, body in texts.items():
        parts = measure(body)
        if parts.count > config.max_sms_segments:
            return (f"the {lang} SMS would take {parts.count} {parts.encoding} segments; at most "
                    f"{config.max_sms_segments} are allowed: shorten the text")
    return None


def preview(incident_type: str, description: str, config: Config, language: str = "nl") -> dict:
    """The texts an operator checks before starting: what is texted, in which encoding and how
    many parts, and what is spoken."""
    body = _sms(state.ALERT, incident_type, description, language, config)
    parts = measure(body)
    return {"sms_text": body, "sms_encoding": parts.encoding, "sms_segments": parts.count,
            "voice_text": voice.alert_text(incident_type, description, language)}
