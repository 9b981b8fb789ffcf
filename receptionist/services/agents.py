"""A company's configuration as the recruiter API changes it: agents (receptionists and SMS
screening agents), their phone numbers, screening questions and policies, and postings.

Every function takes the company: another company's id is :class:`NotFound`, like an
unknown one. Values are checked by the same validators the YAML loader uses
(``services.company``: ``question_values``, ``policy_values``, ``posting_values``,
``routing_values``), so the API and a company file accept the same data; their
``CompanyFileError`` becomes :class:`Invalid` naming the field (``text``, ``options[0].key``).
Runs in the caller's transaction.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..adapters.models import Agent, PhoneNumber, Policy, Posting, ScreeningQuestion
from ..phones import to_e164
from .company import (CompanyFileError, NumberInUseError, _texts, _timezone, assign_number, policy_values,
                      posting_values, question_values, routing_values, switchboard_numbers)
from .errors import Conflict, Invalid, NotFound

WHERE = "body"  # the validators' prefix for a request body, dropped from the field names we report


def _invalid(exc: CompanyFileError) -> Invalid:
    """``body.text: missing text for es`` -> Invalid(field="text", "missing text for es")."""
    where, _, message = str(exc).partition(": ")
    field = where[len(WHERE) + 1:] if where.startswith(WHERE + ".") else where
    return Invalid(field or "body", message or str(exc))


def _checked(fn, *args) -> dict:
    try:
        return fn(*args)
    except CompanyFileError as exc:
        raise _invalid(exc) from exc


# ---------------------------------------------------------------- agents and numbers

def list_agents(session: Session, company_id: int, kind: str | None = None) -> list[Agent]:
    """The company's agents by id; ``kind``: "receptionist" or "sms_screening" to narrow."""
    return _owned_list(session, Agent, company_id, None if kind is None else Agent.kind == kind)


def get_agent(session: Session, company_id: int, agent_id: int) -> Agent:
    """The company's agent ``agent_id``; raises NotFound."""
    return _owned(session, Agent, company_id, agent_id)


def _owned(session: Session, model, company_id: int, record_id: int):
    """``model`` (a table with ``company_id``) row ``record_id`` if the company owns it, else NotFound."""
    found = session.get(model, record_id)
    if found is None or found.company_id != company_id:
        raise NotFound(f"no {model.__name__.lower()} {record_id}")
    return found


def _owned_list(session: Session, model, company_id: int, condition=None) -> list:
    query = select(model).where(model.company_id == company_id).order_by(model.id)
    return list(session.scalars(query if condition is None else query.where(condition)))


def update_agent(session: Session, company_id: int, agent_id: int, changes: dict[str, Any]) -> Agent:
    """Change an agent's ``name``, ``timezone``, ``greeting``/``disclosure``/``help_text``
    ({language: text} covering the agent's languages), ``routing`` ({mode, threshold}) or
    ``switchboard_numbers`` (a receptionist's: the company's own lines; [] clears them)."""
    agent = get_agent(session, company_id, agent_id)
    values: dict[str, Any] = {}
    if "name" in changes:
        values["name"] = changes["name"]
    if "timezone" in changes:
        values["timezone"] = _checked(_timezone, changes["timezone"], WHERE)
    for name in ("greeting", "disclosure", "help_text"):
        if name in changes:
            values[name] = _checked(_texts, changes[name], agent.languages, f"{WHERE}.{name}")
    if "switchboard_numbers" in changes:
        values["switchboard_numbers"] = _checked(switchboard_numbers, changes["switchboard_numbers"], agent.kind,
                                                 WHERE)
    if "routing" in changes:
        current = {"mode": str(agent.routing_mode), "threshold": agent.routing_threshold}
        values.update(_checked(routing_values, current | dict(changes["routing"]), WHERE))
    for name, value in values.items():
        setattr(agent, name, value)
    session.flush()
    return agent


def add_number(session: Session, company_id: int, agent_id: int, raw: str) -> PhoneNumber:
    """Give the agent the number ``raw`` (any common US/E.164 writing). Raises Invalid
    (``phone_number``) for a number that is not one, Conflict when another agent has it."""
    agent = get_agent(session, company_id, agent_id)
    try:
        e164 = to_e164(raw)
    except ValueError as exc:
        raise Invalid("phone_number", str(exc)) from exc
    try:
        return assign_number(session, agent, e164)
    except NumberInUseError as exc:
        # Never name another company's agent: say only that the number is taken.
        raise Conflict(f"{e164} already belongs to another agent; a number can serve only one agent") from exc


def remove_number(session: Session, company_id: int, agent_id: int, number_id: int) -> None:
    """Take number ``number_id`` from the agent (calls to it then reach no one)."""
    agent = get_agent(session, company_id, agent_id)
    number = session.get(PhoneNumber, number_id)
    if number is None or number.agent_id != agent.id:
        raise NotFound(f"no number {number_id} on agent {agent_id}")
    session.delete(number)
    session.flush()


# ---------------------------------------------------------------- questions

def list_questions(session: Session, company_id: int, agent_id: int) -> list[ScreeningQuestion]:
    """The agent's active screening questions in the order they are asked."""
    get_agent(session, company_id, agent_id)
    return list(session.scalars(select(ScreeningQuestion).where(
        ScreeningQuestion.agent_id == agent_id, ScreeningQuestion.active.is_(True)).order_by(ScreeningQuestion.rank)))


def get_question(session: Session, company_id: int, agent_id: int, question_id: int) -> ScreeningQuestion:
    """An active question of the company's agent; raises NotFound."""
    get_agent(session, company_id, agent_id)
    question = session.get(ScreeningQuestion, question_id)
    if question is None or question.agent_id != agent_id or not question.active:
        raise NotFound(f"no question {question_id} on agent {agent_id}")
    return question


def create_question(session: Session, company_id: int, agent_id: int, data: dict[str, Any]) -> ScreeningQuestion:
    """Add a question (asked last). ``data``: ``key`` plus the YAML fields (kind, text, options,
    knockout, weight, scoring, unit, implied_by_number, implied_by_phrases). A key used by an
    active question is a Conflict; the key of a removed one brings it back with the new values
    (its old answers keep pointing at it)."""
    agent = get_agent(session, company_id, agent_id)
    # Without the key: the validator adds "(question 'key')" to a file's field names, and the
    # API names the field alone (the question is the request's).
    values = _checked(question_values, {k: v for k, v in data.items() if k != "key"}, agent.languages, WHERE)
    rank = 1 + (session.scalar(select(func.max(ScreeningQuestion.rank)).where(
        ScreeningQuestion.agent_id == agent_id, ScreeningQuestion.active.is_(True))) or 0)
    question = session.scalars(select(ScreeningQuestion).filter_by(agent_id=agent_id, key=data["key"])).one_or_none()
    if question is not None and question.active:
        raise Conflict(f"the agent already has a question {data['key']!r}")
    if question is None:
        question = ScreeningQuestion(agent_id=agent_id, key=data["key"], rank=rank, **values)
        session.add(question)
    else:
        for name, value in values.items():
            setattr(question, name, value)
        question.rank, question.active = rank, True
    session.flush()
    return question


def update_question(session: Session, company_id: int, agent_id: int, question_id: int,
                    changes: dict[str, Any]) -> ScreeningQuestion:
    """Change some fields of a question; the result is checked whole, as a company file's would be."""
    question = get_question(session, company_id, agent_id, question_id)
    current = {"kind": str(question.kind), "text": question.text, "options": question.options,
               "knockout": question.knockout, "weight": question.weight, "scoring": question.scoring,
               "unit": question.unit, "implied_by_number": question.implied_by_number,
               "implied_by_phrases": question.implied_by_phrases}
    values = _checked(question_values, current | changes, question.agent.languages, WHERE)
    for name, value in values.items():
        setattr(question, name, value)
    session.flush()
    return question


def delete_question(session: Session, company_id: int, agent_id: int, question_id: int) -> None:
    """Stop asking a question. It is deactivated, not deleted: answers already given keep
    their question. The questions after it move up."""
    question = get_question(session, company_id, agent_id, question_id)
    question.active = False
    remaining = [q for q in list_questions(session, company_id, agent_id) if q.id != question_id]
    _renumber(session, remaining)


def reorder_questions(session: Session, company_id: int, agent_id: int, question_ids: list[int]) -> list[ScreeningQuestion]:
    """Ask the agent's active questions in the order of ``question_ids``, which must name
    each of them exactly once (else Invalid, field ``question_ids``)."""
    questions = {q.id: q for q in list_questions(session, company_id, agent_id)}
    if sorted(question_ids) != sorted(questions):
        raise Invalid("question_ids", f"name each of the agent's {len(questions)} questions exactly once: "
                                      f"{sorted(questions)}")
    ordered = [questions[i] for i in question_ids]
    _renumber(session, ordered)
    return ordered


def _renumber(session: Session, ordered: list[ScreeningQuestion]) -> None:
    # Ranks are not unique in the schema; set them in one pass.
    for rank, question in enumerate(ordered, start=1):
        question.rank = rank
    session.flush()


# ---------------------------------------------------------------- policies

def list_policies(session: Session, company_id: int, agent_id: int) -> list[Policy]:
    """The agent's policies (FAQ answers) by id."""
    get_agent(session, company_id, agent_id)
    return list(session.scalars(select(Policy).where(Policy.agent_id == agent_id).order_by(Policy.id)))


def get_policy(session: Session, company_id: int, agent_id: int, policy_id: int) -> Policy:
    """A policy of the company's agent; raises NotFound."""
    get_agent(session, company_id, agent_id)
    policy = session.get(Policy, policy_id)
    if policy is None or policy.agent_id != agent_id:
        raise NotFound(f"no policy {policy_id} on agent {agent_id}")
    return policy


def create_policy(session: Session, company_id: int, agent_id: int, data: dict[str, Any]) -> Policy:
    """Add a policy: ``key``, ``questions`` ({language: [phrases]}), ``answer`` ({language: text})."""
    agent = get_agent(session, company_id, agent_id)
    return _add_keyed(session, Policy, {"agent_id": agent_id, "key": data["key"]},
                      _checked(policy_values, data, agent.languages, WHERE), "the agent")


def update_policy(session: Session, company_id: int, agent_id: int, policy_id: int,
                  changes: dict[str, Any]) -> Policy:
    """Change a policy's ``questions`` or ``answer``."""
    policy = get_policy(session, company_id, agent_id, policy_id)
    current = {"questions": policy.questions, "answer": policy.answer}
    for name, value in _checked(policy_values, current | changes, policy.agent.languages, WHERE).items():
        setattr(policy, name, value)
    session.flush()
    return policy


def delete_policy(session: Session, company_id: int, agent_id: int, policy_id: int) -> None:
    """Remove a policy: the receptionist no longer answers from it."""
    session.delete(get_policy(session, company_id, agent_id, policy_id))
    session.flush()


# ---------------------------------------------------------------- postings

def _company_languages(session: Session, company_id: int) -> list[str]:
    languages = {lang for agent in list_agents(session, company_id) for lang in agent.languages}
    return sorted(languages) or ["en"]


def list_postings(session: Session, company_id: int, is_open: bool | None = None) -> list[Posting]:
    """The company's postings by id; ``is_open`` narrows to open or closed ones."""
    return _owned_list(session, Posting, company_id, None if is_open is None else Posting.is_open.is_(is_open))


def get_posting(session: Session, company_id: int, posting_id: int) -> Posting:
    """The company's posting ``posting_id``; raises NotFound."""
    return _owned(session, Posting, company_id, posting_id)


def create_posting(session: Session, company_id: int, data: dict[str, Any]) -> Posting:
    """Open a posting: ``key`` plus the YAML fields (title, location, description, open,
    interview_posting_id, also_called). A key the company already uses is a Conflict."""
    return _add_keyed(session, Posting, {"company_id": company_id, "key": data["key"]},
                      _checked(posting_values, data, _company_languages(session, company_id), WHERE), "the company")


def _add_keyed(session: Session, model, identity: dict[str, Any], values: dict[str, Any], owner: str):
    """A new ``model`` row with ``identity`` (its owner and ``key``); a key taken is a Conflict."""
    if session.scalars(select(model.id).filter_by(**identity)).first() is not None:
        raise Conflict(f"{owner} already has a {model.__name__.lower()} {identity['key']!r}")
    row = model(**identity, **values)
    session.add(row)
    session.flush()
    return row


def update_posting(session: Session, company_id: int, posting_id: int, changes: dict[str, Any]) -> Posting:
    """Change a posting (``open: false`` closes it: callers are no longer offered it)."""
    posting = get_posting(session, company_id, posting_id)
    current = {"title": posting.title, "location": posting.location, "description": posting.description,
               "open": posting.is_open, "interview_posting_id": posting.interview_posting_id,
               "also_called": posting.also_called}
    values = _checked(posting_values, current | changes, _company_languages(session, company_id), WHERE)
    for name, value in values.items():
        setattr(posting, name, value)
    session.flush()
    return posting
