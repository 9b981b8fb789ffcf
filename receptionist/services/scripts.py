"""The engine's pure :class:`AgentScript` of an agent: built from its rows, cached per version.

Building a script reads the agent, its questions and policies, its company and the company's
open postings (several statements and a few hundred objects), which no webhook should pay
for. :func:`script_for` keeps the built script per process, keyed by the agent's id and its
``script_version``, a random token that :func:`_new_version_on_edit` replaces in the same
flush as any change to what the script is built from (the agent, its questions or policies,
its company or the company's postings), whoever makes it: a company reload, the recruiter
API, a test. A webhook reads the token with the agent's row anyway, so every process sees an
edit at its next webhook after the commit, and nothing has to be told to forget anything.

A change written with a Core ``UPDATE``/``DELETE`` (no ORM object) bypasses the hook: call
:func:`changed` in the same transaction.
"""
from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from itertools import chain
from typing import Any, TypeVar

from sqlalchemy import event, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ..engine.script import AgentScript, OptionSpec, PolicySpec, PostingSpec, QuestionSpec
from ..adapters.models import Agent, Company, Policy, Posting, ScreeningQuestion
from .unit_of_work import orm_session

CACHE_SIZE = 768  # things kept per process (kinds x agents x recent versions); the oldest goes first
T = TypeVar("T")

_cache: dict[tuple[str, int, str], Any] = {}
_lock = threading.Lock()


def per_version(name: str, agent_id: int, version: str | None, build: Callable[[], T]) -> T:
    """``build()`` for agent ``agent_id``, kept per process under ``name`` and the agent's
    ``script_version`` as just read (``version``): built once, then returned until an edit
    gives the agent a new version (see the module docstring). Not kept when ``version`` is
    None (an agent not flushed yet). The script, the call settings (``services.calls``) and
    the scored questions (``services.scores``) are kept this way."""
    key = (name, agent_id, version)
    found = _cache.get(key)
    if found is not None:
        return found
    built = build()
    if version is not None:
        with _lock:  # threaded workers: one eviction at a time
            while len(_cache) >= CACHE_SIZE:
                _cache.pop(next(iter(_cache)))
            _cache[key] = built
    return built


def _labels(raw: dict) -> dict[str, tuple[str, ...]]:
    return {lang: tuple([v] if isinstance(v, str) else v) for lang, v in (raw or {}).items()}


def build_script(agent: Agent) -> AgentScript:
    """The flow's view of ``agent``: active questions in rank order, policies, open postings
    (read from the database now; :func:`script_for` is the cached one)."""
    questions = tuple(
        QuestionSpec(key=q.key, kind=q.kind, text=dict(q.text),
                     options=tuple(OptionSpec(o["key"], _labels(o.get("labels"))) for o in q.options or ()),
                     knockout=q.knockout, weight=q.weight, unit=q.unit, implied_by_number=q.implied_by_number,
                     implied_by_phrases=q.implied_by_phrases)
        for q in agent.questions if q.active)
    policies = tuple(PolicySpec(p.key, _labels(p.questions), dict(p.answer)) for p in agent.policies)
    postings = tuple(PostingSpec(p.key, dict(p.title), p.location, _labels(p.also_called))
                     for p in agent.company.postings if p.is_open)
    return AgentScript(
        company_name=agent.company.name,
        languages=tuple(agent.languages or ("en",)),
        greeting=dict(agent.greeting or {}),
        disclosure=dict(agent.disclosure or {}),
        questions=questions,
        policies=policies,
        postings=postings,
        help_text=dict(agent.help_text or {}),
        on_file_message=dict(agent.on_file_message or {}),
    )


def _compiled(agent: Agent) -> tuple[AgentScript, dict[str, int]]:
    """(script, {question key: question id}) for ``agent``'s current ``script_version``."""
    return per_version("script", agent.id, agent.script_version, lambda: _build(agent))


def _build(agent: Agent) -> tuple[AgentScript, dict[str, int]]:
    return build_script(agent), {q.key: q.id for q in agent.questions if q.active}


def script_for(agent: Agent) -> AgentScript:
    """``agent``'s script, built once per process and ``script_version`` (see the module
    docstring); as of the agent row's last flush."""
    return _compiled(agent)[0]


def compiled_by_id(session: Session | Connection, agent_id: int, version: str | None) -> tuple[AgentScript, dict[str, int]]:
    """(script, {question key: question id}) of agent ``agent_id`` at ``version`` (its
    ``script_version`` as just read), from the cache without loading the agent; a miss loads
    the agent (``session.get``; for a ``UnitOfWork.run(orm=False)`` Connection, on a Session
    joined to it) and builds it. Raises LookupError for an unknown agent."""
    def build() -> tuple[AgentScript, dict[str, int]]:
        agent = orm_session(session).get(Agent, agent_id)
        if agent is None:
            raise LookupError(f"no agent {agent_id}")
        return _build(agent)
    return per_version("script", agent_id, version, build)


def question_id(agent: Agent, key: str) -> int:
    """The id of ``agent``'s active question ``key`` (from the cache: no statement).
    Raises KeyError when the agent has no such active question."""
    return _compiled(agent)[1][key]


def changed(session: Session, *, agent_ids=(), company_ids=()) -> None:
    """Give the agents ``agent_ids`` and every agent of ``company_ids`` a new script version
    (for edits the ORM does not see; ORM edits are found by :func:`_new_version_on_edit`)."""
    agent_ids, company_ids = set(agent_ids), set(company_ids)
    if not agent_ids and not company_ids:
        return
    with session.no_autoflush:
        agents = {session.get(Agent, agent_id) for agent_id in agent_ids}
        if company_ids:
            agents.update(session.scalars(select(Agent).where(Agent.company_id.in_(company_ids))))
    for agent in agents:
        if agent is not None:
            agent.script_version = uuid.uuid4().hex


@event.listens_for(Session, "before_flush")
def _new_version_on_edit(session: Session, _flush_context, _instances) -> None:
    """Before every flush (any session of the process): a new script version for each agent
    whose script rows are created, changed or deleted in it."""
    agent_ids: set[int] = set()
    company_ids: set[int] = set()
    for obj in chain(session.new, session.dirty, session.deleted):
        if not isinstance(obj, (Agent, ScreeningQuestion, Policy, Posting, Company)):
            continue
        if obj in session.dirty and not session.is_modified(obj):
            continue
        if isinstance(obj, Agent):
            if obj not in session.new and obj not in session.deleted:
                obj.script_version = uuid.uuid4().hex
        elif isinstance(obj, (ScreeningQuestion, Policy)):
            agent_ids.add(obj.agent_id if obj.agent_id is not None else getattr(obj.agent, "id", None))
        elif isinstance(obj, Posting):
            company_ids.add(obj.company_id if obj.company_id is not None else getattr(obj.company, "id", None))
        elif obj not in session.new:  # a company renamed
            company_ids.add(obj.id)
    agent_ids.discard(None)
    company_ids.discard(None)
    changed(session, agent_ids=agent_ids, company_ids=company_ids)
