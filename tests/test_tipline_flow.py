"""The tip-line call flow, every branch, by parsing the TwiML it produces (no I/O)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest

from callflows import texts
from callflows import tipline as flow

CONTROL_ROOM = "+31880000000"
CALLER = "+31612345678"
RED = flow.Subject(id=12, description="Man, 1.80 m, rode jas, op zwarte fiets",
                   line="+31881111111", alerted_at="14:03")
BLUE = flow.Subject(id=15, description="Vrouw in blauwe auto, kenteken begint met 12",
                    line=CONTROL_ROOM, alerted_at="14:20")
NL = flow.Speaker("nl", "Polly.Lotte")
EN = flow.Speaker("en", "Polly.Amy")


class Links:
    """URLs that show what they carry, so a test can read the next step off the TwiML."""

    def menu(self, subject, attempt):
        return f"https://gw/menu?action={subject.id if subject else None}&attempt={attempt}"

    def choose(self, subjects, attempt):
        return f"https://gw/choose?actions={','.join(str(s.id) for s in subjects)}&attempt={attempt}"

    def dialed(self, action):
        return f"https://gw/dialed?action={action}"

    def recorded(self, action):
        return f"https://gw/recorded?action={action}"

    def recording_status(self, action):
        return f"https://gw/recording?action={action}"

    def whisper(self, action, alerted_at):
        return f"https://gw/whisper?action={action}&alerted={alerted_at}"


LINKS = Links()


def parse(response) -> ET.Element:
    root = ET.fromstring(str(response))
    assert root.tag == "Response"
    return root


def query(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def said(root: ET.Element) -> str:
    return " ".join(e.text for e in root.iter("Say"))


def assert_never_silent(root: ET.Element) -> None:
    """Every document ends by going somewhere or saying goodbye: never a silent hang-up."""
    last = root[-1]
    assert last.tag in ("Redirect", "Dial", "Hangup", "Record"), last.tag
    if last.tag == "Hangup":
        assert root[-2].tag == "Say"


def menu(digits, attempt, subject=RED, speaker=NL):
    return parse(flow.menu(digits, attempt, subject, CALLER, CONTROL_ROOM, 20, LINKS, speaker))


def choose(digits, attempt, subjects=(BLUE, RED)):
    return parse(flow.choose(digits, attempt, list(subjects), CALLER, CONTROL_ROOM, 20, LINKS, NL))


def test_one_action_is_named_before_the_menu():
    root = parse(flow.welcome([RED], None, LINKS, NL))
    assert [e.tag for e in root] == ["Say", "Say", "Gather", "Redirect"]
    assert root[1].text == "U belt over: Man, 1.80 m, rode jas, op zwarte fiets."
    gather = root.find("Gather")
    assert gather.get("numDigits") == "1"
    assert query(gather.get("action")) == {"action": "12", "attempt": "1"}
    assert "Toets 1" in gather.find("Say").text and "Toets 2" in gather.find("Say").text
    # No key at all: the same step is asked, without Digits.
    assert root[-1].text == gather.get("action")


def test_the_callers_language_is_spoken():
    root = parse(flow.welcome([RED], None, LINKS, EN))
    assert root[1].text.startswith("You are calling about:")
    assert {e.get("language") for e in root.iter("Say")} == {"en-GB"}
    assert {e.get("voice") for e in root.iter("Say")} == {"Polly.Amy"}


def test_a_long_description_is_cut_at_a_word():
    subject = flow.Subject(id=1, description="rode jas " * 60, line=CONTROL_ROOM, alerted_at=None)
    spoken = parse(flow.welcome([subject], None, LINKS, NL))[1].text
    assert len(spoken) < len("U belt over: ") + flow.SPOKEN_DESCRIPTION + 4
    assert spoken.endswith("...") and spoken[:-3].split()[-1] in ("rode", "jas")


def test_several_actions_are_chosen_by_digit_newest_first():
    root = parse(flow.welcome([BLUE, RED], None, LINKS, NL))
    gather = root.find("Gather")
    assert query(gather.get("action")) == {"actions": "15,12", "attempt": "1"}
    lines = [e.text for e in gather.iter("Say")]
    assert lines[0] == "U bent gewaarschuwd voor 2 oproepen."
    assert lines[1].startswith("Toets 1 voor: Vrouw in blauwe auto")
    assert lines[2].startswith("Toets 2 voor: Man, 1.80 m")
    assert root[-1].tag == "Redirect" and root[-1].text == gather.get("action")


def test_at_most_five_actions_are_offered():
    many = [flow.Subject(id=i, description=f"actie {i}", line=CONTROL_ROOM, alerted_at=None)
            for i in range(1, 9)]
    gather = parse(flow.welcome(many, None, LINKS, NL)).find("Gather")
    assert query(gather.get("action"))["actions"] == "1,2,3,4,5"


@pytest.mark.parametrize("linked, action", [(None, "None"), (RED, "12")])
def test_not_alerted_gets_the_general_menu(linked, action):
    """Not alerted, withheld or no active action: no action is named; a tip is linked only to
    the one active action, if there is exactly one."""
    root = parse(flow.welcome([], linked, LINKS, NL))
    assert [e.tag for e in root] == ["Say", "Gather", "Redirect"]
    assert "belt over" not in said(root)
    assert query(root.find("Gather").get("action")) == {"action": action, "attempt": "1"}


def test_choosing_a_digit_opens_that_actions_menu():
    root = choose("2", 1)
    assert query(root.find("Gather").get("action")) == {"action": "12", "attempt": "1"}
    assert_never_silent(root)


@pytest.mark.parametrize("digits, heard", [("", "We hebben geen toets gehoord."),
                                           ("7", "Die toets kennen we niet."),
                                           ("*", "Die toets kennen we niet.")])
def test_no_or_a_wrong_choice_repeats_the_choice_once(digits, heard):
    root = choose(digits, 1)
    assert root[0].text == heard
    assert query(root.find("Gather").get("action")) == {"actions": "15,12", "attempt": "2"}
    assert_never_silent(root)


@pytest.mark.parametrize("digits", ["", "9"])
def test_no_choice_twice_connects_to_the_newest_action(digits):
    dial = choose(digits, 2).find("Dial")
    assert dial.find("Number").text == BLUE.line
    assert query(dial.get("action")) == {"action": "15"}


def test_a_choice_of_actions_that_all_ended_still_reaches_the_control_room():
    dial = choose("1", 1, subjects=()).find("Dial")
    assert dial.find("Number").text == CONTROL_ROOM


@pytest.mark.parametrize("attempt", [1, 2])
def test_key_1_connects_to_the_actions_own_line_with_whisper(attempt):
    root = menu("1", attempt)
    assert root[0].text == texts.text("tipline_connecting", "nl")
    dial = root.find("Dial")
    assert dial.get("callerId") == CALLER  # the operator sees who calls and can call back
    assert dial.get("timeout") == "20"
    assert query(dial.get("action")) == {"action": "12"}
    number = dial.find("Number")
    assert number.text == RED.line
    assert query(number.get("url")) == {"action": "12", "alerted": "14:03"}


def test_key_2_records_with_a_status_callback():
    root = menu("2", 1)
    record = root.find("Record")
    assert query(record.get("action")) == {"action": "12"}
    assert query(record.get("recordingStatusCallback")) == {"action": "12"}
    assert record.get("maxLength") == str(flow.MAX_RECORDING_SECONDS)
    assert record.get("finishOnKey") == "#" and record.get("playBeep") == "true"
    assert_never_silent(root)  # silence at the beep: Twilio goes on to the goodbye


@pytest.mark.parametrize("digits, heard", [("", "We hebben geen toets gehoord."),
                                           ("5", "Die toets kennen we niet.")])
def test_no_or_a_wrong_key_repeats_the_menu_once(digits, heard):
    root = menu(digits, 1)
    assert root[0].text == heard
    assert query(root.find("Gather").get("action")) == {"action": "12", "attempt": "2"}
    assert root.find("Dial") is None and root.find("Record") is None
    assert_never_silent(root)


@pytest.mark.parametrize("digits", ["", "5", "12"])
def test_no_or_a_wrong_key_twice_puts_the_caller_through(digits):
    assert menu(digits, 2).find("Dial/Number").text == RED.line


def test_general_menu_connects_to_the_control_room():
    dial = menu("1", 1, subject=None).find("Dial")
    assert dial.find("Number").text == CONTROL_ROOM
    assert query(dial.find("Number").get("url")) == {"action": "None", "alerted": "None"}


def test_a_withheld_number_is_put_through_without_caller_id():
    root = parse(flow.menu("1", 1, RED, None, CONTROL_ROOM, 20, LINKS, NL))
    assert root.find("Dial").get("callerId") is None


@pytest.mark.parametrize("action, alerted, heard", [
    (12, "14:03", "Burgernet-tip voor actie 12. De beller is gewaarschuwd om 14:03."),
    (12, None, "Burgernet-tip voor actie 12. De beller is niet voor deze actie gewaarschuwd."),
    (None, None, "Burgernet-tip, niet gekoppeld aan een actie."),
])
def test_the_operator_hears_a_whisper_first(action, alerted, heard):
    root = parse(flow.whisper(action, alerted, "Polly.Lotte"))
    assert [e.tag for e in root] == ["Say"] and root[0].text == heard


@pytest.mark.parametrize("status", ["busy", "no-answer", "failed", "canceled"])
def test_busy_or_no_answer_offers_a_recording(status):
    root = parse(flow.dialed(status, 12, LINKS, NL))
    assert root[0].text.startswith("Er is nu niemand beschikbaar")
    assert query(root.find("Record").get("action")) == {"action": "12"}
    assert_never_silent(root)


@pytest.mark.parametrize("status", ["completed", "answered"])
def test_a_call_the_operator_took_ends(status):
    root = parse(flow.dialed(status, 12, LINKS, NL))
    assert [e.tag for e in root] == ["Hangup"]


def test_after_the_recording_the_caller_is_thanked():
    root = parse(flow.recorded(EN))
    assert root[0].text == "Thank you for your tip. Goodbye." and root[1].tag == "Hangup"


def test_every_tipline_text_exists_in_both_languages():
    keys = {k for k in texts.TEMPLATES["nl"] if k.startswith("tipline_")}
    assert keys == {k for k in texts.TEMPLATES["en"] if k.startswith("tipline_")}
    assert {"tipline_about", "tipline_several", "tipline_choice", "tipline_whisper"} <= keys
