"""The recruiter API's shapes (pydantic v2): they validate requests, shape responses, and
are the OpenAPI document's schemas (``spec.py``), so the document says what the code does.

Conventions (the interview platform's v4 API, DESIGN.md): one object is
``{"object": NAME, "data": {...}}``; a list is ``{"object": "list", "data": [...],
"total_count", "has_more", "limit", "url"}``; an error is ``{"object": "error", "data":
{"type", "message", "field"}}``. Times are ISO 8601 in UTC. Strings stored in sized
columns carry their column's length; no text may hold NUL (PostgreSQL refuses it).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Any, Generic, Literal, TypeVar, get_type_hints

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, create_model

from ...engine.interpret.numbers import UNITS as NUMBER_UNITS
from ...engine.vocabulary import AgentKind, QuestionKind, RoutingMode, WebhookEvent
from ...services.candidates import (SORTS, CandidateDetail, CandidateRow, ConversationDetail, PipelineStatus,
                                    RoutingEvent)

T = TypeVar("T")
MAX_ID = 2**31 - 1  # ids are 32-bit on PostgreSQL; larger ones are simply not found


def _text(max_length: int | None = None, min_length: int = 0):
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length, pattern=r"^[^\x00]*$")]


Key = Annotated[str, StringConstraints(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
Name = _text(200, 1)
LongText = _text(5000)
Language = Annotated[str, StringConstraints(min_length=2, max_length=8, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]+)?$")]
Texts = Annotated[dict[Language, _text(2000, 1)], Field(min_length=1, description="{language: text}")]
Phrases = Annotated[dict[Language, Annotated[list[_text(500, 1)], Field(min_length=1)]],
                    Field(min_length=1, description="{language: [ways to say it]}")]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def _utc(value: dt.datetime) -> dt.datetime:
    try:
        return value.astimezone(dt.timezone.utc)
    except OverflowError:
        raise ValueError("out of range once in UTC") from None


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_utc),
                        Field(description="ISO 8601 with a time zone, e.g. 2026-11-24T09:00:00Z")]


class Strict(BaseModel):
    """Request shapes: unknown fields are an error (a typo never passes silently)."""

    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    """Response shapes, read from the service's objects."""

    model_config = ConfigDict(from_attributes=True)


# ---------------------------------------------------------------- envelopes

class One(Out, Generic[T]):
    object: str
    data: T


class Page(Out, Generic[T]):
    object: Literal["list"] = "list"
    data: list[T]
    total_count: int
    has_more: bool
    limit: int
    url: str


class ErrorData(Out):
    type: Literal["invalid_request", "unauthorized", "not_found", "conflict", "rate_limited", "bad_request"]
    message: str
    field: str | None = None


class Error(Out):
    object: Literal["error"] = "error"
    data: ErrorData


class ListQuery(Strict):
    """Paging; like every query, an unknown parameter is 422 (a misspelt filter never
    silently returns everything)."""

    limit: Annotated[int, Field(ge=1, le=100)] = 50
    starting_after: Id | None = None


# ---------------------------------------------------------------- agents, numbers, questions, policies

class Routing(Out):
    mode: RoutingMode
    threshold: Annotated[int, Field(ge=0, le=100)]


class RoutingChange(Strict):
    mode: RoutingMode | None = None
    threshold: Annotated[int, Field(ge=0, le=100)] | None = None


class PhoneNumberOut(Out):
    object: Literal["phone_number"] = "phone_number"
    id: int
    e164: str


PhoneText = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^[0-9+() .-]+$")]


class AgentOut(Out):
    object: Literal["agent"] = "agent"
    id: int
    slug: str
    kind: AgentKind
    name: str
    timezone: str
    languages: list[str]
    greeting: dict[str, str]
    disclosure: dict[str, str]
    help_text: dict[str, str]
    routing: Routing
    phone_numbers: list[PhoneNumberOut]
    switchboard_numbers: list[str] = Field(description="the company's own lines (E.164) that forward calls to "
                                           "this receptionist with their caller ID: their calls are unknown callers")


class AgentQuery(ListQuery):
    kind: AgentKind | None = None


class AgentChange(Strict):
    name: Name | None = None
    timezone: _text(64, 1) | None = None
    greeting: Texts | None = None
    disclosure: Texts | None = None
    help_text: Texts | None = None
    routing: RoutingChange | None = None
    switchboard_numbers: Annotated[list[PhoneText], Field(max_length=50)] | None = None


class NumberIn(Strict):
    phone_number: PhoneText


class OptionIn(Strict):
    key: Key
    labels: Phrases
    credit: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False,
                                   description="share of the weight this choice earns")] | None = None


class QuestionOut(Out):
    object: Literal["question"] = "question"
    id: int
    agent_id: int
    key: str
    rank: int
    kind: QuestionKind
    text: dict[str, str]
    options: list[dict[str, Any]]
    knockout: dict[str, Any] | None
    weight: float
    scoring: dict[str, Any] | None
    unit: str | None
    implied_by_number: dict[str, int | float] | None
    implied_by_phrases: dict[str, dict[str, list[str]]] | None


Knockout = Annotated[dict[str, Any] | None, Field(
    description='a rule that ends the screening when it matches: {"equals": false}, {"below": 1}, '
                '{"not_in": ["nights"]} (as in the company file)')]
Weight = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False, description="share of the 0-100 score")]
Scoring = Annotated[dict[str, Any] | None, Field(
    description='how an answer earns the weight: {"target": n} (number), {"within_days": n} (date)')]
# How an answer is read (the company file's fields; services.company checks them, naming the field).
Unit = Annotated[Literal[tuple(NUMBER_UNITS)] | None, Field(  # type: ignore[valid-type]
    description='a number question\'s unit: how "six months" or "since 2015" is counted')]
Limit = Annotated[float, Field(allow_inf_nan=False)]
ImpliedByNumber = Annotated[Annotated[dict[Literal["at_least", "at_most"], Limit], Field(min_length=1, max_length=1)]
                            | None, Field(description='a yes_no question a number answers: {"at_least": 18} reads "I\'m 17" as no')]
PhraseList = Annotated[list[_text(500, 1)], Field(min_length=1)]
ImpliedByPhrases = Annotated[Annotated[dict[Language, Annotated[dict[Literal["yes", "no"], PhraseList],
                                                                Field(min_length=1)]], Field(min_length=1)]
                             | None, Field(description=(
    'a yes_no question callers answer in their own words: {language: {"yes": [phrases], "no": [phrases]}}, '
    'e.g. {"en": {"yes": ["citizen"], "no": ["need sponsorship"]}}; a negation turns a phrase over'))]


class QuestionIn(Strict):
    key: Key
    kind: QuestionKind
    text: Texts
    options: list[OptionIn] = []
    knockout: Knockout = None
    weight: Weight = 0
    scoring: Scoring = None
    unit: Unit = None
    implied_by_number: ImpliedByNumber = None
    implied_by_phrases: ImpliedByPhrases = None


class QuestionChange(Strict):
    kind: QuestionKind | None = None
    text: Texts | None = None
    options: list[OptionIn] | None = None
    knockout: Knockout = None
    weight: Weight | None = None
    scoring: Scoring = None
    unit: Unit = None
    implied_by_number: ImpliedByNumber = None
    implied_by_phrases: ImpliedByPhrases = None


class Reorder(Strict):
    question_ids: Annotated[list[Id], Field(min_length=1, max_length=200)]


class PolicyOut(Out):
    object: Literal["policy"] = "policy"
    id: int
    agent_id: int
    key: str
    questions: dict[str, list[str]]
    answer: dict[str, str]


class PolicyIn(Strict):
    key: Key
    questions: Phrases
    answer: Texts


class PolicyChange(Strict):
    questions: Phrases | None = None
    answer: Texts | None = None


# ---------------------------------------------------------------- postings

class PostingOut(Out):
    object: Literal["posting"] = "posting"
    id: int
    key: str
    title: dict[str, str]
    location: str | None
    description: str | None
    open: bool
    interview_posting_id: str | None
    also_called: dict[str, list[str]] | None


AlsoCalled = Annotated[Annotated[dict[Language, PhraseList], Field(min_length=1)] | None, Field(description=(
    'what people also call the job, {language: [phrases]}, e.g. {"en": ["CDL driver"], "es": ["chofer"]}: '
    'a caller or texter who says one picks this posting'))]


class PostingQuery(ListQuery):
    open: bool | None = None


class PostingIn(Strict):
    key: Key
    title: _text(200, 1) | Texts
    location: _text(200) | None = None
    description: LongText | None = None
    open: bool = True
    interview_posting_id: _text(120) | None = None
    also_called: AlsoCalled = None


class PostingChange(Strict):
    title: _text(200, 1) | Texts | None = None
    location: _text(200) | None = None
    description: LongText | None = None
    open: bool | None = None
    interview_posting_id: _text(120) | None = None
    also_called: AlsoCalled = None


# ---------------------------------------------------------------- candidates and conversations

def _from_dataclass(name: str, object_name: str, *sources: type, drop: tuple[str, ...] = ()) -> type[Out]:
    """A response model with the fields of the service's result dataclasses (``sources``, in
    order; nested dataclasses stay as they are: pydantic reads and documents them), plus
    ``object``. One declaration of each result: the service's."""
    fields: dict[str, Any] = {"object": (Literal[object_name], object_name)}  # type: ignore[valid-type]
    for source in sources:
        hints = get_type_hints(source)
        fields |= {f.name: (hints[f.name], ...) for f in dataclasses.fields(source) if f.name not in drop}
    return create_model(name, __base__=Out, **fields)


CandidateOut = _from_dataclass("CandidateOut", "candidate", CandidateRow)
CandidateDetailOut = _from_dataclass("CandidateDetailOut", "candidate", CandidateRow, CandidateDetail, drop=("row",))
ConversationOut = _from_dataclass("ConversationOut", "conversation", ConversationDetail)


class CandidateQuery(ListQuery):
    q: _text(200) | None = Field(None, description="name or e-mail substring, or phone digits")
    status: PipelineStatus | None = None
    agent_id: Id | None = None
    score_min: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] | None = None
    score_max: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] | None = None
    since: UtcDatetime | None = None
    until: UtcDatetime | None = None
    sort: Literal[SORTS] = "-last_engaged"  # type: ignore[valid-type]


class ExportQuery(CandidateQuery):
    format: Literal["csv", "json"] = "csv"
    limit: Annotated[int, Field(ge=1, le=100_000)] = 100_000


# ---------------------------------------------------------------- approvals and webhooks

class InviteOut(Out):
    status: str
    attempts: int
    last_error: str | None


class ApprovalOut(Out):
    """An application in (or through) the approval queue."""

    object: Literal["approval"] = "approval"
    id: int
    candidate_id: int
    candidate_name: str | None
    posting_id: int
    invite_posting_id: int | None
    agent_id: int
    screening: str
    score: float | None
    duplicate_check: str
    routing: str
    interview_url: str | None
    invite: InviteOut | None
    routing_history: list[RoutingEvent]
    created_at: dt.datetime
    updated_at: dt.datetime


class ApprovalQuery(ListQuery):
    status: Literal["pending"] = "pending"


class ApproveIn(Strict):
    posting_id: Id | None = Field(None, description="invite to this open posting instead of the applied one")


class DismissIn(Strict):
    reason: _text(2000, 1)
    notify_candidate: bool = Field(False, description="send the candidate a polite text")


class WebhookOut(Out):
    object: Literal["webhook"] = "webhook"
    id: int
    url: str
    events: list[WebhookEvent]
    created_at: dt.datetime


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="signs every delivery (HMAC-SHA256); shown only now")


class WebhookIn(Strict):
    url: Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=r"^https?://[^\s\x00]+$")]
    events: Annotated[list[WebhookEvent], Field(min_length=1)]
