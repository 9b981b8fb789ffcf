"""The number a confirmation text goes to, and a number to text said on a call.

A caller whose caller ID takes no texts (withheld, a landline, or the company's own
switchboard forwarding the call) is asked for a mobile number after the name
(``engine.flow``, phase ``text_number``); the one they confirm at its read-back arrives here
as ``flow.TextNumberGiven``.

Identity (the decision): a number said on a call is the caller's word, not a caller ID,
and is unverified until a text from it confirms the details (YES). So it never becomes the
candidate's ``phone`` (the key a later call or text is matched by) and is never used to
merge records: it is kept as the candidate's ``text_number`` and as this call's
``conversations.text_number``, where its confirmation text goes. When another candidate
already has that number as their ``phone`` (the same person calling earlier from their
mobile, or a family phone, or a wrong digit the caller confirmed), both records stay
apart; the recruiter sees, on the candidate page and in the API, that the number is also
that candidate's (:func:`shared_with`) and decides. A reply from the number answers the
latest confirmation texted to it (``sms_screening.confirmation.latest_confirmation``), and
its YES marks the number confirmed (:func:`confirm_from`); a STOP from it stops every text
to that number, whoever it was for (``outbox``'s consent check is by recipient).
"""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..adapters.models import Candidate, Conversation
from ..phones import can_receive_sms, mask

log = logging.getLogger(__name__)

# Where the number a text goes to came from (``number_source``).
CALLER_ID = "caller_id"
SAID_ON_CALL = "said_on_call"


def text_to(conversation: Conversation) -> str | None:
    """The number ``conversation``'s texts (confirmation, reminder) go to: the caller ID when
    it takes texts, else the number said on this call, else None (no text)."""
    return texts_reach(conversation.candidate.phone, conversation.text_number, confirmed=False)


def reachable(candidate: Candidate) -> str | None:
    """The number texts after the call (the interview link, a nudge) go to: :func:`texts_reach`
    of ``candidate``'s numbers."""
    return texts_reach(candidate.phone, candidate.text_number, candidate.text_number_confirmed_at is not None)


def texts_reach(phone: str | None, text_number: str | None, confirmed: bool) -> str | None:
    """A number said on a call once a text from it confirmed the details; else the caller ID
    when it takes texts; else the number said (unconfirmed: where the confirmation went);
    else None."""
    if text_number and confirmed:
        return text_number
    return phone if can_receive_sms(phone) else text_number


def lookup_number(candidate: Candidate) -> str | None:
    """The number to look ``candidate`` up by in the ATS: a number said on a call once
    confirmed by text, else their caller ID (a landline's too). Unconfirmed, a said number
    is the caller's word only."""
    if candidate.text_number and candidate.text_number_confirmed_at is not None:
        return candidate.text_number
    return candidate.phone


def record_said_number(conversation: Conversation, number: str, now: dt.datetime) -> None:
    """Keep ``number`` (E.164), said and confirmed on the call ``conversation``, as this
    call's and its candidate's number to text; the candidate's ``phone`` is not touched (see
    the module's docstring). A number already confirmed by text stays confirmed."""
    candidate = conversation.candidate
    conversation.text_number = number
    if candidate.text_number != number:
        candidate.text_number, candidate.text_number_confirmed_at = number, None
    log.info("conversation %s: number to text %s said on the call", conversation.id, mask(number))


def confirm_from(conversation: Conversation, sender: str, now: dt.datetime) -> None:
    """A YES texted from ``sender`` to ``conversation``'s confirmation: the number said on the
    call is confirmed when the YES came from it."""
    candidate = conversation.candidate
    if conversation.text_number == sender and candidate.text_number == sender:
        candidate.text_number_confirmed_at = candidate.text_number_confirmed_at or now


def number_source(candidate: Candidate) -> dict | None:
    """The number texts reach ``candidate`` at, and where it came from, for recruiters:
    {"number": E.164, "source": "caller_id" | "said_on_call", "confirmed": bool (said on a
    call: a text from it confirmed the details)}; None when there is none."""
    if can_receive_sms(candidate.phone):
        return {"number": candidate.phone, "source": CALLER_ID, "confirmed": True}
    if candidate.text_number:
        return {"number": candidate.text_number, "source": SAID_ON_CALL,
                "confirmed": candidate.text_number_confirmed_at is not None}
    return None


def shared_with(session: Session, candidate: Candidate) -> list[int]:
    """Ids of the other candidates whose caller ID is the number ``candidate`` said on a call
    (records kept apart: the recruiter decides whether they are one person)."""
    if not candidate.text_number:
        return []
    return list(session.scalars(select(Candidate.id).where(
        Candidate.phone == candidate.text_number, Candidate.id != candidate.id).order_by(Candidate.id)))

