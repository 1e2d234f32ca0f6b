"""The tip line: which action the call is about, a menu, then the operator or a recording.

Pure functions: (what the caller pressed, the actions they may be calling about) -> TwiML.
Nobody is ever hung up on in silence: no key or a wrong key repeats a menu once, then the call
takes the default, which is a person (a caller who cannot or will not press keys still reaches
the control room), and a <Record> that hears nothing still ends with a goodbye.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from twilio.twiml.voice_response import VoiceResponse

from callflows import texts

CONNECT, RECORD = "1", "2"
MAX_RECORDING_SECONDS = 120
GATHER_SECONDS = 5
# A menu is heard at most this often: the first time, and once more after no or a wrong key.
ATTEMPTS = 2
MAX_CHOICES = 5  # several actions at once: one digit each, newest first
SPOKEN_DESCRIPTION = 160  # characters: the caller needs to recognise it, not hear it all again
OPERATOR_LANGUAGE = "nl"  # the control room hears the whisper in Dutch


@dataclass(frozen=True)
class Subject:
    """An action a caller may be calling about."""

    id: int
    description: str
    line: str  # where its callers are put through: its own operator line or the control room
    alerted_at: str | None  # "14:03" (Europe/Amsterdam) when this caller was alerted; None: not


class Links(Protocol):
    """The webhook URLs of the next steps, bound to one call's language."""

    def menu(self, subject: Subject | None, attempt: int) -> str: ...
    def choose(self, subjects: Sequence[Subject], attempt: int) -> str: ...
    def dialed(self, action: int | None) -> str: ...
    def recorded(self, action: int | None) -> str: ...
    def recording_status(self, action: int | None) -> str: ...
    def whisper(self, action: int | None, alerted_at: str | None) -> str: ...


@dataclass(frozen=True)
class Speaker:
    language: str
    voice: str

    def say(self, target, key: str, **values) -> None:
        target.say(texts.text(key, self.language, **values), voice=self.voice,
                   language=texts.VOICE_LANGUAGE.get(self.language, "nl-NL"))


def spoken_description(description: str) -> str:
    """The start of a description, cut at a word, for a caller to recognise the action by."""
    words = texts.sentence(description)
    if len(words) <= SPOKEN_DESCRIPTION:
        return words
    return words[:SPOKEN_DESCRIPTION].rsplit(" ", 1)[0].rstrip(",;:") + "..."


def welcome(subjects: Sequence[Subject], linked: Subject | None, links: Links,
            speaker: Speaker) -> VoiceResponse:
    """`subjects`: the active actions that alerted this caller, newest first. None of them (not
    alerted, a withheld number, no active action): the general menu, for the tip `linked`
    (the only active action, or None)."""
    response = VoiceResponse()
    speaker.say(response, "tipline_welcome")
    if len(subjects) > 1:
        _choices(response, subjects[:MAX_CHOICES], 1, links, speaker)
        return response
    subject = subjects[0] if subjects else None
    if subject:
        speaker.say(response, "tipline_about", description=spoken_description(subject.description))
    _menu(response, subject or linked, 1, links, speaker)
    return response


def _menu(response: VoiceResponse, subject: Subject | None, attempt: int, links: Links,
          speaker: Speaker) -> None:
    gather = response.gather(num_digits=1, action=links.menu(subject, attempt), method="POST",
                             timeout=GATHER_SECONDS)
    speaker.say(gather, "tipline_menu")
    # Reached only when no key was pressed: the menu step decides what follows.
    response.redirect(links.menu(subject, attempt), method="POST")


def _choices(response: VoiceResponse, subjects: Sequence[Subject], attempt: int, links: Links,
             speaker: Speaker) -> None:
    gather = response.gather(num_digits=1, action=links.choose(subjects, attempt), method="POST",
                             timeout=GATHER_SECONDS)
    speaker.say(gather, "tipline_several", count=str(len(subjects)))
    for digit, subject in enumerate(subjects, start=1):
        speaker.say(gather, "tipline_choice", digit=str(digit),
                    description=spoken_description(subject.description))
    response.redirect(links.choose(subjects, attempt), method="POST")


def _missed(response: VoiceResponse, digits: str, speaker: Speaker) -> None:
    speaker.say(response, "tipline_wrong_key" if digits else "tipline_no_input")


def menu(digits: str, attempt: int, subject: Subject | None, caller: str | None,
         control_room: str, dial_seconds: int, links: Links, speaker: Speaker) -> VoiceResponse:
    """1: the operator; 2: a recording; anything else: the menu once more, then the operator."""
    if digits == RECORD:
        return record(subject.id if subject else None, links, speaker)
    if digits == CONNECT or attempt >= ATTEMPTS:
        return connect(subject, caller, control_room, dial_seconds, links, speaker)
    response = VoiceResponse()
    _missed(response, digits, speaker)
    _menu(response, subject, attempt + 1, links, speaker)
    return response


def choose(digits: str, attempt: int, subjects: Sequence[Subject], caller: str | None,
           control_room: str, dial_seconds: int, links: Links,
           speaker: Speaker) -> VoiceResponse:
    """Several actions: a digit picks one, and its menu follows. No valid choice twice: the
    newest action's operator, at once (two menus more would keep a caller waiting too long)."""
    index = int(digits) - 1 if digits.isdigit() else -1
    if 0 <= index < len(subjects):
        response = VoiceResponse()
        _menu(response, subjects[index], 1, links, speaker)
        return response
    if attempt >= ATTEMPTS or not subjects:
        return connect(subjects[0] if subjects else None, caller, control_room, dial_seconds,
                       links, speaker)
    response = VoiceResponse()
    _missed(response, digits, speaker)
    _choices(response, subjects, attempt + 1, links, speaker)
    return response


def connect(subject: Subject | None, caller: str | None, control_room: str, dial_seconds: int,
            links: Links, speaker: Speaker) -> VoiceResponse:
    """<Dial> the action's operator line (or the control room). The caller's own number is the
    caller ID, so the operator can call back; the operator first hears the whisper."""
    response = VoiceResponse()
    speaker.say(response, "tipline_connecting")
    action = subject.id if subject else None
    dial = response.dial(action=links.dialed(action), method="POST", timeout=dial_seconds,
                         caller_id=caller or None)
    dial.number(subject.line if subject else control_room,
                url=links.whisper(action, subject.alerted_at if subject else None), method="POST")
    return response


def whisper(action: int | None, alerted_at: str | None, voice: str) -> VoiceResponse:
    """What the operator hears before the caller is put through."""
    speaker = Speaker(OPERATOR_LANGUAGE, voice)
    response = VoiceResponse()
    if action is None:
        speaker.say(response, "tipline_whisper_unlinked")
    elif alerted_at:
        speaker.say(response, "tipline_whisper", action=str(action), time=alerted_at)
    else:
        speaker.say(response, "tipline_whisper_not_alerted", action=str(action))
    return response


def dialed(dial_status: str, action: int | None, links: Links, speaker: Speaker) -> VoiceResponse:
    """After <Dial>: done if the operator took the call; busy, no answer or failed: record."""
    response = VoiceResponse()
    if dial_status in ("completed", "answered"):
        response.hangup()
        return response
    speaker.say(response, "tipline_nobody")
    _record_into(response, action, links, speaker)
    return response


def record(action: int | None, links: Links, speaker: Speaker) -> VoiceResponse:
    response = VoiceResponse()
    _record_into(response, action, links, speaker)
    return response


def _record_into(response: VoiceResponse, action: int | None, links: Links,
                 speaker: Speaker) -> None:
    speaker.say(response, "tipline_record")
    response.record(action=links.recorded(action), method="POST", max_length=MAX_RECORDING_SECONDS,
                    play_beep=True, finish_on_key="#", timeout=GATHER_SECONDS,
                    recording_status_callback=links.recording_status(action),
                    recording_status_callback_method="POST")
    # Only reached when nothing was said: Twilio then goes on without requesting the action.
    speaker.say(response, "tipline_thanks")
    response.hangup()


def recorded(speaker: Speaker) -> VoiceResponse:
    response = VoiceResponse()
    speaker.say(response, "tipline_thanks")
    response.hangup()
    return response
