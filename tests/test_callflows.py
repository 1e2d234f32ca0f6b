"""Call flows are pure: test them by parsing the TwiML they produce."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from callflows import sms, tipline, voice

URLS = tipline.Urls(menu="https://gw/menu", dialed="https://gw/dialed", recorded="https://gw/rec")


def parse(response) -> ET.Element:
    root = ET.fromstring(str(response))
    assert root.tag == "Response"
    return root


def test_alert_says_message_twice_in_dutch_then_tipline():
    root = parse(voice.alert("hit_and_run", "Witte bestelbus, kenteken begint met VX",
                             "0 8 0 0, 0 0 1 1", "nl", "Polly.Ruben"))
    verbs = [e.tag for e in root]
    assert verbs == ["Say", "Pause", "Say", "Say", "Hangup"]
    first, second, tip = (e for e in root if e.tag == "Say")
    assert first.text == second.text
    assert "doorrijden na een aanrijding" in first.text
    assert first.text.endswith("Witte bestelbus, kenteken begint met VX.")
    assert first.get("voice") == "Polly.Ruben" and first.get("language") == "nl-NL"
    assert "0 8 0 0, 0 0 1 1" in tip.text


def test_alert_in_english_for_participants_who_chose_it():
    root = parse(voice.alert("burglary", "Man in red coat", "0 8 0 0", "en", "Polly.Amy"))
    assert root.find("Say").get("language") == "en-GB"
    assert "burglary" in root.find("Say").text


def test_outcome_call():
    root = parse(voice.outcome("De jongen is gevonden", "nl", "Polly.Lotte"))
    assert "De jongen is gevonden." in root.find("Say").text
    assert root[-1].tag == "Hangup"


def test_tipline_welcome_gathers_one_digit_and_falls_through_to_menu():
    root = parse(tipline.welcome(URLS, "nl", "Polly.Lotte"))
    gather = root.find("Gather")
    assert gather.get("numDigits") == "1" and gather.get("action") == URLS.menu
    assert "Toets 1" in gather.find("Say").text
    assert root[-1].tag == "Redirect" and root[-1].text == URLS.menu


@pytest.mark.parametrize("digits, expect", [("1", "Dial"), ("", "Dial"), ("9", "Dial"),
                                            ("2", "Record")])
def test_tipline_menu(digits, expect):
    root = parse(tipline.menu(digits, URLS, "+31880000000", "+31612345678", "nl", "Polly.Lotte"))
    assert root.find(expect) is not None


def test_connect_dials_control_room_with_callers_id():
    dial = parse(tipline.connect(URLS, "+31880000000", "+31612345678", "nl", "v")).find("Dial")
    assert dial.find("Number").text == "+31880000000"
    assert dial.get("callerId") == "+31612345678" and dial.get("action") == URLS.dialed


def test_no_answer_from_control_room_records_instead():
    root = parse(tipline.dialed("no-answer", URLS, "nl", "v"))
    record = root.find("Record")
    assert record.get("action") == URLS.recorded
    assert record.get("maxLength") == str(tipline.MAX_RECORDING_SECONDS)
    assert parse(tipline.dialed("completed", URLS, "nl", "v")).find("Hangup") is not None


@pytest.mark.parametrize("body, encoding, parts", [
    ("a" * 160, "GSM-7", 1),
    ("a" * 161, "GSM-7", 2),
    ("a" * 306, "GSM-7", 2),
    ("a" * 307, "GSM-7", 3),
    ("€" * 80, "GSM-7", 1),   # extension characters cost two septets
    ("€" * 81, "GSM-7", 2),
    ("ë" * 70, "UCS-2", 1),   # ë is not GSM-7: the whole message becomes UCS-2
    ("ë" * 71, "UCS-2", 2),
    ("“quoted”", "UCS-2", 1),
])
def test_sms_segments(body, encoding, parts):
    result = sms.segments(body)
    assert (result.encoding, result.count) == (encoding, parts)


def test_alert_sms_fits_one_segment_for_a_typical_description():
    body = sms.alert("burglary", "Man, 1.80 m, rode jas, zwarte fiets, richting station",
                     "0800-0011", "nl")
    assert body.startswith("Burgernet inbraak: Man, 1.80 m")
    assert body.endswith("Bel gratis 0800-0011")
    assert sms.segments(body).count == 1


@pytest.mark.parametrize("body, word", [("STOP", "stop"), (" stop\n", "stop"),
                                        ("Afmelden", "stop"), ("start", "start"),
                                        ("stop die man!", None), ("", None)])
def test_keywords(body, word):
    assert sms.keyword(body) == word
