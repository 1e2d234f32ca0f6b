"""TwiML for the calls we make: the alert (message twice, then the tip line) and the outcome."""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from callflows import texts


def _say(response: VoiceResponse, words: str, voice: str, language: str) -> None:
    response.say(words, voice=voice, language=texts.VOICE_LANGUAGE.get(language, "nl-NL"))


def alert(
    incident_type: str,
    description: str,
    tipline_spoken: str,
    language: str,
    voice: str,
) -> VoiceResponse:
    """Twice, because the first time people are still working out who is calling."""
    message = texts.text(
        "alert_voice", language,
        label=texts.incident_label(incident_type, language),
        description=texts.sentence(description),
    )
    response = VoiceResponse()
    _say(response, message, voice, language)
    response.pause(length=1)
    _say(response, message, voice, language)
    _say(response, texts.text("tipline_voice", language, tipline=tipline_spoken), voice, language)
    response.hangup()
    return response


def outcome(outcome_text: str, language: str, voice: str) -> VoiceResponse:
    response = VoiceResponse()
    words = texts.text("outcome_voice", language, outcome=texts.sentence(outcome_text))
    _say(response, words, voice, language)
    response.hangup()
    return response


def nothing_to_say() -> VoiceResponse:
    """For a call whose delivery no longer exists (erased participant): end politely and at once."""
    response = VoiceResponse()
    response.hangup()
    return response
