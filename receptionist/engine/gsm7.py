"""What a text costs to send: its encoding (GSM-7 or UCS-2) and its number of segments.

A carrier bills each segment. A text whose characters are all in the GSM 7-bit default
alphabet (3GPP TS 23.038, "GSM 03.38", section 6.2.1, with its extension table, 6.2.1.1,
whose characters take two septets) goes as GSM-7: 160 septets in one segment, 153 per
segment when longer (the rest carries the concatenation header). One character outside it
(a curly quote ’ “ ”, a dash —, an ellipsis …, most emoji, and the Spanish á í ó ú, which the
alphabet lacks while it has é ñ ü) sends the whole text as UCS-2: 70 UTF-16 code units in
one segment, 67 per segment when longer (Twilio, "What the heck is a segment?").
"""
from __future__ import annotations

import math

# GSM 03.38 default alphabet (TS 23.038 6.2.1), in code order, without the escape (0x1B).
BASIC = frozenset("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
                  "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
# The extension table (TS 23.038 6.2.1.1): each is the escape plus itself, two septets.
EXTENSION = frozenset("\f^{}\\[~]|€")
GSM7_SINGLE, GSM7_PART = 160, 153  # septets
UCS2_SINGLE, UCS2_PART = 70, 67  # UTF-16 code units


def not_gsm7(text: str) -> list[str]:
    """The characters of ``text`` outside the GSM-7 alphabet, each once, in order of appearance."""
    return list(dict.fromkeys(ch for ch in text if ch not in BASIC and ch not in EXTENSION))


def is_gsm7(text: str) -> bool:
    """Whether ``text`` goes as GSM-7 (every character in the alphabet or its extension)."""
    return not not_gsm7(text)


def segments(text: str) -> int:
    """How many segments ``text`` is billed as (0 for an empty text): GSM-7 septets over 160,
    or 153 per segment; else UCS-2 code units (an emoji is two) over 70, or 67 per segment."""
    if is_gsm7(text):
        size, single, part = len(text) + sum(ch in EXTENSION for ch in text), GSM7_SINGLE, GSM7_PART
    else:
        size, single, part = len(text.encode("utf-16-le")) // 2, UCS2_SINGLE, UCS2_PART
    return 0 if size == 0 else 1 if size <= single else math.ceil(size / part)


# Typographic punctuation a recruiter's word processor puts in (’ “ ” – — …) as the GSM-7
# characters that read the same; one of them alone would send the whole text as UCS-2.
_PLAIN = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "“": '"', "”": '"', "„": '"',
                        "‟": '"', "″": '"', "–": "-", "—": "-", "‒": "-", "―": "-", "‐": "-", "‑": "-",
                        "…": "...", "\u00a0": " ", "\u2009": " ", "\u202f": " "})


def plain_punctuation(text: str) -> str:
    """``text`` with curly quotes, dashes, the ellipsis and odd spaces as their GSM-7 forms
    ("We’re hiring — apply…" -> "We're hiring - apply..."); letters (á, ñ) are left alone."""
    return text.translate(_PLAIN)
