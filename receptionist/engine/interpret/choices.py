"""Which option of a multiple-choice question the caller picked: a label said outright or
in part, its position ("the second one", "la dos"), or a misheard label (rapidfuzz)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from rapidfuzz import fuzz

from ..languages import LANGUAGES, language as find_language
from .common import CONTAINED, EXACT, INFERRED, Choice, Interpretation, PhraseTable, clauses, corrected, \
    find_phrases, negated, phrase_table, words


@dataclass(frozen=True)
class _Words:
    """One language's choice words as tables."""

    ordinals: PhraseTable  # phrase -> 1-based position, -1 for the last
    cardinals: PhraseTable  # phrase -> number
    number_cues: frozenset[str]
    fillers: frozenset[str]
    negators: frozenset[str]
    any_words: PhraseTable  # "whatever works", "me da igual": the "any" option if offered
    both_words: frozenset[str]  # "days and nights", "both": two options mean "any"
    except_words: frozenset[str]  # "anything but nights", "cualquiera menos de noche"
    homophones: Mapping[str, str]  # "4" -> "for": "4 lift" heard for "forklift"


@cache
def _vocabulary(code: str) -> _Words:
    lang = find_language(code)
    w = lang.words.choices
    return _Words(
        ordinals=phrase_table({**dict(enumerate(w.ordinals, start=1)), -1: w.last}),
        cardinals=phrase_table(dict(enumerate(w.cardinals, start=1))),
        number_cues=w.number_cues,
        fillers=w.fillers,
        negators=lang.words.yes_no.negators | {"no"},  # "no nights, days"
        any_words=phrase_table({True: _singular_phrases(w.any_words)}),
        both_words=w.both_words,
        except_words=frozenset(_singular_phrases(w.except_words).split("|")) - {""},
        homophones=w.homophones,
    )


def _singular_phrases(phrases: str) -> str:
    """"a b|c" with each word as :class:`_Heard` reads it (plurals dropped: "menos" -> "meno")."""
    return "|".join(" ".join(map(_singular, p.split())) for p in phrases.split("|"))


# Too common to tell options apart, in any language (labels mix them): "the warehouse one"
# names the warehouse, not "one".
_FUNCTION_WORDS = frozenset().union(*(lang.words.choices.function_words for lang in LANGUAGES.values()))
_FUZZY_CUTOFF = 80
_FUZZY_MARGIN = 5  # fuzzy scores closer than this are "equally good"
_FUZZY_WEIGHT = 0.8  # a fuzzy match is never as sure as a label said outright
_FUZZY_MIN_LETTERS = 3  # shorter words said are matched whole, never fuzzily


def _singular(word: str) -> str:
    """A plural's -s dropped on both sides, so "días" meets the label "día" and "night"
    meets "nights" (never shorter than 3 letters: "yes", "dos" stay)."""
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _meaning_phrases(phrases: str) -> frozenset[tuple[str, ...]]:
    return frozenset(tuple(map(_singular, p.split())) for p in phrases.split("|") if p.strip())


# Every language's option meanings ("night|nights|overnight|graveyard"), as label words: an
# English script's caller may answer in Spanish and the other way round. Each is (names,
# activities): the names are said for the option; an activity ("drive", "manejando") only
# picks it when nothing names an option ("I drive a forklift" is the forklift).
_MEANINGS = tuple((_meaning_phrases(m), frozenset()) if isinstance(m, str)
                  else (_meaning_phrases(m[0]), _meaning_phrases(m[1]))
                  for lang in LANGUAGES.values() for m in lang.words.choices.meanings)

@dataclass(frozen=True)
class _Heard:
    """An answer and the options, normalised once for all the steps."""

    words: _Words
    clauses: list[list[str]]
    content: tuple[str, ...]  # every word but fillers
    labels: tuple[frozenset[tuple[str, ...]], ...]  # per option, each label as words
    distinctive: tuple[frozenset[str], ...]  # per option, label words no other option uses
    activities: tuple[frozenset[tuple[str, ...]], ...]  # per option, what its people do ("drive")

    @classmethod
    def of(cls, text: str, options: Sequence[Choice], language: str) -> _Heard:
        code = find_language(language).code
        vocabulary, numbers = _vocabulary(code), _numbers(code)
        said = [[w if w in numbers else _singular(w) for w in clause] for clause in clauses(text)]
        labels, distinctive, activities = _options(_hashable(options))
        content = tuple(t for tokens in said for t in tokens if t not in vocabulary.fillers)
        return cls(vocabulary, said, content, labels, distinctive, activities)


@cache
def _numbers(code: str) -> frozenset[str]:
    """The words of a language's ordinals and cardinals (kept from singular forms)."""
    vocabulary = _vocabulary(code)
    return frozenset(w for table in (vocabulary.ordinals, vocabulary.cardinals) for phrase in table for w in phrase)


def _hashable(options: Sequence[Choice]) -> tuple[Choice, ...]:
    """``options`` as :func:`_options`' cache key: a tuple, each option's labels a tuple (a
    caller may give them as a list, which cannot be hashed; the labels read the same)."""
    return tuple(o if isinstance(o.labels, tuple) else Choice(o.key, tuple(o.labels)) for o in options)


_Phrases = tuple[frozenset[tuple[str, ...]], ...]  # per option, phrases as words


@lru_cache(maxsize=1024)  # a script asks the same few questions of every caller
def _options(options: tuple[Choice, ...]) -> tuple[_Phrases, tuple[frozenset[str], ...], _Phrases]:
    """Per option: its labels as singular words (with the names of the common meanings it
    alone holds), its distinctive words (label words of more than two letters that are no
    function word and no other option's) and its meanings' activities; frozen, as every
    caller's answer shares them."""
    labels = tuple(frozenset({tuple(map(_singular, words(label))) for label in o.labels} - {()}) for o in options)
    labels, activities = _with_meanings(labels)
    significant = [  # from the company's own labels: "third" of "third shift" is no position's word
        {w for label in option for w in label if len(w) > 2 and w not in _FUNCTION_WORDS}
        for option in (tuple(frozenset({tuple(map(_singular, words(label))) for label in o.labels} - {()})
                       for o in options))
    ]
    distinctive = tuple(frozenset(own.difference(*significant[:i], *significant[i + 1 :]))
                        for i, own in enumerate(significant))
    return labels, distinctive, activities


def _holds(label: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    """Whether ``phrase`` is a run of whole words of ``label``."""
    return any(label[i : i + len(phrase)] == phrase for i in range(len(label) - len(phrase) + 1))


def _spans(label: tuple[str, ...], phrase: tuple[str, ...]) -> list[tuple[int, int]]:
    """Where ``phrase`` is a run of whole words of ``label``: (start, end) word indexes."""
    return [(i, i + len(phrase)) for i in range(len(label) - len(phrase) + 1) if label[i : i + len(phrase)] == phrase]


def _meant_by(label: tuple[str, ...]) -> set[int]:
    """The indexes (into ``_MEANINGS``) of the meanings ``label`` holds a phrase of, less one
    whose phrase lies inside a longer phrase of another ("chofer" of the driver inside
    "chofer de montacargas", a forklift's name). A label of two meanings ("hi-lo driver":
    forklift and driver, in words apart) tells neither: empty. Two meanings held by some of
    the same words ("full time", "cdl": English's and Spanish's) are one meaning in two
    languages: both."""
    found = [(a, b, m) for m, (names, activities) in enumerate(_MEANINGS)
             for p in names | activities for a, b in _spans(label, p)]
    spans: dict[int, set[tuple[int, int]]] = {}
    for a, b, m in found:
        if not any(om != m and oa <= a and b <= ob and ob - oa > b - a for oa, ob, om in found):
            spans.setdefault(m, set()).add((a, b))
    apart = any(not (spans[m] & spans[other]) for m in spans for other in spans)
    return set() if apart else set(spans)


def _with_meanings(labels: _Phrases) -> tuple[_Phrases, _Phrases]:
    """Each option's labels and the names of the common meanings it alone holds ("nights"
    also "overnight", "graveyard"; "día" also "diurno"; "Delivery Driver" also "chofer",
    "box truck"), less any phrase that is or holds another option's label; and per option
    those meanings' activities ("drive", "manejar"), likewise. An option holds a meaning when
    one of its labels holds only that meaning's phrases (:func:`_meant_by`); a phrase also
    inside another option's label is kept: the longer label said wins (:func:`_whole_label`)."""
    meant = [set().union(*map(_meant_by, option)) for option in labels]
    extra: list[set[tuple[str, ...]]] = [set() for _ in labels]
    doing: list[set[tuple[str, ...]]] = [set() for _ in labels]
    for m, (names, activities) in enumerate(_MEANINGS):
        holders = [i for i, option_meant in enumerate(meant) if m in option_meant]
        if len(holders) != 1:
            continue  # no option means it, or several do: the caller's word picks none
        others = [label for j, option in enumerate(labels) if j != holders[0] for label in option]
        extra[holders[0]] |= {p for p in names if not any(p == o or _holds(p, o) for o in others)}
        doing[holders[0]] |= {p for p in activities if not any(p == o or _holds(p, o) for o in others)}
    return (tuple(option | added for option, added in zip(labels, extra)),
            tuple(frozenset(d) for d in doing))


_NEGATION_WINDOW = 3  # "not the night shift", "no el de almacén"


def _negated(heard: _Heard, tokens: Sequence[str], start: int) -> bool:
    return negated(tokens, start, heard.words.negators, _NEGATION_WINDOW)


# Each step below returns the indexes of the options it heard (empty: no opinion) and how
# sure it is. The first step with an opinion decides; more than one option is ambiguous.


def _exact_label(heard: _Heard) -> tuple[set[int], float]:
    return {i for i, labels in enumerate(heard.labels) if heard.content in labels}, EXACT


def _whole_label(heard: _Heard) -> tuple[set[int], float]:
    """Options with a label said whole-word and not negated. A label inside a longer label
    of another option does not count ("night shift" is not also "shift"); another option's
    own word said beside a label makes it ambiguous ("full or part time")."""
    spans = []  # (clause, start, end, option)
    for c, tokens in enumerate(heard.clauses):
        for option, labels in enumerate(heard.labels):
            for label in labels:
                for start in range(len(tokens) - len(label) + 1):
                    if tuple(tokens[start : start + len(label)]) == label and not _negated(heard, tokens, start):
                        spans.append((c, start, start + len(label), option))
    kept = [(c, a, b, option) for c, a, b, option in spans
            if not any(o != option and oc == c and oa <= a and b <= ob and ob - oa > b - a
                       for oc, oa, ob, o in spans)]
    found = {option for *_, option in kept}
    covered = {(c, i) for c, a, b, _ in kept for i in range(a, b)}
    for c, tokens in enumerate(heard.clauses if found else ()):
        for i, token in enumerate(tokens):
            if (c, i) not in covered and not _negated(heard, tokens, i):
                found |= {option for option, own in enumerate(heard.distinctive) if token in own}
    return found, CONTAINED


def _label_words(heard: _Heard) -> tuple[set[int], float]:
    """Part of a label: "the warehouse one" for "Warehouse Associate"."""
    said = {
        token
        for tokens in heard.clauses
        for i, token in enumerate(tokens)
        if not _negated(heard, tokens, i)
    }
    overlap = [len(words & said) for words in heard.distinctive]
    most = max(overlap)
    return ({i for i, n in enumerate(overlap) if n == most} if most else set()), INFERRED


def _activity(heard: _Heard) -> tuple[set[int], float]:
    """What the caller does, when nothing names an option: "I like driving", "manejando"
    for a driver's job."""
    found = {option for option, phrases in enumerate(heard.activities) for tokens in heard.clauses
             for phrase in phrases for start in range(len(tokens) - len(phrase) + 1)
             if tuple(tokens[start : start + len(phrase)]) == phrase and not _negated(heard, tokens, start)}
    return found, INFERRED


def _position(heard: _Heard) -> tuple[set[int], float]:
    """Ordinals ("the second one", "la última") or numbers ("option 3", "dos", "1")."""
    table = heard.words.ordinals
    said = {table[phrase] for tokens in heard.clauses for _, phrase in find_phrases(tokens, table)}
    if not said:  # with an ordinal, "one" is a pronoun: "the second one"
        for tokens in heard.clauses:
            for i, token in enumerate(tokens):
                if token.isdecimal() and len(token) < 3:
                    value = int(token)
                else:
                    value = heard.words.cardinals.get((token,))
                cued = i > 0 and tokens[i - 1] in heard.words.number_cues
                if value is not None and (cued or len(heard.content) == 1):
                    said.add(value)
    count = len(heard.labels)
    indexes = {count - 1 if n == -1 else n - 1 for n in said}
    if len(indexes) == 1 and not 0 <= min(indexes) < count:
        return set(), CONTAINED  # "the fifth" of three: no opinion; fuzzy matching may have one
    return indexes, CONTAINED


def _fuzzy(heard: _Heard) -> tuple[set[int], float]:
    """Misheard labels ("knights") or label words ("wearhouse"), scored with rapidfuzz."""
    if not heard.content:
        return set(), 0.0
    homophones = heard.words.homophones
    said = tuple(homophones.get(t, t) if i + 1 < len(heard.content) else t  # "4 lift"; "option 4" stays
                 for i, t in enumerate(heard.content))
    scores = [
        _fuzzy_score(said, labels | {(w,) for w in words})
        for labels, words in zip(heard.labels, heard.distinctive)
    ]
    best = max(scores)
    if best < _FUZZY_CUTOFF:
        return set(), 0.0
    close = {i for i, score in enumerate(scores) if score > best - _FUZZY_MARGIN}
    return close, round(_FUZZY_WEIGHT * best / 100, 2)


def _fuzzy_score(tokens: Sequence[str], labels) -> float:
    """Best similarity (0..100) of any label to any run of about as many words in the answer.

    Windows rather than WRatio over the whole answer, so one misheard word ("knights") in a
    sentence still scores high while short labels do not match random substrings.
    """
    best = 0.0
    for label in labels:
        target = " ".join(label)
        for size in {max(1, len(label) - 1), len(label), len(label) + 1, len(tokens)}:
            for start in range(len(tokens) - size + 1):
                said = " ".join(tokens[start : start + size])
                if len(said) >= _FUZZY_MIN_LETTERS:  # "si" is 80% of "sit": too short to tell
                    best = max(best, fuzz.ratio(said, target))
    return best


_CHOICE_STEPS = (_exact_label, _whole_label, _label_words, _activity, _position, _fuzzy)


def _excluded(heard: _Heard) -> set[int]:
    """Options the caller ruled out: a label, distinctive word or activity ("I don't want to
    drive") said after a negator or
    an "except" ("not nights", "no de noche", "anything but weekends", "cualquiera menos
    el de noche"), or followed by a "no" that ends the clause ("de noche no")."""
    out = set()
    for tokens in heard.clauses:
        for option, (labels, own, doing) in enumerate(zip(heard.labels, heard.distinctive, heard.activities)):
            for label in labels | {(w,) for w in own} | doing:
                for start in range(len(tokens) - len(label) + 1):
                    end = start + len(label)
                    if tuple(tokens[start:end]) != label:
                        continue
                    before = " ".join(tokens[max(0, start - _NEGATION_WINDOW) : start])
                    if _negated(heard, tokens, start) or tokens[end:] == ["no"] or any(
                            f" {word} " in f" {before} " for word in heard.words.except_words):
                        out.add(option)
    return out


def _any_option(heard: _Heard) -> int | None:
    """The option that means "any of them", when the question offers one (a label such as
    "any", "whatever", "flexible", "cualquiera")."""
    table = heard.words.any_words
    found = [i for i, labels in enumerate(heard.labels) if labels & table.keys()]
    return found[0] if len(found) == 1 else None


def _read(text: str, options: Sequence[Choice], language: str) -> tuple[Interpretation | None, tuple[str, ...]]:
    """(the option picked, or None; when None, the options the caller may have meant)."""
    if not isinstance(text, str) or not options:
        return None, ()
    if (tail := corrected(text, language)) is not None:  # "days, no wait, nights"
        found, _ = _read(tail, options, language)
        if found is not None:
            return Interpretation(found.value, min(found.confidence, INFERRED)), ()
    heard = _Heard.of(text, options, language)
    excluded = _excluded(heard)
    any_option = _any_option(heard)
    says_any = not excluded and any(True for tokens in heard.clauses
                                    for _ in find_phrases(tokens, heard.words.any_words))
    # "not nights" is no fuzzy "nights", "me da igual" no fuzzy "día".
    steps = _CHOICE_STEPS[:-1] if excluded or says_any else _CHOICE_STEPS
    for step in steps:
        found, confidence = step(heard)
        # "cualquiera menos el de noche": "any" with one ruled out is not the "any" option.
        found = found - excluded - ({any_option} if excluded else set())
        if len(found) == 1:
            return Interpretation(options[found.pop()].key, confidence), ()
        if found:
            both = says_any or any(t in heard.words.both_words for t in heard.content)
            if any_option is not None and both:  # "days and nights", "either days or nights"
                return Interpretation(options[any_option].key, INFERRED), ()
            return None, tuple(options[i].key for i in sorted(found))
    if says_any:  # "whatever works", "me da igual"
        return (Interpretation(options[any_option].key, INFERRED) if any_option is not None else None), ()
    if excluded:  # "not nights": what is left, if only one
        left = sorted(set(range(len(options))) - excluded - {any_option})
        if len(left) == 1:
            return Interpretation(options[left[0]].key, INFERRED), ()
        return None, tuple(options[i].key for i in left)
    return None, ()


def choice(text: str, options: Sequence[Choice], language: str) -> Interpretation | None:
    """Which option the caller picked; value is the option's key.

    With options days=("days", "day shift") and nights=("nights", "night shift"):
    "Days." -> "days" (0.95); "I'd prefer the night shift" -> "nights" (0.85);
    "not nights, days" -> "days"; "the first one" / "number one" / "la primera" / "uno"
    / "1" -> "days" (0.85); "knights" -> "nights" (fuzzy, ~0.74);
    "days or nights" / "either" -> None (see :func:`ambiguous_choice`). With "Warehouse
    Associate" and "Delivery Driver": "the warehouse one" -> the first (0.75).
    Negation rules an option out: "not nights" with days and nights -> "days" (0.75),
    "no de noche" likewise. Where an option means "any" (a label such as "any",
    "whatever", "cualquiera"): "whatever works" / "me da igual" / "days and nights" /
    "either one" -> that option (0.75); without one, None.
    A common meaning the option's labels hold is heard in its other words too
    (``ChoiceWords.meanings``): "overnight", "graveyard", "third shift", "nites", "nocturno"
    -> "nights"; "Saturdays and Sundays" -> "weekends"; "FT" -> "full time"; never when two
    options hold it. Job families likewise (``ChoiceWords.meanings`` pairs): "chofer", "box
    truck", "manejando camión" -> "Delivery Driver"; "hi-lo", "montacarga" -> "Forklift
    Operator"; "bodega", "picker" -> "Warehouse Associate"; a family's activity ("I like
    driving") only when nothing names an option: "I drive a forklift" -> "Forklift Operator".
    A recognizer's digit for a word is heard as the word: "4 lift" -> "Forklift Operator" (fuzzy).
    Order: exact label, contained label, distinctive label word, activity, ordinal or number,
    fuzzy.
    """
    return _read(text, options, language)[0]


def ambiguous_choice(text: str, options: Sequence[Choice], language: str) -> tuple[str, ...]:
    """The keys of the options the caller named when :func:`choice` is None because they
    named several ("days or nights" -> ("days", "nights")) or ruled out all but several
    ("not nights" -> days, weekends); () otherwise. The flow asks "Which one: ...?"."""
    return _read(text, options, language)[1]
