"""What a candidate wrote, without what their phone or mail app added to it.

Some phones and texting-by-email apps add a signature ("Yes\\n\\nSent from my iPhone",
"Sí - enviado desde mi Samsung", "Get Outlook for Android"); some replies carry the message
they answer, pasted or quoted with ">" ("2\\n\\nWhich shift do you prefer?\\n1: days…"). Read
as the answer, the signature became the candidate's name ("Jane Doe Sent From My IPhone") and
a digit answer was not understood; the pasted question gave a start date of "3/15" (our
example). The message as received is kept apart (``InboundMessage.body``); this is what is read.
"""
from __future__ import annotations

import re
from typing import Iterable

from receptionist.engine.gsm7 import plain_punctuation

# A signature: on its own line, or after a dash, comma or "--" at the end of the text; a few
# words after "sent from/with/via" ("Sent from my Verizon, Samsung Galaxy smartphone").
_SENT = (r"(?:sent|enviado|env[ií]ado)\s+(?:from|with|via|using|desde|con|por|de)\s+"
         r"(?:my\s+|mi\s+|the\s+|el\s+|la\s+)?[\w.,'’ -]{1,60}")
_SIGNATURE_LINE = re.compile(rf"^\s*(?:--\s*)?(?:{_SENT}|get\s+outlook\s+for\s+\w+|descargar?\s+outlook\s+para\s+\w+)"
                             r"\s*[.!]?\s*$", re.IGNORECASE)
_SIGNATURE_TAIL = re.compile(rf"\s*(?:\s[-–—]+\s*|,\s*|\s--\s*){_SENT}\s*[.!]?\s*$", re.IGNORECASE)
# A pasted copy of our text is taken out only when it holds at least a line this long of it
# (a short answer that happens to be a line of ours, "2: nights", stays an answer).
MIN_PASTED_LINE = 20


def _normal(line: str) -> str:
    """A line as compared with ours: spaces, case and typographic punctuation aside."""
    return " ".join(plain_punctuation(line).casefold().split())


def answer_text(body: str, ours: Iterable[str] = ()) -> str:
    """``body`` without a signature, lines quoted with ">", and lines of ``ours`` (texts we
    sent: the question it answers) pasted into it when one of those is at least
    ``MIN_PASTED_LINE`` characters; surrounding spaces and blank lines dropped. Never empties
    a text that said something: a body that is nothing but such lines is kept as it came.
    "Yes\\n\\nSent from my iPhone" -> "Yes"; "2 - enviado desde mi Samsung" -> "2"."""
    lines = [line for line in (body or "").splitlines() if line.strip()]
    kept = [line for line in lines if not _SIGNATURE_LINE.match(line) and not line.lstrip().startswith(">")]
    kept = [_SIGNATURE_TAIL.sub("", line) for line in kept]
    our_lines = {_normal(line) for text in ours for line in text.splitlines() if line.strip()}
    pasted = [line for line in kept if _normal(line) in our_lines]
    if any(len(_normal(line)) >= MIN_PASTED_LINE for line in pasted):
        kept = [line for line in kept if _normal(line) not in our_lines]
    kept = [line.strip() for line in kept if line.strip()]
    return "\n".join(kept) if kept else (body or "").strip()
