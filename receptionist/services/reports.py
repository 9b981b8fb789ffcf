"""Read side for the recruiter pages beside ``services.candidates``: a company's agents, the
funnel and score distribution per agent and date range, the approval queue with knockout
answers, open postings and invites. Every query is scoped to one company.

Funnel stages (each a subset of the one before, counted over a date range):

    conversations  calls and text threads started in the range
    screened       applications created in the range whose screening was finished (qualified
                   or knocked out; a caller who left midway is not screened)
    qualified      ... whose outcome is ``qualified`` (every question answered, no knockout)
    routed         ... sent on towards the interview agent (routing ``approved`` or ``invited``)
    invited        ... whose interview link was sent (routing ``invited``)
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, selectinload

from ..adapters.models import Agent, Answer, Application, Conversation, Posting, ScreeningQuestion
from ..engine.vocabulary import RoutingState, ScreeningOutcome
from . import approvals

SCORE_BUCKETS = 10  # the distribution's bars: 0-9, 10-19, ... 90-100


@dataclass(frozen=True)
class Funnel:
    """Counts per stage, in order: ``stages`` is [(label, count), ...]."""

    stages: list[tuple[str, int]]


def agents(session: Session, company_id: int) -> list[Agent]:
    """The company's agents with their numbers, questions (in rank order) and policies loaded."""
    return list(session.scalars(
        select(Agent).where(Agent.company_id == company_id).order_by(Agent.name)
        .options(selectinload(Agent.phone_numbers), selectinload(Agent.questions), selectinload(Agent.policies))))


def company_timezone(session: Session, company_id: int) -> str:
    """The IANA timezone a recruiter of the company reads times in: the one most of its agents
    use (ties: the oldest agent's), "UTC" when it has no agent. Times are stored in UTC; the
    agents' timezones are where the company hires (their business hours run in them)."""
    zone = session.scalar(select(Agent.timezone).where(Agent.company_id == company_id)
                          .group_by(Agent.timezone).order_by(func.count().desc(), func.min(Agent.id)).limit(1))
    return zone or "UTC"


def _range(column, since: dt.datetime | None, until: dt.datetime | None) -> list:
    return [c for c in (column >= since if since else None, column < until if until else None) if c is not None]


def funnel(session: Session, company_id: int, agent_id: int | None = None,
           since: dt.datetime | None = None, until: dt.datetime | None = None) -> Funnel:
    """The funnel of the company (or one of its agents) for conversations and applications
    started in [``since``, ``until``) (UTC-aware; None: unbounded). Two aggregate queries."""
    agent_filter = [Agent.company_id == company_id] + ([Agent.id == agent_id] if agent_id else [])
    conversations = session.scalar(
        select(func.count(Conversation.id)).join(Agent, Agent.id == Conversation.agent_id)
        .where(*agent_filter, *_range(Conversation.started_at, since, until)))
    routed = (RoutingState.approved, RoutingState.invited)
    screened, qualified, routed_n, invited = session.execute(
        select(func.count(Application.id),
               func.count(case((Application.screening_outcome == ScreeningOutcome.qualified, 1))),
               func.count(case((Application.routing.in_(routed), 1))),
               func.count(case((Application.routing == RoutingState.invited, 1))))
        .join(Agent, Agent.id == Application.agent_id)
        .where(*agent_filter,
               Application.screening_outcome.in_((ScreeningOutcome.qualified, ScreeningOutcome.knocked_out)),
               *_range(Application.created_at, since, until))).one()
    return Funnel([("Conversations", conversations), ("Screened", screened), ("Qualified", qualified),
                   ("Routed", routed_n), ("Invited", invited)])


def score_distribution(session: Session, company_id: int, agent_id: int | None = None,
                       since: dt.datetime | None = None, until: dt.datetime | None = None) -> list[int]:
    """How many scored applications fall in each tenth of the 0-100 score (``SCORE_BUCKETS``
    counts; a score of 100 counts in the last), for applications created in the range."""
    # A CASE, not CAST/FLOOR: PostgreSQL's cast rounds and SQLite may lack floor().
    width = 100 / SCORE_BUCKETS
    bucket = case(*[(Application.score < width * (i + 1), i) for i in range(SCORE_BUCKETS - 1)],
                  else_=SCORE_BUCKETS - 1)
    rows = session.execute(
        select(bucket.label("bucket"), func.count()).join(Agent, Agent.id == Application.agent_id)
        .where(Agent.company_id == company_id, *([Agent.id == agent_id] if agent_id else []),
               Application.score.is_not(None), *_range(Application.created_at, since, until))
        .group_by("bucket")).all()
    counts = [0] * SCORE_BUCKETS
    for index, count in rows:
        counts[min(max(int(index), 0), SCORE_BUCKETS - 1)] += count
    return counts


def title(texts: dict | None, language: str = "en") -> str:
    """A {language: text} field in ``language``, else English, else any (empty when none)."""
    texts = texts or {}
    return texts.get(language) or texts.get("en") or next(iter(texts.values()), "")


def open_postings(session: Session, company_id: int) -> list[tuple[int, str]]:
    """The company's open postings as (id, English title), by title: an approval's choices."""
    rows = session.scalars(select(Posting).where(Posting.company_id == company_id, Posting.is_open)).all()
    return sorted(((p.id, title(p.title)) for p in rows), key=lambda pair: pair[1])


@dataclass(frozen=True)
class Invite:
    """An application's invite to the interview agent: the outbox row's ``status`` (pending,
    sending, sent, failed, cancelled) and the platform's ``last_error`` (the link itself is on
    ``services.candidates.ApplicationDetail.interview_url``)."""

    status: str
    last_error: str | None


def invites(session: Session, company_id: int, application_ids: list[int]) -> dict[int, Invite]:
    """The invites of these applications of the company (applications without one are left out)."""
    found = session.scalars(select(Application).join(Agent, Agent.id == Application.agent_id)
                            .where(Agent.company_id == company_id, Application.id.in_(application_ids))).all()
    result = {}
    for application in found:
        row = approvals.invite_status(session, application)
        if row is not None:
            result[application.id] = Invite(str(row.status), row.last_error)
    return result


@dataclass(frozen=True)
class KnockoutAnswer:
    """A knockout question's answer: the question, what was said, the value read and how sure."""

    question: str
    raw_text: str
    value: object
    confidence: float


@dataclass(frozen=True)
class Pending:
    """One application in the approval queue, with what a recruiter needs to decide."""

    application_id: int
    candidate_id: int
    name: str | None
    phone: str | None
    email: str | None
    score: float | None
    posting_id: int
    posting: str
    agent: str
    waiting_since: dt.datetime
    knockouts: list[KnockoutAnswer]


def approval_queue(session: Session, company_id: int, limit: int = 50,
                   starting_after: int | None = None) -> list[Pending]:
    """``services.approvals.pending`` with each application's candidate, posting and the
    answers to its knockout questions (from the conversations that fed it)."""
    applications = approvals.pending(session, company_id, limit=limit, starting_after=starting_after)
    answers: dict[int, list[KnockoutAnswer]] = {a.id: [] for a in applications}
    if applications:
        rows = session.execute(
            select(Conversation.application_id, Answer, ScreeningQuestion)
            .join(Answer, Answer.conversation_id == Conversation.id)
            .join(ScreeningQuestion, ScreeningQuestion.id == Answer.question_id)
            .where(Conversation.application_id.in_(list(answers)))
            .order_by(ScreeningQuestion.rank, Answer.id)).all()
        for application_id, answer, question in rows:
            if not question.knockout:  # a JSON null, not SQL NULL: filtered here, portably
                continue
            answers[application_id].append(KnockoutAnswer(title(question.text), answer.raw_text,
                                                          (answer.value or {}).get("value"), answer.confidence))
    return [Pending(a.id, a.candidate_id, a.candidate.name, a.candidate.phone, a.candidate.email, a.score,
                    a.posting_id, title(a.posting.title), a.agent.name, a.updated_at, answers[a.id])
            for a in applications]
