"""Two texts from one number at the same moment are processed one after the other:
real concurrent HTTP requests against a real threaded server."""
from __future__ import annotations

import threading
import xml.etree.ElementTree as ET

import httpx
import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from receptionist.adapters.models import Answer, Candidate, Conversation

from .conftest import twilio_signature
from .test_sms_inbound import SMS_AGENT, sms_params

pytestmark = pytest.mark.usefixtures("sample_company")


@pytest.fixture
def server(app):
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    thread.join(timeout=5)


def post(base: str, params: dict) -> httpx.Response:
    url = base + "/sms/inbound"
    return httpx.post(url, data=params, headers={"X-Twilio-Signature": twilio_signature(url, params)}, timeout=30)


@pytest.mark.parametrize("round_", range(3))
def test_simultaneous_texts_from_one_number_are_serialised(server, db, round_):
    for body in ("JOBS", "1", "1"):  # now at the first yes/no question
        assert post(server, sms_params(body)).status_code == 200
    barrier, results = threading.Barrier(2), []

    def send():
        params = sms_params("yes")
        barrier.wait()
        results.append(post(server, params))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert [r.status_code for r in results] == [200, 200]
    texts = ["".join(m.text or "" for m in ET.fromstring(r.content).iter("Message")) for r in results]
    # One reply asks the second question, the other the third: neither answer was lost or doubled.
    assert any("authorized to work" in t for t in texts) and any("50 pounds" in t for t in texts)
    with db.transaction() as s:
        conv = s.scalars(select(Conversation)).one()
        keys = [a.question.key for a in s.scalars(select(Answer).where(Answer.conversation_id == conv.id))]
        assert sorted(keys) == ["age-18", "work-authorization"] and conv.step == 4


def test_first_texts_from_a_new_number_at_once_make_one_candidate(server, db):
    barrier, results = threading.Barrier(2), []

    def send(body):
        params = sms_params(body, from_number="+12025550166", to=SMS_AGENT)
        barrier.wait()
        results.append(post(server, params))

    threads = [threading.Thread(target=send, args=(b,)) for b in ("JOBS", "hi")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(r.status_code for r in results) == [200, 200]
    with db.transaction() as s:
        assert len(s.scalars(select(Candidate).filter_by(phone="+12025550166")).all()) == 1
        assert len(s.scalars(select(Conversation)).all()) == 1
