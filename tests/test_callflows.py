"""Call flows are pure: test them by parsing the TwiML they produce."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from callflows import segments, sms, voice


def parse(response) -> ET.Element:
    root = ET.fromstring(str(response))
    assert root.tag == "Response"
    return root


def test_alert_speaks_at_once_with_keys_then_tipline():
    root = parse(voice.alert("hit_and_run", "Witte bestelbus, kenteken begint met VX",
                             "0 8 0 0, 0 0 1 1", "nl", "Polly.Ruben", "https://gw/keys/7"))
    assert [e.tag for e in root] == ["Gather", "Say", "Hangup"]
    gather = root.find("Gather")
    assert gather.get("action") == "https://gw/keys/7" and gather.get("numDigits") == "1"
    message, keys = (e for e in gather if e.tag == "Say")
    assert "bestuurder is doorgereden" in message.text
    assert "Witte bestelbus, kenteken begint met VX." in message.text
    assert message.text.endswith("Onderneem zelf niets.")  # never ask people to intervene
    assert "Toets 1" in keys.text and "Toets 2" in keys.text
    assert message.get("voice") == "Polly.Ruben" and message.get("language") == "nl-NL"
    assert "0 8 0 0, 0 0 1 1" in root.find("Say").text


def test_alert_in_english_for_participants_who_chose_it():
    root = parse(voice.alert("burglary", "Man in red coat", "0 8 0 0", "en", "Polly.Amy", "u"))
    said = root.find("Gather").find("Say")
    assert said.get("language") == "en-GB" and "burglary" in said.text


@pytest.mark.parametrize("incident", ["burglary", "robbery", "hit_and_run", "violent_crime",
                                      "missing_person", "other"])
@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_incident_type_has_calm_texts_in_every_language(incident, language):
    """Each template names the incident, carries the description and the tip line, and (but
    for a missing person) tells people not to intervene."""
    description = "Vrouw, 30 jaar, groene jas"
    text = sms.alert(incident, description, "0800-0011", language)
    spoken = voice.alert_text(incident, description, language)
    short = voice.voicemail_text(incident, description, "0 8 0 0", language)
    for words in (text, spoken, short):
        assert "Vrouw, 30 jaar, groene jas." in words
    assert "0800-0011" in text and short.endswith("0 8 0 0.")
    warn = {"nl": "niet zelf in", "en": "Do not intervene"}[language]
    assert (warn in text) == (incident != "missing_person")
    assert "!" not in text + spoken  # calm: no exclamations
    assert segments.measure(text).count == 1


def test_outcome_and_update_carry_the_operators_words_exactly():
    words = "De jongen is gevonden  -- hij is ongedeerd"
    assert words in voice.outcome_text(words, "nl")
    assert words in sms.outcome(words, "nl") and words in sms.update(words, "en")
    root = parse(voice.spoken(voice.outcome_text(words, "nl"), "nl", "Polly.Lotte"))
    assert words in root.find("Say").text and root[-1].tag == "Hangup"


@pytest.mark.parametrize("body, encoding, parts", [
    ("a" * 160, "GSM-7", 1),
    ("a" * 161, "GSM-7", 2),
    ("a" * 306, "GSM-7", 2),
    ("a" * 307, "GSM-7", 3),
    ("€" * 80, "GSM-7", 1),   # extension characters cost two septets
    ("€" * 81, "GSM-7", 2),
    ("{" * 76 + "a" * 8, "GSM-7", 1),  # 160 septets: one part
    ("a" * 152 + "€" + "a" * 152, "GSM-7", 3),  # € may not straddle two parts: 152 | 153 | 1
    ("a" * 151 + "€" + "a" * 153, "GSM-7", 2),  # here it fits: 153 | 153
    ("€" * 152, "GSM-7", 2),  # 76 pairs fill 152 of a part's 153 septets
    ("€" * 153, "GSM-7", 3),  # 306 septets, yet three parts: no pair is split
    ("ë" * 70, "UCS-2", 1),   # ë is not GSM-7: the whole message becomes UCS-2
    ("ë" * 71, "UCS-2", 2),
    ("“quoted”", "UCS-2", 1),
    ("😀" * 35, "UCS-2", 1),  # 70 UTF-16 units
    ("a" * 66 + "😀" + "a" * 67, "UCS-2", 3),  # a surrogate pair is never split: 66 | 2+65 | 2
    ("\x1b", "UCS-2", 1),  # ESC alone is no character of its own
])
def test_sms_segments(body, encoding, parts):
    result = segments.measure(body)
    assert (result.encoding, result.count) == (encoding, parts)


def test_alert_sms_fits_one_segment_for_a_typical_description():
    body = sms.alert("burglary", "Man, 1.80 m, rode jas, zwarte fiets, richting station",
                     "0800-0011", "nl")
    assert body.startswith("Burgernet inbraak: Man, 1.80 m")
    assert "Bel gratis 0800-0011" in body
    assert segments.measure(body).count == 1


@pytest.mark.parametrize("body, word", [("STOP", "stop"), (" stop\n", "stop"),
                                        ("Afmelden", "stop"), ("start", "start"),
                                        ("stop die man!", None), ("", None),
                                        ("STOPPEN", "stop"), ("Stop!", "stop"),
                                        ("aanmelden.", "start"), ("INFO", "info"),
                                        ("help", "info"), ("info over de man", None)])
def test_keywords(body, word):
    assert sms.keyword(body) == word
