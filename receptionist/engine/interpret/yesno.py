"""Yes/no answers from speech or text, with the words of ``engine.languages``.

Committed only on what a careful recruiter would take as an answer: explicit yes/no words,
an echo of the question's own verb or auxiliary that ends its clause ("Can you lift 50
pounds?" "I can."), fixed negative forms ("not yet"), and, where the question declares it,
a number ("Are you 18 or older?" "I'm 17."), or one of its phrases ("Are you authorized to
work?" "I'm a citizen."). Hedged, conditional, contradictory or unrelated
answers ("I have plans already", "I can't wait", "con ayuda sí", "bueno") are not understood.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from ..languages import Language, language as find_language
from .common import INFERRED, PLAIN, Interpretation, PhraseTable, clauses, corrected, find_phrases, fold, \
    negated, phrase_table, to_digits, words
from .numbers import bounds

_YES, _NO, _UNSURE = True, False, None

# Kinds of phrases in a language's yes/no table.
_ANSWER = "answer"  # commits anywhere in a clause
_ALONE = "alone"  # commits only as the whole clause
_SPOKEN = "spoken"  # like _ALONE, but a name too: no yes to a confirmation text
_ACK = "ack"  # agreement, no answer
_ECHO = "echo"  # the question's verb said back; value: (question word, polarity)
_HEDGE = "hedge"
_WEAKENER = "weakener"


@dataclass(frozen=True)
class _Meaning:
    kind: str
    polarity: bool | None = None
    confidence: float = PLAIN
    asked_by: frozenset[str] = frozenset()  # for an echo: the question words it answers


@cache
def _table(code: str) -> PhraseTable:
    """{phrase words: _Meaning} for one language; a longer phrase wins when they overlap."""
    w = find_language(code).words.yes_no
    table = phrase_table({
        _Meaning(_HEDGE): w.hedges, _Meaning(_WEAKENER): w.weakeners,
        _Meaning(_ACK, _YES): w.acknowledgements,
        _Meaning(_ALONE, _YES): w.yes_alone, _Meaning(_ALONE, _NO): w.no_alone,
        _Meaning(_SPOKEN, _YES): w.yes_alone_spoken,
        _Meaning(_ANSWER, _YES): w.yes, _Meaning(_ANSWER, _YES, INFERRED): w.yes_loose,
        _Meaning(_ANSWER, _NO): w.no, _Meaning(_ANSWER, _NO, INFERRED): w.no_loose,
        _Meaning(_ANSWER, _UNSURE): w.unsure,
    })
    for asked_by, (yes, no) in w.echoes.items():
        for polarity, phrases in ((_YES, yes), (_NO, no)):
            for phrase in phrase_table({None: phrases}):
                # A phrase echoing several question words ("i do": do, have) answers them all.
                previous = table.get(phrase)
                if previous is None or previous.kind == _ECHO:
                    owners = (previous.asked_by if previous else frozenset()) | {asked_by}
                    table[phrase] = _Meaning(_ECHO, polarity, INFERRED, owners)
    return table


@cache
def _negative_words(code: str) -> frozenset[str]:
    """The negators and one-word no answers of a language: a yes-phrase holding one carries its
    own negation ("why not", "no problem", "por qué no") and a negator before it does not turn
    it over ("I don't see why not", "I don't have no problem", "no veo por qué no")."""
    w = find_language(code).words.yes_no
    return w.negators | {p for p in w.no.split("|") if p and " " not in p}


_NEGATION_WINDOW = 2  # words before a yes-word a negator reaches, as common.negated's default


def _self_negated(phrase: tuple[str, ...], lang: Language) -> bool:
    return bool(set(phrase) & _negative_words(lang.code))


def _double_negatives(clause: Sequence[str], found: Sequence[tuple[int, tuple[str, ...]]],
                      lang: Language) -> set[int]:
    """Positions of the negators that turn a self-negated yes-phrase into a double negative
    ("no veo por qué no": the first "no" negates "veo", it is no answer of its own)."""
    table, negators, used = _table(lang.code), lang.words.yes_no.negators, set()
    for start, phrase in found:
        meaning = table[phrase]
        if meaning.kind == _ANSWER and meaning.polarity is _YES and _self_negated(phrase, lang):
            used.update(i for i in range(max(0, start - _NEGATION_WINDOW), start) if clause[i] in negators)
    return used


@cache
def _openings(code: str) -> tuple[re.Pattern, ...]:
    """Patterns of what ``_turned`` drops: a turnaround's opening "no" ("no pues sí"), across
    the commas between its words; a marker ("yeah no") with what follows as group ``rest``."""
    w, gap = find_language(code).words.yes_no, r"[\W_]+"
    turnarounds = [p.split() for p in w.turnarounds.split("|") if len(p.split()) > 1]
    markers = [p.split() for p in w.markers.split("|") if len(p.split()) > 1]
    patterns = []
    if turnarounds:
        openings = (rf"{re.escape(p[0])}{gap}(?={gap.join(map(re.escape, p[1:]))}\b)" for p in turnarounds)
        patterns.append(re.compile(rf"^[\W_]*(?:{'|'.join(openings)})"))
    if markers:
        said = "|".join(gap.join(map(re.escape, p)) for p in markers)
        patterns.append(re.compile(rf"^[\W_]*(?:{said})\b(?=(?P<rest>[\W_]*\w.*))", re.DOTALL))
    return tuple(patterns)


def _turned(text: str, language: str) -> str | None:
    """``text`` folded, without the "no" that opens a turnaround ("no yeah, I'm a citizen" ->
    "yeah, I'm a citizen"; "no, sí puedo" -> "sí puedo") or a marker with more after it
    ("yeah no, I need sponsorship" -> ", I need sponsorship"; not "yeah no problem", whose
    "no" belongs to "no problem"); None when none opens it."""
    if not isinstance(text, str):
        return None
    lang = find_language(language)
    folded = fold(text)
    for pattern in _openings(lang.code):
        m = pattern.match(folded)
        if m is None:
            continue
        if "rest" in pattern.groupindex:
            last = words(folded[:m.end()])[-1:]  # the marker's "no" must be an answer word of its own
            if next(find_phrases(last + words(m["rest"]), _table(lang.code)), (0, ()))[1] != tuple(last):
                continue
        return folded[m.end():]
    return None


@cache
def _number_hedges(code: str) -> PhraseTable:
    return phrase_table({True: find_language(code).words.yes_no.number_hedges})


def _asked(question: str | None, lang: Language) -> tuple[frozenset[str] | None, frozenset[str]]:
    """(words of the question, digits for spelled numbers) or None when no question is
    known; and the question words that an echo may answer."""
    if not isinstance(question, str) or not question.strip():
        return None, frozenset(lang.words.yes_no.echoes)
    return _question_words(question, lang.code)


@lru_cache(maxsize=1024)  # the script's questions, asked of every caller
def _question_words(question: str, code: str) -> tuple[frozenset[str], frozenset[str]]:
    lang = find_language(code)
    said = frozenset(words(question)) | frozenset(words(to_digits(fold(question), code)))
    return said, frozenset(said & lang.words.yes_no.echoes.keys())


def _echo_verdict(meaning: _Meaning, phrase: tuple[str, ...], rest: Sequence[str], asked: frozenset[str] | None,
                  echoable: frozenset[str], lang: Language) -> tuple[bool, float] | None:
    """An echo answers only the question that asked with its word, and only when nothing
    follows it but words of the question itself ("I have a car" to "Do you have a car?"), or,
    denied, when the question's own verb follows it, whatever comes after ("I can't lift that
    much" to "Can you lift ...?"). A clipped echo with nothing after it ("I'm") is cut off."""
    if not echoable & meaning.asked_by:
        return None
    neutral = lang.words.stopwords | lang.words.yes_no.echo_tail | (asked or frozenset())
    if len(phrase) == 1 and phrase[0] in lang.words.yes_no.clipped and set(rest) <= lang.words.stopwords:
        return None  # "I'm", "I'm uh": cut off before the answer
    said = [t for t in rest if t not in neutral or t in (asked or frozenset()) - lang.words.stopwords]
    if meaning.polarity is _NO and said and asked and said[0] in asked:
        return _NO, meaning.confidence  # "I can't lift that much": the question's own verb denied
    if any(t not in neutral and not set(words(to_digits(t, lang.code))) <= neutral for t in rest):
        return None  # "I have plans already"; "I'm eighteen" meets the question's "18"
    if rest and asked is None:
        return None
    return meaning.polarity, meaning.confidence


def _implied(text: str, lang: Language, rule: Mapping | None) -> tuple[bool, float] | None:
    """The answer a number implies under ``rule`` ({"at_least": 18} or {"at_most": n}):
    "I'm 17" -> no; "over 21" -> yes; "I turn 18 in May" / "over 16" -> None (not sure)."""
    if not rule:
        return None
    if next(find_phrases(words(text), _number_hedges(lang.code)), None):
        return None
    found = bounds(text, lang.code)
    if found is None:
        return None
    low, high = found
    if "at_least" in rule:
        limit = rule["at_least"]
        return (True, INFERRED) if low >= limit else (False, INFERRED) if high < limit else None
    if "at_most" in rule:
        limit = rule["at_most"]
        return (True, INFERRED) if high <= limit else (False, INFERRED) if low > limit else None
    return None


# How many words before an implied phrase a negator reaches: "I don't have a valid work permit".
_PHRASE_NEGATION_WINDOW = 4


@cache
def _lapsed(code: str) -> PhraseTable:
    return phrase_table({True: find_language(code).words.yes_no.lapsed})


@lru_cache(maxsize=256)  # a few questions' lists per language, asked of every caller
def _phrase_polarities(yes: tuple[str, ...], no: tuple[str, ...]) -> PhraseTable:
    """{phrase words: polarity} of a question's implied phrases, folded as the caller's words are."""
    return {tuple(words(p)): polarity for polarity, phrases in ((_YES, yes), (_NO, no))
            for p in phrases if words(p)}


def _implied_phrases(clause: Sequence[str], lang: Language, lists: Mapping | None) -> tuple[
        list[tuple[bool, float]], set[int]]:
    """(verdicts, positions of the negators used) of the question's implied phrases in one
    clause. ``lists``: {"yes": [...], "no": [...]} for ``lang``. A phrase implies its
    polarity at INFERRED confidence; a negator up to four words before it turns it over
    ("I don't have a work permit" -> no, "I don't need sponsorship" -> yes); a lapse said in
    the clause leaves it in doubt ("my work permit expired", "mi permiso está vencido")."""
    if not lists:
        return [], set()
    table = _phrase_polarities(tuple(lists.get("yes") or ()), tuple(lists.get("no") or ()))
    negators, verdicts, used = lang.words.yes_no.negators, [], set()
    lapsed = next(find_phrases(clause, _lapsed(lang.code)), None) is not None
    for start, phrase in find_phrases(clause, table):
        polarity = _UNSURE if lapsed else table[phrase]
        window = range(max(0, start - _PHRASE_NEGATION_WINDOW), start)
        negator = next((i for i in reversed(window) if clause[i] in negators), None)
        if negator is not None:
            polarity = not polarity
            used.add(negator)
        verdicts.append((polarity, INFERRED))
    return verdicts, used


def yes_no(text: str, language: str, question: str | None = None,
           implied_by_number: Mapping | None = None,
           implied_by_phrases: Mapping | None = None) -> Interpretation | None:
    """Yes/no from speech or SMS text; value is a bool.

    ``question``: the question as asked, in ``language`` (its verb lets "I can" answer
    "Can you ...?"; without it any lone echo counts). ``implied_by_number``: the company
    YAML's rule for a question a number can answer, ``{"at_least": 18}`` or
    ``{"at_most": n}``: "I'm 17" / "tengo 17" -> False, "I'm 25" -> True.
    ``implied_by_phrases``: the company YAML's phrases for a question that callers answer in
    their own words, ``{language: {"yes": [phrases], "no": [phrases]}}``: to "Are you
    authorized to work ...?", "I'm a US citizen" -> True (0.75), "I need sponsorship" ->
    False, "I don't have a work permit" / "no tengo papeles" -> False, "I don't need
    sponsorship" -> True; a plain "yes"/"no" with a phrase that agrees -> 0.9; phrases (or a
    plain answer and a phrase) that disagree -> None.

    "Yes." -> True (0.9); "I can" (to "Can you ...?") -> True (0.75); "I'm not" -> False;
    "that's not right" -> False (0.75); "sí puedo" -> True; "no tengo" -> False; "not yet"
    / "todavía no" -> False; "never." -> False; "no worries" / "not a problem" / "no hay
    bronca" -> True; "that's fine" / "sounds good" -> True (0.75); "uh-uh" (alone), "la
    verdad no", "I'd say no", "nel" -> False; "simón" (alone), "sip" -> True. Not
    understood (None): "yes no", "not
    sure", "no sé", "I have plans already", "I can't wait", "never been better", "I would
    rather ...", "con ayuda sí", "yes if ...", "bueno", "okey", an echo of a verb the
    question does not use, and a clipped echo alone ("I'm", cut off). A denied echo followed
    by the question's own verb answers whatever follows: "I can't lift that much" -> False.
    A correction counts as said last: "no, wait, yes I do" -> True, "sí, no, perdón, no
    tengo" / "sí, bueno no, no tengo" -> False (0.75). With ``implied_by_number``, "soy mayor
    de edad" / "I'm an adult" mean 18 or older.

    Indirect answers: a "no" at once taken back by a yes is a discourse marker ("no yeah",
    "no pues sí", "no, sí puedo" -> True, 0.75), and so is a "yeah no" with an answer after it
    ("yeah no, I need sponsorship" -> False; "yeah no" alone, "no, yes" and "no, sí" -> None);
    a double negative is a yes ("I don't see why not", "no veo por qué no"); a wish is a no
    ("I wish", "ojalá tuviera", "in my dreams"); "yeah right" is not understood (sarcasm as
    often as not); a question whose answer is obviously yes, said back, is a yes ("Is the
    Pope Catholic?"); laughter is dropped; waiting for papers is not having them ("I'm
    waiting on my work permit", "I applied for my green card" -> None).
    """
    if (turned := _turned(text, language)) is not None:
        found = yes_no(turned, language, question, implied_by_number, implied_by_phrases)
        return None if found is None else Interpretation(found.value, min(found.confidence, INFERRED))
    if (tail := corrected(text, language)) is not None and (
            found := _yes_no(tail, language, question, implied_by_number, implied_by_phrases)) is not None:
        return Interpretation(found.value, min(found.confidence, INFERRED))
    return _yes_no(text, language, question, implied_by_number, implied_by_phrases)


# Emoji texted as an answer, as the language's plain yes (True) or no (False).
_EMOJI = {"\N{THUMBS UP SIGN}": True, "\N{OK HAND SIGN}": True, "\N{WHITE HEAVY CHECK MARK}": True,
          "\N{HEAVY CHECK MARK}": True, "\N{THUMBS DOWN SIGN}": False, "\N{CROSS MARK}": False}
_EMOJI_PATTERN = re.compile("|".join(_EMOJI))


def _said(text: str, lang: Language) -> list[list[str]]:
    """The clauses of an answer, with texting undone: emoji as words ("👍" -> "yes"), a word
    drawn out for emphasis as the answer it draws out ("yesss", "nooo", "siii"), laughter
    dropped ("I wish lol")."""
    yes, no = lang.words.yes_no_hints
    text = _EMOJI_PATTERN.sub(lambda m: f" {yes if _EMOJI[m[0]] else no} ", text)
    table, laughter = _table(lang.code), lang.words.yes_no.laughter
    said = ([_undrawn(token, table) for token in clause if token not in laughter] for clause in clauses(text))
    return [clause for clause in said if clause]


def _undrawn(token: str, table: PhraseTable) -> str:
    if (token,) in table:
        return token
    short = re.sub(r"(\w)\1+", r"\1", token)
    meaning = table.get((short,))
    return short if meaning is not None and meaning.kind in (_ANSWER, _ALONE, _SPOKEN) else token


def _yes_no(text: str, language: str, question: str | None, implied_by_number: Mapping | None,
            implied_by_phrases: Mapping | None) -> Interpretation | None:
    if not isinstance(text, str):
        return None
    lang = find_language(language)
    vocabulary, table = lang.words.yes_no, _table(lang.code)
    asked, echoable = _asked(question, lang)
    verdicts: list[tuple[bool | None, float]] = []
    hedged = weakened = False
    phrase_lists = (implied_by_phrases or {}).get(lang.code)
    for clause in _said(text, lang):
        implied, negators_used = _implied_phrases(clause, lang, phrase_lists)
        verdicts += implied
        found = list(find_phrases(clause, table))
        negators_used |= _double_negatives(clause, found, lang)
        for start, phrase in found:
            if start in negators_used:
                continue  # "no necesito patrocinio": that "no" negates the phrase, it is no answer
            meaning = table[phrase]
            if meaning.kind == _HEDGE:
                hedged = True
            elif meaning.kind == _WEAKENER:
                weakened = True
            elif meaning.kind in (_ALONE, _SPOKEN) and len(phrase) == len(clause):
                verdicts.append((meaning.polarity, meaning.confidence))
            elif meaning.kind == _ECHO:
                found = _echo_verdict(meaning, phrase, clause[start + len(phrase):], asked, echoable, lang)
                if found is not None and found[0] is _YES and negated(clause, start, vocabulary.negators):
                    found = (_NO, found[1])  # "no lo tengo"
                if found is not None:
                    verdicts.append(found)
            elif meaning.kind == _ACK and negated(clause, start, vocabulary.negators):
                verdicts.append((_NO, INFERRED))  # "that's not right"
            elif meaning.kind == _ANSWER and phrase == ("no",) and 1 < start < len(clause) - 1:
                # "I wish to see it with no subtitles": a determiner, not an answer; a "no"
                # that ends its clause answers ("I'd say no", "la verdad no").
                continue
            elif meaning.kind == _ANSWER:
                polarity, conf = meaning.polarity, meaning.confidence
                if polarity is _YES and negated(clause, start, vocabulary.negators) and not _self_negated(phrase, lang):
                    # "not sure" means "don't know"; "not right" means no.
                    unsure = len(phrase) == 1 and phrase[0] in vocabulary.unsure_when_negated
                    polarity, conf = (_UNSURE if unsure else _NO), INFERRED
                verdicts.append((polarity, conf))
    if (implied := _implied(text, lang, implied_by_number)) is not None:
        verdicts.append(implied)
    polarities = {p for p, _ in verdicts}
    if hedged or len(polarities) != 1 or _UNSURE in polarities:
        return None
    value = polarities.pop()
    if weakened and value is _YES:
        return None  # "yes, but only days": a condition, not a yes
    return Interpretation(value, max(c for _, c in verdicts))


def is_yes_phrase(text: str, language: str) -> bool:
    """Whether the whole of ``text`` is one yes or agreement phrase of ``language``: "OK!"
    and "sí" are, "ok thanks" and "I have a question" are not."""
    if not isinstance(text, str):
        return False
    meaning = _table(find_language(language).code).get(tuple(words(text)))
    return meaning is not None and meaning.polarity is _YES and meaning.kind in (_ANSWER, _ACK, _ALONE)


def opening_phrase_words(text: str, language: str) -> int:
    """How many words the yes/no phrase of ``language`` that opens ``text`` has, 0 when
    none does: "no worries, thanks" -> 2 ("no worries" is not "no"), "No I am" -> 1."""
    tokens = words(text) if isinstance(text, str) else []
    start, phrase = next(find_phrases(tokens, _table(find_language(language).code)), (None, ()))
    return len(phrase) if start == 0 else 0


def opens_with_yes(text: str, language: str) -> bool:
    """Whether ``text`` starts with a plain yes phrase of ``language``: "Yes, thanks" and
    "sure, but when?" do; "claro que no", "ok thanks" and "is it exactly $15?" do not."""
    tokens = words(text) if isinstance(text, str) else []
    table = _table(find_language(language).code)
    start, phrase = next(find_phrases(tokens, table), (None, None))
    return start == 0 and table[phrase] == _Meaning(_ANSWER, _YES, PLAIN)
