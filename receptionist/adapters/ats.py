"""The ATS (applicant tracking system) contract, and an in-memory implementation for tests.

Real implementations (built-in tables, Greenhouse Harvest v3, Bullhorn REST) come with the
ATS work; each satisfies :class:`ATS`, and ``bootstrap`` picks one per company from settings.
Calls to an ATS run only in RQ jobs, never in a webhook.
"""
from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field, replace
from typing import Protocol


class ATSError(Exception):
    """The ATS could not answer. ``retryable``: a later try may succeed (timeout, 429, 5xx)."""

    def __init__(self, message: str, *, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class ATSApplication:
    """A candidate's application as the ATS knows it."""

    ats_id: str
    job_id: str
    job_title: str
    stage: str
    applied_at: dt.datetime
    last_activity_at: dt.datetime
    active: bool = True


@dataclass(frozen=True)
class ATSCandidate:
    """A candidate record in the ATS: phones in E.164, emails case-folded."""

    ats_id: str
    name: str
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    applications: tuple[ATSApplication, ...] = ()
    last_activity_at: dt.datetime | None = None


@dataclass(frozen=True)
class ATSJob:
    """An open job in the ATS."""

    ats_id: str
    title: str
    location: str | None = None


class ATS(Protocol):
    """What the receptionist needs from an ATS. Every method raises :class:`ATSError`."""

    def find_candidates(self, *, phone: str | None = None, email: str | None = None) -> list[ATSCandidate]:
        """Candidates matching the E.164 ``phone`` or the case-folded ``email`` (either counts),
        most recent activity first."""
        ...

    def open_jobs(self) -> list[ATSJob]:
        """Every open job (all pages)."""
        ...

    def create_candidate(self, *, name: str, phone: str | None, email: str | None) -> ATSCandidate:
        """A new candidate record."""
        ...

    def create_application(self, candidate_id: str, job_id: str) -> ATSApplication:
        """Apply ``candidate_id`` to ``job_id``."""
        ...

    def add_note(self, candidate_id: str, text: str) -> None:
        """Attach a note (answers, score, a link to the conversation) to the candidate."""
        ...


@dataclass
class InMemoryATS:
    """An :class:`ATS` in a dict, for unit tests: ``fail_next`` makes the next calls raise."""

    candidates: dict[str, ATSCandidate] = field(default_factory=dict)
    jobs: dict[str, ATSJob] = field(default_factory=dict)
    notes: list[tuple[str, str]] = field(default_factory=list)
    fail_next: list[ATSError] = field(default_factory=list)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def _maybe_fail(self) -> None:
        if self.fail_next:
            raise self.fail_next.pop(0)

    def find_candidates(self, *, phone: str | None = None, email: str | None = None) -> list[ATSCandidate]:
        self._maybe_fail()
        email = email.strip().casefold() if email else None
        found = [c for c in self.candidates.values()
                 if (phone and phone in c.phones) or (email and email in c.emails)]
        oldest = dt.datetime.min.replace(tzinfo=dt.timezone.utc)
        return sorted(found, key=lambda c: (c.last_activity_at or oldest, c.ats_id), reverse=True)

    def open_jobs(self) -> list[ATSJob]:
        self._maybe_fail()
        return list(self.jobs.values())

    def create_candidate(self, *, name: str, phone: str | None, email: str | None) -> ATSCandidate:
        self._maybe_fail()
        candidate = ATSCandidate(f"c{next(self._ids)}", name, (phone,) if phone else (),
                                 (email.casefold(),) if email else ())
        self.candidates[candidate.ats_id] = candidate
        return candidate

    def create_application(self, candidate_id: str, job_id: str) -> ATSApplication:
        self._maybe_fail()
        now = dt.datetime.now(dt.timezone.utc)
        job = self.jobs.get(job_id) or ATSJob(job_id, job_id)
        application = ATSApplication(f"a{next(self._ids)}", job_id, job.title, "new", now, now)
        candidate = self.candidates[candidate_id]
        self.candidates[candidate_id] = replace(candidate, applications=candidate.applications + (application,),
                                                last_activity_at=now)
        return application

    def add_note(self, candidate_id: str, text: str) -> None:
        self._maybe_fail()
        self.notes.append((candidate_id, text))
