"""A conversation's screening score, from its stored answers (``engine.scoring`` does the sums).

The end of a screening reads the answers once (:func:`stored_answers`, one Core statement: no
ORM objects, no lazy load of each answer's question) and the agent's questions from a
per-process cache keyed like the agent's script (``Agent.script_version``, which changes in
the same flush as any edit of its questions: ``services.scripts``).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ..adapters.db import Prepared
from ..adapters.models import Agent, Answer, Conversation
from ..engine.scoring import ScoredQuestion, score
from ..engine.vocabulary import QuestionKind
from .scripts import per_version



@dataclass(frozen=True)
class StoredAnswer:
    """One stored answer as the end of a screening reads it: its question's key and kind
    (None for a question deleted since) and the interpreted value (``Answer.value["value"]``)."""

    question_key: str | None
    kind: QuestionKind | None
    value: Any


@dataclass(frozen=True)
class _Questions:
    scored: tuple[ScoredQuestion, ...]  # the active questions
    by_id: dict[int, tuple[str, QuestionKind]]  # every question of the agent, active or not


_ANSWERS = Prepared(select(Answer.question_id, Answer.value)
                    .where(Answer.conversation_id == bindparam("conversation_id")).order_by(Answer.id))


def questions_of(agent: Agent) -> _Questions:
    """``agent``'s questions as scoring reads them (cached per agent and ``script_version``)."""
    return per_version("scored questions", agent.id, agent.script_version, lambda: _Questions(
        tuple(ScoredQuestion(key=q.key, kind=q.kind, weight=q.weight or 0.0, options=tuple(q.options or ()),
                             scoring=q.scoring) for q in agent.questions if q.active),
        {q.id: (q.key, q.kind) for q in agent.questions}))


def stored_answers(session: Session, conversation: Conversation) -> list[StoredAnswer]:
    """``conversation``'s answers as stored now (this turn's Core inserts included), in the
    order given; one statement."""
    # On the connection: the session's pending changes need no flush for this read.
    return read_answers(session.connection(), questions_of(conversation.agent), conversation.id)


def read_answers(connection, questions: _Questions, conversation_id: int) -> list[StoredAnswer]:
    """:func:`stored_answers` from ids (``questions``: :func:`questions_of` the agent); one statement."""
    return answers_from(questions, _ANSWERS.execute(connection, {"conversation_id": conversation_id}).all())


def answers_from(questions: _Questions, rows) -> list[StoredAnswer]:
    """:func:`read_answers` of ``rows``, the conversation's (question_id, value) pairs by answer id
    (``value``: an answer's JSON, a dict)."""
    out = []
    for question_id, value in rows:
        key, kind = questions.by_id.get(question_id, (None, None))
        out.append(StoredAnswer(key, kind, (value or {}).get("value")))
    return out


def score_of(conversation: Conversation, now: dt.datetime, answers: list[StoredAnswer]) -> float:
    """The 0-100 score of ``answers`` (:func:`stored_answers` of ``conversation``) against its
    agent's active questions, dates judged from ``now``'s day in the agent's time zone."""
    agent = conversation.agent
    return score_answers(questions_of(agent), answers, now.astimezone(ZoneInfo(agent.timezone)).date())


def score_answers(questions: _Questions, answers: list[StoredAnswer], today: dt.date) -> float:
    """The 0-100 score of ``answers`` against the active ``questions`` (:func:`questions_of`),
    dates judged from ``today`` (the agent's local date)."""
    values = {a.question_key: a.value for a in answers if a.question_key is not None}
    return score(list(questions.scored), values, today)
