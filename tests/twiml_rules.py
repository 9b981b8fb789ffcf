"""Does a TwiML document hold to the rules Twilio applies when it plays it? (a pure checker)

:func:`twiml_violations` returns, for one voice TwiML document (the body we answer a voice
webhook with), the list of rules it breaks, each a short sentence naming the element and
the rule; an empty list when Twilio would play it as written. Each rule and its source:

- Twilio error 12100 "Document parse failure": well-formed XML, nothing before the
  ``<?xml ...?>`` header, ``< > &`` escaped. XML 1.0 allows no C0 control character but
  tab, newline and carriage return (W3C XML 1.0, "Char" production).
- 12102 "The root element must be Response".
- 12200 "Schema validation warning": known verbs only, in their known places, with known
  attributes (TwiML is case-sensitive): ``<Gather>`` nests only ``<Say>``, ``<Play>`` and
  ``<Pause>`` ("TwiML Voice: <Gather>", nesting); ``<Say>`` holds text and SSML tags only
  ("TwiML Voice: <Say>", SSML); ``<Start>`` holds ``<Recording>`` or ``<Stream>``...
  ("TwiML Voice: <Recording>"); ``<Redirect>`` holds a URL and nothing else, and every
  verb after it is unreachable ("TwiML Voice: <Redirect>"); ``<Hangup>`` ends the call, so
  nothing after it is played ("TwiML Voice: <Hangup>").
- "TwiML Voice: <Gather>" attributes: ``input`` dtmf, speech or both; ``method`` GET or
  POST; ``timeout`` whole seconds; ``finishOnKey`` one of 0-9 # * or empty; ``numDigits`` a
  positive integer; ``speechTimeout`` "auto" or whole seconds, and never "auto" with a
  ``speechModel`` (warning 13335); ``language`` a BCP-47 tag with region ("en" is invalid,
  "en-US" valid: warning 13512); ``hints`` at most 500 comma-separated entries of at most
  100 characters each (warning 13330); ``actionOnEmptyResult`` and ``profanityFilter``
  true or false; ``action`` a relative or absolute URL.
- "TwiML Voice: <Say>": text not empty (warning 13520 "Say: Invalid text"); at most 3000
  characters for an Amazon Polly voice, 5000 for a Google voice, 4096 for the basic ones
  (warning 13521 "<Say> element character limits exceeded"); "using an invalid combination
  of voice and language may result in error and <Say> instruction failure": the default
  voice ``man`` and ``woman`` speak only en, en-gb, es, fr, de (the Say reference,
  #attributes-manwoman), a Polly or Google voice its own locale (Amazon Polly, "Available
  voices"; a Google voice's name carries it: Google.es-US-Neural2-A).
- "TwiML Voice: <Recording>": ``recordingStatusCallbackEvent`` among in-progress,
  completed, absent; ``recordingStatusCallbackMethod`` GET or POST; callback an absolute URL.
- Our own rule, from "<Recording>" ("if there are no instructions, the call will end"): a
  document ends with ``<Hangup>`` or ``<Redirect>``, so a call never ends by running out
  of verbs while the caller waits.

:func:`spoken_problems` flags text that a TTS voice reads out in a way a caller would not
follow (symbols, links, letters spelled out), for the sake of the templates and policies.
"""
from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET

from receptionist.adapters.voices import voice_locale

VERBS = {"Say", "Play", "Pause", "Gather", "Redirect", "Hangup", "Start", "Stop", "Record", "Dial", "Reject",
         "Enqueue", "Leave", "Connect", "Refer", "Pay", "Prompt", "Sms"}
NESTED = {"Gather": {"Say", "Play", "Pause"}, "Start": {"Recording", "Stream", "Siprec", "Transcription"}}
SSML = {"break", "emphasis", "lang", "p", "phoneme", "prosody", "s", "say-as", "sub", "w", "amazon:domain",
        "amazon:effect"}
ATTRIBUTES = {
    "Say": {"voice", "language", "loop"},
    "Gather": {"action", "method", "timeout", "finishOnKey", "numDigits", "input", "language", "hints",
               "speechTimeout", "speechModel", "profanityFilter", "actionOnEmptyResult", "partialResultCallback",
               "partialResultCallbackMethod", "enhanced", "maxSpeechTime", "bargeIn", "debug", "dtmfDetection"},
    "Redirect": {"method"},
    "Pause": {"length"},
    "Hangup": set(),
    "Start": {"action", "method"},
    "Recording": {"recordingStatusCallback", "recordingStatusCallbackMethod", "recordingStatusCallbackEvent",
                  "channels", "track", "trim", "name"},
    "Play": {"loop", "digits"},
}
BASIC_VOICE_LANGUAGES = {"en", "en-us", "en-gb", "es", "fr", "de"}  # man / woman (and no voice: man)
SAY_LIMITS = {"Polly": 3000, "Google": 5000, "basic": 4096}
HINTS_MAX_ENTRIES, HINT_MAX_CHARS = 500, 100
_WHOLE_SECONDS = re.compile(r"[1-9][0-9]*")
_TAG = re.compile(r"[a-z]{2,3}-[A-Z]{2}")
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def twiml_violations(xml: str | bytes) -> list[str]:
    """The rules (module docstring) that the voice TwiML document ``xml`` breaks, as
    sentences; [] when none. Never raises: a document that does not parse is one violation."""
    text = xml.decode("utf-8") if isinstance(xml, bytes) else xml
    if not text.startswith("<?xml"):
        return ["12100: the document must start with the <?xml ...?> header, nothing before it"]
    if _XML_INVALID.search(text):
        return [f"12100: control character {_XML_INVALID.search(text).group()!r} is not allowed in XML 1.0"]
    try:
        root = ET.fromstring(text.encode("utf-8"))
    except ET.ParseError as exc:
        return [f"12100: not well-formed XML ({exc})"]
    if root.tag != "Response":
        return [f"12102: the root element is <{root.tag}>, not <Response>"]
    found: list[str] = []
    verbs = list(root)
    for i, verb in enumerate(verbs):
        if verb.tag not in VERBS:
            found.append(f"12200: <{verb.tag}> is not a TwiML verb")
            continue
        if verb.tag in ("Hangup", "Redirect") and i < len(verbs) - 1:
            found.append(f"<{verbs[i + 1].tag}> after <{verb.tag}> is never played")
        found += _element(verb)
    if verbs and verbs[-1].tag not in ("Hangup", "Redirect"):
        found.append(f"the document ends with <{verbs[-1].tag}>: the call would end by running out of verbs")
    if not verbs:
        found.append("an empty <Response> ends the call")
    return found


def _element(el: ET.Element) -> list[str]:
    found = [f"12200: <{el.tag} {name}> is not an attribute of <{el.tag}>"
             for name in el.attrib if name not in ATTRIBUTES.get(el.tag, set(el.attrib))]
    allowed = NESTED.get(el.tag, set())
    for child in el:
        if el.tag == "Say":
            continue  # SSML, checked in _say
        if child.tag not in allowed:
            found.append(f"12200: <{child.tag}> cannot be nested in <{el.tag}>")
        else:
            found += _element(child)
    if el.tag not in ("Say", "Redirect") and (el.text or "").strip():
        found.append(f"12200: <{el.tag}> holds text {el.text.strip()[:40]!r}")
    check = {"Say": _say, "Gather": _gather, "Redirect": _redirect, "Pause": _pause, "Recording": _recording}.get(el.tag)
    return found + (check(el) if check else [])


def _say(el: ET.Element) -> list[str]:
    found = [f"12200: <{child.tag}> is not SSML, cannot be nested in <Say>" for child in el.iter()
             if child is not el and child.tag not in SSML]
    spoken = "".join(el.itertext())
    if not spoken.strip():
        found.append("13520: <Say> with no text")
    voice = el.get("voice", "man")
    family = voice.split(".")[0] if "." in voice else "basic"
    limit = SAY_LIMITS.get(family, SAY_LIMITS["basic"])
    if len(spoken.encode("utf-8")) > limit:
        found.append(f"13521: <Say voice={voice!r}> holds {len(spoken.encode('utf-8'))} bytes of text, over {limit}")
    language = el.get("language", "en-US")
    if family == "basic" and voice not in ("man", "woman", "alice"):
        found.append(f"13511: <Say voice={voice!r}> is not a Twilio voice")
    elif family == "basic" and voice != "alice" and language.lower() not in BASIC_VOICE_LANGUAGES:
        found.append(f"<Say voice={voice!r} language={language!r}>: the {voice} voice does not speak {language}")
    elif family != "basic":
        locale = voice_locale(voice)
        if locale and locale.lower() != language.lower():
            found.append(f"<Say voice={voice!r} language={language!r}>: {voice} speaks {locale}")
    loop = el.get("loop")
    if loop is not None and not loop.isdigit():
        found.append(f"<Say loop={loop!r}>: a whole number")
    return found


def _whole(value: str) -> bool:
    return bool(_WHOLE_SECONDS.fullmatch(value))


# <Gather> attributes with one value each: (name, Twilio's default or None, valid, what is allowed).
_GATHER_VALUES = (
    ("method", "POST", lambda v: v in ("GET", "POST"), "GET or POST"),
    ("timeout", "5", _whole, "whole seconds"),
    ("finishOnKey", "#", lambda v: v in set("0123456789#*") | {""}, "one of 0-9 # * or empty"),
    ("numDigits", None, _whole, "a positive integer"),
    ("speechTimeout", None, lambda v: v == "auto" or _whole(v), "13327: auto or whole seconds"),
    ("language", None, lambda v: bool(_TAG.fullmatch(v)), "13512: a language tag with its region, e.g. en-US"),
    ("action", None, lambda v: _url(v), "a relative or absolute URL"),
) + tuple((flag, None, lambda v: v in ("true", "false"), "true or false")
          for flag in ("actionOnEmptyResult", "profanityFilter", "enhanced"))


def _gather(el: ET.Element) -> list[str]:
    found = [f"<Gather {name}={el.get(name)!r}>: {allowed}" for name, default, valid, allowed in _GATHER_VALUES
             if el.get(name, default) is not None and not valid(el.get(name, default))]
    inputs = el.get("input", "dtmf").split()
    if not inputs or set(inputs) - {"dtmf", "speech"} or len(set(inputs)) != len(inputs):
        found.append(f"<Gather input={el.get('input')!r}>: dtmf, speech or 'dtmf speech'")
    if el.get("speechTimeout") == "auto" and el.get("speechModel"):
        found.append(f"13335: speechTimeout auto with speechModel {el.get('speechModel')!r}")
    hints = el.get("hints")
    if hints is not None:
        entries = [h.strip() for h in hints.split(",")]
        if len(entries) > HINTS_MAX_ENTRIES:
            found.append(f"13330: {len(entries)} hints, over {HINTS_MAX_ENTRIES}")
        found += [f"13330: hint {h[:30]!r}... is {len(h)} characters, over {HINT_MAX_CHARS}"
                  for h in entries if len(h) > HINT_MAX_CHARS]
        if any(not h for h in entries):
            found.append(f"13330: an empty hint in {hints[:60]!r}")
    return found


def _redirect(el: ET.Element) -> list[str]:
    found = [] if _url((el.text or "").strip()) else [f"<Redirect>{el.text!r}</Redirect>: not a URL"]
    if el.get("method", "POST") not in ("GET", "POST"):
        found.append(f"<Redirect method={el.get('method')!r}>: GET or POST")
    return found


def _pause(el: ET.Element) -> list[str]:
    length = el.get("length", "1")
    return [] if _whole(length) else [f"<Pause length={length!r}>: whole seconds"]


def _recording(el: ET.Element) -> list[str]:
    found = []
    events = el.get("recordingStatusCallbackEvent", "completed").split()
    if set(events) - {"in-progress", "completed", "absent"}:
        found.append(f"<Recording recordingStatusCallbackEvent={el.get('recordingStatusCallbackEvent')!r}>")
    if el.get("recordingStatusCallbackMethod", "POST") not in ("GET", "POST"):
        found.append("<Recording recordingStatusCallbackMethod>: GET or POST")
    callback = el.get("recordingStatusCallback")
    if callback is not None and not re.match(r"https?://[^/\s]+", callback):
        found.append(f"<Recording recordingStatusCallback={callback!r}>: an absolute URL")
    return found


def _url(url: str | None) -> bool:
    """An absolute http(s) URL or a path Twilio resolves against the document's URL."""
    return bool(url) and not re.search(r"\s", url) and (url.startswith("/") or bool(re.match(r"https?://", url)))


# --------------------------------------------------------------------------- read aloud

_SPOKEN_CHECKS = (
    (re.compile(r"https?://|www\.|\b[\w.-]+\.(?:com|org|net|io)\b"), "a web address, spelled out letter by letter"),
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+"), "an email address"),
    (re.compile(r"&"), "'&'"),
    (re.compile(r"(?<![\d\s])/|/(?![\d\s])"), "'/' between words, read as 'slash'"),
    (re.compile(r"[<>{}\[\]|\\^~`_*#=]"), "a symbol the voice reads by name"),
    (re.compile(r"\b(?:hr|hrs|wk|mo|yr|yrs|min|mins|approx|w/|Mon|Tue|Wed|Thu|Fri|Sat|Sun|M-F)\b\.?"),
     "an abbreviation read as letters or a wrong word"),
)


def spoken_problems(text: str) -> list[str]:
    """What in ``text`` (one ``<Say>``'s words) a caller would not follow when a TTS voice
    reads it: web and email addresses, symbols read by name (& / # * _), abbreviations,
    emoji and other pictographs, and sentences over 40 words (hard to hold on a phone
    line). [] when it reads well. Numbers, prices and times as digits read fine ("$19.50",
    "7:00 AM", "1-800-555-0100": Amazon Polly, "Supported SSML tags", say-as defaults)."""
    found = [f"{why}: {m.group()!r}" for pattern, why in _SPOKEN_CHECKS for m in pattern.finditer(text)]
    found += [f"a pictograph {ch!r}" for ch in text if unicodedata.category(ch) == "So"]
    found += [f"a sentence of {n} words" for n in (len(s.split()) for s in re.split(r"[.!?¿¡]", text)) if n > 40]
    return found
