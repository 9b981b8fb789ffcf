"""The pages a recruiter reads: pipeline, approval queue, candidate, agents, funnel, exports.

Each view asks the services for its company's data in one unit of work and renders it;
nothing here writes (actions are in ``actions``).
"""
from __future__ import annotations

import json
from typing import Iterator

from flask import Response, abort, redirect, render_template, request, stream_with_context, url_for

from ...services import candidates, reports
from ...services.errors import Invalid, NotFound
from ..csv_export import csv_lines
from . import bp, charts, company_id, container, filters, zone

PAGE_SIZE = 50


def _agents_menu(s, cid: int) -> list[tuple[int, str]]:
    return [(a.id, a.name) for a in reports.agents(s, cid)]


@bp.get("/")
def pipeline():
    """Every candidate who called or texted, filtered, sorted, a page at a time (keyset)."""
    cid, args = company_id(), request.args
    after = args.get("after", type=int)

    def read(s):
        agents = _agents_menu(s, cid)
        try:
            page = candidates.search(s, cid, **filters.search_kwargs(args, zone()), limit=PAGE_SIZE, starting_after=after)
        except Invalid as exc:
            return agents, None, exc
        return agents, page, None

    agents, page, error = container().uow.run(read)
    return render_template("dashboard/pipeline.html", agents=agents, page=page, error=error, args=args,
                           kept=filters.kept(args), statuses=list(candidates.PipelineStatus),
                           sorts=candidates.SORTS), (400 if error else 200)


@bp.get("/candidates")
def candidates_index():
    """The list of candidates is the pipeline (a candidate's page is ``/candidates/<id>``):
    a shortened address leads there, its filters kept."""
    query = request.query_string.decode()
    return redirect(url_for("dashboard.pipeline") + (f"?{query}" if query else ""))


@bp.get("/approvals")
def approval_queue():
    """Pending routings, oldest first, each with its score, knockout answers and posting choices."""
    cid = company_id()
    after = request.args.get("after", type=int)
    queue, postings = container().uow.run(
        lambda s: (reports.approval_queue(s, cid, limit=PAGE_SIZE, starting_after=after), reports.open_postings(s, cid)))
    return render_template("dashboard/approvals.html", queue=queue, postings=postings,
                           has_more=len(queue) == PAGE_SIZE)


@bp.get("/candidates/<int:candidate_id>")
def candidate(candidate_id: int):
    """One candidate: answers, transcripts, recordings, duplicate check, routing, texts, actions."""
    cid = company_id()

    def read(s):
        found = candidates.detail(s, cid, candidate_id)
        return found, reports.invites(s, cid, [a.id for a in found.applications]), reports.open_postings(s, cid)

    try:
        found, invites, postings = container().uow.run(read)
    except NotFound:
        abort(404)
    titles = dict(postings) | {a.posting_id: reports.title(a.posting_title) for a in found.applications}
    return render_template("dashboard/candidate.html", c=found, invites=invites, postings=postings,
                           titles=titles, title=reports.title,
                           can_play=bool(container().settings.twilio_account_sid))


@bp.get("/agents")
def agents():
    """Each agent's numbers, questions and policies (read-only)."""
    cid = company_id()
    found = container().uow.run(lambda s: reports.agents(s, cid))
    return render_template("dashboard/agents.html", agents=found, title=reports.title)


@bp.get("/funnel")
def funnel():
    """Conversations -> screened -> qualified -> routed -> invited, and the score distribution,
    per agent and date range, drawn as inline SVG."""
    cid, args = company_id(), request.args
    try:
        since = filters.day(args.get("since"), "since", tz=zone())
        until = filters.day(args.get("until"), "until", end=True, tz=zone())
        agent_id = int(args["agent"]) if args.get("agent") else None
    except (Invalid, ValueError) as exc:
        abort(400, description=str(exc))

    def read(s):
        menu = _agents_menu(s, cid)
        if agent_id is not None and agent_id not in dict(menu):
            abort(404)
        return (menu, reports.funnel(s, cid, agent_id, since, until),
                reports.score_distribution(s, cid, agent_id, since, until))

    menu, found, scores = container().uow.run(read)
    width = 100 // reports.SCORE_BUCKETS
    labels = [f"{i * width}-{i * width + width - 1}" if i < reports.SCORE_BUCKETS - 1 else f"{i * width}-100"
              for i in range(reports.SCORE_BUCKETS)]
    return render_template("dashboard/funnel.html", agents=menu, args=args,
                           funnel=charts.funnel_bars(found.stages), histogram=charts.histogram_bars(scores, labels))


# ---------------------------------------------------------------- exports

EXPORT_FIELDS = ("id", "name", "email", "phone", "status", "channel", "agent_name", "conversation_status",
                 "confirmation", "screening", "duplicate_check", "routing", "score", "posting_id",
                 "last_engaged", "follow_up_reason")


def _export_rows(cid: int, kwargs: dict) -> Iterator[dict]:
    """Every row matching the filters, a page per transaction (keyset, no count), as plain values."""
    for row in candidates.iter_rows(container().uow.run, cid, **kwargs):
        values = {name: getattr(row, name) for name in EXPORT_FIELDS}
        values["last_engaged"] = row.last_engaged.isoformat()
        values["status"] = str(row.status)
        yield values


def _export_args() -> tuple[int, dict]:
    cid = company_id()
    try:
        kwargs = filters.search_kwargs(request.args, zone())
        container().uow.run(lambda s: candidates.search(s, cid, **kwargs, limit=1))  # fail before streaming
    except Invalid as exc:
        abort(400, description=str(exc))
    return cid, kwargs


@bp.get("/export.csv")
def export_csv():
    """The filtered list as CSV (one header line, then a line per candidate), streamed."""
    cid, kwargs = _export_args()

    return Response(stream_with_context(csv_lines(EXPORT_FIELDS, _export_rows(cid, kwargs))), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=candidates.csv"})


@bp.get("/export.json")
def export_json():
    """The filtered list as JSON: ``{"object": "list", "data": [candidate, ...]}``, streamed."""
    cid, kwargs = _export_args()

    def chunks():
        yield '{"object": "list", "data": ['
        for i, values in enumerate(_export_rows(cid, kwargs)):
            yield ("," if i else "") + json.dumps({"object": "candidate", **values})
        yield "]}"

    return Response(stream_with_context(chunks()), mimetype="application/json",
                    headers={"Content-Disposition": "attachment; filename=candidates.json"})
