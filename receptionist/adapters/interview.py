"""The interview platform contract (where qualified candidates are invited), and fakes.

The default driver (routing work) speaks the platform API in ``shared/seeds``:
``POST {base}/v4/postings/{posting_id}/candidates`` with ``X-API-KEY`` and
``{name, email, phone_number, metadata}``, answered with ``data.interview_url``.
Invites run only in RQ jobs, as outbox items of kind ``invite``.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Protocol


class InterviewPlatformError(Exception):
    """The platform refused or could not be reached. ``retryable``: timeout, 429, 5xx."""

    def __init__(self, message: str, *, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class Invitation:
    """A candidate invited to an interview agent: the platform's candidate id and the link."""

    candidate_id: str
    interview_url: str


class InterviewPlatform(Protocol):
    """Invites a candidate to an interview posting. Raises :class:`InterviewPlatformError`."""

    def invite(self, *, posting_id: str, name: str, email: str | None, phone_number: str | None,
               metadata: dict[str, Any]) -> Invitation:
        """Create the candidate on ``posting_id`` and return their interview link."""
        ...


@dataclass
class InMemoryInterviewPlatform:
    """An :class:`InterviewPlatform` for unit tests: records invites, answers a stable link
    per (posting, phone or email), and raises what ``fail_next`` holds first."""

    base_url: str = "http://interview.invalid"
    invites: list[dict[str, Any]] = field(default_factory=list)
    fail_next: list[InterviewPlatformError] = field(default_factory=list)

    def invite(self, *, posting_id: str, name: str, email: str | None, phone_number: str | None,
               metadata: dict[str, Any]) -> Invitation:
        if self.fail_next:
            raise self.fail_next.pop(0)
        self.invites.append({"posting_id": posting_id, "name": name, "email": email,
                             "phone_number": phone_number, "metadata": metadata})
        token = hashlib.sha256(f"{posting_id}:{phone_number or email}".encode()).hexdigest()[:16]
        return Invitation(candidate_id=f"cand_{token}", interview_url=f"{self.base_url}/i/{token}")
