"""The /v4 operations: thin views over the services, each run in one transaction with the
key's company (``spec.operation``). Shapes are in ``schemas``; the OpenAPI document is
built from the same declarations."""
from __future__ import annotations

import dataclasses
import json

from flask import Response, g, request

from ...services import agents, approvals, candidates, webhooks
from ..csv_export import csv_lines
from . import bp
from .schemas import (AgentChange, AgentOut, AgentQuery, ApprovalOut, ApprovalQuery, ApproveIn, CandidateDetailOut,
                      CandidateOut, CandidateQuery, ConversationOut, DismissIn, ExportQuery, ListQuery, NumberIn,
                      PhoneNumberOut, PolicyChange, PolicyIn, PolicyOut, PostingChange, PostingIn, PostingOut,
                      PostingQuery, QuestionChange, QuestionIn, QuestionOut, Reorder, WebhookCreatedOut, WebhookIn,
                      WebhookOut)
from .spec import Listed, operation, page_of


def _changes(body) -> dict:
    """The fields a PATCH body sets (an explicit null included: it clears the field)."""
    return body.model_dump(mode="json", exclude_unset=True)


# ---------------------------------------------------------------- agents and numbers

def _agent(agent) -> dict:
    return {"id": agent.id, "slug": agent.slug, "kind": agent.kind, "name": agent.name, "timezone": agent.timezone,
            "languages": agent.languages, "greeting": agent.greeting, "disclosure": agent.disclosure,
            "help_text": agent.help_text,
            "routing": {"mode": agent.routing_mode, "threshold": agent.routing_threshold},
            "phone_numbers": sorted(agent.phone_numbers, key=lambda n: n.id),
            "switchboard_numbers": agent.switchboard_numbers or []}


@operation(bp, "GET", "/agents", summary="The company's receptionists and SMS screening agents", tag="agents",
           data=AgentOut, many=True, query=AgentQuery)
def list_agents(session, company_id, query):
    """Each with its phone numbers and routing (mode, threshold); ``kind`` narrows."""
    listed = page_of(agents.list_agents(session, company_id, query.kind), query)
    return Listed([_agent(a) for a in listed.items], listed.total_count, listed.has_more)


@operation(bp, "GET", "/agents/<int:agent_id>", summary="An agent", tag="agents", data=AgentOut)
def get_agent(session, company_id, agent_id):
    return _agent(agents.get_agent(session, company_id, agent_id))


@operation(bp, "PATCH", "/agents/<int:agent_id>", summary="Change an agent", tag="agents", data=AgentOut,
           body=AgentChange)
def update_agent(session, company_id, agent_id, body):
    """Name, time zone, greeting/disclosure/help text ({language: text}), routing {mode, threshold},
    a receptionist's switchboard numbers (the company's own lines: a call from one is an
    unknown caller's; [] clears them)."""
    changes = {k: v for k, v in _changes(body).items() if v is not None}
    return _agent(agents.update_agent(session, company_id, agent_id, changes))


@operation(bp, "POST", "/agents/<int:agent_id>/phone_numbers", summary="Give the agent a number", tag="agents",
           data=PhoneNumberOut, body=NumberIn, status=201, conflict=True)
def add_number(session, company_id, agent_id, body):
    """One number, one agent: a number another agent has is 409."""
    return agents.add_number(session, company_id, agent_id, body.phone_number)


@operation(bp, "DELETE", "/agents/<int:agent_id>/phone_numbers/<int:number_id>", summary="Take a number away",
           tag="agents")
def remove_number(session, company_id, agent_id, number_id):
    agents.remove_number(session, company_id, agent_id, number_id)


# ---------------------------------------------------------------- questions

@operation(bp, "GET", "/agents/<int:agent_id>/questions", summary="Screening questions, in the order asked",
           tag="questions", data=QuestionOut, many=True, query=ListQuery)
def list_questions(session, company_id, agent_id, query):
    return page_of(agents.list_questions(session, company_id, agent_id), query)


@operation(bp, "POST", "/agents/<int:agent_id>/questions", summary="Add a screening question (asked last)",
           tag="questions", data=QuestionOut, body=QuestionIn, status=201, conflict=True)
def create_question(session, company_id, agent_id, body):
    """The fields of a company file's question; ``text`` in every language of the agent."""
    return agents.create_question(session, company_id, agent_id, body.model_dump(mode="json"))


@operation(bp, "GET", "/agents/<int:agent_id>/questions/<int:question_id>", summary="A screening question",
           tag="questions", data=QuestionOut)
def get_question(session, company_id, agent_id, question_id):
    return agents.get_question(session, company_id, agent_id, question_id)


@operation(bp, "PATCH", "/agents/<int:agent_id>/questions/<int:question_id>", summary="Change a screening question",
           tag="questions", data=QuestionOut, body=QuestionChange)
def update_question(session, company_id, agent_id, question_id, body):
    return agents.update_question(session, company_id, agent_id, question_id, _changes(body))


@operation(bp, "DELETE", "/agents/<int:agent_id>/questions/<int:question_id>", summary="Stop asking a question",
           tag="questions")
def delete_question(session, company_id, agent_id, question_id):
    """Answers already given keep their question; the questions after it move up."""
    agents.delete_question(session, company_id, agent_id, question_id)


@operation(bp, "POST", "/agents/<int:agent_id>/questions/reorder", summary="Ask the questions in a new order",
           tag="questions", data=QuestionOut, many=True, body=Reorder)
def reorder_questions(session, company_id, agent_id, body):
    """``question_ids`` names each active question once, in the new order."""
    ordered = agents.reorder_questions(session, company_id, agent_id, body.question_ids)
    return Listed(ordered, len(ordered), False)


# ---------------------------------------------------------------- policies

@operation(bp, "GET", "/agents/<int:agent_id>/policies", summary="Policies the agent answers from",
           tag="policies", data=PolicyOut, many=True, query=ListQuery)
def list_policies(session, company_id, agent_id, query):
    return page_of(agents.list_policies(session, company_id, agent_id), query)


@operation(bp, "POST", "/agents/<int:agent_id>/policies", summary="Add a policy", tag="policies", data=PolicyOut,
           body=PolicyIn, status=201, conflict=True)
def create_policy(session, company_id, agent_id, body):
    return agents.create_policy(session, company_id, agent_id, body.model_dump(mode="json"))


@operation(bp, "GET", "/agents/<int:agent_id>/policies/<int:policy_id>", summary="A policy", tag="policies",
           data=PolicyOut)
def get_policy(session, company_id, agent_id, policy_id):
    return agents.get_policy(session, company_id, agent_id, policy_id)


@operation(bp, "PATCH", "/agents/<int:agent_id>/policies/<int:policy_id>", summary="Change a policy",
           tag="policies", data=PolicyOut, body=PolicyChange)
def update_policy(session, company_id, agent_id, policy_id, body):
    changes = {k: v for k, v in _changes(body).items() if v is not None}
    return agents.update_policy(session, company_id, agent_id, policy_id, changes)


@operation(bp, "DELETE", "/agents/<int:agent_id>/policies/<int:policy_id>", summary="Remove a policy",
           tag="policies")
def delete_policy(session, company_id, agent_id, policy_id):
    agents.delete_policy(session, company_id, agent_id, policy_id)


# ---------------------------------------------------------------- postings

def _posting(posting) -> dict:
    return {"id": posting.id, "key": posting.key, "title": posting.title, "location": posting.location,
            "description": posting.description, "open": posting.is_open,
            "interview_posting_id": posting.interview_posting_id, "also_called": posting.also_called}


@operation(bp, "GET", "/postings", summary="The company's postings", tag="postings", data=PostingOut, many=True,
           query=PostingQuery)
def list_postings(session, company_id, query):
    listed = page_of(agents.list_postings(session, company_id, query.open), query)
    return Listed([_posting(p) for p in listed.items], listed.total_count, listed.has_more)


@operation(bp, "POST", "/postings", summary="Open a posting", tag="postings", data=PostingOut, body=PostingIn,
           status=201, conflict=True)
def create_posting(session, company_id, body):
    """``interview_posting_id`` names the interview agent's posting on the interview platform."""
    return _posting(agents.create_posting(session, company_id, body.model_dump(mode="json")))


@operation(bp, "GET", "/postings/<int:posting_id>", summary="A posting", tag="postings", data=PostingOut)
def get_posting(session, company_id, posting_id):
    return _posting(agents.get_posting(session, company_id, posting_id))


@operation(bp, "PATCH", "/postings/<int:posting_id>", summary="Change or close a posting", tag="postings",
           data=PostingOut, body=PostingChange)
def update_posting(session, company_id, posting_id, body):
    changes = _changes(body)
    changes = {k: v for k, v in changes.items() if v is not None or k in ("location", "description",
                                                                          "interview_posting_id", "also_called")}
    return _posting(agents.update_posting(session, company_id, posting_id, changes))


# ---------------------------------------------------------------- candidates and conversations

def _filters(query) -> dict:
    """The list's filters and order from a :class:`CandidateQuery` (not its page)."""
    return dict(q=query.q, status=query.status, agent_id=query.agent_id, score_min=query.score_min,
                score_max=query.score_max, since=query.since, until=query.until, sort=query.sort)


def _search(session, company_id, query):
    return candidates.search(session, company_id, **_filters(query), starting_after=query.starting_after,
                             limit=query.limit)


@operation(bp, "GET", "/candidates", summary="Candidates, filtered and searched", tag="candidates",
           data=CandidateOut, many=True, query=CandidateQuery)
def list_candidates(session, company_id, query):
    """Filters: ``status`` (pipeline), ``agent_id``, ``score_min``/``score_max``, ``since``/``until``
    (last engaged); ``q`` searches name, e-mail and phone digits. Newest first by default."""
    page = _search(session, company_id, query)
    return Listed(page.rows, page.total_count, page.has_more)


EXPORT_COLUMNS = ("id", "name", "email", "phone", "status", "score", "screening", "duplicate_check", "routing",
                  "confirmation", "agent_id", "agent_name", "channel", "posting_id", "application_id",
                  "conversation_id", "last_engaged")


@operation(bp, "GET", "/candidates/export", summary="Export candidates with scores (CSV or JSON)",
           tag="candidates", query=ExportQuery,
           produces={"text/csv": {"schema": {"type": "string"}},
                     "application/json": {"schema": {"$ref": "#/components/schemas/Page_CandidateOut_"}}})
def export_candidates(session, company_id, query):
    """The same filters as the list; every matching row (``limit`` at most), one file."""
    total = _search(session, company_id, query.model_copy(update={"limit": 1})).total_count
    rows = candidates.iter_rows(lambda action: action(session), company_id, limit=query.limit,
                                starting_after=query.starting_after, **_filters(query))
    stamp = "candidates"
    if query.format == "json":
        data = [CandidateOut.model_validate(r).model_dump(mode="json") for r in rows]
        body = {"object": "list", "data": data, "total_count": total, "has_more": len(data) < total,
                "limit": query.limit, "url": request.path}
        return Response(json.dumps(body), mimetype="application/json",
                        headers={"Content-Disposition": f'attachment; filename="{stamp}.json"'})
    lines = csv_lines(EXPORT_COLUMNS, (dataclasses.asdict(r) for r in rows))
    return Response("".join(lines), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{stamp}.csv"'})




@operation(bp, "GET", "/candidates/<int:candidate_id>", summary="A candidate: conversations, answers, "
           "transcripts, applications, texts", tag="candidates", data=CandidateDetailOut)
def get_candidate(session, company_id, candidate_id):
    detail = candidates.detail(session, company_id, candidate_id)
    values = dataclasses.asdict(detail)
    return values.pop("row") | values


@operation(bp, "GET", "/conversations/<int:conversation_id>", summary="A conversation: answers, transcript, "
           "recording, score, duplicate check, routing history", tag="candidates", data=ConversationOut)
def get_conversation(session, company_id, conversation_id):
    return dataclasses.asdict(candidates.conversation(session, company_id, conversation_id))


# ---------------------------------------------------------------- approvals

def _approval(session, application) -> dict:
    invite = approvals.invite_status(session, application)
    return {"id": application.id, "candidate_id": application.candidate_id,
            "candidate_name": application.candidate.name, "posting_id": application.posting_id,
            "invite_posting_id": application.invite_posting_id, "agent_id": application.agent_id,
            "screening": application.screening_outcome, "score": application.score,
            "duplicate_check": application.duplicate_check, "routing": application.routing,
            "interview_url": application.interview_url,
            "invite": None if invite is None else {"status": invite.status, "attempts": invite.attempts,
                                                   "last_error": invite.last_error},
            "routing_history": [dataclasses.asdict(e) for e in candidates.routing_history(session, application.id)],
            "created_at": application.created_at, "updated_at": application.updated_at}


@operation(bp, "GET", "/approvals", summary="The approval queue (oldest first)", tag="approvals",
           data=ApprovalOut, many=True, query=ApprovalQuery)
def list_approvals(session, company_id, query):
    if query.starting_after is not None:
        candidates.application(session, company_id, query.starting_after, field="starting_after")
    found = approvals.pending(session, company_id, limit=query.limit, starting_after=query.starting_after)
    total = candidates.approval_queue_count(session, company_id)
    more = bool(found) and bool(approvals.pending(session, company_id, limit=1, starting_after=found[-1].id))
    return Listed([_approval(session, a) for a in found], total, more)


@operation(bp, "GET", "/approvals/<int:approval_id>", summary="An application's routing and invite",
           tag="approvals", data=ApprovalOut)
def get_approval(session, company_id, approval_id):
    return _approval(session, candidates.application(session, company_id, approval_id))


@operation(bp, "POST", "/approvals/<int:approval_id>/approve", summary="Approve: invite to the interview agent",
           tag="approvals", data=ApprovalOut, body=ApproveIn, conflict=True)
def approve(session, company_id, approval_id, body):
    """Optionally for another open posting (``posting_id``). Approving twice sends one invite."""
    return _approval(session, approvals.approve(session, company_id, approval_id, posting_id=body.posting_id,
                                                actor=_actor()))


@operation(bp, "POST", "/approvals/<int:approval_id>/dismiss", summary="Dismiss with a reason", tag="approvals",
           data=ApprovalOut, body=DismissIn, conflict=True)
def dismiss(session, company_id, approval_id, body):
    """``notify_candidate`` sends the candidate a polite text. Dismissing twice changes nothing."""
    return _approval(session, approvals.dismiss(session, company_id, approval_id, body.reason,
                                                notify_candidate=body.notify_candidate, actor=_actor()))


@operation(bp, "POST", "/approvals/<int:approval_id>/retry_invite", summary="Run a failed invite again",
           tag="approvals", data=ApprovalOut, conflict=True)
def retry_invite(session, company_id, approval_id):
    return _approval(session, approvals.retry_invite(session, company_id, approval_id, actor=_actor()))


def _actor() -> str:
    return f"api-key:{g.api_key_id}"


# ---------------------------------------------------------------- webhooks

@operation(bp, "GET", "/webhooks", summary="Registered webhooks", tag="webhooks", data=WebhookOut, many=True,
           query=ListQuery)
def list_webhooks(session, company_id, query):
    return page_of(webhooks.list_(session, company_id), query)


@operation(bp, "POST", "/webhooks", summary="Register a URL for events", tag="webhooks", data=WebhookCreatedOut,
           body=WebhookIn, status=201)
def register_webhook(session, company_id, body):
    """Deliveries are signed with the ``secret`` returned here once (X-Receptionist-Signature)."""
    return webhooks.register(session, company_id, body.url, [str(e) for e in body.events])


@operation(bp, "DELETE", "/webhooks/<int:webhook_id>", summary="Remove a webhook", tag="webhooks")
def delete_webhook(session, company_id, webhook_id):
    webhooks.delete(session, company_id, webhook_id)
