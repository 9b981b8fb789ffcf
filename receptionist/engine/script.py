"""The agent's script as immutable data: what the flow needs to know about an agent.

Built from the database by the service layer (``services.scripts``) or directly in tests.
Texts are mappings from language code ("en", "es") to text; one is read in the caller's
language with ``languages.in_language`` (else the agent's default language's, else any).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from . import interpret
from .vocabulary import QuestionKind
from .languages import in_language
from .matching import Opening


@dataclass(frozen=True)
class OptionSpec:
    """One option of a choice question; ``labels``: {language: spoken/typed forms}."""

    key: str
    labels: Mapping[str, tuple[str, ...]]

    def forms(self, language: str) -> tuple[str, ...]:
        """The labels in ``language`` (fallback: ``languages.in_language``), else the key."""
        return tuple(in_language(self.labels, language) or (self.key,))

    def label(self, language: str) -> str:
        """The label shown or said for this option: its first form."""
        return self.forms(language)[0]

    def as_choice(self, language: str) -> interpret.Choice:
        """The option as the choice interpreter reads it: every form is a label."""
        return interpret.Choice(self.key, self.forms(language))


@dataclass(frozen=True)
class QuestionSpec:
    """A screening question of ``kind`` (a :class:`QuestionKind`; a plain value is accepted).

    ``knockout``: rule dict (see ``engine.screening.is_knockout``) or None; ``weight``: score share.
    ``unit``: a number question's unit ("years" | "months", see ``interpret.number``);
    ``implied_by_number``: a yes/no question's rule for a number answer ({"at_least": 18},
    see ``interpret.yes_no``); ``implied_by_phrases``: a yes/no question's phrases that imply
    an answer, {language: {"yes": [...], "no": [...]}} ("I'm a citizen" -> yes).
    """

    key: str
    kind: QuestionKind
    text: Mapping[str, str]
    options: tuple[OptionSpec, ...] = ()
    knockout: Mapping | None = None
    weight: float = 0.0
    unit: str | None = None
    implied_by_number: Mapping | None = None
    implied_by_phrases: Mapping | None = None

    def __post_init__(self):
        object.__setattr__(self, "kind", QuestionKind(self.kind))


@dataclass(frozen=True)
class PolicySpec:
    """A company policy: ways a caller may ask ({language: [...]}) and the answer ({language: text})."""

    key: str
    questions: Mapping[str, tuple[str, ...]]
    answer: Mapping[str, str]


@dataclass(frozen=True)
class PostingSpec:
    """An open posting the caller can pick; ``title``: {language: title}; ``location``: "City, ST";
    ``also_called``: {language: (what people also call the job, ...)}."""

    key: str
    title: Mapping[str, str]
    location: str | None = None
    also_called: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def as_option(self) -> OptionSpec:
        """The posting as a choice: its title (shown, the first label), then what it is also called."""
        return OptionSpec(self.key, {lang: (t, *self.also_called.get(lang, ())) for lang, t in self.title.items()})

    def as_opening(self) -> Opening:
        """The posting as role matching (``engine.matching``) reads it."""
        return Opening(self.key, self.title, self.location)


@dataclass(frozen=True)
class AgentScript:
    """Everything the flow needs about one agent. ``languages[0]`` is the default language."""

    company_name: str
    languages: tuple[str, ...]
    greeting: Mapping[str, str]
    disclosure: Mapping[str, str]
    questions: tuple[QuestionSpec, ...] = ()
    policies: tuple[PolicySpec, ...] = ()
    postings: tuple[PostingSpec, ...] = ()
    help_text: Mapping[str, str] = field(default_factory=dict)
    # {language: text} for a caller whose application is on file ({job}, {date}, {days}); empty: the default.
    on_file_message: Mapping[str, str] = field(default_factory=dict)

    @property
    def default_language(self) -> str:
        """The language texts fall back to when one is missing in the caller's: the first."""
        return self.languages[0]

    def question(self, key: str) -> QuestionSpec:
        """The question with ``key``; raises KeyError when the script has none."""
        for q in self.questions:
            if q.key == key:
                return q
        raise KeyError(key)
