"""A recruiter's nudge: one reminder text to a candidate about the step they have not finished.

What is unfinished, in this order:

- an interview they were invited to (the latest such application of the company): the
  interview link again;
- an SMS screening still in progress (their latest conversation with the company): the
  question it waits on, as the sweep's own nudge words it.

The text goes through the outbox (a candidate who texted STOP gets nothing: the row is
written ``cancelled``). Pressing twice within the same minute queues one text.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..adapters.models import Agent, Application, Conversation, OutboxItem, utcnow
from ..engine import flow
from ..engine.texts import Line, render
from ..engine.vocabulary import Channel, ConversationStatus, OutboxPurpose, RoutingState
from . import routing
from .errors import Conflict, NotFound
from .outbox import queue_sms
from .scripts import build_script
from .text_numbers import reachable


def nudge(session: Session, company_id: int, candidate_id: int) -> OutboxItem:
    """Queue the reminder for ``candidate_id`` as seen by ``company_id``; returns the outbox row.

    Raises NotFound (the candidate never talked to this company's agents), Conflict (no
    phone number, or nothing unfinished to remind them of).
    """
    latest = session.scalars(
        select(Conversation).join(Agent, Agent.id == Conversation.agent_id)
        .where(Conversation.candidate_id == candidate_id, Agent.company_id == company_id)
        .order_by(Conversation.id.desc())).first()
    if latest is None:
        raise NotFound(f"no candidate {candidate_id}")
    candidate = latest.candidate
    to = reachable(candidate)
    if to is None:
        raise Conflict("the candidate's number is hidden and none was confirmed by text: no text can reach them")
    invited = session.scalars(
        select(Application).join(Conversation, Conversation.application_id == Application.id)
        .join(Agent, Agent.id == Conversation.agent_id)
        .where(Application.candidate_id == candidate_id, Agent.company_id == company_id,
               Application.routing == RoutingState.invited, Application.interview_url.is_not(None))
        .order_by(Application.id.desc())).first()
    language = candidate.language or latest.language or "en"
    if invited is not None:
        conversation = routing.latest_conversation(invited) or latest
        posting = routing.target_posting(invited)
        reminder = Line("interview_link", {"name": (candidate.name or "").split(" ")[0] or "there",
                                           "title": posting.title.get(language) or posting.title.get("en") or posting.key,
                                           "url": invited.interview_url})
    elif latest.channel == Channel.sms and latest.status == ConversationStatus.in_progress:
        conversation = latest
        state = flow.CallState.from_dict(latest.state)
        reminder, language = flow.current_prompt(build_script(latest.agent), state), state.language
        if reminder is None:
            raise Conflict("the text screening is not waiting on a question")
    else:
        raise Conflict("nothing unfinished to remind the candidate of (no open invite or text screening)")
    body = render(Line("nudge"), language, "sms") + "\n" + render(reminder, language, "sms")
    return queue_sms(session, to=to, from_=conversation.to_number, body=body,
                     purpose=OutboxPurpose.nudge,
                     idempotency_key=f"recruiter-nudge:{candidate_id}:{utcnow():%Y%m%d%H%M}",
                     candidate=candidate, conversation=conversation, agent=conversation.agent)
