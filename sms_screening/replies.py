"""Reading a reply to the confirmation text: YES, an email address, a name correction.

A reply has no call language to go by (and people mix them), so every supported
language's words are read; the words are those of the interpreters (``engine.languages``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from receptionist.engine import interpret
from receptionist.engine.interpret.common import clauses, phrase_table, words
from receptionist.engine.interpret.names import after_name_cue, clean_name
from receptionist.engine.interpret.yesno import is_yes_phrase, opens_with_yes
from receptionist.engine.languages import LANGUAGES


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

    @property
    def understood(self) -> bool:
        return self.confirmed or bool(self.email or self.name)


@cache
def _confirm_words() -> frozenset[tuple[str, ...]]:
    return frozenset(phrase_table({True: "|".join(lang.words.confirm_words for lang in LANGUAGES.values())}))


def _confirms(text: str) -> bool:
    """Whether ``text`` confirms: it is one yes or confirm phrase ("OK", "looks good",
    "sí"), or its first clause opens with a plain yes ("Yes, thanks", "yes but call me
    Jo") and no language reads that clause as anything but yes ("yes no"; "no problem"
    is a no in Spanish)."""
    if tuple(words(text)) in _confirm_words() or any(is_yes_phrase(text, code) for code in LANGUAGES):
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
    rest = after_name_cue(text)
    if rest is not None:
        if email_found:  # "name Jane Smith, jane@x.com": keep the name part only
            rest = re.split(r"[,;\n]|\S+@\S+", rest)[0]
        name = clean_name(rest)
    remainder = text if not email else text.replace(email, " ")
    return ConfirmationReply(confirmed=not name and _confirms(remainder), email=email, name=name)
