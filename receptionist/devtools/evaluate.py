"""How well the interpreters understand callers: `make eval` (``python -m
receptionist.devtools.evaluate``) prints, per interpreter and language, n, coverage
(committed / answerable) and precision (correct / committed) on the labelled sets in
``tests/data/interpret_*.csv``, then on the battery of indirect answers in
``tests/data/indirect_*.csv`` ("I wish", "no pues sí", "five-ish years", "luego luego"),
labelled apart and held to its own levels (tests/test_interpret_indirect.py).

A case is *answerable* unless its expected value is ``abstain`` (a careful recruiter would
ask again: hedged, conditional, past dates ...). A commit on an abstain case counts
against precision. Each file's header comment names its sources. Pure: reads the files,
calls the interpreters; nothing else.
"""
from __future__ import annotations

import csv
import datetime as dt
import functools
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..engine import interpret
from ..engine.interpret import Choice
from ..engine.languages import LANGUAGES
from ..services.company import question_values

DATA = Path(__file__).resolve().parents[2] / "tests" / "data"
ABSTAIN = "abstain"
EXAMPLES = DATA.parents[1] / "examples"
KINDS = ("yes_no", "date", "number", "email", "choice")
LABELLED, INDIRECT = "interpret", "indirect"  # the sets: tests/data/<set>_<kind>.csv
INDIRECT_KINDS = ("yes_no", "date", "number", "choice")


@dataclass
class Score:
    """Counts for one interpreter and language."""

    n: int = 0
    answerable: int = 0
    committed_answerable: int = 0
    committed: int = 0
    correct: int = 0

    @property
    def coverage(self) -> float:
        return self.committed_answerable / self.answerable if self.answerable else 0.0

    @property
    def precision(self) -> float:
        return self.correct / self.committed if self.committed else 1.0


def cases(kind: str, labelled_set: str = LABELLED) -> Iterator[dict]:
    """The rows of ``tests/data/<labelled_set>_<kind>.csv`` (lines starting with # are comments)."""
    with open(DATA / f"{labelled_set}_{kind}.csv", newline="", encoding="utf-8") as f:
        yield from csv.DictReader(line for line in f if not line.startswith("#"))


def _rule(text: str) -> dict | None:
    """"at_least=18" -> {"at_least": 18}."""
    if not text:
        return None
    name, _, value = text.partition("=")
    return {name: float(value)}


@functools.cache
def _phrases(spec: str) -> dict | None:
    """"acme-staffing.yaml#work-authorization" -> that question's ``implied_by_phrases`` in the
    sample company file (examples/), read by the loader's own validator, so the labelled set
    reads its answers as a call does."""
    if not spec:
        return None
    name, _, key = spec.partition("#")
    company = yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))
    questions = (q for agent in company["agents"] for q in agent.get("questions") or ())
    question = next(q for q in questions if q["key"] == key)
    return question_values(question, list(LANGUAGES), name)["implied_by_phrases"]


def _options(spec: str) -> list[Choice]:
    """"days=days/day shift;nights=nights" -> [Choice("days", ("days", "day shift")), ...]."""
    out = []
    for part in spec.split(";"):
        key, _, labels = part.partition("=")
        out.append(Choice(key.strip(), tuple(label.strip() for label in labels.split("/"))))
    return out


def _today(case: dict) -> dt.date:
    return dt.date.fromisoformat(case["today"])


def _yes_no(case):
    found = interpret.yes_no(case["text"], case["language"], case["question"], _rule(case.get("rule") or ""),
                             _phrases(case.get("phrases") or ""))
    return None if found is None else ("yes" if found.value else "no")


def _date(case):
    found = interpret.date(case["text"], case["language"], _today(case))
    return None if found is None else found.value.isoformat()


def _number(case):
    found = interpret.number(case["text"], case["language"], case.get("unit") or None, _today(case))
    return None if found is None else found.value


def _email(case):
    found = interpret.email(case["text"])
    return None if found is None else found.value


def _choice(case):
    found = interpret.choice(case["text"], _options(case["options"]), case["language"])
    return None if found is None else found.value


def _same(kind: str, got, expected: str) -> bool:
    if kind == "number":
        return abs(float(got) - float(expected)) < 0.01
    if kind == "email":
        return str(got).lower() == expected.lower()
    return str(got) == expected


READERS: dict[str, Callable[[dict], object]] = {
    "yes_no": _yes_no, "date": _date, "number": _number, "email": _email, "choice": _choice}


def evaluate(kind: str, mistakes: list | None = None, labelled_set: str = LABELLED) -> dict[str, Score]:
    """{language: Score} for one interpreter on one set (LABELLED or INDIRECT); wrong commits
    and missed answers are appended to ``mistakes`` as (language, text, expected, got)."""
    scores: dict[str, Score] = {}
    for case in cases(kind, labelled_set):
        score = scores.setdefault(case["language"], Score())
        expected = case["expected"]
        got = READERS[kind](case)
        score.n += 1
        answerable = expected != ABSTAIN
        score.answerable += answerable
        if got is None:
            if answerable and mistakes is not None:
                mistakes.append((case["language"], case["text"], expected, None))
            continue
        score.committed += 1
        score.committed_answerable += answerable
        if answerable and _same(kind, got, expected):
            score.correct += 1
        elif mistakes is not None:
            mistakes.append((case["language"], case["text"], expected, got))
    return scores


def table(kinds=KINDS, labelled_set: str = LABELLED) -> str:
    """The `make eval` table of one set."""
    lines = [f"{'interpreter':<12} {'lang':<4} {'n':>5} {'answerable':>10} {'coverage':>9} {'precision':>9}"]
    for kind in kinds:
        for language, s in sorted(evaluate(kind, labelled_set=labelled_set).items()):
            lines.append(f"{kind:<12} {language:<4} {s.n:>5} {s.answerable:>10} {s.coverage:>9.1%} {s.precision:>9.1%}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """`python -m receptionist.devtools.evaluate [--mistakes KIND [indirect]]`."""
    if argv[:1] == ["--mistakes"] and len(argv) in (2, 3):
        found: list = []
        evaluate(argv[1], found, argv[2] if len(argv) == 3 else LABELLED)
        for language, text, expected, got in found:
            print(f"{language}\t{text!r}\texpected {expected}\tgot {got}")
        return 0
    print(table())
    print(f"\nIndirect answers (tests/data/{INDIRECT}_*.csv):")
    print(table(INDIRECT_KINDS, INDIRECT))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
