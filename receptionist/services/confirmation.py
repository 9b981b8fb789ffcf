"""Confirmation by text after a screening call: what was captured, sent for a YES or corrections.

The text is an outbox row written in the same transaction as the end of the call; replies
are handled by the SMS channel (``sms_screening.confirmation``); reminders and expiry by
the periodic sweep (``sms_screening.timers``).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, literal, select

from ..adapters.models import Candidate, ConfirmationStatus, Conversation, OutboxItem, OutboxStatus
from ..engine.languages import DEFAULT_LANGUAGE, in_language
from ..engine.texts import Line, render, spoken_date
from ..engine.vocabulary import OutboxPurpose, QuestionKind
from ..phones import can_receive_sms
from .outbox import queue_sms_new
from .scores import StoredAnswer, stored_answers
from .scripts import script_for
from .text_numbers import text_to


def captured_details(conversation: Conversation, answers: list[StoredAnswer]) -> list[tuple[str, str | None]]:
    """(field, value) pairs to confirm: name, role, earliest start (the first date among
    ``answers``, :func:`scores.stored_answers`), email (when known)."""
    default = next(iter(conversation.agent.languages or ()), DEFAULT_LANGUAGE)
    return _details(conversation.candidate.name, conversation.candidate.email,
                    conversation.posting.title if conversation.posting else None, default,
                    conversation.language or DEFAULT_LANGUAGE, answers)


def _details(name: str | None, email: str | None, title: dict | None, default_language: str, lang: str,
             answers: list[StoredAnswer]) -> list[tuple[str, str | None]]:
    role = in_language(title, lang, default_language) if title is not None else None
    start = next((spoken_date(dt.date.fromisoformat(a.value), lang) for a in answers
                  if a.kind == QuestionKind.date and a.value), None)
    details = [("name", name), ("role", role), ("start", start)]
    if email:
        details.append(("email", email))
    return details


def confirmation_text(conversation: Conversation, answers: list[StoredAnswer]) -> str:
    """The confirmation text for a finished call, in the conversation's language (the company's
    name from the agent's cached script: no statement)."""
    candidate = conversation.candidate
    return details_text(name=candidate.name, email=candidate.email, company=script_for(conversation.agent).company_name,
                        title=conversation.posting.title if conversation.posting else None,
                        default_language=next(iter(conversation.agent.languages or ()), DEFAULT_LANGUAGE),
                        language=conversation.language, answers=answers)


def details_text(*, name: str | None, email: str | None, company: str, title: dict | None, default_language: str,
                 language: str | None, answers: list[StoredAnswer]) -> str:
    """:func:`confirmation_text` from plain values: the candidate's ``name`` and ``email``, the
    company's name, the posting's ``title`` ({language: title}, None without a posting), the
    agent's first language, the conversation's ``language`` (None: the default) and its answers."""
    lang = language or DEFAULT_LANGUAGE
    first = name.split()[0] if name else None
    line = Line("confirm_details", {"name": first, "company": company,
                                    "details": _details(name, email, title, default_language, lang, answers),
                                    "has_email": bool(email)})
    return render(line, lang, "sms")


# Two calls from one number at once (a redial while the first call still runs, or two
# phones on one line) about the same posting get one confirmation text, not one each.
SAME_CONFIRMATION_WINDOW = dt.timedelta(minutes=15)


def can_text(candidate) -> bool:
    """Whether a confirmation text can reach ``candidate``: a number known that can take
    texts (not a landline, ``phones.can_receive_sms``) and no opt-out (STOP). What the voice
    flow promises ("you'll get a text") follows this."""
    return not candidate.opted_out and can_receive_sms(candidate.phone)


def needs_text_number(candidate) -> bool:
    """Whether to ask ``candidate``'s call for a number to text: the caller ID takes no texts
    (withheld, a landline, the company's switchboard) and they have not opted out."""
    return not candidate.opted_out and not can_receive_sms(candidate.phone)


def queue_confirmation(session, conversation: Conversation, now: dt.datetime) -> int | None:
    """Write the confirmation text for ``conversation`` (once: keyed by conversation id) and
    mark the conversation's confirmation pending; returns the outbox row's id. It goes to the
    caller ID, or when that takes no texts to the number said on the call
    (``text_numbers.text_to``); None when there is neither (hidden, a landline, no number
    given); for an opted-out caller the row is written cancelled (``outbox.queue_sms_new``)."""
    to = text_to(conversation)
    if to is None:
        return None
    if _confirmation_already_sent(session, conversation, now):
        return None
    conversation.confirmation_status = ConfirmationStatus.pending
    conversation.confirmation_sent_at = now
    return queue_sms_new(session, to=to, from_=conversation.to_number,
                         body=confirmation_text(conversation, stored_answers(session, conversation)),
                         purpose=OutboxPurpose.confirmation, idempotency_key=f"confirmation:{conversation.id}",
                         candidate=conversation.candidate, conversation_id=conversation.id,
                         agent_id=conversation.agent_id)


def _confirmation_already_sent(session, conversation: Conversation, now: dt.datetime) -> bool:
    """Whether another of the candidate's calls about the same posting had its confirmation
    text written within ``SAME_CONFIRMATION_WINDOW``. The candidate row is locked first
    (``FOR NO KEY UPDATE`` on PostgreSQL; SQLite's write lock is taken at BEGIN), so two calls
    ending at the same moment see each other's row: the second one writes none."""
    connection = session.connection()  # Core reads: nothing pending needs flushing for them
    connection.execute(_LOCK_CANDIDATE, {"candidate_id": conversation.candidate_id})
    recent = _RECENT_WITHOUT_POSTING if conversation.posting_id is None else _RECENT_FOR_POSTING
    return connection.execute(recent, {
        "candidate_id": conversation.candidate_id, "conversation_id": conversation.id,
        "since": now - SAME_CONFIRMATION_WINDOW, "posting_id": conversation.posting_id}).first() is not None


# Built once (statements rebuilt per call cost more than they run): the lock, and the other
# conversations' live confirmation texts since ``since``, about the same posting or none.
# FOR NO KEY UPDATE: rows that merely refer to the candidate (an outbox row, a new call) need not wait.
_LOCK_CANDIDATE = (select(Candidate.id).where(Candidate.id == bindparam("candidate_id"))
                   .with_for_update(key_share=True))
def _recent(candidate_id: str, conversation_id: str, since: str):
    return (select(OutboxItem.id).join(Conversation, OutboxItem.conversation_id == Conversation.id)
            .where(OutboxItem.candidate_id == bindparam(candidate_id),
                   OutboxItem.purpose == OutboxPurpose.confirmation,
                   OutboxItem.conversation_id != bindparam(conversation_id),
                   OutboxItem.status.in_([literal(status, OutboxItem.status.type)  # not expanding: Prepared
                                          for status in (OutboxStatus.pending, OutboxStatus.sending, OutboxStatus.sent)]),
                   OutboxItem.created_at >= bindparam(since)).limit(1))


_RECENT = _recent("candidate_id", "conversation_id", "since")
_RECENT_FOR_POSTING = _RECENT.where(Conversation.posting_id == bindparam("posting_id"))
_RECENT_WITHOUT_POSTING = _RECENT.where(Conversation.posting_id.is_(None))
# Whether such a text about a posting exists, as a column of another statement (the Core end
# of a call reads it with its other facts: ``services.screening_end``), its parameters named
# apart from that statement's columns: end_candidate, end_conversation, end_since, end_posting.
RECENT_TEXT_FOR_POSTING = (_recent("end_candidate", "end_conversation", "end_since")
                           .where(Conversation.posting_id == bindparam("end_posting")).exists())
