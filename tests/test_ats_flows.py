"""The duplicate check end to end: signed webhooks, a real Redis, a real RQ worker, the built-in
ATS and Bullhorn (a real HTTP server answering as Bullhorn REST). Returning callers, a late
lookup, a duplicate found after the call, the writeback, an ATS that is down, `ats retry`."""
from __future__ import annotations

import json
import re

import pytest
import yaml
from sqlalchemy import func, select

from receptionist import bootstrap
from receptionist.adapters.ats_builtin import BuiltinATS
from receptionist.adapters.models import Application, ATSCheck, ATSRecord, Candidate, OutboxItem, OutboxStatus
from receptionist.settings import Settings

from .ats_servers import FakeBullhorn
from .conftest import SAMPLE, TwilioClient
from .test_outbox_delivery import env, redis_test_url, run_worker  # noqa: F401  (fixtures)
from .test_sms_inbound import RECEPTIONIST, sms_params, replies
from .test_voice_webhooks import QUALIFIED, Call

PHONE = "+12025550123"


def load(app, company: dict) -> None:
    path = app.config["SETTINGS"].instance_path / "company.yaml"
    path.write_text(yaml.safe_dump(company))
    result = app.test_cli_runner().invoke(args=["load-company", str(path)])
    assert result.exit_code == 0, result.output


@pytest.fixture
def stack(db, env):  # noqa: F811
    """The web app and the jobs on the same environment (Redis database, SQL database)."""
    container = bootstrap.build(Settings.from_env(), database=db)
    app = bootstrap.create_app(container=container)
    app.config["TESTING"] = True
    app.config.setdefault("SETTINGS", container.settings)
    return app


@pytest.fixture
def builtin(stack, db):
    load(stack, yaml.safe_load(SAMPLE.read_text()))
    return BuiltinATS(db, "acme-staffing")


def said(response) -> str:
    return " ".join(t.strip() for t in re.findall(r"<Say[^>]*>(.*?)</Say>", response.data.decode(), re.S))


def texts(db) -> list[OutboxItem]:
    with db.transaction() as s:
        return list(s.scalars(select(OutboxItem).filter_by(kind="sms")))


def invites(db) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(OutboxItem).filter_by(kind="invite"))


def application(db, phone=PHONE) -> Application:
    with db.transaction() as s:
        return s.scalars(select(Application).join(Candidate).where(Candidate.phone == phone)
                         .order_by(Application.id)).first()


def text(twilio, body, phone=PHONE) -> str:
    return "\n".join(replies(twilio.post("/sms/inbound", sms_params(body, from_number=phone, to=RECEPTIONIST))))


def qualified_call(twilio, sid, phone=PHONE, worker_between=True):
    call = Call(twilio, call_sid=sid, from_number=phone)
    call.start()
    if worker_between:
        run_worker()  # the lookup, prefetched as the call goes on
    for inputs in QUALIFIED:
        call.send(**inputs)
    call.status()
    return call


def apply_again(twilio, sid: str, phone: str = PHONE) -> str:
    """A call that asks to apply once the lookup has run: what the receptionist says then."""
    call = Call(twilio, call_sid=sid, from_number=phone)
    call.start()
    run_worker()
    call.send(Digits="1")  # English
    return said(call.send(Digits="1"))  # apply


def test_a_qualified_caller_calls_again_and_is_told_the_application_is_on_file(stack, builtin, db):
    twilio = TwilioClient(stack.test_client())
    qualified_call(twilio, "CA" + "1" * 32)
    run_worker()
    first = application(db)
    # Routed once clear: the sample agent is automatic at 70 and this screening scores 100.
    assert first.duplicate_check == "clear" and first.routing == "invited"
    assert "all set" in text(twilio, "YES jane.doe@example.com")
    run_worker()  # the check by email, then the writeback
    [record] = builtin.find_candidates(email="Jane.Doe@example.com")
    assert record.phones == (PHONE,) and [a.job_id for a in record.applications] == ["forklift-operator"]
    [note] = builtin.notes(record.ats_id)
    assert "Score:" in note and "/candidates/" in note and "#conversation-" in note and "about four years" in note
    assert application(db).ats_candidate_id == record.ats_id

    call = Call(twilio, call_sid="CA" + "2" * 32, from_number=PHONE)
    call.start()
    run_worker()
    call.send(Digits="1")  # English
    on_file = said(call.send(Digits="1"))  # apply
    assert "already have your application for Forklift Operator" in on_file
    assert "Warehouse Associate and Delivery Driver" in on_file
    assert "Goodbye" in said(call.send(SpeechResult="no thanks", Confidence="0.9"))
    call.status()
    run_worker()
    assert [t.purpose for t in texts(db)].count("confirmation") == 1  # no second confirmation text
    assert invites(db) == 1  # and no second invite
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Application)) == 1
        assert s.scalar(select(func.count()).select_from(ATSRecord)) == 1  # one record for one person
        assert s.scalar(select(func.count()).select_from(OutboxItem).filter_by(kind="ats_writeback")) == 1


def test_a_caller_known_only_to_the_ats_is_offered_only_the_other_roles(stack, builtin, db):
    known = builtin.create_candidate(name="Sam Roe", phone="+12025550177", email=None)
    builtin.create_application(known.ats_id, "warehouse-associate")
    twilio = TwilioClient(stack.test_client())
    call = Call(twilio, call_sid="CA" + "3" * 32, from_number="+12025550177")
    call.start()
    run_worker()
    call.send(Digits="1")
    assert "application for Warehouse Associate" in said(call.send(SpeechResult="apply", Confidence="0.9"))
    roles = said(call.send(Digits="1"))  # yes: the other roles
    assert "Forklift Operator, press 1" in roles and "Delivery Driver, press 2" in roles
    assert "Warehouse" not in roles


def test_a_late_lookup_does_not_hold_the_call_and_the_duplicate_is_found_after_it(stack, builtin, db):
    known = builtin.create_candidate(name="Jane Doe", phone=PHONE, email=None)
    builtin.create_application(known.ats_id, "forklift-operator")
    twilio = TwilioClient(stack.test_client())
    qualified_call(twilio, "CA" + "4" * 32, worker_between=False)  # no worker: the lookup is late
    found = application(db)
    assert found.screening_outcome == "qualified" and found.duplicate_check == "pending"
    run_worker()
    found = application(db)
    assert found.duplicate_check == "duplicate" and found.routing == "not_routed"  # never routed
    assert [m["ats_id"] for m in found.duplicate_matches] == [known.ats_id]
    assert found.duplicate_matches[0]["matched_on"] == ["phone"]


BULLHORN_ENV = {"client_id": "BH_CLIENT_ID", "client_secret": "BH_CLIENT_SECRET", "username": "BH_USERNAME",
                "password": "BH_PASSWORD"}


@pytest.fixture
def bullhorn(stack, env):  # noqa: F811
    with FakeBullhorn() as api:
        for name, value in zip(BULLHORN_ENV.values(), ("bh-id", "bh-secret", "api.user", "pw")):
            env.setenv(name, value)
        company = yaml.safe_load(SAMPLE.read_text())
        company["ats"] = {"kind": "bullhorn", "login_info_url": api.url, "credentials_env": BULLHORN_ENV,
                          "jobs": {"forklift-operator": "7", "warehouse-associate": "8", "delivery-driver": "9"}}
        load(stack, company)
        yield api


def test_bullhorn_returning_caller_and_an_outage_retried_from_the_cli(stack, bullhorn, db, env):  # noqa: F811
    bullhorn.add_candidate("Jane", "Doe", phone="(202) 555-0123", job_ids=[7])
    twilio = TwilioClient(stack.test_client())
    assert "application for Forklift Operator" in apply_again(twilio, "CA" + "5" * 32)

    for _ in range(12):
        bullhorn.fault(status=503)  # Bullhorn is down
    qualified_call(twilio, "CA" + "6" * 32, phone="+12025550155")
    run_worker()  # the job fails, will retry with backoff
    waiting = application(db, "+12025550155")
    assert waiting.duplicate_check == "pending"
    with db.transaction() as s:
        check = s.scalars(select(ATSCheck).filter_by(application_id=waiting.id)).one()
        assert "503" in check.error
        job = s.scalars(select(OutboxItem).filter_by(idempotency_key=f"ats_check:{check.id}")).one()
        assert job.status == OutboxStatus.pending and job.next_attempt_at is not None  # kept, retried later
    bullhorn.faults.clear()  # back up
    result = stack.test_cli_runner().invoke(args=["ats", "retry"])
    assert result.exit_code == 0 and "queued again" in result.output, result.output
    run_worker()
    assert application(db, "+12025550155").duplicate_check == "clear"


def test_ats_check_cli_prints_the_matches_as_json_lines(stack, builtin):
    older = builtin.create_candidate(name="Jane Doe", phone=PHONE, email=None)
    newer = builtin.create_candidate(name="J. Doe", phone=None, email="jane@example.com")
    builtin.create_application(newer.ats_id, "delivery-driver")
    runner = stack.test_cli_runner()
    out = runner.invoke(args=["ats", "check", "(202) 555-0123"])
    assert out.exit_code == 0, out.output
    assert [json.loads(line)["ats_id"] for line in out.output.splitlines()] == [older.ats_id]
    out = runner.invoke(args=["ats", "check", " JANE@example.com "])
    [match] = [json.loads(line) for line in out.output.splitlines()]
    assert match["source"] == "builtin:acme-staffing" and match["applications"][0]["job_id"] == "delivery-driver"
    bad = runner.invoke(args=["ats", "check", "not a number"])
    assert bad.exit_code != 0 and "neither a phone number nor an email" in bad.output


def test_greenhouse_mirror_synced_from_the_cli_answers_checks_and_calls(stack, db, env):  # noqa: F811
    from .ats_servers import FakeGreenhouse

    with FakeGreenhouse() as api:
        api.add_candidate("Jane", "Doe", phones=["202-555-0123"], emails=["Jane@Example.com"], jobs=[4012])
        env.setenv("GH_CLIENT_ID", "gh-id")
        env.setenv("GH_CLIENT_SECRET", "gh-secret")
        company = yaml.safe_load(SAMPLE.read_text())
        company["ats"] = {"kind": "greenhouse", "base_url": api.url, "token_url": api.url + "/token",
                          "credentials_env": {"client_id": "GH_CLIENT_ID", "client_secret": "GH_CLIENT_SECRET"},
                          "jobs": {"forklift-operator": "4012"}}
        load(stack, company)
        runner = stack.test_cli_runner()
        synced = runner.invoke(args=["ats", "sync"])
        assert synced.exit_code == 0 and "greenhouse:acme-staffing: 1 candidate(s) stored" in synced.output
        [match] = [json.loads(line) for line in runner.invoke(args=["ats", "check", "jane@example.com"]).output.splitlines()]
        assert match["source"] == "greenhouse:acme-staffing" and match["applications"][0]["job_id"] == "4012"
        calls_before = len(api.requests)
        assert "application for Forklift Operator" in apply_again(TwilioClient(stack.test_client()), "CA" + "7" * 32)
        assert len(api.requests) == calls_before  # the lookup read the mirror, not Greenhouse


@pytest.mark.parametrize("caller_id", ["Anonymous", "+442079460000"], ids=["hidden", "landline"])
def test_a_caller_who_confirms_the_number_said_is_checked_routed_and_invited_there(stack, builtin, db, caller_id):
    # Before: no caller ID and no email, so no duplicate check ever ran: a qualified caller
    # (score 100, automatic routing) stayed "not routed" for good, the YES changed nothing;
    # a landline caller's link went to the landline.
    mobile = "+12025550177"
    twilio = TwilioClient(stack.test_client())
    call = Call(twilio, call_sid="CA" + "7" * 32, from_number=caller_id)
    call.start()
    for inputs in QUALIFIED:
        call.send(**inputs)
    call.send(Digits="2025550177")
    call.send(Digits="1")  # the number read back: right
    call.status()
    run_worker()
    with db.transaction() as s:
        hidden = s.scalars(select(Application)).one()
        # The caller's word only, so far: no caller ID to look up (hidden); the landline's was.
        assert hidden.routing == ("not_routed" if caller_id == "Anonymous" else "invited")
    assert "all set" in text(twilio, "YES", phone=mobile)
    run_worker()  # the check by the number now confirmed, routing, the invite, its link by text
    with db.transaction() as s:
        hidden = s.scalars(select(Application)).one()
        assert hidden.duplicate_check == "clear" and hidden.routing == "invited"
    assert [(t.purpose, t.recipient) for t in texts(db)] == [("confirmation", mobile), ("interview_link", mobile)]
