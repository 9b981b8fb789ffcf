"""A caller's name from what they said or texted, without the words around it.

The words that announce a name ("my name is", "me llamo", "NAME" in a text) and those
said around it (fillers, thanks, titles, "first name ... last name" frames, answers that
give no name) come from ``engine.languages``, all languages at once: callers mix them,
and a reply to a text has no call language to go by.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from ..languages import LANGUAGES
from .common import PhraseTable, find_phrases, phrase_table, words

_MAX_NAME_CHARS = 200
_PART_ORDER = ("first", "middle", "last")  # keys of NameWords.parts, in a name's order


@dataclass(frozen=True)
class _Token:
    """One whitespace-separated word as written (``raw``) and folded (``word``)."""

    offset: int
    raw: str
    word: str


@dataclass(frozen=True)
class _Phrases:
    """A phrase table with what makes a lookup cheap: the words phrases start with, and the
    longest phrase's length in words."""

    table: PhraseTable
    firsts: frozenset[str]
    longest: int


@cache
def _table(*kinds: str) -> _Phrases:
    """All languages' phrases of some kinds of :class:`~..languages.vocabulary.NameWords`."""
    table = phrase_table({True: "|".join(getattr(lang.words.names, kind) for lang in LANGUAGES.values()
                                         for kind in kinds)})
    return _Phrases(table, frozenset(phrase[0] for phrase in table), max(map(len, table), default=0))


@cache
def _parts_table() -> PhraseTable:
    """All languages' part cues: {phrase: position of the part in a name (first = 0)}."""
    return {phrase: order for lang in LANGUAGES.values() for order, key in enumerate(_PART_ORDER)
            for phrase in phrase_table({order: lang.words.names.parts.get(key, "")})}


def _tokens(text: str) -> list[_Token]:
    """Each whitespace-separated token; bare punctuation is left out, so "NAME: Jane" and
    "NAME - Jane" read like "NAME Jane"."""
    found = (_Token(m.start(), m[0], "".join(words(m[0]))) for m in re.finditer(r"\S+", text))
    return [token for token in found if token.word]


def _phrase_at(tokens: list[_Token], start: int, *kinds: str) -> int:
    """How many tokens from ``start`` the longest phrase of ``kinds`` covers; 0 for none."""
    phrases = _table(*kinds)
    if start >= len(tokens) or tokens[start].word not in phrases.firsts:
        return 0
    for size in range(min(phrases.longest, len(tokens) - start), 0, -1):
        if tuple(token.word for token in tokens[start : start + size]) in phrases.table:
            return size
    return 0


def _phrase_before(tokens: list[_Token], end: int, *kinds: str) -> int:
    """How many tokens before ``end`` the longest phrase of ``kinds`` covers; 0 for none."""
    phrases = _table(*kinds)
    for size in range(min(phrases.longest, end), 0, -1):
        if tokens[end - size].word in phrases.firsts and \
                tuple(token.word for token in tokens[end - size : end]) in phrases.table:
            return size
    return 0


def _skip(tokens: list[_Token], start: int, *kinds: str) -> int:
    """The index after every leading phrase of ``kinds`` from ``start``, one after another."""
    while size := _phrase_at(tokens, start, *kinds):
        start += size
    return start


def _trim(tokens: list[_Token], *kinds: str) -> list[_Token]:
    """``tokens`` without phrases of ``kinds`` at either end."""
    start, end = _skip(tokens, 0, *kinds), len(tokens)
    while end > start and (size := _phrase_before(tokens, end, *kinds)):
        end -= size
    return tokens[start:end]


def after_name_cue(text: str) -> str | None:
    """What follows a name cue at the very start: "NAME Jane Smith", "name: Jane Smith",
    "my name is Jane Smith", "me llamo Ana López" -> "Jane Smith" / "Ana López" (as
    written, up to the end of the text); None when the text does not start with a cue."""
    tokens = _tokens(text) if isinstance(text, str) else []
    size = _phrase_at(tokens, 0, "cues")
    return text[tokens[size].offset :] if 0 < size < len(tokens) else None


def last_name_only(text: str) -> str | None:
    """The last name of a reply that gives only that, in a frame ("my last name is Smythe",
    "last name S-M-Y-T-H-E", "mi apellido es Pérez") -> "Smythe" / "Pérez"; None when it gives
    a first name too, or no last-name frame ("Jane Smythe", "my name is Jane")."""
    tokens = _tokens(text) if isinstance(text, str) else []
    table = _parts_table()
    said = {table[phrase] for _, phrase in find_phrases([token.word for token in tokens], table)}
    return clean_name(text) if said == {_PART_ORDER.index("last")} else None


def clean_name(text: str) -> str | None:
    """A caller's name from what they said: "my name is jane doe." -> "Jane Doe"; None when
    the answer holds no name ("", "my name is", "I don't know", "why do you need it?").

    Read as a recruiter would hear it: hesitations ("uh"), greetings and openers ("okay so"),
    a cue or an introduction ("my name is", "call me", "me llamo", or after the name: "...
    is my name"), thanks ("thank you", "gracias") and a title ("mister", "señora") are
    dropped; a frame is put together ("first
    name Sarah, last name Connor" / "mi nombre es Ana y mi apellido es López" -> "Sarah
    Connor" / "Ana López"); spelled letters are joined ("J-O-H-N Smith", "john j o h n smith"
    -> "John Smith"); a name said twice counts once ("Jane Doe Jane Doe", "Bond, James
    Bond"). Each word is capitalised (after ' and - too: "o'brien" -> "O'Brien") unless it
    was written in mixed case ("McDonald") or is a particle written lowercase beside
    capitalised words ("María de la Cruz", "Ludwig van Beethoven"). At most 200 characters.
    """
    tokens = _without_fillers(_tokens(text if isinstance(text, str) else ""))
    start = _name_start(tokens)
    if start is None:
        return None
    said = _trim(_assembled(_trim(tokens[start:], "courtesies")), "cues", "joiners")  # "... is my name"
    name = " ".join(filter(None, _cased(_once(_spelled(_without_title(said)))))).strip(" .,!?¡¿")
    if not any(c.isalpha() for c in name):
        return None
    return name[:_MAX_NAME_CHARS]


def _without_fillers(tokens: list[_Token]) -> list[_Token]:
    """``tokens`` without hesitations, wherever they are ("my name is uh John"), and without
    a false start the recognizer cut off ("Kev- Kevin Brown")."""
    kept, i = [], 0
    while i < len(tokens):
        cut_off = tokens[i].raw.endswith("-") and i + 1 < len(tokens) and tokens[i + 1].word.startswith(tokens[i].word)
        size = 1 if cut_off else _phrase_at(tokens, i, "fillers")
        if not size:
            kept.append(tokens[i])
        i += size or 1
    return kept


def _name_start(tokens: list[_Token]) -> int | None:
    """Where the name starts after greetings, thanks, a cue or an introduction ("yeah so my
    name is ..."); None when the answer gives no name ("I don't know", "why?") and no cue
    or introduction follows its first words ("no, it's John" does give one)."""
    start = _skip(tokens, 0, "greetings", "courtesies", "cues", "intros")
    if not _phrase_at(tokens, start, "non_answers"):
        return start
    for later in range(start + 1, len(tokens)):
        if _phrase_at(tokens, later, "cues", "intros"):
            rest = _name_start(tokens[later:])
            return None if rest is None else later + rest
    return None


def _assembled(tokens: list[_Token]) -> list[_Token]:
    """A name said in parts put in order: "first name Sarah last name Connor", "Connor is my
    last name", "mi nombre es Ana y mi apellido es López" -> the parts' tokens, first name
    first; other answers as they are. Words joining the parts ("and my", "y mi") are dropped
    at a part's edges only, so "Ortega y Gasset" keeps its "y"."""
    table = _parts_table()
    cues = list(find_phrases([token.word for token in tokens], table))
    if not cues:
        return tokens
    edges = ("joiners", "cues", "intros")  # words around a part, never in it
    ends = [start for start, _ in cues[1:]] + [len(tokens)]
    after = [_trim(tokens[start + len(phrase) : end], *edges) for (start, phrase), end in zip(cues, ends)]
    if after[-1]:  # "first name Sarah": each part follows its cue; what comes first is a first name
        parts = [(-1, _trim(tokens[: cues[0][0]], *edges))] + [(table[p], a) for (_, p), a in zip(cues, after)]
    else:  # "Sarah is my first name": each part comes before its cue
        starts = [0] + [start + len(phrase) for start, phrase in cues[:-1]]
        parts = [(table[p], _trim(tokens[s:start], *edges)) for s, (start, p) in zip(starts, cues)]
    return [token for _, part in sorted(parts, key=lambda part: part[0]) for token in part]


def _without_title(tokens: list[_Token]) -> list[_Token]:
    """``tokens`` without a leading title that has a name after it ("mister Lee" -> "Lee");
    a title that is also a given name needs two words after it ("don José Pérez", not "Don
    Johnson")."""
    size = _phrase_at(tokens, 0, "titles")
    needed = 2 if size and _phrase_at(tokens, 0, "given_names") == size else 1
    return tokens[size:] if size and len(tokens) - size >= needed else tokens


_LETTER = r"[^\W\d_]"
_SPELLED_WORD = re.compile(rf"{_LETTER}(?:-{_LETTER})+\.?|{_LETTER}(?:\.{_LETTER}){{2,}}\.?")  # J-O-H-N, J.O.H.N.
_ONE_LETTER = re.compile(rf"{_LETTER}\.?")


def _letter_run(raws: list[str], start: int) -> int:
    """How many words from ``start`` spell one word: 1 for "J-O-H-N", n for a run of n
    single letters ("j o h n"; two only without periods, as "J. R." are initials); 0 for none."""
    if _SPELLED_WORD.fullmatch(raws[start]):
        return 1
    size = 0
    while start + size < len(raws) and _ONE_LETTER.fullmatch(raws[start + size]):
        size += 1
    initials = size == 2 and "." in raws[start] + raws[start + 1]
    return size if size >= 2 and not initials else 0


def _spelled(tokens: list[_Token]) -> list[str]:
    """Words as written, spelled-out letters joined into one capitalised word ("J-O-H-N",
    "j o h n" -> "John"); a spelling next to the word it spells is dropped ("John, J-O-H-N,
    Smith")."""
    raws = [token.raw.strip(",;:!?¡¿") for token in tokens]
    out: list[str] = []
    i = 0
    while i < len(raws):
        size = _letter_run(raws, i)
        if not size:
            out.append(tokens[i].raw)
            i += 1
            continue
        word = "".join(re.findall(_LETTER, "".join(raws[i : i + size]))).capitalize()
        i += size
        previous = "".join(words(out[-1])) if out else None
        following = tokens[i].word if i < len(tokens) else None
        if "".join(words(word)) not in (previous, following):
            out.append(word)
    return out


def _once(name: list[str]) -> list[str]:
    """A name said twice, once: "Jane Doe Jane Doe" -> "Jane Doe"; "Bond James Bond" (the
    surname, then the full name) -> "James Bond". Two words alike stay ("Sirhan Sirhan")."""
    folded = ["".join(words(word)) for word in name]
    half = len(name) // 2
    if half >= 2 and folded[:half] == folded[half:]:
        return name[:half]
    for size in range(1, half + 1):  # "Mike, Mike Jones": the first name, then the whole name
        if folded[:size] == folded[size : 2 * size] and len(name) > 2 * size:
            return name[size:]
    if len(name) >= 3 and folded[0] == folded[-1]:
        return name[1:]
    return name


def _cased(name: list[str]) -> list[str]:
    """Each word :func:`_capitalised`, but a particle ("de", "la", "van") after the first word
    that its writer kept lowercase beside capitalised words: "María de la Cruz" stays, "maria
    de la cruz" -> "Maria De La Cruz" (no sign of how its bearer writes it)."""
    particles = _particles()
    mixed = any(word[:1].isupper() for word in name)
    return [word if i and mixed and word.islower() and word in particles else _capitalised(word)
            for i, word in enumerate(name)]


@cache
def _particles() -> frozenset[str]:
    return frozenset(word for lang in LANGUAGES.values() for word in lang.words.names.particles.split("|") if word)


def _capitalised(word: str) -> str:
    """``word`` without characters no name has, capitalised: "o'brien" -> "O'Brien",
    "mary-kate" -> "Mary-Kate", "JOHN" -> "John"; mixed case is kept ("McDonald")."""
    word = re.sub(r"[^\w'\-.]", "", re.sub(r"[’`´]", "'", word))
    if word.islower() or word.isupper():
        return re.sub(r"(^|['\-.])(\w)", lambda m: m[1] + m[2].upper(), word.lower())
    return word[:1].upper() + word[1:]
