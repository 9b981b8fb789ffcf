"""The data model (SQLAlchemy 2.0 declarative). Every change here needs a migration.

Words follow DESIGN.md: an *agent* is a receptionist (voice) or an SMS screening agent;
a *conversation* is one call or one text thread with one candidate; an *application* is a
candidate applying to a posting, fed by one or more conversations; *answers* are the
interpreted replies to screening questions; the *transcript* keeps every line said; the
*outbox* holds every side effect (a text, an invite, an ATS writeback) before a job runs it.
Times are stored timezone-aware in UTC (:class:`UTCDateTime`).
"""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# The domain's words are the engine's; models store them (and services import them from here).
from ..engine.vocabulary import (AgentKind, AnswerSource, Channel, ConfirmationStatus, ConversationStatus,
                                 DuplicateCheck, FollowUpReason, OutboxStatus, QuestionKind, RoutingMode,
                                 RoutingState, ScreeningOutcome, Speaker)



def utcnow() -> dt.datetime:
    """Now, timezone-aware UTC."""
    return dt.datetime.now(dt.timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every backend (SQLite drops the offset on read)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime: store timezone-aware UTC values")
            value = value.astimezone(dt.timezone.utc)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: UTCDateTime, dict: JSON, list: JSON}


def _enum(cls) -> Enum:
    # Stored as plain strings with a CHECK: portable across SQLite and PostgreSQL.
    return Enum(cls, native_enum=False, length=20, validate_strings=True,
                values_callable=lambda e: [m.value for m in e], name=cls.__name__.lower())


class Company(Base):
    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # The company's ATS (``services.company`` parses the YAML ``ats:`` block): kind, base_url,
    # credentials_env (names of environment variables, never the secrets), jobs, reply_within_days.
    ats_config: Mapped[dict | None] = mapped_column(JSON, nullable=True)

    agents: Mapped[list["Agent"]] = relationship(back_populates="company")
    postings: Mapped[list["Posting"]] = relationship(back_populates="company", order_by="Posting.id")


class Agent(Base):
    """A receptionist (voice) or an SMS screening agent of a company.

    ``greeting``, ``disclosure`` and ``help_text`` map a language code ("en", "es") to text;
    ``voices`` maps a language code to a Twilio ``<Say voice>`` name. ``recording``: calls
    are recorded (``<Start><Recording>``; receptionists only). ``speech``: speech recognition
    settings (``settings.SpeechSettings.as_dict``; NULL or {} means the defaults).
    """

    __tablename__ = "agents"
    __table_args__ = (UniqueConstraint("company_id", "slug"),
                      CheckConstraint("routing_threshold BETWEEN 0 AND 100", name="threshold_range"))

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(80))
    kind: Mapped[AgentKind] = mapped_column(_enum(AgentKind))
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="America/New_York")
    languages: Mapped[list] = mapped_column(default=lambda: ["en"])
    voices: Mapped[dict] = mapped_column(default=dict)
    greeting: Mapped[dict] = mapped_column(default=dict)
    disclosure: Mapped[dict] = mapped_column(default=dict)
    help_text: Mapped[dict] = mapped_column(default=dict)
    routing_mode: Mapped[RoutingMode] = mapped_column(_enum(RoutingMode), default=RoutingMode.manual)
    routing_threshold: Mapped[int] = mapped_column(default=70)
    recording: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    speech: Mapped[dict | None] = mapped_column(JSON, nullable=True, default=dict)
    # {language: text} said to a caller whose application is on file ({job}, {date}, {days}); None: default.
    on_file_message: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    # The company's own lines (E.164) that forward calls to this receptionist with their own
    # caller ID (a PBX or IVR hand-off): a call from one is an unknown caller's.
    switchboard_numbers: Mapped[list | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # A new random token whenever anything the agent's script is built from changes: the key of
    # the compiled script cached in each process (services.scripts).
    script_version: Mapped[str | None] = mapped_column(String(32), nullable=True,
                                                       default=lambda: uuid.uuid4().hex)

    company: Mapped[Company] = relationship(back_populates="agents")
    phone_numbers: Mapped[list["PhoneNumber"]] = relationship(back_populates="agent")
    questions: Mapped[list["ScreeningQuestion"]] = relationship(
        back_populates="agent", order_by="ScreeningQuestion.rank")
    policies: Mapped[list["Policy"]] = relationship(back_populates="agent", order_by="Policy.id")


class PhoneNumber(Base):
    """An E.164 number answered by exactly one agent (unique across all agents)."""

    __tablename__ = "phone_numbers"

    id: Mapped[int] = mapped_column(primary_key=True)
    e164: Mapped[str] = mapped_column(String(16), unique=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)

    agent: Mapped[Agent] = relationship(back_populates="phone_numbers")


class ScreeningQuestion(Base):
    """A screening question, asked in ``rank`` order.

    ``text``: {language: question}. ``options`` (choice): [{"key", "labels": {language: [..]}}].
    ``knockout``: a rule that ends screening when it matches, or null, e.g.
    ``{"equals": false}`` (yes/no), ``{"below": 1}`` (number), ``{"not_in": ["nights"]}``.
    ``weight``: share of the 0-100 score.
    """

    __tablename__ = "screening_questions"
    __table_args__ = (UniqueConstraint("agent_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(80))
    rank: Mapped[int]
    kind: Mapped[QuestionKind] = mapped_column(_enum(QuestionKind))
    text: Mapped[dict]
    options: Mapped[list] = mapped_column(default=list)
    knockout: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    weight: Mapped[float] = mapped_column(Float, default=0.0)
    # How an answer earns the weight (engine.scoring): {"target": n} (number), {"within_days": n} (date).
    scoring: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    unit: Mapped[str | None] = mapped_column(String(20), nullable=True)  # number: "years" | "months"
    implied_by_number: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # yes/no: {"at_least": 18}
    # yes/no: {language: {"yes": [phrases], "no": [phrases]}} ("I'm a citizen" -> yes)
    implied_by_phrases: Mapped[dict | None] = mapped_column(JSON, nullable=True)

    agent: Mapped[Agent] = relationship(back_populates="questions")


class Policy(Base):
    """A company policy the receptionist answers from (FAQ).

    ``questions``: {language: [ways a caller may ask]}; ``answer``: {language: text}.
    """

    __tablename__ = "policies"
    __table_args__ = (UniqueConstraint("agent_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(80))
    questions: Mapped[dict]
    answer: Mapped[dict]

    agent: Mapped[Agent] = relationship(back_populates="policies")


class Posting(Base):
    """An open job (posting). ``title``: {language: title}; ``also_called``: {language: [phrases]}."""

    __tablename__ = "postings"
    __table_args__ = (UniqueConstraint("company_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(80))
    title: Mapped[dict]
    location: Mapped[str | None] = mapped_column(String(200), nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    interview_posting_id: Mapped[str | None] = mapped_column(String(120), nullable=True)
    # {language: [what people also call the job]}: "chofer", "CDL driver" (engine.script.PostingSpec).
    also_called: Mapped[dict | None] = mapped_column(nullable=True)

    company: Mapped[Company] = relationship(back_populates="postings")


class Candidate(Base):
    """A person who called or texted, keyed by E.164 phone (unique)."""

    __tablename__ = "candidates"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str | None] = mapped_column(String(16), unique=True, nullable=True)  # None: hidden caller ID
    # A number to text said on a call whose caller ID takes no texts (E.164; the latest one),
    # unverified until a text from it confirms the details (``text_number_confirmed_at``).
    text_number: Mapped[str | None] = mapped_column(String(16), nullable=True, index=True)
    text_number_confirmed_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True, index=True)
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    opted_out_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    conversations: Mapped[list["Conversation"]] = relationship(back_populates="candidate")


class Conversation(Base):
    """One call (voice) or one text thread (sms) between an agent and a candidate.

    ``state`` is the engine's serialised state (see ``engine.flow.CallState``);
    ``step`` counts the turns the engine has taken (the idempotency key with CallSid).
    """

    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_status_started", "status", "started_at"),
                      Index("ix_conversations_agent_started", "agent_id", "started_at"),
                      # the candidate list's grouped pass (services.candidates)
                      Index("ix_conversations_agent_candidate", "agent_id", "candidate_id", "id", "application_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    posting_id: Mapped[int | None] = mapped_column(ForeignKey("postings.id"), nullable=True)
    # The application this conversation feeds (set when the candidate picks a posting).
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"), nullable=True, index=True)
    call_sid: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    to_number: Mapped[str] = mapped_column(String(16))
    forwarded_from: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # The number said on this call for its confirmation text (the caller ID takes none), E.164:
    # the text goes there, and a reply from it answers this call's confirmation.
    text_number: Mapped[str | None] = mapped_column(String(16), nullable=True, index=True)
    source: Mapped[str | None] = mapped_column(String(80), nullable=True)
    language: Mapped[str] = mapped_column(String(8), default="en")
    state: Mapped[dict] = mapped_column(default=dict)
    step: Mapped[int] = mapped_column(default=0)
    # How many transcript lines it has: the next line's seq (services.conversations.add_transcript).
    transcript_lines: Mapped[int] = mapped_column(default=0, server_default="0")
    status: Mapped[ConversationStatus] = mapped_column(
        _enum(ConversationStatus), default=ConversationStatus.in_progress)
    # Set when a recruiter should look at it: why (typed) and what happened (words).
    follow_up_reason: Mapped[FollowUpReason | None] = mapped_column(_enum(FollowUpReason), nullable=True)
    follow_up_note: Mapped[str | None] = mapped_column(String(200), nullable=True)
    call_duration: Mapped[int | None] = mapped_column(Integer, nullable=True)  # seconds
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    # The candidate's last message or answer (SMS: nudges and expiry count from here).
    last_activity_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    nudged_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    # Confirmation by text after a call: pending -> confirmed | unconfirmed (no reply in time).
    confirmation_status: Mapped[ConfirmationStatus | None] = mapped_column(
        _enum(ConfirmationStatus), nullable=True, index=True)
    confirmation_sent_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    confirmation_reminded_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    # The call's recording, referenced (Twilio's recording status callback), never copied.
    recording_sid: Mapped[str | None] = mapped_column(String(34), nullable=True)
    recording_url: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    recording_duration: Mapped[int | None] = mapped_column(Integer, nullable=True)  # seconds
    recording_status: Mapped[str | None] = mapped_column(String(32), nullable=True)

    agent: Mapped[Agent] = relationship()
    candidate: Mapped[Candidate] = relationship(back_populates="conversations")
    posting: Mapped[Posting | None] = relationship()
    application: Mapped["Application | None"] = relationship(back_populates="conversations")
    answers: Mapped[list["Answer"]] = relationship(back_populates="conversation", order_by="Answer.id")
    transcript: Mapped[list["TranscriptLine"]] = relationship(
        back_populates="conversation", order_by="TranscriptLine.seq")

    @property
    def needs_follow_up(self) -> bool:
        """True when a recruiter should look at this conversation (``follow_up_reason`` set)."""
        return self.follow_up_reason is not None

    def flag(self, reason: FollowUpReason, note: str) -> None:
        """Ask a recruiter to follow up: ``reason`` (typed) and ``note`` (what happened, <= 200 chars)."""
        self.follow_up_reason, self.follow_up_note = reason, note[:200]

    def clear_flag(self, reason: FollowUpReason) -> None:
        """Withdraw the follow-up when it was raised for ``reason`` (e.g. a late confirmation)."""
        if self.follow_up_reason == reason:
            self.follow_up_reason = self.follow_up_note = None


class Application(Base):
    """A candidate applying to a posting: what routing needs, fed by one or more conversations.

    Created when a screening picks a posting (one per candidate and posting: a second call
    about the same job feeds the same application). ``score`` (0-100) is filled in by
    scoring; ``duplicate_check`` by the ATS check; ``routing`` by routing.
    """

    __tablename__ = "applications"
    __table_args__ = (UniqueConstraint("candidate_id", "posting_id"),
                      Index("ix_applications_routing_updated", "routing", "updated_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"))
    posting_id: Mapped[int] = mapped_column(ForeignKey("postings.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)  # the agent that screened
    screening_outcome: Mapped[ScreeningOutcome] = mapped_column(
        _enum(ScreeningOutcome), default=ScreeningOutcome.in_progress)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    duplicate_check: Mapped[DuplicateCheck] = mapped_column(_enum(DuplicateCheck), default=DuplicateCheck.not_started)
    routing: Mapped[RoutingState] = mapped_column(_enum(RoutingState), default=RoutingState.not_routed)
    # The posting the invite goes to: the application's own, or another a recruiter approved it for.
    invite_posting_id: Mapped[int | None] = mapped_column(ForeignKey("postings.id"), nullable=True)
    interview_url: Mapped[str | None] = mapped_column(String(500), nullable=True)  # from the platform
    # Every ATS record the duplicate check matched, in order (``services.duplicates.Match.to_dict``).
    duplicate_matches: Mapped[list | None] = mapped_column(JSON, nullable=True)
    # The ATS records the writeback created or merged into (never matched as a duplicate of itself).
    ats_candidate_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    ats_application_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    candidate: Mapped[Candidate] = relationship()
    posting: Mapped[Posting] = relationship(foreign_keys=[posting_id])
    invite_posting: Mapped[Posting | None] = relationship(foreign_keys=[invite_posting_id])
    agent: Mapped[Agent] = relationship()
    routing_events: Mapped[list["RoutingEvent"]] = relationship(back_populates="application",
                                                                order_by="RoutingEvent.id")
    conversations: Mapped[list[Conversation]] = relationship(back_populates="application",
                                                             order_by="Conversation.started_at")


class RoutingEvent(Base):
    """One change of an application's routing state (the routing history): from, to, who
    (``actor``: "system", "api", a user), why (``reason``) and for which posting."""

    __tablename__ = "routing_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    from_state: Mapped[RoutingState] = mapped_column(_enum(RoutingState))
    to_state: Mapped[RoutingState] = mapped_column(_enum(RoutingState))
    actor: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    posting_id: Mapped[int | None] = mapped_column(ForeignKey("postings.id"), nullable=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    application: Mapped[Application] = relationship(back_populates="routing_events")
    posting: Mapped[Posting | None] = relationship()


class Webhook(Base):
    """A company's outbound webhook: ``url`` receives the ``events`` it subscribed to, each
    delivery signed with ``secret`` (HMAC-SHA256; shown once at creation)."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list]
    secret: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Answer(Base):
    """A screening question answered in a conversation (at most once)."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("conversation_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("screening_questions.id"))
    raw_text: Mapped[str] = mapped_column(Text)
    source: Mapped[AnswerSource] = mapped_column(_enum(AnswerSource))
    value: Mapped[dict]  # {"value": <json>} so that false/0/dates survive every backend
    confidence: Mapped[float] = mapped_column(Float)  # speech x interpreter (1.0 for keys and texts)
    speech_confidence: Mapped[float | None] = mapped_column(Float, nullable=True)  # Twilio's; None: not spoken
    interpreter_confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    # True: confirmed at a read-back; False: the candidate's correction after a denied
    # read-back; None: not read back (see engine.flow.AnswerGiven).
    confirmed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    knocked_out: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    conversation: Mapped[Conversation] = relationship(back_populates="answers")
    question: Mapped[ScreeningQuestion] = relationship()


class TranscriptLine(Base):
    """One line of a conversation, in order (``seq``)."""

    __tablename__ = "transcript_lines"
    __table_args__ = (UniqueConstraint("conversation_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    seq: Mapped[int]
    speaker: Mapped[Speaker] = mapped_column(_enum(Speaker))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    conversation: Mapped[Conversation] = relationship(back_populates="transcript")


class CallTurn(Base):
    """The TwiML returned for one step of a call, so a retried webhook gets the same reply.

    Primary key (conversation, step): a duplicate request racing the first one fails to
    insert and returns the stored reply instead of acting twice.
    """

    __tablename__ = "call_turns"

    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True)
    step: Mapped[int] = mapped_column(primary_key=True)
    twiml: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class OutboxItem(Base):
    """The outbox: every side effect (a text, an invite, an ATS writeback, a webhook delivery)
    is first a row here, written in the same transaction as the state change that decides it,
    then run by an RQ job (``jobs.outbox``) through the handler of its ``kind``.

    ``idempotency_key`` (unique) makes writing the same effect twice a no-op, e.g.
    ``confirmation:{conversation_id}``. ``payload`` is the kind's input (an SMS: to, from,
    body). ``recipient`` is whom it reaches (a phone in E.164 for a text), for consent checks
    and lookups. ``status`` is ours (:class:`OutboxStatus`); the provider's own record of it
    (Twilio's MessageSid, MessageStatus, ErrorCode) sits in the ``provider_*`` columns.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_created", "status", "created_at"),
                      Index("ix_outbox_recipient_created", "recipient", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # an OutboxKind value (tests add their own kinds)
    purpose: Mapped[str] = mapped_column(String(40))  # why, e.g. "confirmation", "nudge"
    idempotency_key: Mapped[str] = mapped_column(String(160), unique=True)
    payload: Mapped[dict] = mapped_column(default=dict)
    recipient: Mapped[str | None] = mapped_column(String(320), nullable=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), nullable=True)
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("candidates.id"), nullable=True, index=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"), nullable=True,
                                                        index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"), nullable=True,
                                                       index=True)
    status: Mapped[OutboxStatus] = mapped_column(_enum(OutboxStatus), default=OutboxStatus.pending)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)  # a retry is due then
    provider_ref: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    provider_status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    provider_error_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)

    candidate: Mapped[Candidate | None] = relationship()
    conversation: Mapped[Conversation | None] = relationship()


class InboundMessage(Base):
    """A text received (Twilio's messaging webhook), kept with the reply we gave, so a
    retried webhook (same MessageSid) gets the same reply and is processed once."""

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_sid: Mapped[str] = mapped_column(String(64), unique=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), nullable=True)
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("candidates.id"), nullable=True, index=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"), nullable=True)
    from_number: Mapped[str] = mapped_column(String(32))
    to_number: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text, default="")
    num_media: Mapped[int] = mapped_column(Integer, default=0)
    media_urls: Mapped[list] = mapped_column(default=list)
    reply: Mapped[str] = mapped_column(Text, default="")  # the TwiML we answered with
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# ---------------------------------------------------------------- the ATS (issue 10)


class ATSCheck(Base):
    """One lookup of a candidate in the company's ATS, by phone and/or email, run by a job.

    ``purpose``: "prefetch" (when a call or text arrives; read by the flow after the menu),
    "after_call" (the screening ended: decides ``Application.duplicate_check``), "confirmed"
    (the email is known). ``status``: pending -> done | failed (retries used up; ``ats retry``).
    ``matches``: the ATS records found, most recent activity first (``services.duplicates``).
    """

    __tablename__ = "ats_checks"
    __table_args__ = (Index("ix_ats_checks_candidate_created", "candidate_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"))
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"), nullable=True, index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"), nullable=True, index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    phone: Mapped[str | None] = mapped_column(String(16), nullable=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    matches: Mapped[list | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    checked_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)

    application: Mapped[Application | None] = relationship()
    conversation: Mapped[Conversation | None] = relationship()


class ATSRecord(Base):
    """A candidate record held locally: the built-in ATS's own candidates (``source``
    "builtin:{company}") or a mirror of an ATS that cannot search by phone
    ("greenhouse:{company}"). ``ats_id`` is the ATS's id (for the built-in one, ours)."""

    __tablename__ = "ats_records"
    __table_args__ = (UniqueConstraint("source", "ats_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(120))
    ats_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), default="")
    last_activity_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    synced_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)

    contacts: Mapped[list["ATSContact"]] = relationship(back_populates="record", cascade="all, delete-orphan")
    applications: Mapped[list["ATSRecordApplication"]] = relationship(
        back_populates="record", cascade="all, delete-orphan", order_by="ATSRecordApplication.id")


class ATSContact(Base):
    """A phone (E.164) or email (trimmed, case-folded) of an :class:`ATSRecord`: the lookup index."""

    __tablename__ = "ats_contacts"
    __table_args__ = (UniqueConstraint("record_id", "value"), Index("ix_ats_contacts_value", "value"))

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("ats_records.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))  # "phone" | "email"
    value: Mapped[str] = mapped_column(String(320))

    record: Mapped[ATSRecord] = relationship(back_populates="contacts")


class ATSRecordApplication(Base):
    """An application of an :class:`ATSRecord` (the built-in ATS's, or a mirrored one)."""

    __tablename__ = "ats_record_applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("ats_records.id", ondelete="CASCADE"), index=True)
    ats_id: Mapped[str] = mapped_column(String(64))
    job_id: Mapped[str] = mapped_column(String(64))
    job_title: Mapped[str] = mapped_column(String(200), default="")
    stage: Mapped[str] = mapped_column(String(80), default="new")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    applied_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_activity_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    record: Mapped[ATSRecord] = relationship(back_populates="applications")


class ATSNote(Base):
    """A note the built-in ATS keeps on a candidate record (the writeback's answers and score)."""

    __tablename__ = "ats_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("ats_records.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class User(Base):
    """A recruiter who signs in to the pages (``services.users``); sees one company's data.

    ``password_hash``: werkzeug's ``scrypt:...`` string (never the password). ``email`` is
    stored lower-cased and is unique across companies (it is the login name).
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)

    company: Mapped[Company] = relationship()


class LoginAttempt(Base):
    """One failed sign-in, kept for the lockout window (``services.users.authenticate``):
    in the database so the limit holds across gunicorn workers. ``email`` as typed (lower-cased),
    ``ip`` the client address; rows older than the window are deleted as new ones arrive."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_email_at", "email", "at"),
                      Index("ix_login_attempts_ip_at", "ip", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    ip: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    """A recruiter API key (``X-API-KEY``) of one company.

    Only ``key_hash`` (SHA-256 hex of the key) is stored: the key is 256 random bits, so a
    fast hash cannot be brute-forced and lets a request find its key by an indexed lookup.
    ``prefix`` (the key's first characters) names it in listings; ``revoked_at`` ends it.
    """

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)

    company: Mapped[Company] = relationship()


class CandidateListRow(Base):
    """One candidate as one company's list shows them: a summary of the latest conversation
    with the company and the latest application it fed, kept by ``services.candidate_list``
    in the transaction that changes them (a flush hook), so a page of the list is an indexed
    range instead of a grouped pass over every conversation.

    ``status``: a ``services.candidates.PipelineStatus`` value. ``sort_score``: the score, -1
    when unscored (the list's score order). ``name_key``/``email_key``: lower case, for search.
    Not here: ``last_engaged``, which moves on every turn (read from the conversation).
    """

    __tablename__ = "candidate_list"
    __table_args__ = (Index("ix_candidate_list_recent", "company_id", "conversation_id"),
                      Index("ix_candidate_list_status_recent", "company_id", "status", "conversation_id"),
                      Index("ix_candidate_list_score", "company_id", "sort_score", "candidate_id"),
                      Index("ix_candidate_list_status_score", "company_id", "status", "sort_score", "candidate_id"))

    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"), primary_key=True,
                                              index=True)
    conversation_id: Mapped[int] = mapped_column(Integer)
    application_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    agent_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    sort_score: Mapped[float] = mapped_column(Float)
    name_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    email_key: Mapped[str | None] = mapped_column(String(320), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(16), nullable=True)
