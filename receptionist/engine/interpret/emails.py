"""Email addresses, typed ("jane@example.com") or spoken ("jane dot doe at gmail dot com",
"jane punto doe arroba gmail punto com"), validated with email-validator.

Not tied to a call's language: callers spell addresses with the words of any supported
language, so the spoken symbols of all of them are read.
"""
from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email

from ..languages import LANGUAGES
from .common import EXACT, GUESSED, INFERRED, SPOKEN, Interpretation, fold

# The lookbehind anchors each try at the start of a run (no quadratic rescans).
_TYPED_EMAIL = re.compile(r"(?<![\w.%+'-])[\w.%+'-]+@[\w-]+(?:\.[\w-]+)+")


def _spoken_symbols() -> tuple[tuple[re.Pattern, str], ...]:
    """(pattern, symbol) per symbol, for folded text. "_" goes before "-" ("guion bajo" is
    not "guion"), and within a symbol the longest form first ("at sign" before "at")."""
    symbols = []
    for symbol in "_@.-+":
        forms = {form for lang in LANGUAGES.values()
                 for form in lang.words.email.symbols.get(symbol, "").split("|") if form}
        alternatives = "|".join(sorted(forms, key=len, reverse=True))
        symbols.append((re.compile(rf"\b(?:{alternatives})\b"), f" {symbol} "))
    return tuple(symbols)


_SPOKEN_SYMBOLS = _spoken_symbols()
_SEPARATORS = frozenset("._-+")
_TLDS = frozenset("com net org edu gov io co us mx es uk ca info biz me".split())
# Words that come before an address and are never part of it.
_PREAMBLE = frozenset().union(*(lang.words.email.preamble for lang in LANGUAGES.values()))
def _valid(address: str) -> str | None:
    try:
        return validate_email(address, check_deliverability=False).normalized
    except (EmailNotValidError, ValueError, TypeError):
        return None


def _is_word(token: str) -> bool:
    return token not in _SEPARATORS and token != "@"


def _local_part(tokens: list[str], at: int) -> tuple[str, int, bool] | None:
    """Walk back from "@": words joined by spoken separators, or a run of spelled letters.

    Returns (local part, index of its first token, whether it was spelled letter by letter).
    """
    i = at - 1
    if i < 0 or not _is_word(tokens[i]):
        return None
    parts, spelled = [tokens[i]], False
    while i > 0:
        prev = tokens[i - 1]
        if prev in _SEPARATORS and i > 1 and _is_word(tokens[i - 2]):
            parts[:0] = [tokens[i - 2], prev]
            i -= 2
        elif len(tokens[i]) == 1 and len(prev) == 1 and prev.isalnum():  # "j a n e"
            parts.insert(0, prev)
            i, spelled = i - 1, True
        elif tokens[i].isdigit() and prev.isalnum() and prev not in _PREAMBLE:  # "jane 84"
            parts.insert(0, prev)
            i -= 1
        else:
            break
    return "".join(parts), i, spelled


def _domain(tokens: list[str], at: int) -> str | None:
    """Walk forward from "@": "gmail . com", "gmail.com", or "gmail com"."""
    j = at + 1
    if j >= len(tokens) or not _is_word(tokens[j]):
        return None
    domain = tokens[j]
    while j + 1 < len(tokens):
        nxt = tokens[j + 1]
        if nxt in _SEPARATORS and j + 2 < len(tokens) and _is_word(tokens[j + 2]):
            domain += nxt + tokens[j + 2]
            j += 2
        elif nxt in _TLDS and "." not in domain:  # recognisers drop the "dot"
            domain += "." + nxt
            j += 1
        else:
            break
    return domain


def _spoken_email(text: str) -> Interpretation | None:
    spoken = fold(text).replace("'", "")
    for pattern, symbol in _SPOKEN_SYMBOLS:
        spoken = pattern.sub(symbol, spoken)
    # Keep address characters; trailing sentence punctuation is not part of a token.
    tokens = [t.strip(".-") or t for t in re.findall(r"[\w.+@-]+", spoken)]
    tokens = [t for t in tokens if t]
    for at, token in enumerate(tokens):
        if token != "@":
            continue
        local, domain = _local_part(tokens, at), _domain(tokens, at)
        if local and domain and (address := _valid(f"{local[0]}@{domain}")):
            return Interpretation(address, _spoken_confidence(tokens, *local[1:]))
    return None


def _spoken_confidence(tokens: list[str], start: int, spelled: bool) -> float:
    if spelled:
        return INFERRED
    # "Jane Doe at gmail dot com": the word before may belong to the address ("janedoe").
    before = tokens[start - 1] if start > 0 else None
    return GUESSED if before and _is_word(before) and before not in _PREAMBLE else SPOKEN


def email(text: str) -> Interpretation | None:
    """An email address, typed or spoken; value is the normalised address (domain lowercased).

    "My email is Jane.Doe@Example.com." -> "Jane.Doe@example.com" (0.95);
    "jane dot doe at gmail dot com" -> "jane.doe@gmail.com" (0.8);
    "jane underscore doe at yahoo dot com", "jane dash doe at outlook dot com",
    "jane punto doe arroba gmail punto com", "guion", "guion bajo" work alike;
    "j a n e at gmail dot com" -> "jane@gmail.com" (0.75). Invalid -> None.
    """
    if not isinstance(text, str):
        return None
    for typed in _TYPED_EMAIL.findall(text):
        if address := _valid(typed):
            return Interpretation(address, EXACT)
    return _spoken_email(text)


