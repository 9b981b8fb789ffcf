"""The domain's words as ``str`` enums, shared by the pure engine, the services and the models.

Each member's value is what is stored (database columns, the flow's JSON state) and what
the API will show, so a value never changes once released. A ``StrEnum`` is its value:
``Phase.menu == "menu"`` and ``f"{Phase.menu}" == "menu"``, so stored JSON and old rows read back.
"""
from __future__ import annotations

import enum


class AgentKind(enum.StrEnum):
    """Which channel an agent answers: a receptionist takes calls, an SMS screening agent texts."""

    receptionist = "receptionist"
    sms_screening = "sms_screening"


class RoutingMode(enum.StrEnum):
    """How a qualified candidate reaches the interview agent."""

    auto = "auto"      # route when score >= threshold
    manual = "manual"  # a recruiter approves from the approval queue


class Channel(enum.StrEnum):
    """How a conversation is held; also selects the wording (``engine.texts.render``)."""

    voice = "voice"
    sms = "sms"


class Phase(enum.StrEnum):
    """Where a conversation is in the flow; the transitions are declared in ``engine.flow.PHASES``."""

    start = "start"
    language = "language"
    menu = "menu"
    faq = "faq"
    role = "role"
    question = "question"
    readback = "readback"  # an understood answer read back for a yes/no confirmation
    name = "name"
    on_file = "on_file"    # a returning caller's application is on file: other roles offered
    text_number = "text_number"                    # a number to text asked for (the caller ID takes none)
    text_number_readback = "text_number_readback"  # that number read back for a yes/no confirmation
    ended = "ended"


class QuestionKind(enum.StrEnum):
    """The kind of answer a screening question expects (which interpreter reads it)."""

    yes_no = "yes_no"
    number = "number"
    date = "date"
    choice = "choice"
    free_text = "free_text"


class ConversationStatus(enum.StrEnum):
    """How a conversation ended (or that it has not)."""

    in_progress = "in_progress"
    completed = "completed"
    knocked_out = "knocked_out"
    abandoned = "abandoned"


class ConfirmationStatus(enum.StrEnum):
    """The text that confirms a call's captured details: sent, then answered or not in time."""

    pending = "pending"
    confirmed = "confirmed"
    unconfirmed = "unconfirmed"


class FollowUpReason(enum.StrEnum):
    """Why a conversation waits for a recruiter (the detail is kept beside it as text)."""

    hung_up = "hung_up"                            # the caller hung up before the end
    not_understood = "not_understood"              # no answer understood after the reprompts
    name_not_captured = "name_not_captured"        # completed, but the name is missing
    details_unconfirmed = "details_unconfirmed"    # the confirmation text got no reply in time
    sms_expired = "sms_expired"                    # an SMS screening went silent too long
    candidate_message = "candidate_message"        # the candidate texted something for a recruiter


class AnswerSource(enum.StrEnum):
    """How an answer arrived: spoken, keyed on the phone, or texted."""

    speech = "speech"
    dtmf = "dtmf"
    sms = "sms"


class Speaker(enum.StrEnum):
    """Who said a transcript line."""

    agent = "agent"
    candidate = "candidate"


class ScreeningOutcome(enum.StrEnum):
    """An application's screening result, from the conversations that fed it."""

    in_progress = "in_progress"
    qualified = "qualified"        # every question answered, no knockout
    knocked_out = "knocked_out"
    incomplete = "incomplete"      # the candidate left before the end


class DuplicateCheck(enum.StrEnum):
    """The ATS duplicate check of an application (filled in by the ATS work)."""

    not_started = "not_started"
    pending = "pending"            # waiting for the ATS (late, or down: retried)
    clear = "clear"                # no earlier record
    duplicate = "duplicate"        # the candidate is already in the ATS for this job


class RoutingState(enum.StrEnum):
    """Where an application is on its way to the interview agent."""

    not_routed = "not_routed"
    pending_approval = "pending_approval"  # in the approval queue
    approved = "approved"                  # invite queued
    invited = "invited"                    # the interview link was sent
    dismissed = "dismissed"


class OutboxKind(enum.StrEnum):
    """The side effects the outbox carries; each kind has one handler (``jobs.outbox``)."""

    sms = "sms"
    invite = "invite"
    ats_writeback = "ats_writeback"
    ats_check = "ats_check"        # a duplicate check against the company's ATS (services.duplicates)
    webhook = "webhook"


class OutboxStatus(enum.StrEnum):
    """An outbox item's state, owned by us. A provider's own delivery status (Twilio's
    MessageStatus) is kept beside it (``provider_status``), never mixed in."""

    pending = "pending"        # written, waiting for its job (or its next attempt)
    sending = "sending"        # claimed by a job: never run twice
    sent = "sent"              # handed to the provider
    failed = "failed"          # given up (a permanent error, or retries used up)
    cancelled = "cancelled"    # not to be sent (e.g. the recipient opted out)


class OutboxPurpose(enum.StrEnum):
    """Why a text is sent (one outbox kind, several reasons)."""

    confirmation = "confirmation"
    confirmation_reminder = "confirmation_reminder"
    nudge = "nudge"


class WebhookEvent(enum.StrEnum):
    """What an outbound webhook can subscribe to (``services.webhooks``)."""

    conversation_completed = "conversation.completed"  # a call or text screening ended (any status)
    pending_approval = "routing.pending_approval"
    invited = "candidate.invited"
    dismissed = "candidate.dismissed"
