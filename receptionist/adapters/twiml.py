"""Turns of the flow rendered as TwiML (twilio's ``VoiceResponse``).

Source for attributes: Twilio, "TwiML Voice: <Gather>" and "<Say>". Speech uses the
``phone_call`` model with ``enhanced`` (tuned for telephone audio), ``speechTimeout=auto``
(ends when the caller stops talking) and a short ``timeout`` for the first sound.
"""
from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from ..engine.flow import Turn
from ..engine.languages import language as find_language

GATHER_TIMEOUT_S = 5


def language_tag(language: str) -> str:
    """The Twilio language tag (``<Say language>``, ``<Gather language>``) for a language
    code, from the registry (``engine.languages``): "es" -> "es-US"; unknown -> "en-US"."""
    return find_language(language).twilio_tag


def render_turn(turn: Turn, texts: list[str], action_url: str, voice: str | None) -> str:
    """TwiML for ``turn``: ``texts`` (its lines, already worded) said inside a ``<Gather>``
    posting to ``action_url``, or said before ``<Hangup/>`` when the turn ends the call.

    A ``<Redirect>`` to the same action follows the gather, so a timeout without input
    reaches the server even if ``actionOnEmptyResult`` were ignored.
    """
    language = language_tag(turn.language)
    say_args = {"language": language}
    if voice:
        say_args["voice"] = voice
    response = VoiceResponse()
    if turn.gather is None:
        for text in texts:
            response.say(text, **say_args)
        response.hangup()
        return str(response)
    g = turn.gather
    gather_args = dict(input=g.input, action=action_url, method="POST", timeout=GATHER_TIMEOUT_S,
                       action_on_empty_result=True, finish_on_key="#")
    if "speech" in g.input:
        gather_args.update(language=language, speech_model="phone_call", enhanced=True,
                           speech_timeout="auto", profanity_filter=False)
        if g.hints:
            gather_args["hints"] = ", ".join(h.replace(",", " ") for h in g.hints)
    if g.num_digits:
        gather_args["num_digits"] = g.num_digits
    gather = response.gather(**gather_args)
    for text in texts:
        gather.say(text, **say_args)
    response.redirect(action_url, method="POST")
    return str(response)


def render_apology(said: list[tuple[str, str]]) -> str:
    """TwiML that says each (text, language) of ``said`` (already worded, e.g. ``texts.render(
    Line("sorry_busy"), language)``), each with its own language's voice tag, then hangs up:
    unknown number, lost call state, a failure after retries."""
    response = VoiceResponse()
    for text, language in said:
        response.say(text, language=language_tag(language))
    response.hangup()
    return str(response)
