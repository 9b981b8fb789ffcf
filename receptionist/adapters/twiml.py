"""Turns of the flow rendered as TwiML (twilio's ``VoiceResponse``).

Source for attributes: Twilio, "TwiML Voice: <Gather>", "<Say>" and "<Recording>". Speech
recognition follows the agent's :class:`~receptionist.settings.SpeechSettings` (by default
no ``speechModel`` and ``speechTimeout="auto"``, as Twilio recommends since 2025). Each
text is said in its own language's voice and tag. A recorded call's first TwiML starts the
recording with ``<Start><Recording>``, which Twilio runs before anything else.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from twilio.twiml.voice_response import VoiceResponse

from ..engine.flow import Gather, Turn
from ..engine.languages import language as find_language
from ..settings import SpeechSettings

# Distinct TwiML documents kept by render_turn (a few KB each): every caller of an agent
# hears the same questions, so a process needs one per (prompt, language, step) it serves.
TURN_CACHE_SIZE = 4096


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
    says = tuple((text, language_tag(language), setup.voices.get(language)) for text, language in said)
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
        if g.hints:
            gather_args["hints"] = ", ".join(h.replace(",", " ") for h in g.hints)
    if g.num_digits:
        gather_args["num_digits"] = g.num_digits
    _say(response.gather(**gather_args), says)
    response.redirect(action_url, method="POST")
    return str(response)


def _say(verb, says: Sequence[tuple[str, str, str | None]]) -> None:
    """One ``<Say>`` per (text, language tag, the agent's voice for that language or None)."""
    for text, tag, voice in says:
        verb.say(text, language=tag, **({"voice": voice} if voice else {}))


def render_apology(said: list[tuple[str, str]]) -> str:
    """TwiML that says each (text, language) of ``said`` (already worded, e.g. ``texts.render(
    Line("sorry_busy"), language)``), each with its own language's voice tag, then hangs up:
    unknown number, lost call state, a failure after retries."""
    response = VoiceResponse()
    for text, language in said:
        response.say(text, language=language_tag(language))
    response.hangup()
    return str(response)


def render_hold(said: list[tuple[str, str]], redirect_url: str, pause_s: int) -> str:
    """TwiML that says each (text, language) of ``said`` (as :func:`render_apology`), waits
    ``pause_s`` seconds and asks Twilio for ``redirect_url`` (``<Redirect method="POST">``,
    relative to the URL Twilio requested): the call is held, not ended, while a failure on our
    side (the database) lasts. Twilio's redirected request carries the call's own fields
    (CallSid, From, To, ...), no SpeechResult or Digits (Twilio, "TwiML Voice: <Redirect>")."""
    response = VoiceResponse()
    for text, language in said:
        response.say(text, language=language_tag(language))
    response.pause(length=pause_s)
    response.redirect(redirect_url, method="POST")
    return str(response)
