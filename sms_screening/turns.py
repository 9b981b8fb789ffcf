"""The common texts in Core statements: an answer to the SMS screening's open question,
and a plain YES to the confirmation text sent after a call.

Most texts of a screening answer its question and get the next one: read in one statement
(the stored reply of the MessageSid, the agent of the number, the sender, their open
screening), computed by the engine, and written as a voice call's plain turn is
(``services.calls.store_plain_turn``) plus the message's row with its reply. On the
receptionist's number a YES alone is stored by :func:`confirmation_yes`. Anything else (a
first text, a keyword, media, a reaction, an opted-out or unknown sender, an expired
screening, the end of a screening, another reply to the confirmation, a claim lost to a
racing text) returns having written nothing, and ``inbound.handle_text`` takes it through
the ORM, given the turn computed here when it still applies (:class:`Computed`).

In-process CPU per text (``bench/texts.py``, SQLite, medians): an answer about 4.4 ms before,
1.8 now; the YES about 7.3 before, 3.3 now.
"""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from sqlalchemy import and_, bindparam, case, insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from receptionist.adapters.db import reads_before_write_lock
from receptionist.adapters.models import (Agent, AgentKind, Application, ATSCheck, Candidate, Channel,
                                          ConfirmationStatus, Conversation, ConversationStatus, DuplicateCheck,
                                          FollowUpReason, InboundMessage, PhoneNumber, Speaker)
from receptionist.engine import flow
from receptionist.engine.texts import render
from receptionist.services import candidate_list, duplicates
from receptionist.services.calls import advance_turn, store_plain_turn
from receptionist.services.scripts import compiled_by_id
from receptionist.services.conversations import insert_transcript, turn_lines

from .cleaning import answer_text
from .confirmation import confirmed_lines
from .keywords import classify
from .reactions import read_reaction
from .replies import parse_confirmation_reply
from .screening import text_event, without_our_question

if TYPE_CHECKING:
    from .inbound import InboundText


@dataclass(frozen=True)
class Computed:
    """A turn computed before any lock for conversation ``conversation_id`` at ``step``
    (its step before the text), for ``inbound.handle_text`` to reuse if it has not moved."""

    conversation_id: int
    step: int
    state: flow.CallState
    turn: flow.Turn


_messages, _agents, _candidates = InboundMessage.__table__, Agent.__table__, Candidate.__table__
_conversations, _numbers = Conversation.__table__, PhoneNumber.__table__
# The sender's latest unfinished SMS screening with the agent (screening.open_screening's query).
_OPEN = (select(_conversations.c.id)
         .where(_conversations.c.agent_id == _agents.c.id, _conversations.c.candidate_id == _candidates.c.id,
                _conversations.c.channel == Channel.sms, _conversations.c.status == ConversationStatus.in_progress)
         .order_by(_conversations.c.started_at.desc()).limit(1).correlate(_agents, _candidates).scalar_subquery())
# One statement (built once): the reply stored for the MessageSid, the agent answering the
# number, the sender's candidate row and their open screening, in the columns
# ``services.calls.store_plain_turn`` reads of a conversation (``_TURN_ROW``).
_TEXT_ROW = (
    select(select(_messages.c.reply).where(_messages.c.message_sid == bindparam("sid")).scalar_subquery()
           .label("stored"),
           _agents.c.id.label("agent_id"), _agents.c.kind, _agents.c.script_version,
           _candidates.c.id.label("candidate_id"), _candidates.c.opted_out,
           _conversations.c.id, _conversations.c.state, _conversations.c.step, _conversations.c.status,
           _conversations.c.transcript_lines, _conversations.c.application_id,
           _conversations.c.language.label("conversation_language"), _conversations.c.last_activity_at,
           _conversations.c.started_at)
    .select_from(_numbers).join(_agents, _agents.c.id == _numbers.c.agent_id)
    .outerjoin(_candidates, _candidates.c.phone == bindparam("phone"))
    .outerjoin(_conversations, _conversations.c.id == _OPEN)
    .where(_numbers.c.e164 == bindparam("to")))
_INSERT_MESSAGE = insert(_messages)


def plain_answer(session: Session | Connection, text: InboundText, to: str | None, sender: str | None, body: str,
                 render_reply: Callable[[list[str]], str], expires_after: int,
                 now: dt.datetime, said: str | None = None) -> str | Computed | None:
    """Answer ``text`` (an ``inbound.InboundText``; ``to``/``sender``: its numbers in E.164,
    None when unreadable; ``body``: its text, cut to the longest Twilio sends, stored as
    it came; ``said``: what the candidate wrote in it, read: ``cleaning.answer_text``) in Core
    statements when it is a plain answer to an open screening's question (or, on the
    receptionist's number, a plain YES: :func:`confirmation_yes`); returns the reply
    (TwiML from ``render_reply``), the stored reply for a MessageSid seen before, or,
    having written nothing: the turn computed for ``inbound.handle_text`` to reuse
    (:class:`Computed`) or None when it computed none.

    Called first in the transaction: the reads run before SQLite's write lock
    (``adapters.db.reads_before_write_lock``); the first write claims the step only if the
    conversation is still where it was read (``services.calls.store_plain_turn``).
    ``session``: a Session, or the Connection of ``UnitOfWork.run(orm=False)``."""
    if to is None or sender is None:
        return None
    connection = reads_before_write_lock(session)
    row = connection.execute(_TEXT_ROW, {"sid": text.message_sid, "to": to, "phone": sender}).first()
    if row is None:
        return None
    if row.stored is not None:
        return row.stored
    said = answer_text(body) if said is None else said
    if (row.candidate_id is None or row.opted_out or text.media_urls or read_reaction(said) is not None
            or classify(said, text.opt_out_type, row.opted_out) is not None):
        return None
    if row.kind == AgentKind.receptionist:
        return confirmation_yes(session, connection, row, text, body, said, render_reply, now, sender)
    if row.id is None or (now - (row.last_activity_at or row.started_at)).total_seconds() > expires_after:
        return None
    said = without_our_question(said, compiled_by_id(session, row.agent_id, row.script_version)[0], row.state)
    event = text_event(said)
    context = _switch_context if flow.asks_to_switch(row.state, said) else _text_context
    advanced = advance_turn(session, row, event, now, context=context)
    if not advanced.plain:
        return Computed(row.id, row.step, advanced.state, advanced.turn)
    if not _sender_still_in(connection, row.candidate_id):
        return None
    texts = [render(line, advanced.turn.language, "sms") for line in advanced.turn.lines]
    if not store_plain_turn(connection, row, advanced, event, row.step + 1, turn_lines(event, texts), now,
                            channel="sms"):
        return None  # a racing text moved the screening: taken again under the lock
    return _store_message(connection, text, body, row, row.id, render_reply(["\n".join(texts)] if texts else []),
                          now)


# FOR NO KEY UPDATE: a STOP's UPDATE still waits, rows that merely refer to the sender do not.
_LOCK_SENDER = (select(_candidates.c.opted_out).where(_candidates.c.id == bindparam("candidate_id"))
                .with_for_update(key_share=True))


def _sender_still_in(connection, candidate_id: int) -> bool:
    """Lock the sender's candidate row until the transaction ends (texts from one number one
    after the other, as ``inbound.handle_text`` has them; on SQLite this takes the write lock)
    and tell whether they are still opted in: a STOP committed since the first read wins."""
    return connection.execute(_LOCK_SENDER, {"candidate_id": candidate_id}).scalar() is False


def _store_message(connection, text: InboundText, body: str, row, conversation_id: int, reply: str,
                   now: dt.datetime) -> str:
    """The message's row with its ``reply`` (returned); a racing duplicate of its MessageSid
    fails here (unique) and its retry returns the stored reply."""
    connection.execute(_INSERT_MESSAGE, {
        "message_sid": text.message_sid, "agent_id": row.agent_id, "candidate_id": row.candidate_id,
        "conversation_id": conversation_id, "from_number": text.from_number[:32], "to_number": text.to_number[:32],
        "body": body, "num_media": 0, "media_urls": [], "reply": reply, "created_at": now})
    return reply


def _text_context(connection, profile, row, now: dt.datetime, phase, switch: bool = False) -> flow.CallContext:
    """A text's flow context (``flow.sms_context``), as ``screening.handle_screening_text``
    builds it: the applications on file only where the flow may begin an application, or
    begin again in another language (``switch``: ``flow.asks_to_switch``)."""
    on_file = ()
    if phase in flow.READS_ON_FILE or switch:
        on_file = duplicates.applications_on_file(connection, profile.company_ats, profile.company_id,
                                                  profile.timezone, row.candidate_id, row.application_id)
    return flow.sms_context(now.astimezone(profile.timezone).date(), on_file=on_file)


_switch_context = functools.partial(_text_context, switch=True)

# The latest call to the receptionist whose confirmation was texted to the sender's number
# (confirmation.latest_confirmation's query), with what a YES needs.
_checks = ATSCheck.__table__
_CONFIRMATION_ROW = (
    select(_conversations.c.id, _conversations.c.language, _conversations.c.transcript_lines,
           _conversations.c.application_id, _conversations.c.text_number, _candidates.c.phone, _candidates.c.email, _agents.c.company_id,
           select(_checks.c.id)
           .where(_checks.c.conversation_id == _conversations.c.id,
                  _checks.c.purpose == duplicates.CONFIRMED).limit(1).scalar_subquery()
           .label("checked"))
    .join(_candidates, _candidates.c.id == _conversations.c.candidate_id)
    .join(_agents, _agents.c.id == _conversations.c.agent_id)
    .where(_conversations.c.agent_id == bindparam("agent_id"),
           or_(and_(_conversations.c.candidate_id == bindparam("candidate_id"),
                    _conversations.c.text_number.is_(None)),
               _conversations.c.text_number == bindparam("sender")),
           _conversations.c.channel == Channel.voice, _conversations.c.confirmation_status.is_not(None))
    .order_by(_conversations.c.started_at.desc()).limit(1))
# The YES's first write, only if no other text moved the transcript since it was read: the
# details confirmed, the "details unconfirmed" follow-up withdrawn (Conversation.clear_flag).
_unconfirmed = _conversations.c.follow_up_reason == FollowUpReason.details_unconfirmed
_CONFIRM = (update(_conversations)
            .where(_conversations.c.id == bindparam("conversation_id"),
                   _conversations.c.transcript_lines.is_not_distinct_from(bindparam("seen_lines")))
            .values(confirmation_status=ConfirmationStatus.confirmed, confirmed_at=bindparam("now"),
                    transcript_lines=bindparam("lines"),
                    follow_up_reason=case((_unconfirmed, None), else_=_conversations.c.follow_up_reason),
                    follow_up_note=case((_unconfirmed, None), else_=_conversations.c.follow_up_note)))
_CHECK_PENDING = (update(Application.__table__).where(Application.__table__.c.id == bindparam("application_id"))
                  .values(duplicate_check=DuplicateCheck.pending))


def confirmation_yes(session: Session | Connection, connection, row, text: InboundText, body: str, said: str,
                     render_reply: Callable[[list[str]], str], now: dt.datetime,
                     sender: str | None = None) -> str | None:
    """A plain YES (nothing else in it) to the confirmation of the sender's call, in Core
    statements: what ``confirmation.handle_confirmation_reply`` does for it (the details
    confirmed, the duplicate check by phone and email queued once, the transcript, the
    message's row; ``body`` as it came, ``said`` as read). None, having written nothing, for
    any other reply or a lost claim, or when the confirmation went to a number said on a call
    (``sender``, the texter's E.164: ``confirmation.handle_confirmation_reply`` confirms that
    number on its candidate)."""
    reply = parse_confirmation_reply(said)
    if not reply.confirmed or reply.email or reply.name:
        return None
    found = connection.execute(_CONFIRMATION_ROW, {"agent_id": row.agent_id, "candidate_id": row.candidate_id,
                                                   "sender": sender}).first()
    if found is None or found.text_number is not None:  # a number said on a call: the ORM path
        return None
    lang = found.language or "en"
    texts = [render(line, lang, "sms") for line in confirmed_lines(lang, bool(found.email))]
    lines = [(Speaker.candidate, said)] + [(Speaker.agent, t) for t in texts]
    first = found.transcript_lines or 0
    if not _sender_still_in(connection, row.candidate_id):
        return None
    if connection.execute(_CONFIRM, {"conversation_id": found.id, "seen_lines": found.transcript_lines,
                                     "lines": first + len(lines), "now": now}).rowcount != 1:
        return None
    if found.application_id is not None and found.checked is None and (found.phone or found.email):
        duplicates.write_check(session, company_id=found.company_id, candidate_id=row.candidate_id,
                               phone=found.phone, email=found.email, purpose=duplicates.CONFIRMED,
                               conversation_id=found.id, application_id=found.application_id)
        connection.execute(_CHECK_PENDING, {"application_id": found.application_id})
        candidate_list.refresh(connection, [row.candidate_id])
    insert_transcript(connection, found.id, first, lines, now)
    return _store_message(connection, text, body, row, found.id, render_reply(texts), now)
