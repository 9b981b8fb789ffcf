"""Reading a reply to the confirmation text: YES, an email address, a name correction.

A reply has no call language to go by (and people mix them), so every supported
language's words are read; the words are those of the interpreters (``engine.languages``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from receptionist.engine import interpret
from receptionist.engine.interpret.common import clauses, every_language, words
from receptionist.engine.interpret.names import after_name_cue, clean_name, last_name_only
from receptionist.engine.interpret.yesno import is_yes_phrase, opens_with_yes
from receptionist.engine.languages import LANGUAGES
from receptionist.engine.texts import is_phrase

from .reactions import Reaction, Tone


# Words that only go with thanks or an acknowledgement, besides the vocabulary's phrases.
_COURTESY_EXTRA = frozenset("so much very lot again thx ty tysm thnx thanx appreciate it you u great awesome cool "
                            "perfect good have a nice day muchas mucho mil perfecto genial excelente bien que tenga "
                            "buen dia feliz bendiciones".split())


def is_courtesy(body: str) -> bool:
    """Whether a text only thanks, acknowledges or takes leave, in any language ("thanks!",
    "ok thank you so much", "gracias 🙏", "👍"): it asks and answers nothing. The words are
    the vocabulary's courtesies and acknowledgements (``engine.languages``)."""
    said = words(body) if isinstance(body, str) else []
    if not said:
        return bool(isinstance(body, str) and body.strip())  # emoji, punctuation
    return all(word in _courtesy_words() for word in said)


@cache
def _courtesy_words() -> frozenset[str]:
    phrases = "|".join(f"{lang.words.names.courtesies}|{lang.words.yes_no.acknowledgements}"
                       for lang in LANGUAGES.values())
    return frozenset(word for phrase in phrases.split("|") for word in words(phrase)) | _COURTESY_EXTRA


@dataclass(frozen=True)
class ConfirmationReply:
    """What a reply says: ``confirmed``, and/or a corrected ``email`` or ``name``.
    All empty means the reply was not understood."""

    confirmed: bool = False
    email: str | None = None
    name: str | None = None
    last_name: str | None = None  # "my last name is Smythe": the first name on file stays
    denied: bool = False  # "no", "that's wrong": the details are not right, no correction given

    @property
    def understood(self) -> bool:
        return self.confirmed or bool(self.email or self.name or self.last_name)




def _confirms(text: str) -> bool:
    """Whether ``text`` confirms: it is one yes or confirm phrase ("OK", "looks good",
    "sí"), or its first clause opens with a plain yes ("Yes, thanks", "yes but call me
    Jo") and no language reads that clause as anything but yes ("yes no"; "no problem"
    is a no in Spanish), or it is a yes in emoji only ("👍", ``_emoji_answer``)."""
    if _emoji_answer(text) is True:
        return True
    if tuple(words(text)) in every_language("confirm_words") or any(is_yes_phrase(text, code) for code in LANGUAGES):
        return True
    first = " ".join(next(iter(clauses(text)), []))
    if not any(opens_with_yes(first, code) for code in LANGUAGES):
        return False
    readings = [interpret.yes_no(first, code) for code in LANGUAGES]
    return all(reading is None or reading.value is True for reading in readings)


def parse_confirmation_reply(body: str) -> ConfirmationReply:
    """Read ``body``: "YES" / "sí" / "looks good" confirm; an email address anywhere is a new
    email; "my name is Jane Smith" / "NAME Jane Smith" / "me llamo …" is a corrected name.
    An email alongside YES counts as both; a name correction is not a YES."""
    text = (body or "").strip()
    email_found = interpret.email(text)
    email = email_found.value if email_found else None
    name = None
    # What follows a leading "no," or "that's wrong." ("no, my name is Jane Smith").
    parts = re.split(r"[,.;!]\s*", text, maxsplit=1)
    correction = parts[1] if len(parts) == 2 and _denies(parts[0]) else text
    rest = after_name_cue(correction)
    if rest is not None:
        if email_found:  # "name Jane Smith, jane@x.com": keep the name part only
            rest = re.split(r"[,;\n]|\S+@\S+", rest)[0]
        name = None if _denies(rest) else clean_name(rest)  # "the name is wrong" names no one
    last_name = last_name_only(correction) if name is None and not email else None
    remainder = text if not email else text.replace(email, " ")
    confirmed = not (name or last_name) and _confirms(remainder)
    denied = not (confirmed or name or last_name or email) and _denies(text)
    return ConfirmationReply(confirmed=confirmed, email=email, name=name, last_name=last_name, denied=denied)


# Our texts that ask for a YES to the details (``engine.texts.PHRASES``).
ASKS_FOR_YES = ("confirm_details", "confirm_reminder", "confirm_if_right", "confirm_expected")


def reaction_reply(reaction: Reaction) -> ConfirmationReply | None:
    """What a reaction to one of our texts says to the confirmation (its quote is our words,
    never read as the candidate's): a like, love or emphasis of a text that asks for a YES
    (:data:`ASKS_FOR_YES`, whole or cut short) confirms; a dislike of any says the details
    are not right (no correction given); any other reaction answers nothing (an empty reply:
    not understood); a reaction taken back needs no answer (None)."""
    if reaction.tone is Tone.removed:
        return None
    if reaction.tone is Tone.disagree:
        return ConfirmationReply(denied=True)
    return ConfirmationReply(confirmed=reaction.tone is Tone.agree and is_phrase(reaction.quoted, ASKS_FOR_YES))


def _emoji_answer(text: str) -> bool | None:
    """The yes (True) or no (False) a reply of emoji only says, as the screening reads it
    (``interpret.yes_no``: "👍", "✅", "👎"), else None: a reply with words is read by them."""
    if words(text) or not text.strip():
        return None
    readings = {found.value if (found := interpret.yes_no(text, code)) else None for code in LANGUAGES}
    return readings.pop() if len(readings) == 1 else None


def _denies(text: str) -> bool:
    """Whether ``text`` says the details are wrong: a no in any language ("no", "nope",
    "that's not right") or a phrase of the vocabulary's ``deny_words`` ("it's wrong", "está
    mal"), as the whole text or its first clause."""
    if _emoji_answer(text) is False:
        return True
    first = " ".join(next(iter(clauses(text)), []))
    if any(tuple(words(part)) in every_language("deny_words") for part in (text, first)):
        return True
    return any((found := interpret.yes_no(first, code)) is not None and found.value is False for code in LANGUAGES)

