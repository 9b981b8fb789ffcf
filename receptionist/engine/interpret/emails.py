"""Email addresses, typed ("jane@example.com") or spoken ("jane dot doe at gmail dot com",
"jane punto doe arroba gmail punto com"), validated with email-validator.

Not tied to a call's language: callers spell addresses with the words of any supported
language, so the spoken symbols of all of them are read.
"""
from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email

from ..languages import LANGUAGES
from .common import EXACT, GUESSED, INFERRED, SPOKEN, Interpretation, fold, to_digits

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
_TYPED_COMMA = re.compile(r"(@[\w-]+),(?=(?:com|net|org|edu)\b)")  # "sarah@gmail,com" texted
# Words that come before an address and are never part of it.
_PREAMBLE = frozenset().union(*(lang.words.email.preamble for lang in LANGUAGES.values()))
_E_MAIL = re.compile(r"\be[ -]?mail\b")
_MAX_LOCAL_WORDS = 6  # "asdf one two three": more is a sentence, not an address
_MAX_LOCAL_TOKENS = 64  # a local part is at most 64 characters (RFC 5321)


def _valid(address: str) -> str | None:
    """The normalised address, or None: email-validator's syntax rules (deliverability not
    checked: no network), and a top-level domain of two letters or more ("bob@abc.c" is not)."""
    try:
        normalized = validate_email(address, check_deliverability=False).normalized
    except (EmailNotValidError, ValueError, TypeError):
        return None
    tld = normalized.rsplit(".", 1)[-1]
    return normalized if len(tld) >= 2 and tld.isalpha() else None


def _is_word(token: str) -> bool:
    return token not in _SEPARATORS and token != "@"


def _words_said(parts: list[str]) -> int:
    """Words in a local part so far; spelled letters count as one word ("c a r l o s")."""
    return sum(1 for p in parts if _is_word(p) and len(p) > 1) + any(len(p) == 1 for p in parts)


def _local_part(tokens: list[str], at: int) -> tuple[str, int, float] | None:
    """Walk back from "@" over the words of the local part: words joined by spoken
    separators ("jane dot doe"), spelled letters ("j a n e"), digits ("asdf 1 2 3") and
    several words said in a row ("jane doe" -> "janedoe"), up to a word that comes before
    addresses ("my email is", "it's") or a second "@".

    Returns (local part, index of its first token, confidence).
    """
    i = at - 1
    if i < 0 or not _is_word(tokens[i]) or tokens[i] in _PREAMBLE:
        return None
    parts = [tokens[i]]
    while i > 0 and _words_said(parts) < _MAX_LOCAL_WORDS and len(parts) < _MAX_LOCAL_TOKENS:
        prev = tokens[i - 1]
        if prev in _SEPARATORS and i > 1 and _is_word(tokens[i - 2]) and tokens[i - 2] not in _PREAMBLE:
            parts[:0] = [tokens[i - 2], prev]
            i -= 2
        elif _is_word(prev) and prev not in _PREAMBLE:
            parts.insert(0, prev)
            i -= 1
        else:
            break
    word_parts = [p for p in parts if _is_word(p)]
    if len(word_parts) > 1 and all(len(p) == 1 for p in word_parts):
        confidence = INFERRED  # spelled letter by letter
    else:  # "jane doe" said in a row: was it janedoe@ or doe@? The text that follows confirms.
        joined = any(_is_word(p) and _is_word(q) and not (p.isdigit() or q.isdigit())
                     and min(len(p), len(q)) > 1 for p, q in zip(parts, parts[1:]))
        confidence = GUESSED if joined else SPOKEN
    return "".join(parts), i, confidence


def _domain(tokens: list[str], at: int) -> str | None:
    """Walk forward from "@": "gmail . com", "gmail.com", "gmail com" or "g mail . com"."""
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
        elif "." not in domain and len(domain) <= 2 and nxt.isalpha() and j + 2 < len(tokens) \
                and tokens[j + 2] == ".":  # "g mail dot com"
            domain += nxt
            j += 1
        else:
            break
    return domain


def _spoken_email(text: str) -> Interpretation | None:
    spoken = fold(text).replace("'", "")
    for pattern, symbol in _SPOKEN_SYMBOLS:
        spoken = pattern.sub(symbol, spoken)
    spoken = _E_MAIL.sub(" email ", spoken)
    for code in LANGUAGES:  # "asdf one two three", "ana uno dos"
        spoken = to_digits(spoken, code)
    # Keep address characters; trailing sentence punctuation is not part of a token.
    tokens = [t.strip(".-") or t for t in re.findall(r"[\w.+@-]+", spoken)]
    tokens = [t for t in tokens if t]
    for at, token in enumerate(tokens):
        if token != "@":
            continue
        local, domain = _local_part(tokens, at), _domain(tokens, at)
        if local and domain and (address := _valid(f"{local[0]}@{domain}")):
            return Interpretation(address, local[2])
    return None


def email(text: str) -> Interpretation | None:
    """An email address, typed or spoken; value is the normalised address (domain lowercased).

    "My email is Jane.Doe@Example.com." -> "Jane.Doe@example.com" (0.95);
    "jane dot doe at gmail dot com" -> "jane.doe@gmail.com" (0.8);
    "jane underscore doe at yahoo dot com", "jane dash doe at outlook dot com",
    "jane punto doe arroba gmail punto com", "guion", "guion bajo" work alike;
    "j a n e at gmail dot com" -> "jane@gmail.com" (0.75); "sarah@gmail,com" (texted) ->
    "sarah@gmail.com". Invalid, or with no top-level domain ("jane at gmail") -> None.
    """
    if not isinstance(text, str):
        return None
    text = _TYPED_COMMA.sub(r"\1.", text)
    for typed in _TYPED_EMAIL.findall(text):
        if address := _valid(typed):
            return Interpretation(address, EXACT)
    return _spoken_email(text)


