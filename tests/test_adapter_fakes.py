"""The in-memory fakes keep the contracts the real ATS and interview drivers will keep:
matches on phone or e-mail, most recent activity first; failures raised as the contract says."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from receptionist import bootstrap
from receptionist.adapters.ats import ATS, ATSError, InMemoryATS
from receptionist.adapters.interview import InMemoryInterviewPlatform, InterviewPlatform, InterviewPlatformError


def test_the_fake_ats_matches_on_phone_or_email_most_recent_first():
    ats: ATS = InMemoryATS()
    old = ats.create_candidate(name="Jane Doe", phone="+12025550123", email="Jane@Example.com")
    new = ats.create_candidate(name="J. Doe", phone=None, email="jane@example.com")
    ats.candidates[old.ats_id] = replace(old, last_activity_at=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    ats.create_application(new.ats_id, "forklift")  # activity now: the most recent

    assert [c.ats_id for c in ats.find_candidates(phone="+12025550123")] == [old.ats_id]
    assert [c.ats_id for c in ats.find_candidates(email=" JANE@example.com ")] == [new.ats_id, old.ats_id]
    assert ats.find_candidates(phone="+12025550999", email="nobody@example.com") == []

    ats.fail_next.append(ATSError("HTTP 503", retryable=True))
    with pytest.raises(ATSError) as raised:
        ats.find_candidates(phone="+12025550123")
    assert raised.value.retryable


def test_the_fake_interview_platform_gives_one_stable_link_per_candidate_and_posting():
    platform: InterviewPlatform = InMemoryInterviewPlatform()
    first = platform.invite(posting_id="p1", name="Jane", email=None, phone_number="+12025550123", metadata={})
    again = platform.invite(posting_id="p1", name="Jane", email=None, phone_number="+12025550123", metadata={})
    other = platform.invite(posting_id="p2", name="Jane", email=None, phone_number="+12025550123", metadata={})
    assert first == again and first.interview_url != other.interview_url
    platform.fail_next.append(InterviewPlatformError("HTTP 422: posting closed", retryable=False))
    with pytest.raises(InterviewPlatformError, match="posting closed"):
        platform.invite(posting_id="p1", name="Jane", email=None, phone_number=None, metadata={})


def test_the_composition_root_picks_the_sms_sender_from_the_settings(settings):
    assert type(bootstrap.sms_sender(settings)).__name__ == "LogSmsSender"  # no account SID: development
    live = replace(settings, twilio_account_sid="AC" + "0" * 32, public_base_url="https://jobs.example.com")
    sender = bootstrap.sms_sender(live)
    assert type(sender).__name__ == "TwilioSmsSender" and sender.status_callback == "https://jobs.example.com/sms/status"
