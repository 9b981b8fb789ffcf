"""A turn's TwiML is built once per distinct document (adapters.twiml.render_turn): what the
caller hears is the same as built fresh, and every input that shapes it gives its own."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from receptionist.adapters import twiml
from receptionist.adapters.twiml import VoiceSetup, render_turn
from receptionist.engine.flow import Gather, Turn
from receptionist.settings import SpeechSettings

QUESTION = Turn((), "en", Gather("speech dtmf", ("yes", "no"), 1))
SAID = [("Are you 18 or older?", "en")]
ACTION = "/voice/gather?lang=en&step=5"


def test_a_kept_document_is_the_one_built_fresh():
    twiml._built_turn.cache_clear()
    fresh = render_turn(QUESTION, SAID, ACTION, VoiceSetup({"en": "Polly.Joanna"}))
    kept = render_turn(QUESTION, list(SAID), ACTION, VoiceSetup({"en": "Polly.Joanna"}))
    assert kept == fresh
    assert twiml._built_turn.cache_info().hits == 1
    say = ET.fromstring(kept).find("Gather/Say")
    assert (say.text, say.get("voice"), say.get("language")) == ("Are you 18 or older?", "Polly.Joanna", "en-US")


def _gather(xml: str) -> ET.Element:
    return ET.fromstring(xml).find("Gather")


# Each case changes one input from the base; the document must show the change.
CHANGES = {
    "voice": (dict(setup=VoiceSetup({"en": "Polly.Matthew"})), lambda x: _gather(x).find("Say").get("voice") == "Polly.Matthew"),
    "voice of another language": (dict(said=[("¿Tiene 18 años?", "es")], setup=VoiceSetup({"es": "Polly.Lupe"})),
                                  lambda x: _gather(x).find("Say").get("voice") == "Polly.Lupe"),
    "speech model": (dict(setup=VoiceSetup(speech=SpeechSettings(model="googlev2_telephony", speech_timeout=2))),
                     lambda x: _gather(x).get("speechModel") == "googlev2_telephony" and _gather(x).get("speechTimeout") == "2"),
    "timeout": (dict(setup=VoiceSetup(speech=SpeechSettings(timeout_s=9))), lambda x: _gather(x).get("timeout") == "9"),
    "text": (dict(said=[("Are you over 21?", "en")]), lambda x: _gather(x).find("Say").text == "Are you over 21?"),
    "step": (dict(action="/voice/gather?lang=en&step=6"), lambda x: _gather(x).get("action").endswith("step=6")),
    "language": (dict(turn=Turn((), "es", Gather("speech dtmf", ("sí",), 1))), lambda x: _gather(x).get("language") == "es-US"),
    "hints": (dict(turn=Turn((), "en", Gather("speech dtmf", ("forklift",), 1))), lambda x: _gather(x).get("hints") == "forklift"),
    "ends the call": (dict(turn=Turn((), "en", None)), lambda x: ET.fromstring(x).find("Hangup") is not None),
    "recording": (dict(setup=VoiceSetup(start_recording=True), callback="https://jobs.example.com/voice/recording"),
                  lambda x: ET.fromstring(x).find("Start/Recording").get("recordingStatusCallback")
                  == "https://jobs.example.com/voice/recording"),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_each_input_that_shapes_the_document_gets_its_own(change):
    base = dict(turn=QUESTION, said=SAID, action=ACTION, setup=VoiceSetup({"en": "Polly.Joanna"}), callback=None)
    render = lambda a: render_turn(a["turn"], a["said"], a["action"], a["setup"], a["callback"])  # noqa: E731
    before = render(base)  # kept first, so that a key missing the change would hand it back
    changes, shows = CHANGES[change]
    after = render({**base, **changes})
    assert after != before
    assert shows(after), after


def test_a_recording_without_its_callback_is_still_refused():
    with pytest.raises(ValueError):
        render_turn(QUESTION, SAID, ACTION, VoiceSetup(start_recording=True))
