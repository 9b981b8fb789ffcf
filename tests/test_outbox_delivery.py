"""Sending the outbox end to end, against real parts: a real Redis (``REDIS_URL``, else the
embedded server), a real RQ worker (``SimpleWorker``, burst), Twilio's REST API mocked by
Prism (spec-validated) behind a small recording proxy that can also answer errors itself,
and the ``/sms/status`` webhook signed as Twilio signs. Runs on SQLite and PostgreSQL.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import time
import urllib.parse
import uuid
from email.utils import format_datetime

import pytest
import requests
from rq import Queue, SimpleWorker
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select, update
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from receptionist import bootstrap, jobs
from receptionist.adapters import queue as rq_queue
from receptionist.adapters import redis_server
from receptionist.adapters.models import Candidate, OutboxItem, OutboxStatus, utcnow
from receptionist.services.outbox import LOST_MID_SEND_ASK, queue_sms
from receptionist.settings import Settings
from tests.conftest import AUTH_TOKEN
from tests.twilio_mock import free_port, start_twilio_mock

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2  # the spec's pattern: ^AC[0-9a-fA-F]{32}$
TO, FROM = "+12025550123", "+12025550100"
PUBLIC = "https://jobs.example.com"
MESSAGES_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
REDIS_DB = 15  # a database index of its own: flushed around every test


# --- fixtures -------------------------------------------------------------------------

@pytest.fixture(scope="session")
def redis_test_url(tmp_path_factory) -> str:
    """``REDIS_URL`` (CI's server) or the embedded one, pointed at database ``REDIS_DB``."""
    base = os.environ.get("REDIS_URL") or redis_server.start_embedded(tmp_path_factory.mktemp("redis"))
    if base.startswith("unix://"):  # unix:///path/redis.socket: the index goes in the query
        return f"{base.split('?')[0]}?db={REDIS_DB}"
    parts = urllib.parse.urlsplit(base)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{REDIS_DB}"))


@pytest.fixture(scope="session")
def prism(tmp_path_factory):
    with start_twilio_mock(tmp_path_factory.mktemp("prism") / "prism.log") as base_url:
        if base_url is None:
            pytest.skip("Prism not installed: run `npm ci` in the repo root")
        yield base_url


class FakeTwilio:
    """A WSGI app on loopback standing in for api.twilio.com: records every request, then
    forwards it to Prism (``forward_to``) or answers ``reply`` = (status, JSON or text).
    With the default reply it keeps each Message it creates (``messages``, as soon as the
    request arrives, as Twilio does) and lists them on GET, newest first, by To and From."""

    def __init__(self):
        self.requests: list[dict] = []
        self.messages: list[dict] = []
        self.forward_to: str | None = None
        self.reply: tuple[int, object] = (201, None)  # None: a fresh Message, queued
        self.delay_s = 0.0  # before answering (recorded first): a slow Twilio

    def __call__(self, environ, start_response):
        req = Request(environ)
        raw = req.get_data()
        self.requests.append({"method": req.method, "path": req.path,
                              "form": dict(urllib.parse.parse_qsl(raw.decode()))})
        if not self.forward_to and self.reply[1] is None and req.path == MESSAGES_PATH:
            if req.method == "GET":
                found = [m for m in reversed(self.messages)
                         if m["to"] == req.args.get("To", m["to"]) and m["from"] == req.args.get("From", m["from"])]
                page = {"messages": found, "next_page_uri": None, "page": 0, "page_size": 50, "uri": req.full_path}
                return Response(json.dumps(page), content_type="application/json")(environ, start_response)
            form = self.requests[-1]["form"]
            self.messages.append(self.message(form.get("To"), form.get("From"), form.get("Body")))
        time.sleep(self.delay_s)
        if self.forward_to:
            upstream = requests.request(
                req.method, self.forward_to + req.full_path.rstrip("?"), data=raw, timeout=10,
                headers={k: v for k, v in req.headers.items() if k.lower() in ("authorization", "content-type")})
            self.requests[-1]["answered"] = upstream.status_code
            response = Response(upstream.content, status=upstream.status_code,
                                content_type=upstream.headers.get("Content-Type"))
        else:
            status, body = self.reply
            if body is None:
                body = self.messages[-1] if req.path == MESSAGES_PATH else self.message(None, None, None)
            text = body if isinstance(body, str) else json.dumps(body)
            response = Response(text, status=status, content_type="application/json")
        return response(environ, start_response)

    @staticmethod
    def message(to: str | None, from_: str | None, body: str | None, at: dt.datetime | None = None) -> dict:
        """A Message resource as Twilio's JSON has it (``date_created`` in RFC 2822)."""
        return {"sid": "SM" + uuid.uuid4().hex, "status": "queued", "account_sid": ACCOUNT_SID, "to": to,
                "from": from_, "body": body, "date_created": format_datetime(at or utcnow(), usegmt=True)}

    @property
    def sends(self) -> list[dict]:
        return [r for r in self.requests if r["method"] == "POST" and r["path"] == MESSAGES_PATH]


@pytest.fixture
def fake_twilio():
    app = FakeTwilio()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.url = f"http://127.0.0.1:{server.server_port}"
    yield app
    server.shutdown()
    thread.join()


@pytest.fixture
def env(db, redis_test_url, tmp_path, monkeypatch):
    """The environment the jobs read (``Settings.from_env()``), in development mode (no
    account SID) until a test calls ``live``; Redis flushed before and after."""
    monkeypatch.setenv("DATABASE_URL", db.url)
    monkeypatch.setenv("REDIS_URL", redis_test_url)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_API_BASE_URL", "PUBLIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    bootstrap.reset()  # the jobs' container is rebuilt from this environment
    redis = rq_queue.connection(Settings.from_env())
    redis.flushdb()
    yield monkeypatch
    redis.flushdb()
    bootstrap.reset()


def live(monkeypatch, api_url: str) -> None:
    """Send through ``api_url`` with credentials, status callbacks to ``PUBLIC``."""
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_API_BASE_URL", api_url)
    monkeypatch.setenv("PUBLIC_BASE_URL", PUBLIC)
    bootstrap.reset()


def run_worker() -> None:
    """A real RQ worker in this process until the queue is empty (scheduled retries wait)."""
    q = rq_queue.queue(Settings.from_env())
    SimpleWorker([q], connection=q.connection).work(burst=True)


def new_text(db, key: str = "confirmation:1", to: str = TO, **candidate) -> int:
    with db.transaction() as session:
        person = Candidate(phone=to, **candidate) if candidate else None
        if person is not None:
            session.add(person)
        message = queue_sms(session, to=to, from_=FROM, body="Thanks Jane! Reply YES to confirm.",
                            purpose="confirmation", idempotency_key=key, candidate=person)
        return message.id


def row(db, message_id: int) -> OutboxItem:
    with db.transaction() as session:
        return session.get(OutboxItem, message_id)


def set_row(db, message_id: int, **values) -> None:
    with db.transaction() as session:
        session.execute(update(OutboxItem).where(OutboxItem.id == message_id).values(**values))


def enqueue(message_id: int) -> list[int]:
    return rq_queue.enqueue_outbox(Settings.from_env(), [message_id])


# --- sending ------------------------------------------------------------------------------

def test_a_pending_text_is_sent_once_through_the_mocked_api(db, env, prism, fake_twilio):
    live(env, fake_twilio.url)
    fake_twilio.forward_to = prism
    message_id = new_text(db)

    assert enqueue(message_id) == [message_id]
    run_worker()

    sent = row(db, message_id)
    assert (sent.status, sent.provider_status) == (OutboxStatus.sent, "queued")  # Twilio's status at creation
    assert sent.provider_ref.startswith("SM") and len(sent.provider_ref) == 34  # the spec's example
    assert sent.sent_at is not None and sent.attempts == 1 and sent.provider_error_code is None
    [request] = fake_twilio.sends
    assert request["answered"] == 201  # Prism (--errors) found the request valid
    assert request["form"] == {"To": TO, "From": FROM, "Body": "Thanks Jane! Reply YES to confirm.",
                               "StatusCallback": f"{PUBLIC}/sms/status"}


def test_without_an_account_sid_the_text_is_logged_and_marked_sent(db, env, caplog):
    message_id = new_text(db)
    caplog.set_level(logging.INFO, logger="receptionist")

    enqueue(message_id)
    run_worker()

    sent = row(db, message_id)
    assert sent.status == OutboxStatus.sent and sent.provider_ref.startswith("SMdev") and sent.sent_at
    # Personal data stays out of the log: numbers masked, the body only as its length.
    assert "confirmation to +1202***0123 from +1202***0100: [34 characters]" in caplog.text
    assert TO not in caplog.text and FROM not in caplog.text and "Thanks Jane" not in caplog.text


def test_enqueued_twice_and_run_twice_it_is_sent_once(db, env, prism, fake_twilio):
    live(env, fake_twilio.url)
    fake_twilio.forward_to = prism
    message_id = new_text(db)
    q = rq_queue.queue(Settings.from_env())

    assert enqueue(message_id) == [message_id]
    assert enqueue(message_id) == []  # its job is still queued: not duplicated
    assert q.count == 1
    # A duplicate all the same (e.g. another process racing): the claim stops it.
    q.enqueue(rq_queue.OUTBOX_JOB, message_id, job_id="outbox-duplicate")
    run_worker()
    assert enqueue(message_id) == [message_id]  # the finished job is replaced...
    run_worker()  # ...and finds the row sent already

    assert len(fake_twilio.sends) == 1
    assert row(db, message_id).attempts == 1
    assert Job.fetch("outbox-duplicate", connection=q.connection).return_value() == "skipped"
    assert Job.fetch(f"outbox-{message_id}", connection=q.connection).return_value() == "skipped"


def test_each_enqueue_is_one_round_trip_and_the_queue_stays_listed(db, env):
    """RQ lists the queue in ``rq:queues`` for every job (a MULTI/SADD/EXEC round trip of
    its own); a webhook's enqueue after commit sends it once per client, then only the
    unique-enqueue script. The jobs are there, the queue is listed, the worker runs them."""
    q = rq_queue.queue(Settings.from_env())
    q.connection.__dict__.pop(rq_queue._REGISTERED, None)  # Redis was flushed: a client seen for the first time
    ids = [new_text(db, key=f"confirmation:{n}") for n in range(3)]
    calls = lambda: {k.removeprefix("cmdstat_"): v["calls"] for k, v in q.connection.info("commandstats").items()}
    q.connection.config_resetstat()

    assert enqueue(ids[0]) == [ids[0]]
    first = calls()
    assert [enqueue(message_id) for message_id in ids[1:]] == [[i] for i in ids[1:]]
    after = calls()

    assert first["sadd"] == 1  # the queue listed by the first job
    sent = {name: n - first.get(name, 0) for name, n in after.items() if name not in ("config", "info")}  # ours
    sent = {name: n for name, n in sent.items() if n and name not in ("hset", "rpush", "exists")}  # inside the script
    assert sent == {"evalsha": 2}  # then one round trip a job: no MULTI/SADD/EXEC
    assert q.name in [listed.name for listed in Queue.all(connection=q.connection)]
    assert sorted(q.job_ids) == sorted(f"outbox-{i}" for i in ids)
    run_worker()
    assert [row(db, i).status for i in ids] == [OutboxStatus.sent] * 3


def test_texts_to_an_opted_out_candidate_are_refused_and_never_sent(db, env, fake_twilio):
    live(env, fake_twilio.url)
    refused = new_text(db, "confirmation:1", opted_out=True)
    assert row(db, refused).status == OutboxStatus.cancelled
    later = new_text(db, "confirmation:2", to="+12025550199", opted_out=False)
    with db.transaction() as session:  # STOP arrives after the text was queued
        session.scalars(select(Candidate).filter_by(phone="+12025550199")).one().opted_out = True

    rq_queue.enqueue_outbox(Settings.from_env(), [refused, later])
    run_worker()

    assert fake_twilio.sends == []
    assert row(db, refused).status == OutboxStatus.cancelled
    assert (row(db, later).status, row(db, later).last_error) == (
        OutboxStatus.cancelled, "recipient opted out (STOP) before it was sent; not sent")


def test_a_retryable_failure_puts_the_text_back_and_rq_retries_it(db, env, fake_twilio):
    live(env, fake_twilio.url)
    fake_twilio.reply = (503, "<html>Service Unavailable</html>")
    message_id = new_text(db)
    q = rq_queue.queue(Settings.from_env())

    enqueue(message_id)
    run_worker()

    back = row(db, message_id)
    assert (back.status, back.attempts, back.provider_ref) == (OutboxStatus.pending, 1, None)
    assert "HTTP 503" in back.last_error and back.next_attempt_at > utcnow()
    job = Job.fetch(f"outbox-{message_id}", connection=q.connection)
    assert job.get_status() == JobStatus.SCHEDULED and job.retries_left == len(rq_queue.OUTBOX_RETRY_INTERVALS_S) - 1
    assert job.id in ScheduledJobRegistry(queue=q).get_job_ids()
    # The reconciler sees an old pending row but leaves its scheduled retry alone.
    old = utcnow() - dt.timedelta(minutes=5)
    set_row(db, message_id, created_at=old, updated_at=old)
    assert jobs.sweep() == {"enqueued": [], "failed": []}
    assert len(fake_twilio.sends) == 1

    # The last attempt: a retryable error is final too.
    set_row(db, message_id, attempts=jobs.MAX_ATTEMPTS - 1)
    job.delete()
    enqueue(message_id)
    run_worker()
    given_up = row(db, message_id)
    assert (given_up.status, given_up.attempts) == (OutboxStatus.failed, jobs.MAX_ATTEMPTS)
    assert given_up.last_error.startswith(f"gave up after {jobs.MAX_ATTEMPTS} attempts")
    assert len(fake_twilio.sends) == 2


def test_a_rejected_text_is_failed_with_twilios_error_code(db, env, fake_twilio):
    live(env, fake_twilio.url)
    fake_twilio.reply = (400, {"code": 21211, "message": f"The 'To' number {TO} is not a valid phone number.",
                               "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400})
    message_id = new_text(db)
    q = rq_queue.queue(Settings.from_env())

    enqueue(message_id)
    run_worker()

    failed = row(db, message_id)
    assert (failed.status, failed.provider_error_code) == (OutboxStatus.failed, 21211)
    assert TO not in failed.last_error
    assert ScheduledJobRegistry(queue=q).get_job_ids() == []
    assert len(fake_twilio.sends) == 1


def test_enqueue_never_raises_when_redis_is_down(db, caplog):
    settings = Settings(database_url=db.url, redis_url=f"redis://127.0.0.1:{free_port()}/0",
                        twilio_account_sid=None, twilio_auth_token=AUTH_TOKEN, public_base_url=None,
                        instance_path=None)
    assert rq_queue.enqueue_outbox(settings, [1, 2]) == []
    assert "could not enqueue outbox [1, 2]" in caplog.text


# --- the sweep: reconciler and timers ---------------------------------------------------------------

def test_the_reconciler_re_enqueues_a_text_whose_job_was_lost(db, env, fake_twilio):
    live(env, fake_twilio.url)
    lost, fresh = new_text(db, "confirmation:1"), new_text(db, "confirmation:2", to="+12025550124")
    settings = Settings.from_env()
    rq_queue.enqueue_outbox(settings, [lost, fresh])
    rq_queue.connection(settings).flushdb()  # Redis restarted without its data
    old = utcnow() - dt.timedelta(minutes=2)
    set_row(db, lost, created_at=old, updated_at=old)

    rq_queue.queue(settings).enqueue(jobs.sweep)  # as RQ's cron does
    run_worker()  # the sweep, then the send it enqueued

    assert (row(db, lost).status, row(db, lost).provider_status) == (OutboxStatus.sent, "queued")
    assert row(db, fresh).status == OutboxStatus.pending  # just written: its job may be on its way
    assert [r["form"]["To"] for r in fake_twilio.sends] == [TO]


@pytest.mark.parametrize("twilio_has_it", [True, False], ids=["reached Twilio", "never reached Twilio"])
def test_a_text_whose_job_died_mid_send_is_sent_exactly_once(db, env, fake_twilio, twilio_has_it):
    """The worker was killed while it handed the text to Twilio: ten minutes on, the sweep
    hands it to a job that asks Twilio first. Found: recorded as sent with Twilio's
    MessageSid, not sent again; not found: sent once. A text that may still be in a job's
    hands is left alone."""
    live(env, fake_twilio.url)
    stuck, recent = new_text(db, "confirmation:1"), new_text(db, "confirmation:2", to="+12025550124")
    long_ago, just_now = utcnow() - dt.timedelta(minutes=11), utcnow() - dt.timedelta(minutes=1)
    set_row(db, stuck, status=OutboxStatus.sending, attempts=1, created_at=long_ago, updated_at=long_ago)
    set_row(db, recent, status=OutboxStatus.sending, attempts=1, created_at=just_now, updated_at=just_now)
    body = row(db, stuck).payload["body"]
    older = fake_twilio.message(TO, FROM, body, at=long_ago - dt.timedelta(days=1))  # the same words, earlier
    fake_twilio.messages.append(older)
    if twilio_has_it:
        fake_twilio.messages.append(fake_twilio.message(TO, FROM, body, at=long_ago + dt.timedelta(seconds=1)))

    assert jobs.sweep() == {"enqueued": [stuck], "failed": []}
    run_worker()

    sent = row(db, stuck)
    assert (sent.status, sent.last_error, sent.attempts) == (OutboxStatus.sent, None, 2)
    assert [m["sid"] for m in fake_twilio.messages if m["body"] == body and m["to"] == TO][1:] == [sent.provider_ref]
    assert len(fake_twilio.sends) == (0 if twilio_has_it else 1)
    assert row(db, recent).status == OutboxStatus.sending  # may still be in Twilio's hands


def test_a_lost_text_whose_lookup_fails_is_retried_and_asked_again(db, env, fake_twilio):
    """Twilio answers the lookup with a 503: the text waits for RQ's retry, still marked to
    be looked for first (never sent blind, which could send it twice)."""
    live(env, fake_twilio.url)
    stuck = new_text(db)
    long_ago = utcnow() - dt.timedelta(minutes=11)
    set_row(db, stuck, status=OutboxStatus.sending, attempts=1, created_at=long_ago, updated_at=long_ago)
    fake_twilio.reply = (503, {"code": 20500, "message": "Internal Server Error", "status": 503})
    jobs.sweep()
    run_worker()
    waiting = row(db, stuck)
    assert waiting.status == OutboxStatus.pending and waiting.last_error.startswith(LOST_MID_SEND_ASK)
    assert fake_twilio.sends == [] and [r["method"] for r in fake_twilio.requests] == ["GET"]


def test_each_timer_runs_in_its_own_transaction_and_a_failing_one_is_skipped(db, env, caplog):
    def broken(session, settings, now):
        session.add(Candidate(phone="+12025550177"))
        raise RuntimeError("boom")

    def reminder(session, settings, now):
        return [queue_sms(session, to=TO, from_=FROM, body="Reminder: reply YES.", purpose="reminder",
                          idempotency_key="reminder:1").id]

    env.setattr(bootstrap.current(), "sweeps", [broken, reminder])
    result = jobs.sweep()
    run_worker()

    assert result["failed"] == [broken.__qualname__] and len(result["enqueued"]) == 1
    assert row(db, result["enqueued"][0]).status == OutboxStatus.sent
    with db.transaction() as session:  # the broken timer's work was rolled back
        assert session.scalars(select(Candidate).filter_by(phone="+12025550177")).first() is None
    assert "sweep: " in caplog.text and "boom" in caplog.text


# --- the status callback ----------------------------------------------------------------------

def sent_row(db, status="queued", sid="SM" + "1" * 32) -> int:
    """A text handed to Twilio, whose last reported status is ``status``."""
    with db.transaction() as session:
        message = OutboxItem(kind="sms", recipient=TO, payload={"to": TO, "from": FROM, "body": "Hi"},
                             purpose="confirmation", idempotency_key=f"confirmation:{sid}", status=OutboxStatus.sent,
                             provider_ref=sid, provider_status=status, attempts=1, sent_at=utcnow())
        session.add(message)
        session.flush()
        return message.id


def callback(sid="SM" + "1" * 32, status="sent", **extra) -> dict:
    """Twilio's status callback fields (Twilio, "Outbound Message Status in Status Callbacks")."""
    params = {"MessageSid": sid, "SmsSid": sid, "MessageStatus": status, "SmsStatus": status,
              "AccountSid": ACCOUNT_SID, "From": FROM, "To": TO, "ApiVersion": "2010-04-01"}
    params.update(extra)
    return params


def test_status_callbacks_update_the_status_and_error_code(db, twilio):
    message_id = sent_row(db)

    assert twilio.post("/sms/status", callback(status="sent")).status_code == 204
    assert row(db, message_id).provider_status == "sent"
    assert twilio.post("/sms/status", callback(status="undelivered", ErrorCode="30003")).status_code == 204
    after = row(db, message_id)
    assert (after.provider_status, after.provider_error_code) == ("undelivered", 30003)
    assert after.status == OutboxStatus.sent  # ours: handed over; Twilio's is beside it


def test_a_forged_status_callback_is_refused(db, twilio):
    message_id = sent_row(db)
    response = twilio.post("/sms/status", callback(status="failed", ErrorCode="30007"), token="not-the-token")
    assert response.status_code == 403
    assert (row(db, message_id).provider_status, row(db, message_id).provider_error_code) == ("queued", None)


@pytest.mark.parametrize("stored, late, expected", [
    ("delivered", "sent", "delivered"),
    ("delivered", "failed", "delivered"),
    ("sent", "queued", "sent"),
    ("sent", "sending", "sent"),  # Twilio's "sending": still in flight
    ("failed", "sent", "failed"),
    ("undelivered", "failed", "undelivered"),
    ("failed", "delivered", "delivered"),  # a carrier's late receipt wins
    ("delivered", "read", "delivered"),
    ("queued", "accepted", "queued"),
    ("sent", "receiving", "sent"),  # an inbound-only status: ignored
])
def test_status_never_moves_backwards(db, twilio, stored, late, expected):
    message_id = sent_row(db, status=stored)
    assert twilio.post("/sms/status", callback(status=late)).status_code == 204
    assert row(db, message_id).provider_status == expected


def test_unknown_and_malformed_callbacks(db, twilio):
    message_id = sent_row(db)
    assert twilio.post("/sms/status", callback(sid="SM" + "9" * 32, status="delivered")).status_code == 204
    assert row(db, message_id).provider_status == "queued"
    no_sid = {k: v for k, v in callback().items() if k not in ("MessageSid", "SmsSid")}
    assert twilio.post("/sms/status", no_sid).status_code == 400


def test_a_text_written_twice_with_one_key_is_one_row(db):
    from receptionist.services.outbox import queue_sms_new

    def write(body):
        with db.transaction() as session:
            person = session.scalars(select(Candidate).filter_by(phone=TO)).one_or_none() or Candidate(phone=TO)
            session.add(person)
            session.flush()
            return queue_sms_new(session, to=TO, from_=FROM, body=body, purpose="interview_link",
                                 idempotency_key="interview_link:1:1", candidate=person)

    first = write("Your interview link: https://x.test/i/1")
    assert write("a second writer, same key") == first  # the existing row, not a second text
    with db.transaction() as session:
        [row] = session.scalars(select(OutboxItem)).all()
        assert row.payload["body"] == "Your interview link: https://x.test/i/1"
