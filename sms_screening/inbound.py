"""An inbound text, end to end in one transaction: idempotency by MessageSid, one at a
time per sender, consent keywords, media, then the confirmation or screening agent."""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, joinedload

from receptionist.engine import flow
from receptionist.engine.gsm7 import plain_punctuation
from receptionist.engine.texts import Line, render
from receptionist.adapters.models import Agent, AgentKind, Candidate, InboundMessage, PhoneNumber, utcnow
from receptionist.phones import mask, to_e164
from receptionist.services.scripts import script_for
from receptionist.services.unit_of_work import orm_session

from .cleaning import answer_text
from .confirmation import handle_confirmation_reply
from .keywords import Keyword, classify
from .reactions import read_reaction
from .screening import handle_screening_reaction, handle_screening_text, open_screening
from .turns import Computed, plain_answer

log = logging.getLogger(__name__)
MAX_BODY = 1600  # Twilio concatenates long texts up to 1,600 characters


@dataclass(frozen=True)
class InboundText:
    """Twilio's messaging webhook fields (Twilio, "Messaging webhook request"): MessageSid,
    From, To, Body, NumMedia with MediaUrl0.., OptOutType (Advanced Opt-Out)."""

    message_sid: str
    from_number: str
    to_number: str
    body: str = ""
    media_urls: tuple[str, ...] = field(default_factory=tuple)
    opt_out_type: str | None = None


def handle_text(db: Session | Connection, text: InboundText, render_reply: Callable[[list[str]], str],
                expires_after: int, now: dt.datetime | None = None) -> str:
    """Process one inbound text; returns the reply (TwiML from ``render_reply``).

    The same MessageSid again returns the stored reply and changes nothing. Texts from one
    number are processed one after the other: the candidate row is locked (``FOR UPDATE``
    on PostgreSQL; SQLite's write lock, taken at BEGIN, serialises them anyway).

    ``db``: the Connection of ``UnitOfWork.run(orm=False)`` (the webhook's: a plain answer
    pays no Session), or a Session; the other texts get a Session joined to the same
    transaction (``unit_of_work.orm_session``).
    """
    now = now or utcnow()
    body = (text.body or "")[:MAX_BODY]
    said = answer_text(body)  # what the candidate wrote: no signature, no quoted lines
    to_e, from_e = _e164(text.to_number), _e164(text.from_number)
    # The common text (an answer to the open question) in Core statements; the rest below.
    computed = plain_answer(db, text, to_e, from_e, body, render_reply, expires_after, now, said=said)
    if isinstance(computed, str):
        return computed
    session = orm_session(db)
    stored = session.scalars(select(InboundMessage).filter_by(message_sid=text.message_sid)).one_or_none()
    if stored is not None:
        return stored.reply
    record = InboundMessage(message_sid=text.message_sid, from_number=text.from_number[:32],
                            to_number=text.to_number[:32], body=body, num_media=len(text.media_urls),
                            media_urls=list(text.media_urls), created_at=now)
    replies = _route(session, text, said, record, expires_after, now, to_e, from_e, computed)
    record.reply = render_reply(replies)
    # Added last: one INSERT, not an INSERT and an UPDATE per query that autoflushes. A racing
    # duplicate of this MessageSid fails here (unique) and its retry returns the stored reply.
    session.add(record)
    session.flush()
    return record.reply


def _e164(raw: str) -> str | None:
    try:
        return to_e164(raw)
    except ValueError:
        return None


def _route(session, text: InboundText, body: str, record: InboundMessage, expires_after: int,
           now: dt.datetime, to_e: str | None, from_e: str | None, computed: Computed | None) -> list[str]:
    """The replies to ``text`` (``body``: what the candidate wrote, ``cleaning.answer_text``)."""
    # The agent and its company come with the number: one statement, not three.
    number = session.scalars(select(PhoneNumber).filter_by(e164=to_e).options(
        joinedload(PhoneNumber.agent).joinedload(Agent.company))).one_or_none() if to_e else None
    if number is None or from_e is None:
        log.warning("text %s to %s: no agent or no sender number; not answered", text.message_sid, text.to_number)
        session.flush()
        return []
    agent = number.agent
    record.agent_id = agent.id
    candidate = _locked_candidate(session, from_e)
    record.candidate_id = candidate.id
    lang = candidate.language or agent.languages[0]
    company = agent.company.name

    keyword = classify(body, text.opt_out_type, candidate.opted_out)
    if keyword is Keyword.stop:
        candidate.opted_out, candidate.opted_out_at = True, now
        log.info("%s opted out (STOP)", mask(from_e))
        # With Twilio's Advanced Opt-Out (OptOutType sent) Twilio has already answered.
        return [] if text.opt_out_type else [render(Line("opted_out", {"company": company}), lang, "sms")]
    if keyword is Keyword.start:
        candidate.opted_out, candidate.opted_out_at = False, None
        log.info("%s opted back in", mask(from_e))
        return [] if text.opt_out_type else [render(Line("opted_in", {"company": company}), lang, "sms")]
    if keyword is Keyword.help:
        help_text = (agent.help_text or {}).get(lang) or render(Line("help_default", {"company": company}), lang,
                                                                 "sms")
        return [] if text.opt_out_type else [plain_punctuation(help_text)]
    if candidate.opted_out:
        return []  # we may not text them; the message is stored for recruiters
    note = [render(Line("media_unsupported"), lang, "sms")] if text.media_urls else []
    if note and not body.strip():  # a picture alone: say so, and repeat the open question
        return note + _pending_question(session, agent, candidate)
    if agent.kind == AgentKind.receptionist:
        conversation, replies = handle_confirmation_reply(session, agent, candidate, body, now)
    elif read_reaction(body) is not None:
        conversation, replies = handle_screening_reaction(session, agent, candidate, body, now, expires_after)
    else:
        conversation, replies = handle_screening_text(session, agent, candidate, body, number.e164, now,
                                                      expires_after, computed)
    record.conversation_id = conversation.id if conversation is not None else None
    return note + replies


def _pending_question(session: Session, agent, candidate: Candidate) -> list[str]:
    conversation = open_screening(session, agent, candidate) if agent.kind == AgentKind.sms_screening else None
    if conversation is None:
        return []
    state = flow.CallState.from_dict(conversation.state)
    line = flow.current_prompt(script_for(agent), state)
    return [render(line, state.language, "sms")] if line else []


def _locked_candidate(session: Session, phone: str) -> Candidate:
    """The sender's candidate row, created if new, locked until the transaction ends (FOR NO
    KEY UPDATE: another text of the sender waits, a row that merely refers to it does not)."""
    candidate = session.scalars(select(Candidate).filter_by(phone=phone)
                                .with_for_update(key_share=True)).one_or_none()
    if candidate is None:
        candidate = Candidate(phone=phone)
        session.add(candidate)
        session.flush()  # a concurrent first text violates the unique phone: the web layer retries
    return candidate
