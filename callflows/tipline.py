"""The tip line: menu, connect to the control room, or record a tip when nobody can take it.

No key pressed means connect: a caller who cannot or will not press keys still reaches a person.
"""

from __future__ import annotations

from dataclasses import dataclass

from twilio.twiml.voice_response import VoiceResponse

from callflows import texts

CONNECT, RECORD = "1", "2"
MAX_RECORDING_SECONDS = 120


@dataclass(frozen=True)
class Urls:
    menu: str
    dialed: str
    recorded: str


def _say(response: VoiceResponse, key: str, language: str, voice: str) -> None:
    response.say(texts.text(key, language), voice=voice,
                 language=texts.VOICE_LANGUAGE.get(language, "nl-NL"))


def welcome(urls: Urls, language: str, voice: str) -> VoiceResponse:
    response = VoiceResponse()
    _say(response, "tipline_welcome", language, voice)
    gather = response.gather(num_digits=1, action=urls.menu, method="POST", timeout=5)
    gather.say(texts.text("tipline_menu", language), voice=voice,
               language=texts.VOICE_LANGUAGE.get(language, "nl-NL"))
    # Reached only when no key was pressed.
    response.redirect(urls.menu, method="POST")
    return response


def menu(digits: str, urls: Urls, control_room: str, caller: str, language: str,
         voice: str) -> VoiceResponse:
    return record(urls, language, voice) if digits == RECORD else connect(
        urls, control_room, caller, language, voice)


def connect(urls: Urls, control_room: str, caller: str, language: str,
            voice: str) -> VoiceResponse:
    response = VoiceResponse()
    _say(response, "tipline_connecting", language, voice)
    # The caller's own number as caller ID, so the control room can call back.
    dial = response.dial(action=urls.dialed, method="POST", timeout=20, caller_id=caller or None)
    dial.number(control_room)
    return response


def dialed(dial_status: str, urls: Urls, language: str, voice: str) -> VoiceResponse:
    """After <Dial>: done if the control room took the call, else record the tip."""
    if dial_status == "completed":
        response = VoiceResponse()
        response.hangup()
        return response
    response = VoiceResponse()
    _say(response, "tipline_nobody", language, voice)
    _record_into(response, urls, language, voice)
    return response


def record(urls: Urls, language: str, voice: str) -> VoiceResponse:
    response = VoiceResponse()
    _record_into(response, urls, language, voice)
    return response


def _record_into(response: VoiceResponse, urls: Urls, language: str, voice: str) -> None:
    _say(response, "tipline_record", language, voice)
    response.record(action=urls.recorded, method="POST", max_length=MAX_RECORDING_SECONDS,
                    play_beep=True, finish_on_key="#")


def recorded(language: str, voice: str) -> VoiceResponse:
    response = VoiceResponse()
    _say(response, "tipline_thanks", language, voice)
    response.hangup()
    return response
