"""Loading a company from YAML: idempotent, validated, one number per agent."""
from __future__ import annotations

import copy

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from receptionist.adapters.models import Agent, PhoneNumber, ScreeningQuestion
from receptionist.services.company import CompanyFileError, NumberInUseError, load_company

from .conftest import SAMPLE

DATA = yaml.safe_load(SAMPLE.read_text())


def load(db, data):
    with db.transaction() as s:
        return load_company(s, copy.deepcopy(data))


def test_loading_twice_changes_nothing(db):
    first = load(db, DATA)
    assert first.created > 0 and first.updated == 0
    again = load(db, DATA)
    assert (again.created, again.updated) == (0, 0) and again.unchanged == first.created
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(ScreeningQuestion)) == 12  # 6 per agent
        numbers = sorted(s.scalars(select(PhoneNumber.e164)))
        assert numbers == ["+12025550100", "+12025550101"]


def test_editing_and_reloading_updates_in_place(db):
    load(db, DATA)
    data = copy.deepcopy(DATA)
    data["agents"][0]["questions"][2]["weight"] = 50
    del data["agents"][0]["questions"][5]  # shift question removed
    report = load(db, data)
    # Both agents share the questions (a YAML anchor): two changes each.
    assert report.created == 0 and report.updated == 4
    with db.transaction() as s:
        agent = s.scalars(select(Agent).filter_by(slug="front-desk")).one()
        by_key = {q.key: q for q in agent.questions}
        assert by_key["lift-50"].weight == 50 and by_key["shift"].active is False


def test_a_number_already_used_by_another_agent_is_refused(db):
    load(db, DATA)
    data = copy.deepcopy(DATA)
    data["agents"][1]["phone_numbers"] = ["(202) 555-0100"]  # the receptionist's number
    with pytest.raises(NumberInUseError, match=r"\+12025550100 already belongs to agent 'front-desk'"):
        load(db, data)


def test_the_database_enforces_one_number_one_agent(db):
    load(db, DATA)
    with pytest.raises(IntegrityError):
        with db.transaction() as s:
            other = s.scalars(select(Agent).filter_by(slug="text-to-apply")).one()
            s.add(PhoneNumber(e164="+12025550100", agent_id=other.id))


@pytest.mark.parametrize("path,value,message", [
    (("agents", 0, "questions", 0, "kind"), "essay", "agents[0].questions[0].kind: must be one of"),
    (("agents", 0, "phone_numbers"), ["not a number"], "agents[0].phone_numbers[0]: not a phone number"),
    (("agents", 0, "languages"), ["en", "fr"], "unsupported fr"),
    (("agents", 0, "questions", 0, "knockout"), {"equal": False}, "unknown knockout rule"),
    (("agents", 0, "timezone"), "Mars/Olympus", "unknown time zone"),
    (("agents", 0, "routing"), {"mode": "auto", "threshold": 130}, "threshold: a whole number from 0 to 100"),
    (("postings", 2, "also_called"), {"fr": ["chauffeur"]}, "postings[2].also_called: unknown language 'fr'"),
    (("postings", 2, "also_called"), {"es": ["  "]}, "postings[2].also_called.es: '  ' is not a phrase"),
    (("postings", 2, "also_called"), ["chofer"], "postings[2].also_called: expected a mapping of language"),
])
def test_invalid_files_name_the_field_and_change_nothing(db, path, value, message):
    data = copy.deepcopy(DATA)
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(CompanyFileError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load(db, data)
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Agent)) == 0


def test_cli_reports_errors_clearly(app, tmp_path):
    bad = tmp_path / "bad.yaml"
    data = copy.deepcopy(DATA)
    data["agents"][1]["phone_numbers"] = ["+12025550100"]
    bad.write_text(yaml.safe_dump(data))
    result = app.test_cli_runner().invoke(args=["load-company", str(bad)])
    assert result.exit_code == 1 and "already belongs to agent 'front-desk'" in result.output


def test_migrations_build_the_schema_the_models_describe(db):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from receptionist.adapters.models import Base
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_switchboard_numbers_load_as_e164_and_a_bad_one_is_named(db):
    data = copy.deepcopy(DATA)
    desk = data["agents"][0]
    desk["switchboard_numbers"] = ["(202) 555-0151", "+12025550150", "+1 202 555 0150"]
    load(db, data)
    with db.transaction() as s:
        assert s.scalars(select(Agent).filter_by(slug=desk["slug"])).one().switchboard_numbers == \
            ["+12025550150", "+12025550151"]
    desk["switchboard_numbers"] = ["+12025550150", "Anonymous"]
    with pytest.raises(CompanyFileError, match=r"switchboard_numbers\[1\]"):
        load(db, data)
