"""Interpret what a caller said as a typed answer.

Input is Twilio speech-recognition text (``SpeechResult``), an SMS body, or keypad
digits (``Digits``). Output is an :class:`Interpretation` (value + confidence) or
``None`` when the answer was not understood: empty, garbage, or ambiguous ("yes no",
a choice matching two options equally), or hedged ("yes if I get help"). Committing is
held to what a careful recruiter would write down; when in doubt, None (ask again). Where
the reprompt can say why, ``date_refusal`` (a past date, a bare year, more than a year
out) and ``ambiguous_choice`` (the options named) tell it. The caller decides what a low
confidence means (typically: confirm or reprompt). ``make eval`` measures coverage and
precision on the labelled answers in ``tests/data/``.

One module per kind of answer: ``yesno``, ``numbers``, ``dates``, ``choices``,
``emails``, ``keypad`` (the ``digits_*`` readers), ``names`` and ``phone_numbers`` (a
number to text, said or keyed), and ``language`` (which
language a reply is in, whatever it answers); ``common`` holds the
types, the confidence levels and the one text folding. The words of each language live
in ``engine.languages``: regional codes such as "es-MX" are accepted and an unsupported
language falls back to the default (English).

Everything here is pure: no Flask, no DB, no network, no mutable module state (the
per-language tables are built once, on first use). No function raises on any string input.
"""

from __future__ import annotations

from .choices import ambiguous_choice, choice
from .common import Choice, Interpretation
from .dates import date, date_refusal
from .emails import email
from .keypad import digits_choice, digits_date, digits_number, digits_yes_no
from .language import language_of
from .numbers import number
from .phone_numbers import declines_number, digits_phone_number, phone_number
from .yesno import yes_no

__all__ = [
    "ambiguous_choice",
    "Choice",
    "Interpretation",
    "choice",
    "date",
    "date_refusal",
    "declines_number",
    "digits_phone_number",
    "digits_choice",
    "digits_date",
    "digits_number",
    "digits_yes_no",
    "email",
    "language_of",
    "number",
    "phone_number",
    "yes_no",
]
