"""The languages the receptionist speaks: one registry, one module of words per language.

``LANGUAGES`` maps a language code ("en") to a :class:`Language`: its name as said in that
language, its Twilio language tag and its :class:`~.vocabulary.Vocabulary`. The company
loader accepts exactly these codes, TwiML takes the tag from here, the wording
(``engine.texts``) and the interpreters take their words from here. To add a language: a
module like ``es.py``, an entry below, and its phrases in ``engine.texts.PHRASES`` (a test
checks that every registered language has every phrase).

Pure data and lookups: no I/O.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping, TypeVar

from . import en, es
from .vocabulary import Vocabulary

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "Language", "Vocabulary", "in_language", "language"]

T = TypeVar("T")


@dataclass(frozen=True)
class Language:
    """A supported language.

    code: ISO 639-1 code, the key used in every {language: text} mapping ("es").
    name: the language's name as its speakers say it ("español").
    twilio_tag: the ``language`` attribute of TwiML ``<Say>`` and ``<Gather>`` ("es-US";
    Twilio, "TwiML Voice: <Say>", supported languages, and "<Gather>", languages for speech
    recognition). es-US fits the Spanish speakers of a US phone line.
    words: what callers say and hear in this language.
    voice: the ``<Say voice>`` for this language when an agent names none (its company
    YAML's ``voices``), so every ``<Say>`` has a voice that speaks it (Twilio's default
    voice "man" speaks no es-US: ``adapters.voices``); None: Twilio's default.
    """

    code: str
    name: str
    twilio_tag: str
    words: Vocabulary
    voice: str | None = None


_REGISTERED = {lang.code: lang for lang in (
    Language("en", "English", "en-US", en.WORDS, "Polly.Joanna-Neural"),
    Language("es", "español", "es-US", es.WORDS, "Polly.Lupe-Neural"),
)}
LANGUAGES: Mapping[str, Language] = MappingProxyType(_REGISTERED)  # read-only view
DEFAULT_LANGUAGE = "en"  # for a caller whose language is unknown or not supported


def language(code: str | None) -> Language:
    """The registered language for ``code``, else the default language's; never raises.

    Accepts regional tags and any case: "es", "ES", "es-MX", "es_419" -> Spanish;
    "fr", "", None -> English.
    """
    tag = str(code or "").strip().lower()
    return LANGUAGES.get(tag) or LANGUAGES.get(re.split(r"[-_]", tag)[0]) or LANGUAGES[DEFAULT_LANGUAGE]


def in_language(texts: Mapping[str, T] | None, code: str | None,
                default: str | None = DEFAULT_LANGUAGE) -> T | None:
    """The one fallback rule for company texts and wording kept per language.

    ``texts``: {language code: text (or labels, or any value)}. Returns the value for the
    caller's language ``code``, else for ``default`` (the agent's default language, its
    first), else the first one in the mapping; empty values count as missing. None when
    ``texts`` holds nothing.

    in_language({"en": "Hi", "es": "Hola"}, "es") -> "Hola";
    in_language({"en": "Hi", "es": "Hola"}, "fr") -> "Hi";
    in_language({"es": "Hola", "en": "Hi"}, "fr", default="en") -> "Hi";
    in_language({"es": "Hola"}, "en") -> "Hola".
    """
    texts = texts or {}
    for key in (code, default):
        if key is not None and texts.get(key):
            return texts[key]
    return next((value for value in texts.values() if value), None)


def english_name(code: str | None) -> str:
    """The language of ``code`` named in English for the recruiter pages ("es" -> "Spanish");
    an unregistered code as given."""
    names = LANGUAGES[DEFAULT_LANGUAGE].words.language_names.get(str(code or ""))
    return names[0].capitalize() if names else str(code or "")
