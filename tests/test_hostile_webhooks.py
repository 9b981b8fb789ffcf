"""Signed but hostile requests to every webhook: never a 5xx, nothing half-written, and what
can be kept (a text with a NUL byte, a call with a junk ForwardedFrom) is kept, cleaned."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from receptionist.adapters.models import CallTurn, Conversation, InboundMessage, TranscriptLine
from tests.conftest import call_params

pytestmark = pytest.mark.usefixtures("sample_company")
NUL = "\x00"
CALL = "CA" + "c" * 32
SMS = {"MessageSid": "SM" + "d" * 32, "AccountSid": "AC" + "0" * 32, "From": "+12025550123",
       "To": "+12025550101", "Body": "JOBS", "NumMedia": "0"}

# (path, fields to change, statuses accepted)
CASES = [
    ("/voice/inbound", {"CallSid": f"CA{NUL}" + "c" * 31}, {400}),
    ("/voice/inbound", {"CallSid": "CA" + "c" * 98}, {400}),
    ("/voice/inbound", {"ForwardedFrom": "+1202555" + NUL + "0100"}, {200}),
    ("/voice/inbound", {"ForwardedFrom": "9" * 50}, {200}),
    ("/voice/inbound?source=ivr%00x", {}, {200}),
    ("/voice/inbound?source=" + "x" * 500, {}, {200}),
    ("/voice/gather?step=1", {"SpeechResult": f"yes{NUL} I am"}, {200}),
    ("/voice/gather?step=99999999999999999999", {"SpeechResult": "yes"}, {400}),
    ("/voice/gather?step=-1", {"SpeechResult": "yes"}, {400}),
    ("/voice/gather?step=1", {"Confidence": "NaN", "SpeechResult": "yes"}, {200}),
    ("/voice/gather?step=1", {"Digits": "1" * 500}, {200}),
    ("/voice/status", {"CallStatus": "completed", "CallDuration": "99999999999999999999"}, {204}),
    ("/voice/status", {"CallStatus": f"completed{NUL}"}, {204}),
    ("/sms/inbound", {"Body": f"JOBS{NUL}"}, {200}),
    ("/sms/inbound", {"MessageSid": f"SM{NUL}" + "d" * 31}, {400}),
    ("/sms/inbound", {"MessageSid": "SM" + "d" * 98}, {400}),
    ("/sms/inbound", {"NumMedia": "99999999999999999999"}, {200}),
    ("/sms/inbound", {"Body": "x" * 5000}, {200}),
    ("/sms/status", {"MessageStatus": "delivered", "ErrorCode": "99999999999999999999"}, {204}),
    ("/sms/status", {"MessageSid": "SM" + "e" * 100, "MessageStatus": "failed"}, {400}),
]


def _count(db, model) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("path, changes, accepted", CASES, ids=[f"{p} {sorted(c)}" for p, c, _ in CASES])
def test_hostile_fields_never_reach_a_5xx(twilio, db, path, changes, accepted):
    if path.startswith("/voice/gather") or path.startswith("/voice/status"):
        assert twilio.post("/voice/inbound", call_params(CALL)).status_code == 200
    base = dict(SMS) if path.startswith("/sms") else call_params(CALL)
    if path == "/sms/status":
        base = {"MessageSid": "SM" + "e" * 32, "MessageStatus": "sent", "AccountSid": "AC" + "0" * 32}
    response = twilio.post(path, {**base, **changes})
    assert response.status_code in accepted, response.data[:200]
    assert response.status_code < 500

    with db.transaction() as s:  # whatever was stored is whole and clean
        for conv in s.scalars(select(Conversation)):
            assert NUL not in (conv.forwarded_from or "") + (conv.source or "") + (conv.call_sid or "")
            if conv.channel == "voice":
                assert s.get(CallTurn, (conv.id, conv.step)) is not None  # its reply was stored with it
        for line in s.scalars(select(TranscriptLine)):
            assert NUL not in line.text
        for text in s.scalars(select(InboundMessage)):
            assert NUL not in text.body and len(text.body) <= 1600
    if path == "/sms/inbound" and response.status_code == 200:
        assert _count(db, InboundMessage) == 1  # the text was kept, cleaned
