"""The pipeline's filters from a query string, shared by the page and the exports.

Query parameters (all optional): ``q`` (name, email or phone), ``status`` (a
``PipelineStatus``), ``agent`` (an agent id), ``score_min``/``score_max`` (0-100),
``since``/``until`` (dates, YYYY-MM-DD, days in the company's timezone, both inclusive), ``sort`` (one of
``services.candidates.SORTS``). A value that cannot be read raises ``Invalid`` naming it.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

from ...services.errors import Invalid

KEYS = ("q", "status", "agent", "score_min", "score_max", "since", "until", "sort")


def day(raw: str | None, name: str, end: bool = False, tz: dt.tzinfo = dt.timezone.utc) -> dt.datetime | None:
    """A day ``YYYY-MM-DD`` in ``tz`` as the (aware) start of that day, or of the next one with
    ``end`` (so an ``until`` day is included). Raises Invalid(name)."""
    if not raw:
        return None
    try:
        date = dt.date.fromisoformat(raw)
    except ValueError:
        raise Invalid(name, f"{raw!r} is not a date (YYYY-MM-DD)") from None
    if end:
        date += dt.timedelta(days=1)
    return dt.datetime.combine(date, dt.time(), tzinfo=tz)


def _number(raw: str | None, name: str, kind=float):
    if raw in (None, ""):
        return None
    try:
        return kind(raw)
    except ValueError:
        raise Invalid(name, f"{raw!r} is not a number") from None


def search_kwargs(args: Mapping[str, str], tz: dt.tzinfo = dt.timezone.utc) -> dict[str, Any]:
    """Keyword arguments for ``services.candidates.search`` from the page's query string, its
    days read in ``tz`` (the company's timezone)."""
    return dict(q=args.get("q") or None, status=args.get("status") or None,
                agent_id=_number(args.get("agent"), "agent", int),
                score_min=_number(args.get("score_min"), "score_min"),
                score_max=_number(args.get("score_max"), "score_max"),
                since=day(args.get("since"), "since", tz=tz), until=day(args.get("until"), "until", end=True, tz=tz),
                sort=args.get("sort") or "-last_engaged")


def kept(args: Mapping[str, str]) -> dict[str, str]:
    """The filters present in ``args``, to carry into links (next page, exports)."""
    return {key: args[key] for key in KEYS if args.get(key)}
