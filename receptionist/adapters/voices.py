"""Twilio ``<Say>`` voices: which language and locale each one speaks (pure data and lookups).

Twilio, "TwiML Voice: <Say>": "using an invalid combination of voice and language may
result in error and <Say> instruction failure". So every ``<Say>`` names a voice, and its
``language`` is that voice's own locale:

- Amazon Polly voices, ``Polly.<Name>`` with an optional engine suffix (``-Neural``,
  ``-Generative``, ``-LongForm``): the locales below, from Amazon Polly, "Available voices"
  (the English and Spanish ones; a Polly name not listed here is passed on with the
  language's own tag).
- Google voices, ``Google.<locale>-<Model>-<Variant>`` (``Google.es-US-Neural2-A``): the
  locale is in the name.
- The basic voices ``man`` and ``woman`` speak only en, en-gb, es, fr and de (the Say
  reference, "#attributes-manwoman"); Spanish with them is "es", never "es-US".

A language with no voice of the agent's is said by its registry voice (``Language.voice``,
the sample company's own choice), so an apology before the agent is known is in a valid
voice too.
"""
from __future__ import annotations

import re
from typing import Mapping

from ..engine.languages import language as find_language

# Amazon Polly, "Available voices": {locale: names}.
_POLLY = {
    "en-US": ("Danielle", "Gregory", "Ivy", "Joanna", "Joey", "Justin", "Kendra", "Kevin", "Kimberly", "Matthew",
              "Patrick", "Ruth", "Salli", "Stephen"),
    "en-GB": ("Amy", "Arthur", "Brian", "Emma"),
    "en-AU": ("Nicole", "Olivia", "Russell"),
    "en-IN": ("Aditi", "Kajal", "Raveena"),
    "en-IE": ("Niamh",),
    "en-NZ": ("Aria",),
    "en-ZA": ("Ayanda",),
    "en-GB-WLS": ("Geraint",),
    "es-US": ("Lupe", "Miguel", "Pedro", "Penelope"),
    "es-MX": ("Andres", "Mia"),
    "es-ES": ("Alba", "Conchita", "Enrique", "Lucia", "Raul", "Sergio"),
}
POLLY_LOCALES = {name.lower(): locale for locale, names in _POLLY.items() for name in names}
# The basic voices and the ``<Say language>`` values they speak ("en-US" is the default language).
BASIC_VOICES = {voice: ("en", "en-us", "en-gb", "es", "fr", "de") for voice in ("man", "woman")}

_POLLY_NAME = re.compile(r"Polly\.([A-Za-z]+)(?:-(?:Neural|Generative|LongForm))?")
_GOOGLE_NAME = re.compile(r"Google\.([a-z]{2,3}-[A-Z]{2})-[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")


def voice_locale(voice: str) -> str | None:
    """The locale a Polly or Google voice speaks ("Polly.Lupe-Neural" -> "es-US",
    "Google.es-MX-Neural2-B" -> "es-MX"); None for a basic voice or a Polly name not known here."""
    polly = _POLLY_NAME.fullmatch(voice or "")
    if polly:
        return POLLY_LOCALES.get(polly.group(1).lower())
    google = _GOOGLE_NAME.fullmatch(voice or "")
    return google.group(1) if google else None


def is_voice_name(voice: str) -> bool:
    """Whether ``voice`` has the shape of a Twilio ``<Say voice>``: man, woman, Polly.<Name>[-Engine]
    or Google.<locale>-<Model>-<Variant>."""
    return voice in BASIC_VOICES or bool(_POLLY_NAME.fullmatch(voice) or _GOOGLE_NAME.fullmatch(voice))


def say_voice(language: str, voices: Mapping[str, str] | None = None) -> tuple[str | None, str]:
    """(voice, ``<Say language>``) for words in ``language`` ("es"): the agent's voice for it
    (``voices``, {language code: voice}), else the registry's (``Language.voice``), with the
    locale that voice speaks: "Polly.Lupe-Neural" -> es-US, "Polly.Mia" -> es-MX, a voice not
    known here -> the language's Twilio tag, a basic voice -> "es" (never "es-US"). An
    unknown language is English (``engine.languages.language``). Voice None: the registry
    names none, Twilio's default is said with the language's tag."""
    lang = find_language(language)
    voice = (voices or {}).get(lang.code) or lang.voice
    if voice is None:
        return None, lang.twilio_tag
    if voice in BASIC_VOICES:
        spoken = BASIC_VOICES[voice]
        return voice, next((t for t in (lang.twilio_tag, lang.code) if t.lower() in spoken), "en-US")
    return voice, voice_locale(voice) or lang.twilio_tag


def voice_problem(voice: object, language: str) -> str | None:
    """Why ``voice`` cannot say words in ``language`` ("en", "es"), or None when it can:
    not a voice name, or a voice of another language ("Polly.Joanna" for "es")."""
    if not isinstance(voice, str) or not is_voice_name(voice):
        example = find_language(language).voice or "Polly.Joanna-Neural"
        return (f"{voice!r} is not a Twilio voice (man, woman, Polly.<Name>[-Neural], "
                f"Google.<locale>-<Model>-<Variant>; e.g. {example})")
    if voice in BASIC_VOICES:
        return None if language in BASIC_VOICES[voice] else f"{voice!r} does not speak {language!r}"
    locale = voice_locale(voice)
    if locale and locale.split("-")[0] != language:
        return f"{voice!r} speaks {locale}, not {language!r}"
    return None
