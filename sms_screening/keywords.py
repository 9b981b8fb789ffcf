"""Consent keywords: STOP and friends opt out, START opts back in, HELP asks for help.

Matched on the whole message, any case, surrounding spaces and punctuation ignored
("Stop.", " STOP! ") — but "stop texting me about nights" is an answer, not a keyword.
Twilio's Advanced Opt-Out sends ``OptOutType`` (STOP, START, HELP) when it recognised a
keyword itself (Twilio, "Messaging webhook request: OptOutType"); that wins when present.
"""
from __future__ import annotations

import enum

from receptionist.engine.interpret.common import words


class Keyword(str, enum.Enum):
    stop = "stop"
    start = "start"
    help = "help"


STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})
# YES opts back in only for someone who opted out (otherwise it answers a question).
OPT_IN_WHEN_OPTED_OUT = frozenset({"YES", "Y"})


def _bare(body: str) -> str:
    """The message as one upper-case word, without spaces, punctuation or accents: " Stop! " -> "STOP"."""
    return "".join(words(body or "")).upper()


def classify(body: str, opt_out_type: str | None = None, opted_out: bool = False) -> Keyword | None:
    """The consent keyword ``body`` is, or None for any other message.

    ``opt_out_type``: Twilio's OptOutType field, if sent. ``opted_out``: whether the sender
    is currently opted out (then YES also opts back in).
    """
    if opt_out_type:
        try:
            return Keyword(opt_out_type.strip().lower())
        except ValueError:
            pass
    word = _bare(body)
    if word in STOP_WORDS:
        return Keyword.stop
    if word in START_WORDS or (opted_out and word in OPT_IN_WHEN_OPTED_OUT):
        return Keyword.start
    if word in HELP_WORDS:
        return Keyword.help
    return None
