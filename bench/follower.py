"""A Twilio caller for an outside voice app: whatever its TwiML asks, followed as Twilio does.

``bench/caller.py`` answers this project's screening questions; this caller knows nothing of
the app and answers every ``<Gather>`` with the same keys and every ``<Record>`` with a
recording, so any Twilio voice app (e.g. Twilio's own samples) can be put under the same load
as the service (``bench/outside_load.py``). One call (:func:`follow_call`):

- the voice webhook (``Follow.voice_url``, GET or POST as configured on the number), then each
  document played: ``<Say>``/``<Play>``/``<Pause>`` heard; ``<Redirect>`` followed with its
  method; ``<Gather>`` answered with ``Digits`` (or ``SpeechResult`` when it listens for
  speech only) posted to its ``action``; ``<Record>`` answered with ``RecordingUrl``,
  ``RecordingSid``, ``RecordingDuration`` and ``Digits=#`` (the caller ends it with the pound
  key) posted to its ``action``, then, when it sets ``transcribeCallback``, the transcription
  posted there (Twilio sends it later, on its own: here right after the action's answer, so
  it finds what the action stored); ``<Hangup/>``, ``<Reject/>`` or the end of the verbs end
  the call. ``action``
  defaults to the document's URL, ``method`` to POST (Twilio's defaults).
- the status callback (``Follow.status_url``), only when the app has one.

Every request carries Twilio's voice fields and ``X-Twilio-Signature`` (twilio's
``RequestValidator``: for GET over the URL with its query, for POST over the URL and the
sorted fields), and the cookies the app set earlier in the call (Twilio keeps cookies for
the length of a call). Sources: Twilio docs "Twilio's request to your application",
"Webhooks security", "TwiML Voice: <Gather>", "<Record>" (its action and transcribeCallback
parameters), "<Redirect>", "Twilio's cookie support".
"""
from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import urljoin

import urllib3
from twilio.request_validator import RequestValidator

from bench.caller import ACCOUNT_SID, CONFIDENCE, MAX_DOCUMENTS, Call, CallFailed, CallResult
from receptionist.devtools.twilio_http import SimulatorError, redirect_target, verb_method

HEARD = ("Say", "Play", "Pause")  # verbs a caller only listens to
RECORDING_SECONDS = "4"
TRANSCRIPTION = "Jane Doe"  # what every recording says
SPOKEN = "yes"  # a Gather that listens for speech only hears this


@dataclass(frozen=True)
class Follow:
    """How to call the app: its voice webhook (path and method, as set on the Twilio number),
    its status callback path (None: the app has none), the keys pressed at every Gather."""

    voice_url: str = "/voice"
    voice_method: str = "POST"
    status_url: str | None = None
    digits: str = "1"


def _recording(result: CallResult, n: int) -> dict[str, str]:
    sid = f"RE{result.call_sid[2:-2]}{n:02x}"
    return {"RecordingSid": sid, "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}"
            f"/Recordings/{sid}", "RecordingDuration": RECORDING_SECONDS}


def follow_call(follow: Follow, http: urllib3.HTTPConnectionPool, base_url: str, validator: RequestValidator,
                call_sid: str, from_number: str, to_number: str) -> CallResult:
    """Place one call to the app at ``base_url`` as Twilio does and answer all it asks (see
    the module); never raises (a failure is in ``error``). ``given`` lists the answers by
    kind (``digits``, ``speech``, ``recording``); ``answered`` counts them; ``completed``:
    the app ended the call (or its TwiML ran out) with no error."""
    result = CallResult(call_sid, from_number)
    call = Call(http, base_url, validator, result, to_number)
    started = time.monotonic()
    try:
        method, url = follow.voice_method.upper(), urljoin(base_url, follow.voice_url)
        verbs = call.twiml(url, {}, method)
        for _ in range(MAX_DOCUMENTS):
            nxt = _play(follow, call, verbs, url)
            if nxt is None:
                result.ended_by = "agent-hangup"
                break
            method, url, verbs = nxt
        else:
            raise CallFailed(f"{MAX_DOCUMENTS} documents without the call ending")
    except (CallFailed, SimulatorError) as exc:
        result.error = str(exc)
    result.answered = len(result.given)
    if follow.status_url:
        try:
            call.post(urljoin(base_url, follow.status_url),
                         {"CallStatus": "completed", "CallDuration": str(int(time.monotonic() - started))})
        except CallFailed as exc:
            result.error = result.error or str(exc)
    result.completed = result.error is None
    return result


def _play(follow: Follow, call: Call, verbs: list[ET.Element],
          url: str) -> tuple[str, str, list[ET.Element]] | None:
    """Play one document: the next (method, URL, verbs), or None when the call ends."""
    result = call.result
    for verb in verbs:
        if verb.tag in HEARD:
            continue
        if verb.tag in ("Hangup", "Reject"):
            return None
        if verb.tag == "Redirect":
            target, method = redirect_target(verb, url)
            return method, target, call.twiml(target, {}, method)
        if verb.tag not in ("Gather", "Record"):
            raise CallFailed(f"<{verb.tag}> in {url}: this caller follows Say, Play, Pause, Gather, Record, "
                             "Redirect, Hangup and Reject")
        action, method = urljoin(url, verb.get("action") or url), verb_method(verb, url)
        if verb.tag == "Gather":
            if "dtmf" in verb.get("input", "dtmf").split():
                result.given.append("digits")
                fields = {"Digits": follow.digits}
            else:
                result.given.append("speech")
                fields = {"SpeechResult": SPOKEN, "Confidence": CONFIDENCE}
            return method, action, call.twiml(action, fields, method)
        recording = _recording(result, len(result.given))
        result.given.append("recording")
        verbs = call.twiml(action, {**recording, "Digits": "#"}, method)
        callback = verb.get("transcribeCallback")
        if callback:
            call.post(urljoin(url, callback), {**recording, "TranscriptionSid": "TR" + recording[
                "RecordingSid"][2:], "TranscriptionText": TRANSCRIPTION, "TranscriptionStatus": "completed",
                "TranscriptionType": "fast", "TranscriptionUrl": recording["RecordingUrl"] + "/Transcriptions"})
        return method, action, verbs
    return None
