"""Replies to the confirmation text sent after a call (to the receptionist's number)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from receptionist.engine import flow
from receptionist.engine.interpret.common import words
from receptionist.engine.texts import Line, render
from receptionist.adapters.models import (Agent, Candidate, Channel, ConfirmationStatus, Conversation, FollowUpReason,
                                          Speaker)
from receptionist.services import duplicates
from receptionist.services.conversations import add_transcript
from receptionist.services.scripts import script_for
from receptionist.services.text_numbers import confirm_from

from .reactions import read_reaction
from .replies import is_courtesy, parse_confirmation_reply, reaction_reply


def latest_confirmation(session: Session, agent: Agent, candidate: Candidate) -> Conversation | None:
    """The most recent call to ``agent`` whose confirmation was texted to ``candidate``'s
    number: one of the candidate's own calls texted at their caller ID, or any call whose
    caller said this number on the call (``conversations.text_number``; that caller may be
    another candidate record: ``services.text_numbers``)."""
    texted_here = or_(and_(Conversation.candidate_id == candidate.id, Conversation.text_number.is_(None)),
                      Conversation.text_number == candidate.phone)
    return session.scalars(
        select(Conversation)
        .where(Conversation.agent_id == agent.id, texted_here,
               Conversation.channel == Channel.voice, Conversation.confirmation_status.is_not(None))
        .order_by(Conversation.started_at.desc()).limit(1)).first()


def confirmed_lines(lang: str, has_email: bool) -> list[Line]:
    """What a YES is answered with: thanks, and the email asked for when none is on file."""
    if has_email:
        return [Line("confirmed")]
    return [Line("confirmed"), Line("text", {"text": render(Line("confirm_email_ask"), lang, "sms").strip()})]


def _with_last_name(name: str | None, last_name: str) -> str:
    """The name on file with its last name replaced ("Jon Smth" + "Smythe" -> "Jon Smythe");
    the last name alone when none is on file."""
    words = (name or "").split()
    return " ".join([*(words[:-1] if len(words) > 1 else words), last_name])


def handle_confirmation_reply(session: Session, agent: Agent, candidate: Candidate, body: str,
                              now: dt.datetime) -> tuple[Conversation | None, list[str]]:
    """Apply a reply to the confirmation: YES confirms; an email, a name or a last name ("my
    last name is Smythe") is stored and echoed back; "no" / "that's wrong" is answered with
    how to correct it and flags the call for a recruiter; anything else gets a short line
    saying what is expected, or, once the details are confirmed ("thanks!", "ok"), that
    nothing more is needed. A question the receptionist's policies answer gets the answer; any
    other message of a few words ("can I change my shift to days?") is passed on: the call is
    flagged for a recruiter with the message (``FollowUpReason.candidate_message``). A reaction
    to one of our texts (``Liked “Reply YES if…”``) is read as ``replies.reaction_reply`` says,
    never by the words it quotes; one that answers nothing gets the request for a YES again,
    briefly (none once confirmed, or when taken back). ``candidate``: the sender's record (by
    their number); the details corrected are those of the call's candidate, who may have said
    this number on the call.
    Returns the conversation (None when no confirmation was asked) and the reply lines."""
    reaction = read_reaction(body)
    sender = candidate.phone
    conversation = latest_confirmation(session, agent, candidate)
    if conversation is None:
        if reaction is not None:  # a tap on one of our texts asks nothing
            return None, []
        lang = candidate.language or agent.languages[0]
        return None, [render(Line("no_confirmation_pending", {"company": agent.company.name}), lang, "sms")]
    candidate = conversation.candidate
    lang = conversation.language or "en"
    reply = parse_confirmation_reply(body) if reaction is None else reaction_reply(reaction)
    done = conversation.confirmation_status == ConfirmationStatus.confirmed
    if reaction is not None and (reply is None or done or not (reply.confirmed or reply.denied)):
        texts = [] if reply is None or done else [render(Line("confirm_if_right"), lang, "sms")]
        add_transcript(session, conversation, [(Speaker.candidate, body)] + [(Speaker.agent, t) for t in texts], now)
        return conversation, texts
    lines: list[Line] = []
    if reply.email:
        candidate.email = reply.email
        lines.append(Line("email_saved", {"email": reply.email}))
    name = reply.name or (_with_last_name(candidate.name, reply.last_name) if reply.last_name else None)
    if name:
        candidate.name = name
        lines.append(Line("name_saved", {"name": name}))
    if reply.confirmed:
        conversation.confirmation_status = ConfirmationStatus.confirmed
        conversation.confirmed_at = now
        conversation.clear_flag(FollowUpReason.details_unconfirmed)
        confirm_from(conversation, sender, now)
        duplicates.after_confirmation(session, conversation)  # by email too, then the writeback
        lines += confirmed_lines(lang, bool(candidate.email))
    elif reply.understood:
        lines.append(Line("confirm_if_right"))
    elif reply.denied:  # "no", "that's wrong": how to correct it, and a recruiter will check
        conversation.flag(FollowUpReason.details_unconfirmed, f"the candidate says the details are wrong: {body}")
        lines.append(Line("confirm_denied"))
    elif (answer := flow.policy_answer(script_for(agent), body, lang)) is not None:  # "where is the warehouse?"
        lines += [answer] + ([] if done else [Line("confirm_if_right")])
    elif _is_message(body):  # "can I change my shift to days?": for a recruiter, not lost
        _pass_on(conversation, body)
        lines += [Line("message_passed")] + ([] if done else [Line("confirm_if_right")])
    elif done:
        lines.append(Line("already_confirmed"))  # not "reply YES to confirm" to a thank-you
    else:
        lines.append(Line("confirm_expected"))
    texts = [render(line, lang, "sms") for line in lines]
    add_transcript(session, conversation, [(Speaker.candidate, body)] + [(Speaker.agent, t) for t in texts], now)
    return conversation, texts



MESSAGE_MIN_WORDS = 3  # "ok?", "what", "Jane Doe" are no message for a recruiter


def _is_message(body: str) -> bool:
    """Whether a reply nothing else read is a message for a recruiter: a few words, more than
    thanks or an acknowledgement."""
    return len(words(body)) >= MESSAGE_MIN_WORDS and not is_courtesy(body)


def _pass_on(conversation: Conversation, body: str) -> None:
    """Flag ``conversation`` for a recruiter with ``body``; a flag already raised for another
    reason keeps its reason, the message is added to its note."""
    if conversation.follow_up_reason in (None, FollowUpReason.candidate_message):
        conversation.flag(FollowUpReason.candidate_message, f"the candidate texted: {body}")
    else:
        conversation.flag(conversation.follow_up_reason, f"{conversation.follow_up_note}; texted: {body}")
