"""The recruiter API (/v4): keys, envelopes, configuration, candidates, exports, approvals, limits."""
from __future__ import annotations

import csv
import dataclasses
import io
import logging

from sqlalchemy import func, select

from receptionist import bootstrap
from receptionist.adapters.models import Agent, Application, OutboxItem, ScreeningQuestion
from receptionist.services.scripts import script_for

from .api_helpers import Api, acme, api_app, globex, make_key  # noqa: F401  (fixtures)
from .candidate_world import world  # noqa: F401
from .conftest import TwilioClient
from .test_voice_webhooks import Call, said


def ids_of(response):
    return [item["id"] for item in response.get_json()["data"]]


def test_no_key_a_wrong_key_or_a_revoked_key_gets_401(acme, api_app):
    assert acme.get("/v4/agents", key=None).status_code == 401
    wrong = acme.get("/v4/agents", key="rk_" + "x" * 43)
    assert wrong.status_code == 401 and wrong.get_json()["data"]["type"] == "unauthorized"
    assert acme.get("/v4/agents").status_code == 200
    runner = api_app.test_cli_runner()
    listed = runner.invoke(args=["api-keys", "list"])
    key_id = next(line.split("\t")[0] for line in listed.output.splitlines() if "acme-staffing" in line)
    assert runner.invoke(args=["api-keys", "revoke", key_id]).exit_code == 0
    assert acme.get("/v4/agents").status_code == 401


def test_the_cli_prints_the_key_alone_on_its_last_line_and_stores_only_its_hash(api_app, world):
    db, _, _ = world
    runner = api_app.test_cli_runner()
    made = runner.invoke(args=["api-keys", "create", "--name", "ats sync", "--company", "globex"])
    assert made.exit_code == 0, made.output
    key = made.output.strip().splitlines()[-1]
    assert key.startswith("rk_") and " " not in key and len(key) == 46
    with db.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT key_hash, prefix FROM api_keys").all()
    assert all(key not in row.key_hash for row in stored) and [r.prefix for r in stored] == [key[:11]]
    assert Api(api_app.test_client(), key).get("/v4/postings").status_code == 200
    # Two companies: the company must be named.
    unnamed = runner.invoke(args=["api-keys", "create", "--name", "x"])
    assert unnamed.exit_code != 0 and "--company" in unnamed.output
    listed = runner.invoke(args=["api-keys", "list"])
    assert "ats sync" in listed.output and key not in listed.output


def test_agents_come_with_their_numbers_and_routing(acme):
    r = acme.get("/v4/agents")
    body = r.get_json()
    assert r.status_code == 200 and body["object"] == "list" and body["total_count"] == 2
    assert body["has_more"] is False and body["limit"] == 50 and body["url"] == "/v4/agents"
    desk = body["data"][0]
    assert desk["kind"] == "receptionist" and [n["e164"] for n in desk["phone_numbers"]] == ["+12025550100"]
    assert desk["routing"] == {"mode": "auto", "threshold": 70}
    sms = acme.get("/v4/agents?kind=sms_screening").get_json()["data"]
    assert [a["kind"] for a in sms] == ["sms_screening"]
    one = acme.get(f"/v4/agents/{desk['id']}").get_json()
    assert one["object"] == "agent" and one["data"]["id"] == desk["id"]


def test_routing_and_numbers_change_through_the_api_with_field_errors(acme):
    desk = acme.get("/v4/agents").get_json()["data"][0]["id"]
    r = acme("PATCH", f"/v4/agents/{desk}", json={"routing": {"mode": "manual"}})
    assert r.status_code == 200 and r.get_json()["data"]["routing"] == {"mode": "manual", "threshold": 70}
    bad = acme("PATCH", f"/v4/agents/{desk}", json={"routing": {"threshold": 101}})
    assert bad.status_code == 422 and bad.get_json()["data"]["field"] == "routing.threshold"
    added = acme("POST", f"/v4/agents/{desk}/phone_numbers", json={"phone_number": "(202) 555-0177"})
    assert added.status_code == 201 and added.get_json()["data"]["e164"] == "+12025550177"
    taken = acme("POST", f"/v4/agents/{desk}/phone_numbers", json={"phone_number": "+12025550199"})  # Globex's
    assert taken.status_code == 409 and "globex" not in taken.get_data(as_text=True).lower()
    junk = acme("POST", f"/v4/agents/{desk}/phone_numbers", json={"phone_number": "12"})
    assert junk.status_code == 422 and junk.get_json()["data"]["field"] == "phone_number"
    gone = acme("DELETE", f"/v4/agents/{desk}/phone_numbers/{added.get_json()['data']['id']}")
    assert gone.status_code == 204
    assert [n["e164"] for n in acme.get(f"/v4/agents/{desk}").get_json()["data"]["phone_numbers"]] == ["+12025550100"]


def test_questions_list_create_update_delete_reorder(acme, world):
    db, _, _ = world
    desk = acme.get("/v4/agents").get_json()["data"][0]["id"]
    base = f"/v4/agents/{desk}/questions"
    before = ids_of(acme.get(base))
    assert len(before) == 6
    new = {"key": "forklift-cert", "kind": "yes_no", "weight": 10, "knockout": {"equals": False},
           "text": {"en": "Do you hold a forklift certificate?", "es": "¿Tiene certificado de montacargas?"}}
    made = acme("POST", base, json=new)
    assert made.status_code == 201 and made.get_json()["data"]["rank"] == 7
    qid = made.get_json()["data"]["id"]
    assert acme("POST", base, json=new).status_code == 409
    # The YAML's rules: every language of the agent, a valid knockout rule.
    missing = acme("POST", base, json=new | {"key": "other", "text": {"en": "Only English?"}})
    assert missing.status_code == 422 and missing.get_json()["data"]["field"] == "text"
    rule = acme("POST", base, json=new | {"key": "other", "knockout": {"shrug": 1}})
    assert rule.status_code == 422 and rule.get_json()["data"]["field"] == "knockout"
    unknown = acme("POST", base, json=new | {"key": "other", "colour": "red"})
    assert unknown.status_code == 422 and unknown.get_json()["data"]["field"] == "colour"
    assert acme("POST", base, data="{not json", content_type="application/json").status_code == 400
    changed = acme("PATCH", f"{base}/{qid}", json={"weight": 25})
    assert changed.status_code == 200 and changed.get_json()["data"]["weight"] == 25
    order = [qid] + before
    r = acme("POST", f"{base}/reorder", json={"question_ids": order})
    assert r.status_code == 200 and ids_of(r) == order and ids_of(acme.get(base)) == order
    short = acme("POST", f"{base}/reorder", json={"question_ids": before})
    assert short.status_code == 422 and short.get_json()["data"]["field"] == "question_ids"
    assert acme("DELETE", f"{base}/{before[0]}").status_code == 204
    after = acme.get(base).get_json()["data"]
    assert [q["id"] for q in after] == [qid] + before[1:] and [q["rank"] for q in after] == list(range(1, 7))
    with db.transaction() as s:  # kept for the answers that point at it, no longer asked
        assert s.get(ScreeningQuestion, before[0]).active is False
    page = acme.get(f"{base}?limit=2&starting_after={after[1]['id']}").get_json()
    assert [q["id"] for q in page["data"]] == [after[2]["id"], after[3]["id"]] and page["has_more"] is True


def test_changing_a_question_keeps_how_its_answers_are_read(acme, world):
    """A PATCH of one field is checked whole; the fields it does not name (unit,
    implied_by_number, implied_by_phrases) are kept, not wiped."""
    db, _, _ = world
    desk = acme.get("/v4/agents").get_json()["data"][0]["id"]
    base = f"/v4/agents/{desk}/questions"
    by_key = {q["key"]: q["id"] for q in acme.get(base).get_json()["data"]}
    for key in ("age-18", "work-authorization", "experience-years"):
        assert acme("PATCH", f"{base}/{by_key[key]}", json={"weight": 5}).status_code == 200
    with db.transaction() as s:
        age, work, years = (s.get(ScreeningQuestion, by_key[k]) for k in ("age-18", "work-authorization",
                                                                          "experience-years"))
        assert age.implied_by_number == {"at_least": 18} and years.unit == "years"
        assert "need sponsorship" in work.implied_by_phrases["en"]["no"] and work.weight == 5


def test_questions_show_and_change_how_their_answers_are_read(acme, api_app, world):
    """unit, implied_by_number and implied_by_phrases are shown, set and cleared through the
    API, checked by the company file's validator; a call after the PATCH reads the new way."""
    desk = acme.get("/v4/agents").get_json()["data"][0]["id"]
    base = f"/v4/agents/{desk}/questions"
    shown = {q["key"]: q for q in acme.get(base).get_json()["data"]}
    assert shown["age-18"]["implied_by_number"] == {"at_least": 18}
    assert shown["experience-years"]["unit"] == "years"
    assert "need sponsorship" in shown["work-authorization"]["implied_by_phrases"]["en"]["no"]
    assert shown["lift-50"]["implied_by_phrases"] is None and shown["lift-50"]["unit"] is None
    work = shown["work-authorization"]["id"]
    assert acme.get(f"{base}/{work}").get_json()["data"]["implied_by_phrases"] == \
        shown["work-authorization"]["implied_by_phrases"]

    # Set and clear.
    years = shown["experience-years"]["id"]
    r = acme("PATCH", f"{base}/{years}", json={"unit": "months"})
    assert r.status_code == 200 and r.get_json()["data"]["unit"] == "months"
    age = shown["age-18"]["id"]
    r = acme("PATCH", f"{base}/{age}", json={"implied_by_number": None})
    assert r.status_code == 200 and r.get_json()["data"]["implied_by_number"] is None
    assert acme.get(f"{base}/{age}").get_json()["data"]["implied_by_number"] is None
    r = acme("PATCH", f"{base}/{age}", json={"implied_by_number": {"at_least": 21}})
    assert r.get_json()["data"]["implied_by_number"] == {"at_least": 21}
    assert type(r.get_json()["data"]["implied_by_number"]["at_least"]) is int  # 21, not 21.0

    # The company file's rules and messages, naming the field.
    def refused(method, path, body):
        r = acme(method, path, json=body)
        assert r.status_code == 422, r.get_json()
        return r.get_json()["data"]["field"], r.get_json()["data"]["message"]
    field, message = refused("PATCH", f"{base}/{work}", {"unit": "years"})
    assert (field, message) == ("unit", "only a number question has a unit")
    field, message = refused("PATCH", f"{base}/{years}", {"implied_by_number": {"at_least": 18}})
    assert (field, message) == ("implied_by_number", "only a yes_no question can be answered by a number")
    both = {"en": {"yes": ["green card"], "no": ["Green Card"]}}
    field, message = refused("PATCH", f"{base}/{work}", {"implied_by_phrases": both})
    assert (field, message) == ("implied_by_phrases.en", "'green card' is in both the yes and the no list")
    field, message = refused("PATCH", f"{base}/{work}", {"implied_by_phrases": {"xx": {"yes": ["citizen"]}}})
    assert field == "implied_by_phrases" and message.startswith("unknown language 'xx'")
    field, _ = refused("PATCH", f"{base}/{work}", {"implied_by_phrases": {"en": {"maybe": ["citizen"]}}})
    assert field.startswith("implied_by_phrases.en")
    field, _ = refused("PATCH", f"{base}/{age}", {"implied_by_number": {"at_least": "eighteen"}})
    assert field == "implied_by_number.at_least"
    new = {"key": "over-21", "kind": "number", "text": {"en": "How old are you?", "es": "¿Cuántos años tiene?"},
           "implied_by_phrases": {"en": {"yes": ["old enough"]}}}
    field, message = refused("POST", base, new)
    assert (field, message) == ("implied_by_phrases", "only a yes_no question can be answered by phrases")
    made = acme("POST", base, json=new | {"kind": "yes_no", "implied_by_number": {"at_least": 21}})
    assert made.status_code == 201
    assert made.get_json()["data"]["implied_by_number"] == {"at_least": 21}
    assert made.get_json()["data"]["implied_by_phrases"] == {"en": {"yes": ["old enough"]}}
    assert acme("DELETE", f"{base}/{made.get_json()['data']['id']}").status_code == 204
    assert acme.get(f"{base}/{work}").get_json()["data"] == shown["work-authorization"]  # refusals changed nothing

    # A call after the PATCH reads the caller's words the new way.
    r = acme("PATCH", f"{base}/{work}", json={"implied_by_phrases": {"en": {"yes": ["blue passport"]}}})
    assert r.status_code == 200
    call = Call(TwilioClient(api_app.test_client()), call_sid="CA" + "7" * 32, from_number="+12025550177")
    call.start()
    for inputs in [dict(Digits="1"), dict(Digits="1"), dict(Digits="1"), dict(SpeechResult="Yes.", Confidence="0.9")]:
        call.send(**inputs)
    assert "legally authorized to work" in said(call.last)
    call.send(SpeechResult="I have a blue passport", Confidence="0.91")
    assert "lift up to 50 pounds" in said(call.last)


def test_policies_and_postings(acme):
    desk = acme.get("/v4/agents").get_json()["data"][0]["id"]
    base = f"/v4/agents/{desk}/policies"
    count = acme.get(base).get_json()["total_count"]
    made = acme("POST", base, json={"key": "parking", "questions": {"en": ["where do I park"], "es": ["dónde"]},
                                    "answer": {"en": "Lot B.", "es": "Lote B."}})
    assert made.status_code == 201
    pid = made.get_json()["data"]["id"]
    assert acme("PATCH", f"{base}/{pid}", json={"answer": {"en": "Lot C.", "es": "Lote C."}}).status_code == 200
    assert acme.get(f"{base}/{pid}").get_json()["data"]["answer"]["en"] == "Lot C."
    assert acme("DELETE", f"{base}/{pid}").status_code == 204
    assert acme.get(base).get_json()["total_count"] == count
    posting = acme("POST", "/v4/postings", json={"key": "picker", "title": "Picker", "location": "Columbus, OH",
                                                 "interview_posting_id": "D9E0F1A2"})
    assert posting.status_code == 201 and posting.get_json()["data"]["title"] == {"en": "Picker", "es": "Picker"}
    closed = acme("PATCH", f"/v4/postings/{posting.get_json()['data']['id']}", json={"open": False})
    assert closed.get_json()["data"]["open"] is False
    assert "picker" not in [p["key"] for p in acme.get("/v4/postings?open=true").get_json()["data"]]


def test_what_a_posting_is_also_called_is_kept_checked_and_read_by_the_next_call(acme, db):
    made = acme("POST", "/v4/postings", json={"key": "yard", "title": {"en": "Yard Jockey", "es": "Patiero"},
                                              "also_called": {"en": ["spotter", "hostler"], "es": ["movedor de cajas"]}})
    assert made.status_code == 201, made.get_json()
    data = made.get_json()["data"]
    assert data["also_called"] == {"en": ["spotter", "hostler"], "es": ["movedor de cajas"]}
    bad = acme("PATCH", f"/v4/postings/{data['id']}", json={"also_called": {"en": []}})
    assert bad.status_code == 422
    with db.transaction() as s:
        agent = s.scalars(select(Agent).filter_by(slug="front-desk")).one()
        [yard] = [p for p in script_for(agent).postings if p.key == "yard"]
        assert yard.as_option().forms("en") == ("Yard Jockey", "spotter", "hostler")
    cleared = acme("PATCH", f"/v4/postings/{data['id']}", json={"also_called": None})
    assert cleared.get_json()["data"]["also_called"] is None
    with db.transaction() as s:  # an edit gives the script a new version: the next call reads it
        agent = s.scalars(select(Agent).filter_by(slug="front-desk")).one()
        [yard] = [p for p in script_for(agent).postings if p.key == "yard"]
        assert yard.as_option().forms("en") == ("Yard Jockey",)


def test_candidates_filters_detail_and_not_found(acme, world):
    _, _, ids = world
    r = acme.get("/v4/candidates?score_min=50&sort=-score")
    assert [c["name"] for c in r.get_json()["data"]] == ["Ed Dup", "Ana Lopez"]
    assert r.get_json()["total_count"] == 2
    assert [c["name"] for c in acme.get("/v4/candidates?q=(312)%20555").get_json()["data"]] == ["Bob Stone"]
    assert [c["name"] for c in acme.get("/v4/candidates?status=knocked_out").get_json()["data"]] == ["Cy Park"]
    bad = acme.get("/v4/candidates?score_min=abc")
    assert bad.status_code == 422 and bad.get_json()["data"]["field"] == "score_min"
    naive = acme.get("/v4/candidates?since=2026-11-01T00:00:00")
    assert naive.status_code == 422 and naive.get_json()["data"]["field"] == "since"
    page1 = acme.get("/v4/candidates?limit=2").get_json()
    page2 = acme.get(f"/v4/candidates?limit=2&starting_after={page1['data'][-1]['id']}").get_json()
    assert page1["has_more"] and len(page2["data"]) == 2 and not set(ids_of_json(page1)) & set(ids_of_json(page2))
    ana = acme.get(f"/v4/candidates/{ids['ana']}").get_json()["data"]
    answer = ana["conversations"][0]["answers"][0]
    assert (answer["question_key"], answer["raw_text"], answer["value"], answer["confidence"]) == (
        "age-18", "yes I am <b>", True, 0.93)
    assert ana["texts"][0]["provider_status"] == "delivered" and ana["score"] == 85
    conv = acme.get(f"/v4/conversations/{ana['conversation_id']}").get_json()
    assert conv["object"] == "conversation" and len(conv["data"]["transcript"]) == 2
    assert conv["data"]["application"]["duplicate_check"] == "not_started"
    missing = acme.get("/v4/candidates/999999")
    assert missing.status_code == 404 and missing.get_json()["object"] == "error"
    assert acme.get("/v4/nothing-here").status_code == 404


def ids_of_json(body):
    return [c["id"] for c in body["data"]]


def test_exports_csv_and_json_with_scores(acme):
    r = acme.get("/v4/candidates/export?format=csv&sort=-score")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert [(row["name"], row["score"]) for row in rows[:3]] == [("Ed Dup", "90.0"), ("Ana Lopez", "85.0"),
                                                                  ("Bob Stone", "40.0")]
    assert rows[1]["phone"] == "+12025550123" and len(rows) == 5
    j = acme.get("/v4/candidates/export?format=json&status=qualified").get_json()
    assert [c["name"] for c in j["data"]] == ["Bob Stone"] and j["total_count"] == 1


def test_a_formula_typed_as_a_name_is_exported_as_text(acme, world):
    db, _, ids = world
    from receptionist.adapters.models import Candidate
    with db.transaction() as s:
        s.get(Candidate, ids["bob"]).name = "=HYPERLINK(\"http://x\")"
    rows = list(csv.DictReader(io.StringIO(acme.get("/v4/candidates/export").get_data(as_text=True))))
    assert "'=HYPERLINK(\"http://x\")" in [row["name"] for row in rows]


def test_approving_from_the_queue_invites_once(acme, world):
    db, _, ids = world
    queue = acme.get("/v4/approvals?status=pending").get_json()
    assert queue["total_count"] == 1 and queue["data"][0]["candidate_name"] == "Ana Lopez"
    app_id = queue["data"][0]["id"]
    first = acme("POST", f"/v4/approvals/{app_id}/approve", json={})
    assert first.status_code == 200, first.get_json()
    data = first.get_json()["data"]
    assert data["routing"] == "approved" and data["invite"]["status"] in ("pending", "sending", "sent")
    assert [(e["from_state"], e["to_state"]) for e in data["routing_history"]][-1] == ("pending_approval", "approved")
    again = acme("POST", f"/v4/approvals/{app_id}/approve", json={})
    assert again.status_code == 200
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(OutboxItem).where(
            OutboxItem.kind == "invite", OutboxItem.application_id == app_id)) == 1
    assert acme.get("/v4/approvals").get_json()["total_count"] == 0
    late = acme("POST", f"/v4/approvals/{app_id}/dismiss", json={"reason": ""})
    assert late.status_code == 422 and late.get_json()["data"]["field"] == "reason"


def test_dismiss_needs_a_reason_and_an_unknown_posting_is_refused(acme, world):
    db, co, ids = world
    app_id = acme.get("/v4/approvals").get_json()["data"][0]["id"]
    with db.transaction() as s:
        welder = s.scalars(select(Application.posting_id).where(Application.candidate_id == ids["gus"])).one()
    r = acme("POST", f"/v4/approvals/{app_id}/approve", json={"posting_id": welder})  # Globex's posting
    assert r.status_code == 422 and r.get_json()["data"]["field"] == "posting_id"
    d = acme("POST", f"/v4/approvals/{app_id}/dismiss", json={"reason": "Role filled"})
    assert d.status_code == 200 and d.get_json()["data"]["routing"] == "dismissed"
    again = acme("POST", f"/v4/approvals/{app_id}/dismiss", json={"reason": "Role filled"})  # a retry: the same answer
    assert again.status_code == 200 and again.get_json()["data"]["routing_history"] == d.get_json()["data"]["routing_history"]
    assert acme("POST", f"/v4/approvals/{app_id}/approve", json={}).status_code == 409


def test_webhooks_register_list_delete(acme):
    made = acme("POST", "/v4/webhooks", json={"url": "https://ats.example.com/hook",
                                              "events": ["candidate.invited"]})
    assert made.status_code == 201 and made.get_json()["data"]["secret"].startswith("whsec_")
    listed = acme.get("/v4/webhooks").get_json()
    assert listed["total_count"] == 1 and "secret" not in listed["data"][0]
    bad = acme("POST", "/v4/webhooks", json={"url": "https://x.test/h", "events": ["call.started"]})
    assert bad.status_code == 422 and bad.get_json()["data"]["field"].startswith("events")
    assert acme("DELETE", f"/v4/webhooks/{listed['data'][0]['id']}").status_code == 204
    assert acme.get("/v4/webhooks").get_json()["total_count"] == 0


def test_a_key_over_its_limit_gets_429_with_retry_after(world, settings):
    db, _, _ = world
    container = bootstrap.build(dataclasses.replace(settings, api_rate_limit_per_min=3),
                                database=db)
    app = bootstrap.create_app(container=container)
    api = Api(app.test_client(), make_key(container, "acme-staffing"))
    other = Api(app.test_client(), make_key(container, "acme-staffing", "second"))
    codes = [api.get("/v4/postings").status_code for _ in range(4)]
    assert codes[:3] == [200, 200, 200] and codes[3] == 429
    limited = api.get("/v4/postings")
    assert limited.get_json()["data"]["type"] == "rate_limited" and 1 <= int(limited.headers["Retry-After"]) <= 60
    assert other.get("/v4/postings").status_code == 200  # per key


def test_the_limit_fails_open_with_one_log_line_when_redis_is_down(world, settings, caplog):
    db, _, _ = world
    container = bootstrap.build(dataclasses.replace(settings, redis_url="redis://127.0.0.1:1/0",
                                                    api_rate_limit_per_min=1), database=db)
    app = bootstrap.create_app(container=container)
    api = Api(app.test_client(), make_key(container, "acme-staffing"))
    with caplog.at_level(logging.WARNING):
        codes = [api.get("/v4/postings").status_code for _ in range(3)]
    assert codes == [200, 200, 200]
    assert len([r for r in caplog.records if "rate limiting off" in r.getMessage()]) == 1


def test_with_one_company_the_cli_needs_no_company(app, sample_company):
    made = app.test_cli_runner().invoke(args=["api-keys", "create", "--name", "solo"])
    assert made.exit_code == 0, made.output
    key = made.output.strip().splitlines()[-1]
    r = Api(app.test_client(), key).get("/v4/agents")
    assert r.status_code == 200 and r.get_json()["total_count"] == 2


def test_a_receptionists_switchboard_numbers_are_listed_and_changed_through_the_api(acme):
    desk = acme.get("/v4/agents?kind=receptionist").get_json()["data"][0]
    assert desk["switchboard_numbers"] == ["+12025550150"]  # examples/acme-staffing.yaml
    r = acme("PATCH", f"/v4/agents/{desk['id']}", json={"switchboard_numbers": ["(202) 555-0151", "+12025550150"]})
    assert r.status_code == 200 and r.get_json()["data"]["switchboard_numbers"] == ["+12025550150", "+12025550151"]
    bad = acme("PATCH", f"/v4/agents/{desk['id']}", json={"switchboard_numbers": ["+12025550150", "12"]})
    assert bad.status_code == 422 and bad.get_json()["data"]["field"] == "switchboard_numbers[1]"
    sms = acme.get("/v4/agents?kind=sms_screening").get_json()["data"][0]
    refused = acme("PATCH", f"/v4/agents/{sms['id']}", json={"switchboard_numbers": ["+12025550151"]})
    assert refused.status_code == 422 and "receptionist" in refused.get_data(as_text=True)
    cleared = acme("PATCH", f"/v4/agents/{desk['id']}", json={"switchboard_numbers": []})
    assert cleared.get_json()["data"]["switchboard_numbers"] == []
