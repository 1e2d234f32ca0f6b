"""TwiML for the calls we place: the alert (with keys to repeat it or reach the control room),
the short voicemail version, updates and the outcome."""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from callflows import texts

REPEAT, CONNECT = "1", "2"
KEY_SECONDS = 5


def _say(response, words: str, voice: str, language: str) -> None:
    response.say(words, voice=voice, language=texts.VOICE_LANGUAGE.get(language, "nl-NL"))


def alert_text(incident_type: str, description: str, language: str) -> str:
    return texts.text(
        "alert_voice", language,
        incident=texts.incident(incident_type, language),
        description=texts.sentence(description),
        ask=texts.ask_voice(incident_type, language),
    )


def alert(incident_type: str, description: str, tipline_spoken: str, language: str, voice: str,
          keys_url: str) -> VoiceResponse:
    """Spoken at once (detection of voicemail runs alongside), with keys to hear it again or
    to be put through to the control room, then the tip line."""
    response = VoiceResponse()
    gather = response.gather(num_digits=1, action=keys_url, method="POST", timeout=KEY_SECONDS)
    _say(gather, alert_text(incident_type, description, language), voice, language)
    _say(gather, texts.text("alert_keys", language), voice, language)
    _say(response, texts.text("tipline_voice", language, tipline=tipline_spoken), voice, language)
    response.hangup()
    return response


def voicemail_text(incident_type: str, description: str, tipline_spoken: str,
                   language: str) -> str:
    return texts.text("voicemail", language, incident=texts.incident(incident_type, language),
                      description=texts.sentence(description), tipline=tipline_spoken)


def update_text(text: str, tipline_spoken: str, language: str) -> str:
    return texts.text("update_voice", language, text=text, tipline=tipline_spoken)


def outcome_text(text: str, language: str) -> str:
    return texts.text("outcome_voice", language, outcome=text)


def spoken(words: str, language: str, voice: str) -> VoiceResponse:
    """An update, an outcome or the short voicemail text: said once, then hang up."""
    response = VoiceResponse()
    _say(response, words, voice, language)
    response.hangup()
    return response


def goodbye(tipline_spoken: str, language: str, voice: str) -> VoiceResponse:
    response = VoiceResponse()
    _say(response, texts.text("tipline_voice", language, tipline=tipline_spoken), voice, language)
    response.hangup()
    return response


def nothing_to_say() -> VoiceResponse:
    """For a call whose delivery no longer exists (erased participant): end politely and at once."""
    response = VoiceResponse()
    response.hangup()
    return response
