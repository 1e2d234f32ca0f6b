"""TwiML interpreter: fetch the gateway's TwiML and follow its verbs like Twilio would.

The person (or machine) on the line is described by the call's phone.Behaviour: it listens,
presses its digits at Gathers, speaks for `recording_seconds` at a Record, may hang up early.
"""

from __future__ import annotations

import logging
import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from email.utils import format_datetime
from typing import Any
from urllib.parse import urljoin

from simulator import amd, calls, phone
from simulator.logs import log, mask
from simulator.resources import recording_media_url
from simulator.state import Call, Recording, new_sid, now

MAX_FETCHES = 25  # loop guard: a call that keeps redirecting is ended
APPLICATION_ERROR = "An application error has occurred"
SECONDS_PER_WORD = 0.4  # text-to-speech pace used to simulate how long a <Say> lasts
PLAY_SECONDS = 3.0  # we do not download audio, so a <Play> is assumed to last this long
END = object()  # a verb ended the call


def number_attr(element: ET.Element, name: str, default: float) -> float:
    """A numeric TwiML attribute; a malformed value falls back to Twilio's default."""
    try:
        return float(element.get(name, default))
    except ValueError:
        return default


@dataclass
class Document:
    root: ET.Element
    url: str | None


class Conversation:
    def __init__(self, rt, call: Call, progress: calls.Progress) -> None:
        self.rt = rt
        self.call = call
        self.progress = progress
        self.behaviour: phone.Behaviour = call.behaviour
        self.gathers = 0
        self.final_status: str | None = None
        self.document_url: str | None = None  # of the document being executed

    # -- the main loop ---------------------------------------------------------------------
    def run(self) -> str | None:
        """Follow TwiML until it ends; returns a final status other than completed, if any."""
        call = self.call
        if call.amd_pending and not call.async_amd:
            # Synchronous AMD: the callee hears silence until the verdict, then TwiML starts.
            if not self.spend(call.amd_pending[1]) or self.callee_hung_up():
                return self.final_status
        if call.twiml:
            doc = self.parse(call.twiml, None, "Twiml")
        else:
            doc = self.fetch(call.url, call.method, {}, fallback=True)
        while doc is not None:
            doc = self.execute(doc)
        return self.final_status

    def execute(self, doc: Document) -> Document | None:
        self.document_url = doc.url
        for element in doc.root:
            redirect = self.interrupted()
            if redirect is END:
                return None
            if redirect is not None:
                return redirect
            if self.call.status == "ringing" and element.tag != "Reject":
                calls.answer(self.rt, self.call, self.progress)  # inbound: TwiML answers
            handler = getattr(self, "verb_" + element.tag, None)
            if handler is None:
                self.say_unsupported(element)
                continue
            outcome = handler(element, doc)
            if outcome is END:
                # Cut short by a live-call redirect: the rest of this document is dropped.
                redirect = self.interrupted() if self.call.redirect_to else END
                return None if redirect is END else redirect
            if isinstance(outcome, Document):
                return outcome
            if self.callee_hung_up():
                return None
        return None

    def interrupted(self) -> Any:
        """The REST API hung up or redirected the call while it was running."""
        call = self.call
        if call.hangup_requested or call.cancel_requested:
            return END
        if call.redirect_to:
            url, method, twiml = call.redirect_to
            call.redirect_to = None
            self.note(
                {"event": "redirect", "url": url, "twiml": bool(twiml), "at": self.clock()}
            )
            if twiml:
                return self.parse(twiml, None, "Twiml") or END
            return self.fetch(url, method, {}) or END
        return None

    def callee_hung_up(self) -> bool:
        limit = self.behaviour.hangup_after
        if limit is not None and self.call.talk_seconds >= limit:
            self.note({"event": "hangup", "by": "caller" if self.inbound else "callee"})
            return True
        return False

    @property
    def inbound(self) -> bool:
        return self.call.direction == "inbound"

    @property
    def human(self) -> bool:
        return self.behaviour.behaviour != "voicemail"

    # -- requests to the gateway -------------------------------------------------------------
    def params(self, status: str | None = None) -> dict[str, str]:
        return self.progress.base_params(status or self.call.status)

    def fetch(
        self,
        url: str | None,
        method: str,
        extra: dict[str, str],
        status: str | None = None,
        fallback: bool = False,
        ignore_answer: bool = False,
    ) -> Document | None:
        """Request TwiML; on any failure the call ends with Twilio's application error.

        ignore_answer: the caller already hung up, so whatever comes back is not executed.
        """
        call = self.call
        if not url:
            return self.application_error("no URL to fetch TwiML from", 11200)
        call.fetches += 1
        if call.fetches > MAX_FETCHES:
            self.note({"verb": "error", "text": "Too many TwiML requests: loop ended"})
            log("twiml_loop", logging.WARNING, call_sid=call.sid, fetches=call.fetches - 1)
            return None
        params = self.params(status)
        params.update(extra)
        result = self.rt.webhooks.send(url, params, method)
        call.requests.append(
            {"url": url, "method": method.upper(), "params": params, "http_status": result.status}
        )
        if ignore_answer:
            return None
        if not result.ok:
            problem = result.error or f"HTTP {result.status}"
            if fallback and call.fallback_url:
                extra = {"ErrorCode": "11200", "ErrorUrl": url}
                return self.fetch(call.fallback_url, call.fallback_method, extra)
            return self.application_error(f"{url}: {problem}", 11200)
        content_type = result.content_type.split(";")[0].strip().lower()
        if content_type and not ("xml" in content_type or content_type == "text/html"):
            return self.application_error(f"{url}: content type {content_type}", 12300)
        return self.parse(result.body, url, url)

    def parse(self, text: str, url: str | None, origin: str) -> Document | None:
        try:
            root = ET.fromstring(text.strip())
        except ET.ParseError as exc:
            return self.application_error(f"{origin}: not XML ({exc})", 12100)
        if root.tag != "Response":
            return self.application_error(f"{origin}: root element is {root.tag}", 12100)
        return Document(root=root, url=url)

    def application_error(self, detail: str, code: int) -> None:
        # What the caller hears when our TwiML breaks; then Twilio hangs up.
        self.note({"verb": "error", "text": APPLICATION_ERROR, "code": code, "detail": detail})
        self.call.error_code = self.call.error_code or code
        log("application_error", logging.WARNING, call_sid=self.call.sid, code=code)
        return None

    def note(self, entry: dict[str, Any]) -> None:
        self.call.transcript.append(entry)

    def clock(self) -> float:
        return round(self.call.talk_seconds, 3)

    def spend(self, seconds: float, entry: dict[str, Any] | None = None) -> bool:
        """Let simulated time pass on the line; False if the API ended or redirected the call
        meanwhile. `entry` is the transcript entry of what is playing, to mark when the AMD
        verdict lands inside it or a redirect cuts it off."""
        call = self.call
        pending = call.amd_pending
        if pending and call.talk_seconds + seconds >= pending[1]:
            before = max(0.0, pending[1] - call.talk_seconds)
            if not self.pass_time(before, entry):
                return False
            if entry is not None and 0 < before < seconds:
                entry["verdict_during"] = True  # partly heard before the verdict, partly after
            amd.conclude(self.rt, call, self.document_url)
            if call.redirect_to or call.hangup_requested or call.cancel_requested:
                return self.cut(entry, before < seconds)
            seconds -= before
        return self.pass_time(seconds, entry)

    def pass_time(self, seconds: float, entry: dict[str, Any] | None) -> bool:
        self.call.talk_seconds += seconds
        if calls.wait(self.rt, self.call, seconds):
            return True
        return self.cut(entry, seconds > 0)

    def cut(self, entry: dict[str, Any] | None, midway: bool) -> bool:
        if entry is not None and midway and self.call.redirect_to:
            entry["interrupted"] = True
        return False

    def action_url(self, element: ET.Element, doc: Document) -> str | None:
        action = element.get("action")
        if action:
            return urljoin(doc.url or "", action) if doc.url else action
        return doc.url  # Twilio's default: the current document's URL

    # -- verbs -----------------------------------------------------------------------------
    def verb_Say(self, element: ET.Element, doc: Document, gather: bool = False) -> Any:
        text = (element.text or "").strip()
        loop = int(number_attr(element, "loop", 1))
        entry = {
            "verb": "Say",
            "text": text,
            "voice": element.get("voice"),
            "language": element.get("language"),
            "loop": loop,
        }
        if gather:
            entry["in_gather"] = True
        self.note(entry)
        # loop="0" means "until hang-up" on Twilio; we count it as one pass.
        seconds = max(1.0, len(text.split()) * SECONDS_PER_WORD) * max(loop, 1)
        return None if self.spend(seconds, entry) else END

    def verb_Play(self, element: ET.Element, doc: Document, gather: bool = False) -> Any:
        loop = int(number_attr(element, "loop", 1))
        entry = {"verb": "Play", "url": (element.text or "").strip() or None, "loop": loop}
        if element.get("digits"):
            entry["digits"] = element.get("digits")
        if gather:
            entry["in_gather"] = True
        self.note(entry)
        return None if self.spend(PLAY_SECONDS * max(loop, 1), entry) else END

    def verb_Pause(self, element: ET.Element, doc: Document, gather: bool = False) -> Any:
        length = number_attr(element, "length", 1)
        entry: dict[str, Any] = {"verb": "Pause", "length": length}
        if gather:
            entry["in_gather"] = True
        self.note(entry)
        return None if self.spend(length, entry) else END

    def verb_Gather(self, element: ET.Element, doc: Document) -> Any:
        for child in element:
            if child.tag in ("Say", "Play", "Pause"):
                if getattr(self, "verb_" + child.tag)(child, doc, gather=True) is END:
                    return END
        digits = self.behaviour.gather_digits(self.gathers) if self.human else ""
        self.gathers += 1
        finish_key = element.get("finishOnKey", "#")
        finished_on = ""
        if finish_key and digits.endswith(finish_key):
            digits, finished_on = digits[: -len(finish_key)], finish_key
        num_digits = element.get("numDigits")
        if num_digits and num_digits.isdigit():
            digits = digits[: int(num_digits)]
        action = self.action_url(element, doc)
        self.note({"verb": "Gather", "digits": digits, "action": action})
        self.call.digits.append(digits)
        if digits:
            if not self.spend(len(digits) * 0.5):
                return END
            if not action:
                return None
            extra = {"Digits": digits, "FinishedOnKey": finished_on}
            return self.fetch(action, element.get("method", "POST"), extra) or END
        # No input: Twilio waits `timeout` seconds, then goes on with the next verb.
        if not self.spend(number_attr(element, "timeout", 5)):
            return END
        if element.get("actionOnEmptyResult") == "true" and action:
            return self.fetch(action, element.get("method", "POST"), {"Digits": ""}) or END
        return None

    def verb_Record(self, element: ET.Element, doc: Document) -> Any:
        if not self.human:
            # An answering machine says nothing: the Record times out and TwiML goes on.
            self.note({"verb": "Record", "recording_sid": None, "duration": 0})
            return None if self.spend(number_attr(element, "timeout", 5)) else END
        seconds = self.behaviour.recording_seconds
        if seconds is None:
            seconds = self.rt.settings.recording_seconds
        max_length = element.get("maxLength")
        if max_length and max_length.isdigit():
            seconds = min(seconds, int(max_length))
        if not self.spend(seconds):
            return END
        recording = self.rt.store.add_recording(
            Recording(
                sid=new_sid("RE"),
                account_sid=self.call.account_sid,
                call_sid=self.call.sid,
                duration=seconds,
                start_time=now(),
            )
        )
        url = recording_media_url(self.rt.public_url, recording)
        self.note({"verb": "Record", "recording_sid": recording.sid, "duration": seconds})
        log("recording", call_sid=self.call.sid, recording_sid=recording.sid, seconds=seconds)
        recording_params = {
            "RecordingUrl": url,
            "RecordingSid": recording.sid,
            "RecordingDuration": str(seconds),
        }
        # The person speaks, then hangs up: Twilio requests the action with Digits=hangup and
        # ignores the TwiML it returns because nobody is on the line any more.
        action = self.action_url(element, doc)
        if action:
            self.fetch(
                action,
                element.get("method", "POST"),
                dict(recording_params, Digits="hangup"),
                status="completed",
                ignore_answer=True,
            )
        callback = element.get("recordingStatusCallback")
        if callback:
            params = {
                "AccountSid": self.call.account_sid,
                "CallSid": self.call.sid,
                "RecordingSid": recording.sid,
                "RecordingUrl": url,
                "RecordingStatus": "completed",
                "RecordingDuration": str(seconds),
                "RecordingChannels": "1",
                "RecordingSource": "RecordVerb",
                "RecordingStartTime": format_datetime(recording.start_time),
                "ErrorCode": "0",
            }
            callback_url = urljoin(doc.url or "", callback) if doc.url else callback
            method = element.get("recordingStatusCallbackMethod", "POST")
            result = self.rt.webhooks.send(callback_url, params, method, calls.CALLBACK_RETRIES)
            self.call.callbacks.append(
                result.entry(callback_url, "recording-completed", params, kind="recording"))
        return END

    def verb_Dial(self, element: ET.Element, doc: Document) -> Any:
        number = (element.text or "").strip()
        noun, whisper_url = "Number", None
        for child in element:
            noun = child.tag
            number = (child.text or "").strip()
            if child.get("url"):
                # <Number url=...>: TwiML the dialled party hears before the parties are joined.
                url = child.get("url")
                whisper_url = (urljoin(doc.url or "", url) if doc.url else url,
                               child.get("method", "POST"))
            break
        entry: dict[str, Any] = {"verb": "Dial", "number": number, "noun": noun}
        status, seconds, child_sid = self.dial(number, noun, element, whisper_url, entry)
        entry.update(status=status, dial_call_sid=child_sid, duration=seconds)
        self.note(entry)
        action = element.get("action")
        if not action:
            return None
        extra = {
            "DialCallStatus": status,
            "DialCallSid": child_sid or "",
            "DialCallDuration": str(seconds),
            "DialBridged": "true" if status == "completed" else "false",
        }
        url = urljoin(doc.url or "", action) if doc.url else action
        return self.fetch(url, element.get("method", "POST"), extra) or END

    def dial(self, number: str, noun: str, element: ET.Element,
             whisper_url: tuple[str, str] | None = None,
             entry: dict[str, Any] | None = None) -> tuple[str, int, str | None]:
        """Ring the dialled number as a child call; returns (DialCallStatus, seconds, sid).
        With a whisper URL, the answering party first hears that TwiML's <Say>s (kept in
        `entry["whisper"]`)."""
        if noun != "Number" or not phone.is_e164(number):
            return "failed", 0, None
        target = phone.effective(self.rt.store, number).behaviour
        timeout = number_attr(element, "timeout", 30)
        if target in ("invalid", "unreachable"):
            status, ring, talk = "failed", 1.0, 0
        elif target == "busy":
            status, ring, talk = "busy", calls.BUSY_SECONDS, 0
        elif target == "no-answer":
            status, ring, talk = "no-answer", timeout, 0
        else:
            status, ring, talk = "completed", calls.RING_SECONDS, self.rt.settings.dial_seconds
        child = self.rt.store.add_call(
            Call(
                sid=new_sid("CA"),
                account_sid=self.call.account_sid,
                to=number,
                from_=element.get("callerId") or self.call.to,
                direction="outbound-dial",
                parent_call_sid=self.call.sid,
                status="ringing",
                start_time=now(),
            )
        )
        log("dial", call_sid=self.call.sid, dial_call_sid=child.sid, to=mask(number))
        if status == "completed" and whisper_url and entry is not None:
            entry["whisper"] = self.whisper(child, *whisper_url)
        if not self.spend(ring + talk) and self.call.cancel_requested:
            talk = 0
        with self.rt.store.lock:
            child.status = status
            child.duration = math.ceil(talk)
            child.talk_seconds = talk
            child.end_time = child.date_updated = now()
        self.rt.store.publish(child, full=True)
        return status, math.ceil(talk), child.sid

    def whisper(self, child: Call, url: str, method: str) -> list[str]:
        """Request the whisper TwiML as the child call, as Twilio does, and say what it says."""
        params = {
            "AccountSid": child.account_sid, "ApiVersion": "2010-04-01", "CallSid": child.sid,
            "ParentCallSid": self.call.sid, "From": child.from_, "To": child.to,
            "Called": child.to, "Caller": child.from_, "Direction": "outbound-dial",
            "CallStatus": "in-progress",
        }
        result = self.rt.webhooks.send(url, params, method)
        self.call.requests.append({"url": url, "method": method.upper(), "params": params,
                                   "http_status": result.status, "whisper": True})
        if not result.ok:
            return [APPLICATION_ERROR]
        try:
            root = ET.fromstring(result.body.strip())
        except ET.ParseError:
            return [APPLICATION_ERROR]
        return [(e.text or "").strip() for e in root.iter("Say")]

    def verb_Redirect(self, element: ET.Element, doc: Document) -> Any:
        target = (element.text or "").strip()
        url = urljoin(doc.url or "", target) if doc.url else target
        self.note({"verb": "Redirect", "url": url})
        return self.fetch(url, element.get("method", "POST"), {}) or END

    def verb_Hangup(self, element: ET.Element, doc: Document) -> Any:
        self.note({"verb": "Hangup"})
        return END

    def verb_Reject(self, element: ET.Element, doc: Document) -> Any:
        reason = element.get("reason", "rejected")
        self.note({"verb": "Reject", "reason": reason})
        if self.call.status == "ringing":
            # Twilio: busy for reason=busy, no-answer for the default reason=rejected.
            self.final_status = "busy" if reason == "busy" else "no-answer"
        return END

    def verb_Sms(self, element: ET.Element, doc: Document) -> Any:
        self.note(
            {"verb": element.tag, "text": (element.text or "").strip(), "to": element.get("to")}
        )
        return None

    verb_Message = verb_Sms

    def say_unsupported(self, element: ET.Element) -> None:
        self.note({"verb": element.tag, "unsupported": True})
