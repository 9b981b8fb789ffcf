"""A caller we cannot text: a withheld caller ID, a landline, or the company's own switchboard
forwarding the call. Asked for a mobile number after the name, read back, confirmed; the
confirmation text goes there and a reply from it answers that call. Signed webhooks through
the real app, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from receptionist.adapters.models import Candidate, Conversation, ConversationStatus, OutboxItem

from .api_helpers import Api, make_key
from .conftest import call_params
from .test_sms_inbound import RECEPTIONIST, replies, sms_params
from .test_voice_webhooks import QUALIFIED, Call, conversation, said

pytestmark = pytest.mark.usefixtures("sample_company")

MOBILE = "+12025550177"
SWITCHBOARD = "+12025550150"  # examples/acme-staffing.yaml: the front desk's switchboard_numbers
ASKED = "mobile number where we can text you"
READ_BACK = "I have 2 0 2, 5 5 5, 0 1 7 7. Is that right?"


def speech(text: str, confidence: str = "0.9") -> dict:
    return dict(SpeechResult=text, Confidence=confidence)


def sms_rows(db) -> list[tuple[str, str, str]]:
    with db.transaction() as s:
        return [(r.purpose, r.recipient, r.status.value) for r in s.scalars(
            select(OutboxItem).filter_by(kind="sms").order_by(OutboxItem.id))]


def screened(twilio, sid: str = "CA" + "1" * 32, **fields) -> Call:
    """A call through the screening up to its name (QUALIFIED), from ``fields``' caller ID."""
    call = Call(twilio, call_sid=sid, **fields)
    call.start()
    for inputs in QUALIFIED:
        call.send(**inputs)
    return call


HIDDEN = ["Anonymous", "Restricted", "Unknown", "+266696687", "+7378742833", "+86282452253", "+8656696"]


@pytest.mark.parametrize("caller_id", HIDDEN + [""], ids=HIDDEN + ["no From"])
def test_a_withheld_caller_id_is_asked_for_a_number_and_texted_there(twilio, db, caller_id):
    # Before: "A recruiter will review your answers. Goodbye." and no way to reach them; and
    # "+86282452253" (UNAVAILABLE) and "+8656696" (UNKNOWN) were taken for real numbers.
    call = screened(twilio, from_number=caller_id)
    assert ASKED in said(call.last) and "Thank you, Jane" not in said(call.last)
    call.send(**speech("two oh two five five five zero one seven seven"))
    assert said(call.last).startswith(READ_BACK)
    call.send(**speech("yes"))
    assert "Thank you, Jane. You'll get a text message at that number" in said(call.last)
    conv = conversation(db)
    assert conv.status == ConversationStatus.completed and not conv.needs_follow_up
    assert conv.text_number == MOBILE and conv.candidate.phone is None
    assert conv.candidate.text_number == MOBILE and conv.candidate.text_number_confirmed_at is None
    assert sms_rows(db) == [("confirmation", MOBILE, "pending")]


@pytest.mark.parametrize("inputs", [
    [dict(Digits="2025550177")],                        # keyed, "#" ending it (Twilio leaves it out)
    [dict(Digits="2025550177#")],
    [dict(Digits="12025550177")],                       # with the country code
    [speech("202 555 0177")],                           # a recogniser's digits
    [speech("my cell is (202) 555-0177")],
    [speech("two oh two, five five five, oh one, seventy seven")],
    [speech("uh it's two zero two double five five zero one seven seven")],
    [speech("202 555 0123, no wait, 202 555 0177")],    # a self-correction
], ids=["keys", "keys #", "keys with 1", "digits", "written", "grouped words", "double", "corrected"])
def test_the_number_said_or_keyed_many_ways_is_read_back_and_taken(twilio, db, inputs):
    call = screened(twilio, from_number="Anonymous")
    for step in inputs:
        call.send(**step)
    assert said(call.last).startswith(READ_BACK)
    call.send(Digits="1")
    assert "text message at that number" in said(call.last)
    assert sms_rows(db) == [("confirmation", MOBILE, "pending")]


def test_a_spanish_caller_says_the_number_in_spanish_and_gets_the_text_in_spanish(twilio, db):
    call = Call(twilio, from_number="Restricted")
    call.start()
    for step in [dict(Digits="2"), speech("solicitar"), dict(Digits="2"), speech("sí"), dict(Digits="1"),
                 speech("sí"), speech("cuatro años"), speech("de inmediato"), dict(Digits="1"),
                 speech("Me llamo Ana López")]:
        call.send(**step)
    assert "número de celular" in said(call.last)
    call.send(**speech("dos cero dos, cinco cinco cinco, cero uno, setenta y siete"))
    assert said(call.last).startswith("Tengo el 2 0 2, 5 5 5, 0 1 7 7. ¿Es correcto?")
    call.send(**speech("sí, correcto"))
    assert "Gracias, Ana. En un momento recibirá un mensaje de texto en ese número" in said(call.last)
    with db.transaction() as s:
        body = s.scalars(select(OutboxItem).filter_by(kind="sms")).one().payload["body"]
    assert body.startswith("Hola Ana, gracias por llamar a Acme Staffing")


def test_no_at_the_read_back_asks_again_and_the_new_number_is_taken(twilio, db):
    call = screened(twilio, from_number="Anonymous")
    call.send(**speech("202 555 0123"))
    call.send(**speech("no"))
    assert "Sorry about that" in said(call.last) and ASKED in said(call.last)
    call.send(**speech("202 555 0177"))
    assert said(call.last).startswith(READ_BACK)
    call.send(**speech("no it's 202 555 0188"))       # a correction at the read-back: read back
    assert "0 1 8 8" in said(call.last)
    call.send(**speech("that's right"))
    assert sms_rows(db) == [("confirmation", "+12025550188", "pending")]


@pytest.mark.parametrize("inputs", [
    [speech("I don't have one")],
    [speech("no, I don't have a cell phone")],
    [speech("no tengo")],
    [speech("202 555 0123"), speech("no"), speech("202 555 0124"), speech("no"), speech("202 555 0125"),
     speech("no")],                                     # three numbers denied: bounded
    [speech("banana"), dict(), speech("blue")],         # nothing understood three times (an empty Gather)
], ids=["none", "no cell", "no tengo", "denied three times", "not understood"])
def test_without_a_number_the_call_ends_completed_and_promises_no_text(twilio, db, inputs):
    call = screened(twilio, from_number="Anonymous")
    for step in inputs:
        call.send(**step)
    assert "A recruiter will review your answers" in said(call.last) and "text message" not in said(call.last)
    conv = conversation(db)
    assert conv.status == ConversationStatus.completed and conv.text_number is None
    assert sms_rows(db) == []


def test_a_landline_caller_is_texted_at_the_mobile_they_give(twilio, db):
    call = screened(twilio, from_number="+442079460000")  # a London landline
    call.send(Digits="2025550177#")
    call.send(Digits="1")
    conv = conversation(db)
    assert conv.candidate.phone == "+442079460000" and conv.text_number == MOBILE
    assert sms_rows(db) == [("confirmation", MOBILE, "pending")]


def test_a_caller_who_can_be_texted_is_not_asked(twilio, db):
    call = screened(twilio)  # +12025550123
    assert "text message at this number" in said(call.last) and ASKED not in said(call.last)


def test_a_call_from_the_companys_switchboard_is_an_unknown_caller(twilio, db):
    # Before: every caller forwarded by the company's PBX was "the candidate who has the main
    # line's number": the second was a returning candidate, and texts went to the switchboard.
    with db.transaction() as s:
        s.add(Candidate(phone=SWITCHBOARD, name="Front Desk"))
    for n, mobile in enumerate(("2025550177", "2025550178"), start=1):
        call = screened(twilio, sid=f"CA{n:032d}", from_number=SWITCHBOARD, ForwardedFrom=None)
        assert "Which job" not in said(call.last) and ASKED in said(call.last)
        call.send(Digits=mobile)
        call.send(Digits="1")
    with db.transaction() as s:
        calls = s.scalars(select(Conversation).order_by(Conversation.id)).all()
        assert [c.candidate.phone for c in calls] == [None, None]
        assert len({c.candidate_id for c in calls}) == 2
        assert s.scalars(select(Candidate).filter_by(phone=SWITCHBOARD)).one().name == "Front Desk"
        assert not s.scalars(select(Conversation).join(Candidate).filter(Candidate.phone == SWITCHBOARD)).all()
    assert sms_rows(db) == [("confirmation", MOBILE, "pending"), ("confirmation", "+12025550178", "pending")]


def test_a_number_another_candidate_has_is_not_merged_and_their_yes_confirms_this_call(twilio, db, app):
    """The identity decision (services.text_numbers): the hidden caller's record keeps the
    number as its number to text; the candidate whose caller ID it is stays apart; a YES
    from the number answers the call its latest confirmation was about."""
    with db.transaction() as s:
        s.add(Candidate(phone=MOBILE, name="Earlier Caller"))
    call = screened(twilio, from_number="Anonymous")
    call.send(**speech("202 555 0177"))
    call.send(**speech("yes"))
    conv = conversation(db)
    assert conv.candidate.phone is None and conv.candidate.name == "Jane Doe"
    reply = replies(twilio.post("/sms/inbound", sms_params("YES", from_number=MOBILE, to=RECEPTIONIST)))
    assert "all set" in " ".join(reply)
    conv = conversation(db)
    assert conv.confirmation_status.value == "confirmed"
    assert conv.candidate.text_number_confirmed_at is not None
    with db.transaction() as s:
        earlier = s.scalars(select(Candidate).filter_by(phone=MOBILE)).one()
        assert earlier.name == "Earlier Caller" and earlier.text_number is None
        earlier_id = earlier.id
    api = Api(app.test_client(), make_key(app.extensions["container"], "acme-staffing"))
    found = api.get(f"/v4/candidates/{conv.candidate_id}").get_json()["data"]
    assert found["phone"] is None
    assert found["text_number"] == {"number": MOBILE, "source": "said_on_call", "confirmed": True,
                                    "shared_with": [earlier_id]}
    assert found["conversations"][0]["text_number"] == MOBILE


def test_a_correction_texted_from_the_number_said_corrects_that_callers_record(twilio, db):
    call = screened(twilio, from_number="Anonymous")
    call.send(Digits="2025550177")
    call.send(Digits="1")
    reply = replies(twilio.post("/sms/inbound", sms_params("jane.doe@example.com", from_number=MOBILE,
                                                           to=RECEPTIONIST)))
    assert "jane.doe@example.com" in " ".join(reply)
    conv = conversation(db)
    assert conv.candidate.email == "jane.doe@example.com" and conv.candidate.text_number_confirmed_at is None


def test_a_retried_webhook_gives_the_same_read_back_and_one_text(twilio, db):
    call = screened(twilio, from_number="Anonymous")
    before = call.last
    first = call.send(Digits="2025550177")
    call.last = before
    assert call.send(Digits="2025550177").data == first.data
    call.send(Digits="1")
    twilio.post("/voice/status", call_params(call.sid, from_number="Anonymous", CallStatus="completed"))
    assert sms_rows(db) == [("confirmation", MOBILE, "pending")]


def test_the_candidate_page_says_where_texts_go_and_that_the_number_is_unconfirmed(twilio, db, app):
    from .test_dashboard import ACME, Browser, create_recruiter

    call = screened(twilio, from_number="+442079460000")
    call.send(Digits="2025550177")
    call.send(Digits="1")
    assert create_recruiter(app, ACME, "acme-staffing").exit_code == 0
    browser = Browser(app)
    assert browser.sign_in().status_code == 302
    page = browser.get(f"/candidates/{conversation(db).candidate_id}").get_data(as_text=True)
    assert "Texts go to (202) 555-0177: said on the call (called from +44 20 7946 0000)" in page
    assert "not yet confirmed by text" in page


@pytest.mark.parametrize("before_hang_up", [[], [speech("202 555 0177")]], ids=["asked", "at the read-back"])
def test_hanging_up_when_asked_for_a_number_leaves_a_completed_screening(twilio, db, before_hang_up):
    # Before the fix the status callback took it for a screening left midway: abandoned,
    # "incomplete" and flagged "hung up", though every question had been answered.
    call = screened(twilio, from_number="Anonymous")
    for step in before_hang_up:
        call.send(**step)
    assert call.status("completed").status_code == 204
    conv = conversation(db)
    assert conv.status == ConversationStatus.completed and not conv.needs_follow_up
    assert conv.ended_at is not None and conv.call_duration == 42
    with db.transaction() as s:
        assert s.get(Conversation, conv.id).application.screening_outcome.value == "qualified"
    assert conv.text_number is None and sms_rows(db) == []
