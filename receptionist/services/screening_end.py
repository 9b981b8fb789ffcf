"""The common end of a screening call, in Core statements: the last answer of a caller who
qualifies, with an application and a number that takes texts.

It stores what the ORM path (``conversations.apply_effects`` for ``Ended``,
``confirmation.queue_confirmation``, ``duplicates.after_screening``) stores for that turn, with
the same rows as the result: the name, any last answers, the application's outcome, score
and duplicate check, the ``conversation.completed`` deliveries, the confirmation text, the
conversation's end, and the prefetched ATS check adopted by the application. A check already
done is decided at once: a duplicate, or an automatic approval with its history row and
invite, here; anything else by ``duplicates.decide`` (ORM). Reads are folded into the
writes: the candidate's row comes back from its UPDATE (which locks it, as the confirmation's
check of a recent text needs), and the prefetch's UPDATE returns the other facts the turn
needs. In-process (``bench/steps.py``, SQLite): 22 statements and 7.4 ms of CPU before, 12
and about 3.3 ms now; with the ATS lookup done, 32 and 10.9 ms before, 15 and 3.6 ms now.

Whatever else ends a call (a knockout, a hang-up, a follow-up flag, no application, a
hidden or landline number, no prefetch check, an application the ``Ended`` step would
route at once) is left to the ORM path: :func:`finish` returns False before writing
anything that path would write differently.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import ColumnElement, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.orm import Session, joinedload

from ..adapters.db import Prepared
from ..adapters.models import (Agent, Answer, Application, ATSCheck, Candidate, Conversation, Posting, Webhook)
from ..engine import flow
from ..engine.languages import DEFAULT_LANGUAGE
from ..engine.vocabulary import (ConfirmationStatus, ConversationStatus, DuplicateCheck, OutboxKind, OutboxPurpose,
                                 RoutingMode, RoutingState, ScreeningOutcome, WebhookEvent)
from ..phones import can_receive_sms
from . import candidate_list, duplicates, routing, scores, webhooks
from .confirmation import RECENT_TEXT_FOR_POSTING, SAME_CONFIRMATION_WINDOW, details_text
from .conversations import insert_answer
from .outbox import add_new, item_by_key, new_sms_cte, noted, queue_sms_new, sms_cte_params
from .scripts import per_version, script_for
from .turn_writes import lines_cte, reply_insert

log = logging.getLogger(__name__)
_HANDLED = (flow.AnswerGiven, flow.NameGiven, flow.Ended)


def applies(row, turn: flow.Turn) -> bool:
    """Whether :func:`finish` may store ``turn`` of the conversation ``row`` (the turn row of
    ``services.calls``: application, posting, phone): a screening ended ``completed`` without
    a follow-up, by answers and a name only, with an application and a number for the text."""
    ended = turn.effects[-1] if turn.effects else None
    return (turn.ended and isinstance(ended, flow.Ended) and ended.status == ConversationStatus.completed
            and ended.follow_up is None and all(isinstance(e, _HANDLED) for e in turn.effects)
            and row.application_id is not None and row.posting_id is not None and can_receive_sms(row.phone))


@dataclass(frozen=True)
class _Posting:
    """A posting as the confirmation text and the invite read it."""

    id: int
    key: str
    title: dict  # {language: title}
    interview_posting_id: str | None


@dataclass(frozen=True)
class _Agent:
    """What the end of a screening needs of its agent, kept per agent and script version."""

    company_name: str
    default_language: str
    postings: dict[int, _Posting]  # the company's postings, open or not
    questions: object  # scores.questions_of(agent)
    ats: duplicates.CompanyATS  # the job ids (no region: no number is read)
    routing_mode: RoutingMode
    routing_threshold: int


def _agent(session: Session, agent_id: int, version: str | None) -> _Agent:
    def build() -> _Agent:
        agent = session.get(Agent, agent_id, options=[joinedload(Agent.company)])
        postings = {p.id: _Posting(p.id, p.key, p.title, p.interview_posting_id) for p in session.connection().execute(
            select(Posting.id, Posting.key, Posting.title, Posting.interview_posting_id)
            .where(Posting.company_id == agent.company_id))}
        return _Agent(script_for(agent).company_name, next(iter(agent.languages or ()), DEFAULT_LANGUAGE), postings,
                      scores.questions_of(agent),
                      duplicates.CompanyATS(agent.company.slug, dict(agent.company.ats_config or {"kind": "builtin"})),
                      RoutingMode(agent.routing_mode), agent.routing_threshold)
    return per_version("screening end", agent_id, version, build)


class _Nested(ColumnElement):
    """A subquery as a RETURNING column, its own columns qualified: SQLAlchemy's SQLite
    compiler renders RETURNING without table names, which a subquery's columns need."""

    inherit_cache = True
    _traverse_internals = [("inner", InternalTraversal.dp_clauseelement)]

    def __init__(self, inner):
        self.inner, self.type = inner, inner.type


@compiles(_Nested)
def _compile_nested(element: _Nested, compiler, **kw) -> str:
    kw.pop("include_table", None)
    return compiler.process(element.inner, **kw)


_candidates, _applications, _conversations = Candidate.__table__, Application.__table__, Conversation.__table__
_CANDIDATE = (_candidates.c.name, _candidates.c.email, _candidates.c.phone, _candidates.c.opted_out)
# The candidate's row, locked (an UPDATE, or FOR NO KEY UPDATE on PostgreSQL, the lock the
# UPDATE takes; SQLite's write lock is taken at BEGIN): two calls of one candidate ending at once
# see each other's text, while rows that merely refer to the candidate need not wait.
_NAMED = (update(_candidates).where(_candidates.c.id == bindparam("candidate_id"))
          .values(name=bindparam("name")).returning(*_CANDIDATE))
_LOCKED = select(*_CANDIDATE).where(_candidates.c.id == bindparam("candidate_id")).with_for_update(key_share=True)
# The same, as the turn's claim (``finish(seen_step=...)``): only while the conversation is
# still at the step it was read at, in progress; no row when another webhook moved it. On
# PostgreSQL the sub-SELECT locks the conversation's row (an InitPlan run before the candidate's
# row is touched: the same lock order as ``calls._TURN_ROW``), and a claim that waited for a
# racing turn re-checks the step on the committed row (PostgreSQL, "The Locking Clause": READ
# COMMITTED re-evaluates the WHERE of a locked row); SQLite drops FOR UPDATE (its write lock).
_AT_SEEN_STEP = (select(_conversations.c.id)
                 .where(_conversations.c.id == bindparam("conversation_id"),
                        _conversations.c.step == bindparam("seen_step"),
                        _conversations.c.status == ConversationStatus.in_progress)
                 .with_for_update().exists())
# By whether a name was given.
_FIRST = {True: Prepared(_NAMED), False: Prepared(_LOCKED)}
_CLAIMING = {True: Prepared(_NAMED.where(_AT_SEEN_STEP)), False: Prepared(_LOCKED.where(_AT_SEEN_STEP))}
# The prefetch adopted, with the other facts of the turn read in the same statement: the
# conversation's number (the text's sender), a recent confirmation text of another call
# about the same posting (``confirmation._confirmation_already_sent``), any webhook of the
# company, and the application's duplicate check and routing before this turn.
_ADOPT = Prepared(duplicates.ADOPT_PREFETCH.returning(
    _Nested(duplicates.JOB_STATUS).label("job_status"),
    _Nested(select(_conversations.c.to_number).where(_conversations.c.id == bindparam("prefetch_of"))
            .scalar_subquery()).label("to_number"),
    _Nested(RECENT_TEXT_FOR_POSTING).label("recent"),
    _Nested(select(Webhook.id).where(Webhook.company_id == bindparam("end_company")).exists()).label("hooks"),
    _Nested(select(_applications.c.duplicate_check).where(_applications.c.id == bindparam("adopting"))
            .scalar_subquery()).label("duplicate_check"),
    _Nested(select(_applications.c.routing).where(_applications.c.id == bindparam("adopting"))
            .scalar_subquery()).label("routing")))
@lru_cache(maxsize=None)
def _claimed_reading_answers(named: bool) -> Prepared:
    """PostgreSQL: ``_CLAIMING[named]`` with the conversation's answers in the same round
    trip, ``WITH claimed AS (...) SELECT claimed.*, (SELECT json_agg(...)) AS answers FROM
    claimed``: ``answers`` a JSON array of [question_id, value] by id, or NULL; no row when the
    claim fails. For a turn that adds no answer (``scores.read_answers`` reads them otherwise).

    The adoption (``_ADOPT``) is not folded in: the parts of one statement share a snapshot,
    taken before the claim waits for the candidate's lock, so a racing call's confirmation
    text committed during that wait would go unseen (two texts to one candidate:
    tests/test_call_concurrency.py). The answers are safe to read here: only a turn of this
    conversation writes them, and one that committed during the wait moved its step, which
    fails the claim."""
    claimed = _CLAIMING[named].statement.cte("claimed")
    answers = Answer.__table__
    return Prepared(select(*[claimed.c[c.name] for c in _CANDIDATE], select(func.json_agg(aggregate_order_by(
        func.json_build_array(answers.c.question_id, answers.c.value), answers.c.id)))
        .where(answers.c.conversation_id == bindparam("conversation_id")).scalar_subquery().label("answers")))


# ``screened_id``, not a column's name: the conversation's UPDATE (``_ended``) on PostgreSQL
# carries it beside the conversation's own parameters.
_SCREENED = Prepared(update(_applications).where(_applications.c.id == bindparam("screened_id"))
                     .values(screening_outcome=ScreeningOutcome.qualified, score=bindparam("score")))
_SCREENED_CHECKING = Prepared(_SCREENED.statement.values(duplicate_check=DuplicateCheck.pending))
_SCREENED_CHECKED = Prepared(_SCREENED.statement.values(
    duplicate_check=bindparam("duplicate_check"), duplicate_matches=bindparam("matches"), routing=bindparam("routing")))
_checks = ATSCheck.__table__
_later = _checks.alias("later_check")
# What deciding a done prefetch ``checked`` for application ``routed`` reads (``duplicates.decide``,
# ``routing.route_if_ready`` and ``approve_and_invite``), the application locked just before
# (``_LOCK_ROUTED`` on PostgreSQL; SQLite's write lock was taken at BEGIN): its routing
# facts, the check's matches, whether a later done check decided it already, the application's
# latest conversation and whether its invite's key (``invite_key``) is taken.
_DECIDING = Prepared(
    select(_applications.c.routing, _applications.c.ats_application_id, _applications.c.invite_posting_id,
           _applications.c.agent_id,
           select(_checks.c.matches).where(_checks.c.id == bindparam("checked")).scalar_subquery().label("matches"),
           select(_later.c.id).where(_later.c.application_id == bindparam("routed"), _later.c.status == "done",
                                     _later.c.id > bindparam("checked")).exists().label("newer"),
           routing.LATEST_CONVERSATION_OF.label("latest_conversation"),
           item_by_key(bindparam("invite_key")).exists().label("invited"))
    .where(_applications.c.id == bindparam("routed")))
# PostgreSQL: the application locked by a statement of its own before ``_DECIDING`` reads: one
# statement's reads share the snapshot taken before it waits for the lock, so a check that a
# racing ATS job marked done while deciding the application would go unseen (``newer``) and
# the end would decide from its older check (tests/test_turn_races.py).
# ``FOR NO KEY UPDATE``, the lock its UPDATE takes: rows referring to it (a check adopting it) are not held up.
_LOCK_ROUTED = Prepared(select(_applications.c.id).where(_applications.c.id == bindparam("routed"))
                        .with_for_update(key_share=True))


@lru_cache(maxsize=None)
def _ended(answered: bool, confirming: bool, screened=None, texted: bool = False, replied: bool = False):
    """The conversation's UPDATE at the end (built and prepared once per variant): last activity when the
    caller said something, the confirmation's state when its text was written. ``screened``
    (PostgreSQL): the application's UPDATE (``_SCREENED``..., Prepared), run in the same statement as a
    data-modifying CTE: one round trip for both (neither reads the other's table). PostgreSQL too:
    ``texted``, the confirmation text's INSERT as the CTE ``text`` (``outbox.new_sms_cte``, its id
    returned as ``text_id``); ``replied``, the turn's transcript lines and TwiML
    (``turn_writes.lines_cte``, ``turn_writes.reply_insert``: bound as ``seqs``, ``speakers``, ``texts``, ``twiml``)
    written from the conversation's UPDATE, which becomes the CTE ``ended``. The end of a call in
    one round trip instead of four (``bench/steps.py``, g10)."""
    statement = (update(_conversations).where(_conversations.c.id == bindparam("conversation_id"))
                 .values(state=bindparam("state"), step=bindparam("step"), transcript_lines=bindparam("lines"),
                         status=ConversationStatus.completed, ended_at=bindparam("now")))
    if answered:
        statement = statement.values(last_activity_at=bindparam("now"))
    if confirming:
        statement = statement.values(confirmation_status=ConfirmationStatus.pending,
                                     confirmation_sent_at=bindparam("now"))
    ctes = []
    if screened is not None:  # a CTE gets no Python-side defaults: its onupdate column is given
        ctes.append(screened.statement.values(updated_at=bindparam("now")).cte("screened"))
    if texted:
        ctes.append(new_sms_cte("text"))
    if replied:  # PostgreSQL allows data-modifying CTEs at the top level only: all of them on the INSERT
        ended = statement.returning(_conversations.c.id).cte("ended")
        now = bindparam("now", type_=_conversations.c.ended_at.type)
        statement = reply_insert(ended, now).add_cte(*ctes, lines_cte(ended, now))
    elif ctes:
        statement = statement.add_cte(*ctes)
    if texted:
        statement = statement.returning(select(ctes[-1].c.id).scalar_subquery().label("text_id"))
    return Prepared(statement)


@dataclass(frozen=True)
class _Text:
    """The candidate as ``outbox.queue_sms_new`` reads one."""

    id: int
    opted_out: bool


def finish(session: Session, row, question_ids: dict[str, int], company_id: int, today: dt.date,
           event: flow.Event, state: flow.CallState, turn: flow.Turn, step: int, lines: int,
           now: dt.datetime, seen_step: int | None = None, reply: dict | None = None) -> bool | None:
    """Store the end of the screening ``turn`` (:func:`applies`) of conversation ``row``:
    ``lines``, its transcript's line count after this turn (the caller inserts the lines);
    ``today``, the agent's local date (dates are scored from it). Returns False, having
    written nothing the ORM path writes differently, when the turn is not the common case
    after all (no prefetch check; an application already cleared and not routed, which the
    end routes at once: ``routing.route_if_ready``); the caller then takes the ORM path.

    ``seen_step``: ``row`` was read without a lock (SQLite, before its write lock; PostgreSQL,
    without ``FOR UPDATE``): the first statement, which takes the lock (SQLite's write lock; the
    conversation's row lock on PostgreSQL, in a transaction begun by the caller), also claims
    the turn, only if the conversation is still at ``seen_step`` and in progress; None, with
    nothing written, when it is not (the caller reads the conversation again, locked). Without
    it, ``row`` was read locked.

    ``reply`` (PostgreSQL; ignored on SQLite): the turn's transcript lines and TwiML
    ({"twiml", "seqs", "speakers", "texts"}: ``turn_writes.lines_params``); written
    here, in the conversation's UPDATE (with the confirmation text's INSERT), when it returns True.
    """
    connection = session.connection()
    names = [e.name for e in turn.effects if isinstance(e, flow.NameGiven)]
    claim = {"candidate_id": row.candidate_id, "name": names[-1] if names else None, "conversation_id": row.id,
             "seen_step": seen_step}
    adopt = {"prefetch_of": row.id, "adopting": row.application_id, "end_candidate": row.candidate_id,
             "end_conversation": row.id, "end_company": company_id, "end_posting": row.posting_id,
             "end_since": now - SAME_CONFIRMATION_WINDOW}
    answered = any(isinstance(e, flow.AnswerGiven) for e in turn.effects)
    stored_answers = None  # PostgreSQL, a turn without answers: read with the claim
    if connection.dialect.name == "postgresql" and seen_step is not None and not answered:
        candidate = _claimed_reading_answers(bool(names)).execute(connection, claim).first()
        if candidate is not None:
            stored_answers = candidate.answers or []
    else:
        candidate = (_FIRST if seen_step is None else _CLAIMING)[bool(names)].execute(connection, claim).first()
    # After the claim, which holds the candidate's lock: sees any text a racing call committed meanwhile.
    facts = _ADOPT.execute(connection, adopt).first() if candidate is not None else None
    if candidate is None:
        return None  # claimed with seen_step, and the conversation moved since it was read
    if facts is None or (facts.duplicate_check == DuplicateCheck.clear and facts.routing == RoutingState.not_routed):
        return False
    agent = _agent(session, row.agent_id, row.script_version)
    for effect in turn.effects:
        if isinstance(effect, flow.AnswerGiven):
            insert_answer(connection, row.id, question_ids[effect.question_key], effect, now)
    answers = (scores.read_answers(connection, agent.questions, row.id) if stored_answers is None
               else scores.answers_from(agent.questions, stored_answers))
    use = duplicates.prefetch_use(facts)
    score = scores.score_answers(agent.questions, answers, today)
    decided = _decided(connection, row, agent, facts, score) if use == duplicates.DECIDE else None
    screened = {"screened_id": row.application_id, "score": score, **(decided[0] if decided is not None else {})}
    screening = (_SCREENED_CHECKED if decided is not None
                 else _SCREENED if use == duplicates.DECIDE else _SCREENED_CHECKING)
    if connection.dialect.name != "postgresql":  # on PostgreSQL, with the conversation's UPDATE below
        screening.execute(connection, screened)
    if facts.hooks:
        webhooks.emit(session, company_id, WebhookEvent.conversation_completed, {
            "conversation_id": row.id, "status": str(ConversationStatus.completed), "channel": "voice",
            "candidate_id": row.candidate_id, "application_id": row.application_id})
    text = None  # PostgreSQL: the confirmation's parameters, for the conversation's UPDATE to write it
    if not facts.recent:  # one text per candidate and posting within the window
        posting = agent.postings.get(row.posting_id)
        body = details_text(name=candidate.name, email=candidate.email, company=agent.company_name,
                            title=posting.title if posting is not None else None,
                            default_language=agent.default_language, language=row.conversation_language,
                            answers=answers)
        # The key is made of this conversation's id and written only at its end, once.
        fields = dict(to=candidate.phone, from_=facts.to_number, body=body, purpose=OutboxPurpose.confirmation,
                      idempotency_key=f"confirmation:{row.id}", candidate=_Text(row.candidate_id, candidate.opted_out),
                      conversation_id=row.id, agent_id=row.agent_id)
        if connection.dialect.name == "postgresql":
            text = sms_cte_params("text", now, **fields)
        else:
            queue_sms_new(session, **fields, key_is_new=True)
    ending = {"conversation_id": row.id, "state": state.to_dict(), "step": step, "lines": lines, "now": now}
    if connection.dialect.name == "postgresql":
        written = _ended(not isinstance(event, flow.Silence), not facts.recent, screening, text is not None,
                         reply is not None).execute(connection, {**ending, **screened, **(text or {}), **(reply or {})})
        if text is not None:
            noted(session, written.one().text_id, text, "text")
    else:
        _ended(not isinstance(event, flow.Silence), not facts.recent).execute(connection, ending)
    if decided is not None:
        if decided[1] is not None:
            _approve(session, row, candidate, agent, score, decided[1])
    elif use == duplicates.DECIDE:
        duplicates.decide(session, session.get(ATSCheck, facts.id), now)
    elif use == duplicates.RECHECK:
        duplicates.write_check(session, company_id=company_id, candidate_id=row.candidate_id, phone=candidate.phone,
                               email=candidate.email, purpose=duplicates.AFTER_CALL, conversation_id=row.id,
                               application_id=row.application_id)
    candidate_list.note(session, [row.candidate_id])
    return True


def _decided(connection, row, agent: _Agent, facts, score: float):
    """``duplicates.decide`` of the done prefetch ``facts.id`` in the common cases, where it
    changes the application alone (a duplicate) or approves it and writes its invite (cleared,
    scoring at least an automatic agent's threshold): (the application's new check, matches and
    routing; the invite's facts or None). None for the other cases, left to ``decide`` (ORM):
    a later check decided, a recruiter's posting, the approval queue, no confirmation text
    (the writeback is queued then), an invite key taken."""
    posting = agent.postings.get(row.posting_id)
    if posting is None or facts.recent:
        return None
    if connection.dialect.name == "postgresql":  # SQLite's write lock was taken at BEGIN
        _LOCK_ROUTED.execute(connection, {"routed": row.application_id})
    found = _DECIDING.execute(connection, {"routed": row.application_id, "checked": facts.id,
                                           "invite_key": f"invite:{row.candidate_id}:{posting.id}"}).one()
    if found.newer or found.invite_posting_id is not None or found.routing != RoutingState.not_routed:
        return None
    matches = list(found.matches or [])
    duplicate = duplicates.active_elsewhere(matches, agent.ats.job_id(posting.key), found.ats_application_id)
    approves = not duplicate and routing.auto_approves(agent.routing_mode, agent.routing_threshold, score)
    if not duplicate and (not approves or found.invited):
        return None
    check = DuplicateCheck.duplicate if duplicate else DuplicateCheck.clear
    log.info("application %s: duplicate check %s (%d match(es))", row.application_id, check.value, len(matches))
    return ({"duplicate_check": check, "matches": matches,
             "routing": RoutingState.approved if approves else RoutingState.not_routed},
            (posting, found) if approves else None)


def _approve(session: Session, row, candidate, agent: _Agent, score: float, invite) -> None:
    """The automatic approval of :func:`_decided`: its history row and the invite (outbox), as
    ``routing.approve_and_invite`` writes them."""
    posting, found = invite
    routing.record_transition(session.connection(), row.application_id, RoutingState.not_routed,
                              RoutingState.approved, actor=routing.SYSTEM,
                              reason=routing.auto_reason(score, agent.routing_threshold), posting_id=posting.id)
    add_new(session, kind=OutboxKind.invite, purpose="invite", idempotency_key=f"invite:{row.candidate_id}:{posting.id}",
            payload=routing.invite_payload(application_id=row.application_id, posting=posting, name=candidate.name,
                                           email=candidate.email, phone=candidate.phone,
                                           conversation_id=found.latest_conversation, score=score),
            recipient=candidate.email or candidate.phone, candidate_id=row.candidate_id,
            application_id=row.application_id, agent_id=found.agent_id)
