"""Reactions to our texts, as phones send them over SMS: a tap on a message, not an answer.

An iPhone reacting (a "Tapback") to a text from an SMS number sends a text naming the
reaction and quoting the whole message reacted to: ``Liked “Reply YES if that's right…”``;
in Spanish ``Le gustó “…”``. Google Messages and Samsung Messages send ``👍 to “…”``,
``Reacted 👍 to “…”`` (Spanish ``👍 a “…”``). The quote is our own words: it must never be
read as the candidate's answer (a like of "Reply with a date, like next Monday" is no start
date). Forms: Apple's Messages (Liked, Loved, Disliked, Laughed at, Emphasized, Questioned,
"Removed a like from"; es: Le gustó, Le encantó, No le gustó, Le dio risa, Exclamó por, Dudó
sobre) and Google Messages' SMS reactions ("Reacted 😮 to", 9to5Google 2022-11).
"""
from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass


class Tone(str, enum.Enum):
    """What a reaction says about the text it quotes."""

    agree = "agree"  # like, love, emphasis, 👍 ❤️
    disagree = "disagree"  # dislike, 👎
    other = "other"  # laughter, a question mark, any other emoji: no answer
    removed = "removed"  # a reaction taken back


@dataclass(frozen=True)
class Reaction:
    """A reaction: its ``tone`` and the ``quoted`` text it was made on (our words)."""

    tone: Tone
    quoted: str


_VERBS = {
    "liked": Tone.agree, "loved": Tone.agree, "emphasized": Tone.agree, "emphasised": Tone.agree,
    "disliked": Tone.disagree, "laughed at": Tone.other, "questioned": Tone.other,
    "le gustó": Tone.agree, "le encantó": Tone.agree, "exclamó por": Tone.agree, "enfatizó": Tone.agree,
    "no le gustó": Tone.disagree, "le dio risa": Tone.other, "le hizo gracia": Tone.other,
    "dudó sobre": Tone.other, "cuestionó": Tone.other,
}
# Emoji that agree or disagree (variation selectors and skin tones dropped first); any other
# reaction emoji (😂, 😮, 😢, ❓, 🤔) answers nothing.
_AGREEING = frozenset("👍 ❤ ♥ 😍 🥰 😘 ‼ ❗ 👌 🙌 💯 ✅ ✔ 🙏 😊 🙂 😀 😁 😃 🤝 💪 👏".split())
_DISAGREEING = frozenset("👎 ❌ 🚫 ✖".split())
_OPEN, _CLOSE = "“\"‘'«„", "”\"’'»“"
_QUOTE = rf"[{_OPEN}](?P<quoted>.*)[{_CLOSE}]"
_VERB = re.compile(rf"(?P<verb>{'|'.join(sorted(map(re.escape, _VERBS), key=len, reverse=True))})\s+{_QUOTE}",
                   re.IGNORECASE | re.DOTALL)
_EMOJI = r"(?P<emoji>[^\w\s" + re.escape(_OPEN + _CLOSE) + r"]{1,12})"
_EMOJI_TO = re.compile(rf"(?:(?:reacted|reaccionó)(?:\s+(?:with|con))?\s+)?{_EMOJI}\s+(?:to|a)\s+{_QUOTE}",
                       re.IGNORECASE | re.DOTALL)
_REMOVED = re.compile(rf"(?:removed|quitó|eliminó)\s+.{{1,40}}?\s+(?:from|de)\s+{_QUOTE}",
                      re.IGNORECASE | re.DOTALL)


def read_reaction(body: str) -> Reaction | None:
    """The reaction ``body`` is, as a whole (surrounding spaces aside), or None for any other
    text: ``Liked “Are you 18?”`` -> Reaction(agree, "Are you 18?"); ``Reacted 😂 to "ok"`` ->
    Reaction(other, "ok"); "Liked it, thanks" -> None (no quote: a text of the candidate's)."""
    text = (body or "").strip()
    if not text or text[-1] not in _CLOSE:
        return None
    if found := _VERB.fullmatch(text):
        return Reaction(_VERBS[found["verb"].lower()], found["quoted"].strip())
    if found := _REMOVED.fullmatch(text):
        return Reaction(Tone.removed, found["quoted"].strip())
    if (found := _EMOJI_TO.fullmatch(text)) and _is_emoji(found["emoji"]):
        return Reaction(_emoji_tone(found["emoji"]), found["quoted"].strip())
    return None


def _is_emoji(text: str) -> bool:
    """Whether ``text`` holds only symbols (Unicode category S*, with joiners, variation selectors, ‼ and ⁉)."""
    return all(unicodedata.category(ch)[0] == "S" or ch in "\u200d\ufe0f\ufe0e\u203c\u2049" for ch in text)


def _emoji_tone(emoji: str) -> Tone:
    bare = "".join(ch for ch in emoji if ch not in "\u200d\ufe0f\ufe0e" and not "\U0001f3fb" <= ch <= "\U0001f3ff")
    if bare and all(ch in _AGREEING for ch in bare):
        return Tone.agree
    if bare and all(ch in _DISAGREEING for ch in bare):
        return Tone.disagree
    return Tone.other
