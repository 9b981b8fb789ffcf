"""Reading a reply to the confirmation text: YES, an email address, a name correction."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from receptionist.engine import interpret
from receptionist.engine.flow import clean_name

YES = frozenset({"yes", "y", "yeah", "yep", "yup", "correct", "confirm", "confirmed", "ok", "okay", "right",
                 "thats right", "that is right", "all good", "looks good", "si", "sí", "correcto", "claro",
                 "esta bien", "está bien", "confirmo"})
_NAME = re.compile(r"^\s*(?:(?:my\s+)?name(?:\s+is)?|me\s+llamo|(?:mi\s+)?nombre(?:\s+es)?)\s*[:\-]?\s+(.+)$",
                   re.IGNORECASE | re.DOTALL)


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


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join("".join(c if c.isalnum() or c.isspace() else " " for c in text).split())


def parse_confirmation_reply(body: str) -> ConfirmationReply:
    """Read ``body``: "YES" / "sí" confirm; an email address anywhere is a new email;
    "my name is Jane Smith" / "NAME Jane Smith" / "me llamo …" is a corrected name.
    An email alongside YES counts as both."""
    text = (body or "").strip()
    email_found = interpret.email(text) if "@" in text or " at " in text.casefold() or " arroba " in text.casefold() \
        else None
    email = email_found.value if email_found else None
    name = None
    match = _NAME.match(text)
    if match:
        rest = match.group(1)
        if email_found:  # "name Jane Smith, jane@x.com": keep the name part only
            rest = re.split(r"[,;\n]|\S+@\S+", rest)[0]
        name = clean_name(rest)
    words = _plain(text if not email else text.replace(email, " "))
    confirmed = words in YES or (bool(words) and words.split()[0] in {"yes", "si", "sí", "correct", "correcto"}
                                 and not name)
    return ConfirmationReply(confirmed=confirmed, email=email, name=name)
