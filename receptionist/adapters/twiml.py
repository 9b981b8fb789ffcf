"""Turns of the flow rendered as TwiML (twilio's ``VoiceResponse``).

Source for attributes: Twilio, "TwiML Voice: <Gather>", "<Say>" and "<Recording>". Speech
recognition follows the agent's :class:`~receptionist.settings.SpeechSettings` (by default
no ``speechModel`` and ``speechTimeout="auto"``, as Twilio recommends since 2025). Each
text is said in its own language's voice, with the locale that voice speaks
(``adapters.voices``). A recorded call's first TwiML starts the recording with
``<Start><Recording>``, which Twilio runs before anything else.

Whatever the text (a company's policy pasted from a handbook, a caller's name), the
document is one Twilio plays: characters XML 1.0 does not allow are dropped (else Twilio
cannot parse it: error 12100), and so are those a voice cannot say (zero-width and other
format characters, emoji); a text longer than a ``<Say>`` takes (3,000 characters for an
Amazon Polly voice, 5,000 for Google's, 4,096 for the basic ones: warning 13521) is said in
several, cut after a sentence; ``hints`` keep at most 500 entries of at most 100 characters
(warning 13330). ``tests/twiml_rules.py`` checks every rule against Twilio's documentation.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from twilio.twiml.voice_response import VoiceResponse

from ..engine.flow import Gather, Turn
from ..engine.languages import language as find_language
from ..engine.texts import for_voice
from ..settings import SpeechSettings
from .voices import say_voice

# Distinct TwiML documents kept by render_turn (a few KB each): every caller of an agent
# hears the same questions, so a process needs one per (prompt, language, step) it serves.
TURN_CACHE_SIZE = 4096

# Twilio, error 13521: the text one <Say> takes, in UTF-8 bytes, by the voice's family.
SAY_MAX_BYTES = {"Polly": 3000, "Google": 5000}
SAY_MAX_BYTES_BASIC = 4096
# Twilio, warning 13330: <Gather hints> entries and the characters of each.
HINTS_MAX, HINT_MAX_CHARS = 500, 100

# Not allowed in XML 1.0 (W3C, "Char"): C0 controls but tab, newline and carriage return,
# lone surrogates, U+FFFE and U+FFFF; C1 controls too (never meant as text).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# Where a long text is best cut: after the end of a sentence or clause.
_SENTENCE_END = re.compile(r"[.!?;:](?=\s)")


@dataclass(frozen=True)
class VoiceSetup:
    """How one agent's calls sound and listen: ``voices`` {language: ``<Say voice>`` name},
    ``speech`` recognition settings, ``start_recording`` when this TwiML starts the call's
    recording (the agent records, and this is the call's first TwiML)."""

    voices: Mapping[str, str] = field(default_factory=dict)
    speech: SpeechSettings = SpeechSettings()
    start_recording: bool = False


def language_tag(language: str) -> str:
    """The Twilio language tag (``<Say language>``, ``<Gather language>``) for a language
    code, from the registry (``engine.languages``): "es" -> "es-US"; unknown -> "en-US"."""
    return find_language(language).twilio_tag


def render_turn(turn: Turn, said: Sequence[tuple[str, str]], action_url: str, setup: VoiceSetup,
                recording_callback: str | None = None) -> str:
    """TwiML for ``turn``: ``said`` (its lines, already worded, as (text, language) parts:
    ``texts.render_parts``) said inside a ``<Gather>`` posting to ``action_url``, or said
    before ``<Hangup/>`` when the turn ends the call. With ``setup.start_recording``, first
    ``<Start><Recording>`` whose status callback (events completed and absent) POSTs to
    ``recording_callback`` (an absolute URL; required then, else ValueError).

    A ``<Redirect>`` to the same action follows the gather, so a timeout without input
    reaches the server even if ``actionOnEmptyResult`` were ignored.

    The document depends on nothing else, and every caller of an agent hears the same
    prompts at the same steps, so each distinct one is built with ``VoiceResponse`` once
    and kept (the last TURN_CACHE_SIZE): a turn then costs a dictionary look-up instead
    of building and serialising the XML tree.
    """
    if setup.start_recording and not recording_callback:
        raise ValueError("a recording needs its recording_callback URL")
    says = tuple(_voiced(text, language, setup.voices) for text, language in said)
    return _built_turn(turn.gather, language_tag(turn.language), says, action_url, setup.speech,
                       setup.start_recording, recording_callback)


@functools.lru_cache(maxsize=TURN_CACHE_SIZE)
def _built_turn(g: Gather | None, tag: str, says: tuple[tuple[str, str, str | None], ...], action_url: str,
                speech: SpeechSettings, start_recording: bool, recording_callback: str | None) -> str:
    """:func:`render_turn`'s document from its hashable parts, which determine it: ``tag`` the
    Twilio language tag of the ``<Gather>``, ``says`` (text, language tag, voice or None)."""
    response = VoiceResponse()
    if start_recording:
        response.start().recording(recording_status_callback=recording_callback,
                                   recording_status_callback_method="POST",
                                   recording_status_callback_event="completed absent")
    if g is None:
        _say(response, says)
        response.hangup()
        return str(response)
    gather_args = dict(input=g.input, action=action_url, method="POST", timeout=speech.timeout_s,
                       action_on_empty_result=True, finish_on_key="#")
    if "speech" in g.input:
        gather_args.update(language=tag, speech_timeout=speech.speech_timeout, profanity_filter=False)
        if speech.model:
            gather_args["speech_model"] = speech.model
        hints = _hints(g.hints)
        if hints:
            gather_args["hints"] = hints
    if g.num_digits:
        gather_args["num_digits"] = g.num_digits
    _say(response.gather(**gather_args), says)
    response.redirect(action_url, method="POST")
    return str(response)


def _voiced(text: str, language: str, voices: Mapping[str, str] | None = None) -> tuple[str, str, str | None]:
    """(text, ``<Say language>``, voice) for ``text`` in ``language`` (``voices.say_voice``)."""
    voice, tag = say_voice(language, voices)
    return text, tag, voice


def _say(verb, says: Sequence[tuple[str, str, str | None]]) -> None:
    """``<Say>`` per (text, ``<Say language>``, voice or None), worded for a voice
    (``texts.for_voice``), as many as the text needs (:func:`say_parts`); none for a text with nothing to say (an empty ``<Say>`` is
    Twilio's warning 13520)."""
    for text, tag, voice in says:
        family = (voice or "").partition(".")[0]
        spoken = for_voice(text, find_language(tag).code)  # "$19.50/hr" -> "$19.50 an hour"
        for part in say_parts(spoken, SAY_MAX_BYTES.get(family, SAY_MAX_BYTES_BASIC)):
            verb.say(part, language=tag, **({"voice": voice} if voice else {}))


def sayable(text: str) -> str:
    """``text`` as a voice can say it in a TwiML document: without the characters XML 1.0
    does not allow (a tab or line break becomes a space, a control character goes), format characters (zero-width
    space, soft hyphen) and pictographs (emoji, dingbats, arrows: category So from U+2190
    on, and their variation selectors); spaces collapsed. "Hi\x0b there 🎉" -> "Hi there"."""
    text = _NOT_XML.sub("", text)
    kept = "".join(" " if ch in "\t\n\r" else ch for ch in text
                   if not (unicodedata.category(ch) == "Cf" or "\ufe00" <= ch <= "\ufe0f"
                           or (unicodedata.category(ch) == "So" and ch >= "\u2190")))
    return " ".join(kept.split())


def say_parts(text: str, max_bytes: int) -> list[str]:
    """:func:`sayable` ``text`` in parts of at most ``max_bytes`` UTF-8 bytes, each cut after
    a sentence (or clause) where one ends in the second half of the part, else at a space;
    [] when nothing is left to say."""
    rest, parts = sayable(text), []
    while len(rest.encode("utf-8")) > max_bytes:
        head = rest.encode("utf-8")[:max_bytes].decode("utf-8", "ignore")
        ends = [m.end() for m in _SENTENCE_END.finditer(head) if m.end() > len(head) // 2]
        cut = ends[-1] if ends else (head.rfind(" ") if head.rfind(" ") > len(head) // 2 else len(head))
        parts.append(head[:cut].strip())
        rest = rest[cut:].strip()
    return parts + ([rest] if rest else [])


def _hints(hints: Sequence[str]) -> str:
    """``<Gather hints>``: comma-separated phrases (a comma inside one becomes a space), each
    cut at a word to HINT_MAX_CHARS, at most HINTS_MAX of them, empty ones dropped."""
    kept: list[str] = []
    for hint in hints:
        phrase = sayable(hint.replace(",", " "))
        if len(phrase) > HINT_MAX_CHARS:
            phrase = phrase[:HINT_MAX_CHARS + 1].rsplit(" ", 1)[0][:HINT_MAX_CHARS]
        if phrase and phrase not in kept:
            kept.append(phrase)
    return ", ".join(kept[:HINTS_MAX])


def render_apology(said: list[tuple[str, str]]) -> str:
    """TwiML that says each (text, language) of ``said`` (already worded, e.g. ``texts.render(
    Line("sorry_busy"), language)``), each in its language's registry voice (the agent is
    not known here), then hangs up:
    unknown number, lost call state, a failure after retries."""
    response = VoiceResponse()
    _say(response, [_voiced(text, language) for text, language in said])
    response.hangup()
    return str(response)


def render_hold(said: list[tuple[str, str]], redirect_url: str, pause_s: int) -> str:
    """TwiML that says each (text, language) of ``said`` (as :func:`render_apology`), waits
    ``pause_s`` seconds and asks Twilio for ``redirect_url`` (``<Redirect method="POST">``,
    relative to the URL Twilio requested): the call is held, not ended, while a failure on our
    side (the database) lasts. Twilio's redirected request carries the call's own fields
    (CallSid, From, To, ...), no SpeechResult or Digits (Twilio, "TwiML Voice: <Redirect>")."""
    response = VoiceResponse()
    _say(response, [_voiced(text, language) for text, language in said])
    response.pause(length=pause_s)
    response.redirect(redirect_url, method="POST")
    return str(response)
