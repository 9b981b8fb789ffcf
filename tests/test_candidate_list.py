"""The candidate list's summary rows (services.candidate_list) stay equal to the live facts
through calls, texts, corrections, ATS checks and approvals made as in production (signed
webhooks, the services); a rebuild gives the same rows; exports stream every row once."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, select

from receptionist.adapters.models import Candidate, CandidateListRow, Conversation
from receptionist.services import approvals, candidate_list, candidates
from receptionist.web.csv_export import csv_cell

from .candidate_world import world  # noqa: F401  (world: a fixture)
from .conftest import TwilioClient
from .dashboard_helpers import ats_checked
from .test_sms_inbound import RECEPTIONIST, SCREENING, completed_call, text
from .test_voice_webhooks import QUALIFIED, Call


def _kept(session) -> set[tuple]:
    rows = session.scalars(select(CandidateListRow)).all()
    return {tuple(_plain(getattr(r, c)) for c in candidate_list.COLUMNS) for r in rows}


def _live(session) -> set[tuple]:
    return {tuple(_plain(v) for v in r) for r in session.execute(candidates.summary_select())}


def _plain(value):
    # SQLite answers coalesce() over dates as text: compare instants, not their spelling.
    if isinstance(value, str) and value[:2] == "20" and ":" in value:
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    return value


def assert_kept(db) -> list[CandidateListRow]:
    """The summary equals what the live query derives, and is not empty."""
    with db.transaction() as s:
        kept = _kept(s)
        assert kept and kept == _live(s)
        return s.scalars(select(CandidateListRow)).all()


def listed(db, phone, **filters):
    with db.transaction() as s:
        company = s.scalars(select(CandidateListRow.company_id)).first()
        return [r for r in candidates.search(s, company, **filters).rows if r.phone == phone]


PHONE = "+12025550188"


@pytest.mark.usefixtures("sample_company")
def test_a_call_an_ats_check_and_an_approval_keep_the_row_right(app, container, db):
    twilio = TwilioClient(app.test_client())
    call = Call(twilio, call_sid="CA" + "7" * 32, from_number=PHONE)
    call.start()
    assert_kept(db)
    [row] = listed(db, PHONE)
    assert row.status == "in_progress" and row.name is None
    completed_call(twilio, PHONE)  # a second, whole call: the list shows the latest
    assert_kept(db)
    [row] = listed(db, PHONE, q="jane doe")
    assert row.status == "qualified" and row.score is not None
    assert listed(db, PHONE, status="in_progress") == []

    application = ats_checked(container, PHONE)
    assert_kept(db)
    assert [r.status for r in listed(db, PHONE, status="pending_approval")] == ["pending_approval"]

    company = container.uow.run(lambda s: s.scalars(select(CandidateListRow.company_id)).one())
    container.uow.run(lambda s: approvals.approve(s, company, application, actor="test"))
    assert_kept(db)
    assert listed(db, PHONE, status="pending_approval") == []
    assert [r.status for r in listed(db, PHONE)] in (["approved"], ["invited"])


@pytest.mark.usefixtures("sample_company")
def test_a_job_picked_mid_call_and_picked_again_on_a_later_call_keeps_the_row_right(app, db):
    """Picking the job opens the application in the turn itself (a Core write): the row
    shows it at once; a later call about the same job reopens that application."""
    twilio = TwilioClient(app.test_client())
    first = Call(twilio, call_sid="CA" + "5" * 32, from_number=PHONE)
    first.start()
    for inputs in QUALIFIED[:3]:  # English, apply, the second job
        first.send(**inputs)
    [row] = assert_kept(db)
    assert row.application_id is not None and row.status == "in_progress"
    first.status()  # hung up before the first question
    [row] = assert_kept(db)
    assert row.status == "incomplete"
    again = Call(twilio, call_sid="CA" + "6" * 32, from_number=PHONE)
    again.start()
    for inputs in QUALIFIED[:3]:
        again.send(**inputs)
    [reopened] = assert_kept(db)
    assert reopened.application_id == row.application_id and reopened.status == "in_progress"


@pytest.mark.usefixtures("sample_company")
def test_a_text_screening_and_a_corrected_name_keep_the_row_right(app, db):
    twilio = TwilioClient(app.test_client())
    text(twilio, "JOBS", from_number=PHONE)
    assert_kept(db)
    for body, _ in SCREENING:
        text(twilio, body, from_number=PHONE)
    assert_kept(db)
    [row] = listed(db, PHONE, q="JANE DOE")
    assert (row.channel, row.status) == ("sms", "qualified")
    caller = "+12025550177"  # a caller corrects the name the call captured, by text
    completed_call(twilio, caller)
    assert len(listed(db, caller, q="jane doe")) == 1
    text(twilio, "NAME Jane Smith", to=RECEPTIONIST, from_number=caller)
    assert_kept(db)
    assert listed(db, caller, q="jane doe") == [] and len(listed(db, caller, q="smith")) == 1


def test_a_rebuild_gives_the_rows_the_hook_kept(world):  # noqa: F811
    db, co, _ = world
    before = assert_kept(db)
    with db.transaction() as s:
        s.execute(delete(CandidateListRow))
    with db.transaction() as s:
        assert candidates.search(s, co["acme"]).rows == []
        candidate_list.refresh(s)  # what the migration runs over existing rows
    assert len(assert_kept(db)) == len(before) == 7  # Acme's five, Globex's two


def test_a_renamed_candidate_is_found_by_the_new_name(world):  # noqa: F811
    db, co, ids = world
    with db.transaction() as s:
        s.execute(delete(CandidateListRow).where(CandidateListRow.candidate_id == ids["gus"]))
        s.get(Candidate, ids["gus"]).name = "Gus Renamed"  # an ORM edit refreshes the row
    with db.transaction() as s:
        assert [r.name for r in candidates.search(s, co["globex"], q="renamed").rows] == ["Gus Renamed"]


@pytest.mark.parametrize("sort", candidates.SORTS)
def test_iter_rows_streams_every_row_once_in_the_list_order(world, monkeypatch, sort):  # noqa: F811
    db, co, _ = world
    monkeypatch.setattr(candidates, "EXPORT_PAGE", 2)  # several pages over five rows
    with db.transaction() as s:
        read = lambda action: action(s)  # noqa: E731
        whole = [r.id for r in candidates.search(s, co["acme"], sort=sort).rows]
        assert [r.id for r in candidates.iter_rows(read, co["acme"], sort=sort)] == whole
        assert [r.id for r in candidates.iter_rows(read, co["acme"], sort=sort, limit=3)] == whole[:3]
        assert [r.id for r in candidates.iter_rows(read, co["acme"], sort=sort, starting_after=whole[1])] == whole[2:]
        assert [r.name for r in candidates.iter_rows(read, co["acme"], status="qualified")] == ["Bob Stone"]


@pytest.mark.parametrize("value, cell", [
    ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"), ("@SUM(A1)", "'@SUM(A1)"), ("-2+3", "'-2+3"),
    ("+12025550123", "+12025550123"), ("+1 (202) 555", "'+1 (202) 555"), ("Ana", "Ana"), (None, ""), (85.0, "85.0"),
])
def test_one_csv_cell_rule_escapes_formulas_not_phone_numbers(value, cell):
    assert csv_cell(value) == cell


def test_a_conversation_moved_to_another_candidate_refreshes_both_rows(world):  # noqa: F811
    db, co, ids = world
    with db.transaction() as s:
        conv = s.scalars(select(Conversation).where(Conversation.candidate_id == ids["cy"])).one()
        conv.candidate_id = ids["bob"]  # e.g. two numbers found to be one person
    assert_kept(db)
    with db.transaction() as s:
        assert "Cy Park" not in [r.name for r in candidates.search(s, co["acme"]).rows]


def test_a_search_counts_its_matches_on_every_page(world):  # noqa: F811
    db, co, _ = world
    with db.transaction() as s:
        first = candidates.search(s, co["acme"], q="example", limit=1)  # Ana's, Ed's and Bob's e-mails
        assert (first.total_count, first.has_more) == (3, True)
        second = candidates.search(s, co["acme"], q="example", limit=1, starting_after=first.rows[0].id)
        assert second.total_count == 3
        assert candidates.search(s, co["acme"], q="nobody at all").total_count == 0


@pytest.mark.parametrize("new", [False, True])
def test_one_candidate_at_a_time_gives_the_rows_a_bulk_refresh_gives(world, new):  # noqa: F811
    # A webhook refreshes its one candidate (Prepared, ``candidate_id = :id``); a Core writer
    # or a rebuild several (an expanding IN): both give the live query's rows, including a
    # candidate known to two companies (two rows from one id). ``new``: no row to delete first.
    db, _, ids = world
    people = [ids[name] for name in ("ana", "bob", "cy", "di", "ed", "gus")]
    assert_kept(db)
    with db.transaction() as s:
        before = _kept(s)
    with db.connection() as conn:
        if new:
            conn.execute(delete(CandidateListRow))
        for candidate_id in people:
            candidate_list.refresh(conn, [candidate_id], new=new)
    with db.transaction() as s:
        assert _kept(s) == before
    with db.connection() as conn:
        candidate_list.refresh(conn, people)
    with db.transaction() as s:
        assert _kept(s) == before and len(before) == 7
