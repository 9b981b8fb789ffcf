"""The read side over candidates, shared by the recruiter API (``web/api``) and the recruiter pages.

A candidate (keyed by phone) is not owned by a company: a company *sees* a candidate once
the candidate has held a conversation with one of its agents, and sees only its own
conversations, applications and texts of that candidate. Both functions take the company
and answer :class:`NotFound` for another company's candidate exactly as for an unknown id.

    search(session, company_id, ...) -> CandidatePage   one row per candidate, filtered,
                                                         keyset-paginated
    detail(session, company_id, candidate_id) -> CandidateDetail
    conversation(session, company_id, conversation_id) -> ConversationDetail
    application(session, company_id, application_id) -> Application
    approval_queue_count(session, company_id) -> int

A row's facts come from the candidate's latest conversation with the company (highest id)
and latest application (highest id among the applications those conversations fed).
Its ``status`` is one word for the pipeline (:class:`PipelineStatus`), derived from the
per-stage statuses kept beside it (screening, confirmation, duplicate check, routing).

Speed: a company's list reads the ``candidate_list`` summary (a row per company and
candidate, kept by ``services.candidate_list`` in the transactions that change it) through
its indexes, and joins only the page's rows to their facts; one agent's list makes one
grouped pass over that agent's conversations (``ix_conversations_agent_candidate``). Pages
are keyset (``starting_after`` a candidate id), so page 100 costs what page 1 does.
Nothing here writes.
"""
from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from ..adapters.models import (Agent, Answer, Application, Candidate, CandidateListRow, Conversation, OutboxItem,
                               Posting,
                               ScreeningQuestion, TranscriptLine)
from ..adapters.models import RoutingEvent as RoutingEventRow
from ..engine.vocabulary import ConversationStatus, OutboxKind, RoutingState
from . import text_numbers
from .errors import Invalid, NotFound

MAX_LIMIT = 100
EXPORT_PAGE = 1000  # rows per statement in iter_rows (fewer round trips; memory stays small)
SORTS = ("-last_engaged", "last_engaged", "-score", "score")


class PipelineStatus(enum.StrEnum):
    """Where a candidate stands, in one word (the candidate list's ``status`` filter).

    The latest application's routing state when it was routed; ``duplicate`` when the ATS
    already has the candidate for the job; else the screening outcome. A conversation that
    fed no application yet (no posting picked) counts by its own end.
    """

    in_progress = "in_progress"
    incomplete = "incomplete"
    knocked_out = "knocked_out"
    qualified = "qualified"
    duplicate = "duplicate"
    pending_approval = "pending_approval"
    approved = "approved"
    invited = "invited"
    dismissed = "dismissed"


@dataclass(frozen=True)
class CandidateRow:
    """One candidate in a company's list: who, the latest conversation's and application's facts.

    ``last_engaged``: the latest conversation's last candidate activity (its start when the
    candidate has not said anything yet), UTC. ``score``: 0-100 or None (not scored).
    """

    id: int
    name: str | None
    email: str | None
    phone: str | None
    status: PipelineStatus
    last_engaged: dt.datetime
    conversation_id: int
    channel: str
    agent_id: int
    agent_name: str
    conversation_status: str
    confirmation: str | None
    application_id: int | None
    posting_id: int | None
    screening: str | None
    duplicate_check: str | None
    routing: str | None
    score: float | None
    follow_up_reason: str | None


@dataclass(frozen=True)
class CandidatePage:
    """A page of :class:`CandidateRow`; ``total_count`` counts every row matching the filters."""

    rows: list[CandidateRow]
    total_count: int
    has_more: bool


@dataclass(frozen=True)
class AnswerDetail:
    """A screening answer: what was said (``raw_text``, escaped by whoever shows it), the typed
    ``value`` the interpreter read, its ``confidence`` (0-1) and whether it knocked out."""

    question_id: int
    question_key: str
    question_kind: str
    question_text: dict
    raw_text: str
    value: Any
    confidence: float
    source: str
    knocked_out: bool
    at: dt.datetime


@dataclass(frozen=True)
class TranscriptEntry:
    seq: int
    speaker: str
    text: str
    at: dt.datetime


@dataclass(frozen=True)
class RoutingEvent:
    """One step of an application's routing history (``routing_events``): from, to, who
    (``actor``), why (``reason``) and the posting it was for."""

    from_state: str | None
    to_state: str
    actor: str | None
    reason: str | None
    posting_id: int | None
    at: dt.datetime


@dataclass(frozen=True)
class ApplicationDetail:
    """An application: the posting, the screening outcome, score (0-100 or None), the ATS
    duplicate check, the routing state and its history (oldest first), and the invite (the
    posting it went to when a recruiter chose another, the interview link once sent)."""

    id: int
    posting_id: int
    posting_key: str
    posting_title: dict
    agent_id: int
    screening: str
    score: float | None
    duplicate_check: str
    routing: str
    routing_history: list[RoutingEvent]
    invite_posting_id: int | None
    interview_url: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True)
class ConversationDetail:
    """One call or text thread with its answers, transcript, recording (a URL at the provider,
    never copied) and the application it fed (score, duplicate check, routing history)."""

    id: int
    candidate_id: int
    channel: str
    agent_id: int
    agent_name: str
    status: str
    language: str
    source: str | None
    forwarded_from: str | None
    started_at: dt.datetime
    ended_at: dt.datetime | None
    call_duration: int | None
    confirmation: str | None
    follow_up_reason: str | None
    follow_up_note: str | None
    recording_url: str | None
    text_number: str | None  # the number said on this call for its texts (E.164; the caller ID took none)
    answers: list[AnswerDetail]
    transcript: list[TranscriptEntry]
    application: ApplicationDetail | None


@dataclass(frozen=True)
class TextNumber:
    """The number texts reach the candidate at and where it came from: ``source``
    "caller_id" (the number they call from) or "said_on_call" (given on a call whose caller
    ID takes no texts; ``confirmed``: a text from it confirmed the details, else unverified);
    ``shared_with``: other candidates whose caller ID it is (not merged: ``services.text_numbers``)."""

    number: str
    source: str
    confirmed: bool
    shared_with: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class TextMessage:
    """A text sent (or to be sent) to the candidate, with our status and the provider's
    (Twilio's MessageStatus and ErrorCode)."""

    id: int
    purpose: str
    body: str
    status: str
    provider_status: str | None
    provider_error_code: int | None
    created_at: dt.datetime
    sent_at: dt.datetime | None


@dataclass(frozen=True)
class CandidateDetail:
    """A candidate as one company sees it: the list row's facts, every conversation with the
    company (newest first), its applications and the texts sent."""

    row: CandidateRow
    language: str | None
    opted_out: bool
    created_at: dt.datetime
    text_number: TextNumber | None = None
    conversations: list[ConversationDetail] = field(default_factory=list)
    applications: list[ApplicationDetail] = field(default_factory=list)
    texts: list[TextMessage] = field(default_factory=list)


# ---------------------------------------------------------------- the list

def _company_agents(company_id: int):
    return select(Agent.id).where(Agent.company_id == company_id)


def _latest(company_id: int | None = None, agent_id: int | None = None, candidate_ids=None, candidate_id=None):
    """Each (company, candidate)'s latest conversation and application, as a subquery with
    ``company_id``, ``candidate_id``, ``conversation_id``, ``application_id``: one grouped pass
    over ``conversations`` (through ``ix_conversations_agent_candidate``), restricted to one
    company, one agent, some candidates (``candidate_ids``: a list or an expanding bind) or
    one (``candidate_id``: a value or a plain bind, compared with ``=``, which a
    ``adapters.db.Prepared`` statement can hold)."""
    query = (select(Agent.company_id.label("company_id"), Conversation.candidate_id.label("candidate_id"),
                    func.max(Conversation.id).label("conversation_id"),
                    func.max(Conversation.application_id).label("application_id"))
             .join(Agent, Agent.id == Conversation.agent_id)
             .group_by(Agent.company_id, Conversation.candidate_id))
    if agent_id is not None:
        query = query.where(Conversation.agent_id == agent_id)
    elif company_id is not None:
        query = query.where(Conversation.agent_id.in_(_company_agents(company_id)))
    if candidate_ids is not None:
        query = query.where(Conversation.candidate_id.in_(candidate_ids))
    if candidate_id is not None:
        query = query.where(Conversation.candidate_id == candidate_id)
    return query.subquery("latest")


def _status_expr():
    conv_end = case({ConversationStatus.completed.value: PipelineStatus.qualified.value,
                     ConversationStatus.knocked_out.value: PipelineStatus.knocked_out.value,
                     ConversationStatus.abandoned.value: PipelineStatus.incomplete.value},
                    value=Conversation.status, else_=PipelineStatus.in_progress.value)
    return case(
        (Application.id.is_(None), conv_end),
        (Application.routing != RoutingState.not_routed.value, Application.routing),
        (Application.duplicate_check == "duplicate", PipelineStatus.duplicate.value),
        else_=Application.screening_outcome)


_LAST_ENGAGED = func.coalesce(Conversation.last_activity_at, Conversation.started_at)


def _row_columns(status, last_engaged):
    """The columns of a :class:`CandidateRow`, over Candidate, Conversation, Agent, Application."""
    return (Candidate.id, Candidate.name, Candidate.email, Candidate.phone,
            status.label("status"), last_engaged.label("last_engaged"),
            Conversation.id.label("conversation_id"), Conversation.channel, Conversation.agent_id,
            Agent.name.label("agent_name"), Conversation.status.label("conversation_status"),
            Conversation.confirmation_status.label("confirmation"),
            Application.id.label("application_id"), Application.posting_id,
            Application.screening_outcome.label("screening"), Application.duplicate_check,
            Application.routing, Application.score, Conversation.follow_up_reason)


def _joined(query, candidate_id, conversation_id, application_id):
    return (query.join(Candidate, Candidate.id == candidate_id)
            .join(Conversation, Conversation.id == conversation_id)
            .join(Agent, Agent.id == Conversation.agent_id)
            .outerjoin(Application, Application.id == application_id))


def _rows_query(company_id: int, agent_id: int | None = None):
    """The list's rows computed live (unfiltered, unordered) and the expressions filters use."""
    latest = _latest(company_id, agent_id)
    status = _status_expr()
    query = _joined(select(*_row_columns(status, _LAST_ENGAGED)).select_from(latest),
                    latest.c.candidate_id, latest.c.conversation_id, latest.c.application_id)
    return query, status, _LAST_ENGAGED, latest.c.conversation_id


def summary_select(candidate_ids=None, candidate_id=None):
    """The ``candidate_list`` summary rows of ``candidate_ids`` (every candidate when both are
    None) or of the one ``candidate_id`` (see :func:`_latest`), computed live: the columns of
    ``services.candidate_list.COLUMNS``, in that order."""
    latest = _latest(candidate_ids=candidate_ids, candidate_id=candidate_id)
    return _joined(select(latest.c.company_id, latest.c.candidate_id, latest.c.conversation_id,
                          latest.c.application_id, Conversation.agent_id, _status_expr(), Application.score,
                          func.coalesce(Application.score, -1.0), func.lower(Candidate.name),
                          func.lower(Candidate.email), Candidate.phone).select_from(latest),
                   latest.c.candidate_id, latest.c.conversation_id, latest.c.application_id)


def _search_condition(q: str, name, email, phone):
    """``q`` as a substring of the lower-cased ``name`` or ``email``, or of ``phone`` by its digits."""
    q = q.strip()
    needle = q.lower()
    conditions = [name.contains(needle, autoescape=True), email.contains(needle, autoescape=True)]
    digits = re.sub(r"\D", "", q)
    if len(digits) >= 3 and not re.search(r"[A-Za-z@]", q):
        conditions.append(phone.contains(digits, autoescape=True))
    return or_(*conditions)


@dataclass(frozen=True)
class _Source:
    """Where a search reads: the summary table (a company's whole list) or the live facts (one
    agent's list). ``rows`` selects :class:`CandidateRow` columns; the rest are what filters,
    sorts and counts use (``count_from``: a count over the summary alone; None: count ``rows``)."""

    rows: Any
    count_from: Any
    candidate_id: Any
    status: Any
    score: Any
    sort_score: Any
    last_engaged: Any
    recent: Any
    name: Any
    email: Any
    phone: Any


def _summary_source(company_id: int) -> _Source:
    s = CandidateListRow
    rows = _joined(select(*_row_columns(s.status, _LAST_ENGAGED)).select_from(s).where(s.company_id == company_id),
                   s.candidate_id, s.conversation_id, s.application_id)
    return _Source(rows=rows, count_from=select(func.count()).select_from(s).where(s.company_id == company_id),
                   candidate_id=s.candidate_id, status=s.status, score=s.score, sort_score=s.sort_score,
                   last_engaged=_LAST_ENGAGED, recent=s.conversation_id, name=s.name_key, email=s.email_key,
                   phone=s.phone)


def _live_source(company_id: int, agent_id: int) -> _Source:
    rows, status, last_engaged, recent = _rows_query(company_id, agent_id)
    return _Source(rows=rows, count_from=None, candidate_id=Candidate.id, status=status, score=Application.score,
                   sort_score=func.coalesce(Application.score, -1.0), last_engaged=last_engaged, recent=recent,
                   name=func.lower(Candidate.name), email=func.lower(Candidate.email), phone=Candidate.phone)


def search(session: Session, company_id: int, *, q: str | None = None, status: str | None = None,
           agent_id: int | None = None, score_min: float | None = None, score_max: float | None = None,
           since: dt.datetime | None = None, until: dt.datetime | None = None, sort: str = "-last_engaged",
           limit: int = 50, starting_after: int | None = None, count: bool = True) -> CandidatePage:
    """The company's candidates matching every filter given, ``limit`` per page.

    ``q``: a substring of the name or e-mail (any case), or of the phone number by its digits
    ("(202) 555-0123" finds +12025550123). ``status``: a :class:`PipelineStatus` value.
    ``agent_id``: candidates who talked to that agent (their latest conversation with it).
    ``score_min``/``score_max``: inclusive bounds on the latest application's score (0-100;
    unscored rows are left out by either bound). ``since``/``until``: timezone-aware bounds
    on ``last_engaged`` (since inclusive, until exclusive). ``sort``: one of :data:`SORTS`
    (``-`` descending; ``last_engaged`` orders by the latest conversation, newest first with
    ``-``; ties broken by candidate id). ``limit``: 1-100. ``starting_after``:
    the id of the last candidate of the previous page (keyset pagination). ``count``: False
    leaves ``total_count`` at -1 (a caller walking every page needs it once).

    Speed: without ``agent_id`` the filters, order and count read the ``candidate_list``
    summary through its indexes, and only the page's rows are joined to their facts; with
    ``agent_id``, one grouped pass over that agent's conversations.

    Raises :class:`Invalid` (``.field`` names the parameter) for a bad value, including a
    ``starting_after`` that is not in this company's list or an agent of another company.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid("limit", f"must be from 1 to {MAX_LIMIT}")
    return _search(session, company_id, q=q, status=status, agent_id=agent_id, score_min=score_min,
                   score_max=score_max, since=since, until=until, sort=sort, limit=limit,
                   starting_after=starting_after, count=count)


def _search(session: Session, company_id: int, *, q, status, agent_id, score_min, score_max, since, until, sort,
            limit: int, starting_after: int | None, count: bool) -> CandidatePage:
    """:func:`search` for any ``limit`` (exports read larger pages)."""
    if sort not in SORTS:
        raise Invalid("sort", f"must be one of {', '.join(SORTS)}")
    if status is not None and status not in PipelineStatus.__members__:
        raise Invalid("status", f"must be one of {', '.join(PipelineStatus)}")
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise Invalid(name, f"must carry a time zone (e.g. 2026-11-24T00:00:00Z)")
    for name, value in (("score_min", score_min), ("score_max", score_max)):
        if value is not None and not 0 <= value <= 100:
            raise Invalid(name, f"must be from 0 to 100")
    if agent_id is not None and session.scalar(
            select(Agent.id).where(Agent.id == agent_id, Agent.company_id == company_id)) is None:
        raise Invalid("agent_id", "no such agent")

    src = _live_source(company_id, agent_id) if agent_id is not None else _summary_source(company_id)
    conditions = []
    if q and q.strip():
        conditions.append(_search_condition(q, src.name, src.email, src.phone))
    if status is not None:
        conditions.append(src.status == status)
    if score_min is not None:
        conditions.append(src.score >= score_min)
    if score_max is not None:
        conditions.append(src.score <= score_max)
    if since is not None:
        conditions.append(src.last_engaged >= since)
    if until is not None:
        conditions.append(src.last_engaged < until)
    query = src.rows.where(*conditions)
    total = -1
    # A search matches few rows but must read them all: count them in the page's own pass.
    counted_in_page = count and bool(q and q.strip()) and starting_after is None
    if counted_in_page:
        query = query.add_columns(func.count().over().label("total"))
    elif count:
        counting = (select(func.count()).select_from(query.subquery()) if src.count_from is None
                    else src.count_from.where(*conditions) if since is None and until is None
                    # last_engaged moves every turn: it is the conversation's, not the summary's
                    else src.count_from.join(Conversation, Conversation.id == CandidateListRow.conversation_id)
                    .where(*conditions))
        total = session.scalar(counting)

    descending = sort.startswith("-")
    key = src.recent if sort.endswith("last_engaged") else src.sort_score
    if starting_after is not None:
        cursor = session.execute(query.where(src.candidate_id == starting_after)
                                 .with_only_columns(key.label("k"))).first()
        if cursor is None:
            raise Invalid("starting_after", "not a candidate of this list")
        before = (key < cursor.k) if descending else (key > cursor.k)
        after_id = (src.candidate_id < starting_after) if descending else (src.candidate_id > starting_after)
        query = query.where(or_(before, and_(key == cursor.k, after_id)))
    order = (key.desc(), src.candidate_id.desc()) if descending else (key.asc(), src.candidate_id.asc())
    found = session.execute(query.order_by(*order).limit(limit + 1)).all()
    if counted_in_page:
        total = found[0].total if found else 0
    return CandidatePage(rows=[_row(r) for r in found[:limit]], total_count=total, has_more=len(found) > limit)


_FILTERS = dict(q=None, status=None, agent_id=None, score_min=None, score_max=None, since=None, until=None,
                sort="-last_engaged")


def iter_rows(read: Callable[[Callable[[Session], Any]], Any], company_id: int, *, limit: int | None = None,
              starting_after: int | None = None, **filters) -> Iterator[CandidateRow]:
    """Every row :func:`search` finds with ``filters`` (its keyword arguments but ``limit``,
    ``starting_after`` and ``count``), in order, after ``starting_after`` (a candidate id)
    when given, at most ``limit`` when given: a page of
    :data:`EXPORT_PAGE` at a time (keyset, no count). ``read(action)`` runs ``action(session)``
    and answers its result: ``UnitOfWork.run`` gives each page its own transaction (a stream
    holds no lock between pages); ``lambda action: action(session)`` reads in the caller's.
    Raises :class:`Invalid` for a bad filter when the first page is read."""
    after, left = starting_after, limit
    while left is None or left > 0:
        size = EXPORT_PAGE if left is None else min(EXPORT_PAGE, left)
        page = read(lambda s: _search(s, company_id, **(_FILTERS | filters), limit=size, starting_after=after,
                                      count=False))
        yield from page.rows
        if left is not None:
            left -= len(page.rows)
        if not page.has_more:
            return
        after = page.rows[-1].id


def _row(r) -> CandidateRow:
    return CandidateRow(
        id=r.id, name=r.name, email=r.email, phone=r.phone, status=PipelineStatus(r.status),
        last_engaged=_utc(r.last_engaged), conversation_id=r.conversation_id, channel=str(r.channel),
        agent_id=r.agent_id, agent_name=r.agent_name, conversation_status=str(r.conversation_status),
        confirmation=_str(r.confirmation), application_id=r.application_id, posting_id=r.posting_id,
        screening=_str(r.screening), duplicate_check=_str(r.duplicate_check), routing=_str(r.routing),
        score=r.score, follow_up_reason=_str(r.follow_up_reason))


def _str(value) -> str | None:
    return None if value is None else str(value)


def _utc(value) -> dt.datetime:
    # coalesce() over two columns comes back as the first column's type on PostgreSQL, but
    # as text on SQLite: read it as the UTC it was stored in.
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


# ---------------------------------------------------------------- one candidate

def detail(session: Session, company_id: int, candidate_id: int) -> CandidateDetail:
    """Everything ``company_id`` knows about ``candidate_id``. Raises :class:`NotFound` when the
    candidate never talked to the company's agents (unknown and another company's alike)."""
    found = session.execute(_summary_source(company_id).rows
                            .where(CandidateListRow.candidate_id == candidate_id)).first()
    if found is None:
        raise NotFound(f"no candidate {candidate_id}")
    candidate = session.get(Candidate, candidate_id)
    conversations = session.scalars(
        select(Conversation).where(Conversation.candidate_id == candidate_id,
                                   Conversation.agent_id.in_(_company_agents(company_id)))
        .order_by(Conversation.id.desc())).all()
    application_ids = sorted({c.application_id for c in conversations if c.application_id}, reverse=True)
    texts = session.scalars(
        select(OutboxItem).where(OutboxItem.candidate_id == candidate_id, OutboxItem.kind == OutboxKind.sms.value,
                                 OutboxItem.agent_id.in_(_company_agents(company_id)))
        .order_by(OutboxItem.id)).all()
    reached = text_numbers.number_source(candidate)
    return CandidateDetail(
        row=_row(found), language=candidate.language, opted_out=candidate.opted_out,
        created_at=candidate.created_at,
        text_number=reached and TextNumber(**reached, shared_with=text_numbers.shared_with(session, candidate)
                                           if reached["source"] == text_numbers.SAID_ON_CALL else []),
        conversations=[_conversation(session, c) for c in conversations],
        applications=[_application(session, session.get(Application, i)) for i in application_ids],
        texts=[TextMessage(id=t.id, purpose=t.purpose, body=str((t.payload or {}).get("body", "")),
                           status=str(t.status), provider_status=t.provider_status,
                           provider_error_code=t.provider_error_code, created_at=t.created_at,
                           sent_at=t.sent_at) for t in texts])


def conversation(session: Session, company_id: int, conversation_id: int) -> ConversationDetail:
    """One of the company's conversations. Raises :class:`NotFound` for an unknown id or
    another company's."""
    found = session.scalars(select(Conversation).where(
        Conversation.id == conversation_id, Conversation.agent_id.in_(_company_agents(company_id)))).first()
    if found is None:
        raise NotFound(f"no conversation {conversation_id}")
    return _conversation(session, found)


def recording_url(session: Session, company_id: int, candidate_id: int, conversation_id: int) -> str | None:
    """The RecordingUrl stored for ``candidate_id``'s conversation (None: not recorded).
    Raises :class:`NotFound` for an unknown conversation, another candidate's or another
    company's."""
    found = session.execute(select(Conversation.recording_url).where(
        Conversation.id == conversation_id, Conversation.candidate_id == candidate_id,
        Conversation.agent_id.in_(_company_agents(company_id)))).first()
    if found is None:
        raise NotFound(f"no conversation {conversation_id}")
    return found.recording_url


def _conversation(session: Session, c: Conversation) -> ConversationDetail:
    answers = session.execute(
        select(Answer, ScreeningQuestion).join(ScreeningQuestion, ScreeningQuestion.id == Answer.question_id)
        .where(Answer.conversation_id == c.id).order_by(Answer.id)).all()
    lines = session.scalars(select(TranscriptLine).where(TranscriptLine.conversation_id == c.id)
                            .order_by(TranscriptLine.seq)).all()
    return ConversationDetail(
        id=c.id, candidate_id=c.candidate_id, channel=str(c.channel), agent_id=c.agent_id,
        agent_name=c.agent.name, status=str(c.status), language=c.language, source=c.source,
        forwarded_from=c.forwarded_from, started_at=c.started_at, ended_at=c.ended_at,
        call_duration=c.call_duration, confirmation=_str(c.confirmation_status),
        follow_up_reason=_str(c.follow_up_reason), follow_up_note=c.follow_up_note,
        recording_url=c.recording_url, text_number=c.text_number,
        answers=[AnswerDetail(question_id=q.id, question_key=q.key, question_kind=str(q.kind),
                              question_text=q.text, raw_text=a.raw_text, value=(a.value or {}).get("value"),
                              confidence=a.confidence, source=str(a.source), knocked_out=a.knocked_out,
                              at=a.created_at) for a, q in answers],
        transcript=[TranscriptEntry(seq=t.seq, speaker=str(t.speaker), text=t.text, at=t.at) for t in lines],
        application=_application(session, c.application) if c.application_id else None)


def _application(session: Session, a: Application) -> ApplicationDetail:
    posting: Posting = a.posting
    return ApplicationDetail(
        id=a.id, posting_id=posting.id, posting_key=posting.key, posting_title=posting.title, agent_id=a.agent_id,
        screening=str(a.screening_outcome), score=a.score, duplicate_check=str(a.duplicate_check),
        routing=str(a.routing), routing_history=routing_history(session, a.id),
        invite_posting_id=a.invite_posting_id, interview_url=a.interview_url, created_at=a.created_at,
        updated_at=a.updated_at)


def routing_history(session: Session, application_id: int) -> list[RoutingEvent]:
    """The application's routing steps (``routing_events``), oldest first."""
    rows = session.scalars(select(RoutingEventRow).where(RoutingEventRow.application_id == application_id)
                           .order_by(RoutingEventRow.id)).all()
    return [RoutingEvent(from_state=_str(r.from_state), to_state=str(r.to_state), actor=r.actor, reason=r.reason,
                         posting_id=r.posting_id, at=r.at) for r in rows]


# ---------------------------------------------------------------- applications (the approval queue's reads)

def application(session: Session, company_id: int, application_id: int, field: str | None = None) -> Application:
    """The company's application ``application_id``. Raises :class:`NotFound`, or
    :class:`Invalid` naming ``field`` when the id came as a parameter (e.g. a page cursor)."""
    found = session.get(Application, application_id)
    if found is None or found.agent.company_id != company_id:
        if field is not None:
            raise Invalid(field, f"no application {application_id}")
        raise NotFound(f"no application {application_id}")
    return found


def approval_queue_count(session: Session, company_id: int) -> int:
    """How many of the company's applications wait in the approval queue."""
    return session.scalar(select(func.count()).select_from(Application).join(Agent, Agent.id == Application.agent_id)
                          .where(Agent.company_id == company_id,
                                 Application.routing == RoutingState.pending_approval.value))
