"""Twilio form fields at the edge: every hostile value from issue 9 is refused with a 400
reason or cleaned, and every legitimate value (the tests' and simulators' own) passes."""
from __future__ import annotations

import itertools

import pytest

from receptionist.devtools.twilio_http import FAKE_ACCOUNT_SID
from receptionist.web.twilio import fields
from receptionist.web.twilio.fields import InvalidTwilioRequest

from .conftest import call_params

CALL_SID, MESSAGE_SID, RECORDING_SID = "CA" + "1" * 32, "SM" + "ab" * 16, "RE" + "0f" * 16
NUL = "\x00"


def sms_form(**extra) -> dict:
    form = {"MessageSid": MESSAGE_SID, "AccountSid": "AC" + "0" * 32, "From": "+12025550188",
            "To": "+12025550101", "Body": "Hello", "NumMedia": "0"}
    return {**form, **extra}


def status_form(**extra) -> dict:
    return {"MessageSid": MESSAGE_SID, "MessageStatus": "delivered", "AccountSid": "AC" + "0" * 32, **extra}


def recording_form(**extra) -> dict:
    return {"CallSid": CALL_SID, "RecordingSid": RECORDING_SID, "AccountSid": "AC" + "0" * 32,
            "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/AC{'0' * 32}/Recordings/{RECORDING_SID}",
            "RecordingStatus": "completed", "RecordingDuration": "42", "RecordingChannels": "1",
            "RecordingSource": "StartCallRecordingTwiML", **extra}


def inbound(**extra):
    return fields.voice_inbound(call_params(CALL_SID, **extra), {})


def gather(step="1", **extra):
    return fields.voice_gather(call_params(CALL_SID, **extra), {"step": step})


def status(**extra):
    return fields.voice_status(call_params(CALL_SID, **{"CallStatus": "completed", **extra}))


# ---------------------------------------------------------------- refused: 400 with a reason

REFUSED = [
    # (webhook, form or override, the field named in the reason)
    ("voice inbound: NUL in CallSid", lambda: inbound(CallSid="CA" + "1" * 31 + NUL), "CallSid"),
    ("voice inbound: CallSid of 100", lambda: inbound(CallSid="CA" + "1" * 98), "CallSid"),
    ("voice inbound: CallSid missing", lambda: fields.voice_inbound({"To": "+12025550100"}, {}), "CallSid"),
    ("voice inbound: MessageSid as CallSid", lambda: inbound(CallSid=MESSAGE_SID), "CallSid"),
    ("voice inbound: not hex", lambda: inbound(CallSid="CA" + "g" * 32), "CallSid"),
    ("voice inbound: AccountSid forged", lambda: inbound(AccountSid="AC" + NUL * 32), "AccountSid"),
    ("voice inbound: NUL in To", lambda: inbound(to="+1202555" + NUL + "0100"), "To"),
    ("voice inbound: To of 50", lambda: inbound(to="+1" + "2" * 49), "To"),
    ("voice gather: step missing", lambda: fields.voice_gather(call_params(CALL_SID), {}), "step"),
    ("voice gather: step of 20 digits", lambda: gather(step="9" * 20), "step"),
    ("voice gather: negative step", lambda: gather(step="-1"), "step"),
    ("voice gather: step past any call", lambda: gather(step=str(fields.MAX_STEP + 1)), "step"),
    ("voice gather: step not ASCII", lambda: gather(step="\u0663"), "step"),
    ("voice gather: step 1_0", lambda: gather(step="1_0"), "step"),
    ("voice gather: NUL in CallSid", lambda: gather(CallSid=NUL + "A" + "1" * 32), "CallSid"),
    ("voice status: CallSid of 100", lambda: status(CallSid="CA" + "f" * 98), "CallSid"),
    ("sms inbound: NUL in MessageSid", lambda: fields.sms_inbound(sms_form(MessageSid=MESSAGE_SID[:-1] + NUL)),
     "MessageSid"),
    ("sms inbound: MessageSid of 100", lambda: fields.sms_inbound(sms_form(MessageSid="SM" + "a" * 98)),
     "MessageSid"),
    ("sms inbound: CallSid as MessageSid", lambda: fields.sms_inbound(sms_form(MessageSid=CALL_SID)), "MessageSid"),
    ("sms inbound: no sid at all", lambda: fields.sms_inbound(sms_form(MessageSid="")), "MessageSid"),
    ("sms inbound: NUL in From", lambda: fields.sms_inbound(sms_form(From="+1202" + NUL)), "From"),
    ("sms inbound: From of 50", lambda: fields.sms_inbound(sms_form(From="+1" + "5" * 49)), "From"),
    ("sms inbound: From missing", lambda: fields.sms_inbound(sms_form(From="")), "From"),
    ("sms status: MessageSid of 100", lambda: fields.sms_status(status_form(MessageSid="MM" + "1" * 98)), "MessageSid"),
    ("sms status: NUL in MessageSid", lambda: fields.sms_status(status_form(MessageSid=NUL)), "MessageSid"),
    ("recording: RecordingSid forged", lambda: fields.recording_status(recording_form(RecordingSid=CALL_SID)),
     "RecordingSid"),
    ("recording: CallSid missing", lambda: fields.recording_status(recording_form(CallSid="")), "CallSid"),
]


@pytest.mark.parametrize("case, parse, field", REFUSED, ids=[case for case, _, _ in REFUSED])
def test_a_request_that_cannot_be_twilios_is_refused_with_a_one_line_reason(case, parse, field):
    with pytest.raises(InvalidTwilioRequest) as refused:
        parse()
    reason = str(refused.value)
    assert reason.startswith(field + " ") and "\n" not in reason
    assert NUL not in reason and "+1202" not in reason and "1111" not in reason  # never the value


# ---------------------------------------------------------------- kept: cleaned or dropped

def test_text_keeps_what_was_said_without_nul_and_control_characters():
    heard = gather(SpeechResult="  My name\x00 is Jane\x07 Doe\x1b[2J  ", Confidence="0.87")
    assert heard.speech == "My name is Jane Doe[2J" and heard.confidence == 0.87
    text = fields.sms_inbound(sms_form(Body="Jane\x00 Doe\r\nstarts\tMonday\x7f\x85\ud800"))
    assert text.body == "Jane Doe\nstarts\tMonday"


@pytest.mark.parametrize("field, parse, limit", [
    ("SpeechResult", lambda v: gather(SpeechResult=v).speech, fields.SPEECH_MAX_CHARS),
    ("Body", lambda v: fields.sms_inbound(sms_form(Body=v)).body, fields.BODY_MAX_CHARS),
])
def test_long_text_is_cut_to_twilios_maximum(field, parse, limit):
    assert parse("a" * (limit + 500)) == "a" * limit
    assert parse("é" * limit) == "é" * limit


@pytest.mark.parametrize("hostile, dropped", [
    ({"ForwardedFrom": "+1" + "4" * 48}, "ForwardedFrom"),              # 50 characters
    ({"ForwardedFrom": "+1202555\x000100"}, "ForwardedFrom"),
    ({"from_number": "sip:" + "x" * 60 + "@example.com"}, "From"),      # the call goes on, caller unknown
    ({"from_number": "+1202555\x000123"}, "From"),
])
def test_a_malformed_optional_address_is_dropped_and_the_call_goes_on(hostile, dropped):
    call = inbound(**hostile)
    assert call.call_sid == CALL_SID and call.to_number == "+12025550100"
    assert getattr(call, "forwarded_from" if dropped == "ForwardedFrom" else "from_number") is None
    assert call.dropped == (dropped,)


@pytest.mark.parametrize("raw, kept", [
    ("ivr", "ivr"), ("café", "café"), ("a/b", "a/b"), ("ivr\x00", "ivr"), ("\x00\x01", None),
    ("  ", None), ("x" * 500, "x" * fields.LABEL_MAX_CHARS), (None, None), ("press 1\nfor jobs", "press 1for jobs"),
])
def test_source_label_is_printable_and_bounded(raw, kept):
    assert fields.voice_inbound(call_params(CALL_SID), {"source": raw} if raw is not None else {}).source == kept


@pytest.mark.parametrize("raw, kept", [
    ("0.91283", 0.91283), ("1", 1.0), ("0", 0.0), (".5", 0.5), ("1e308", None), ("1.5", None), ("-0.1", None),
    ("nan", None), ("inf", None), ("0.9\x00", None), ("9" * 400, None), ("", None),
])
def test_confidence_is_kept_only_from_0_to_1(raw, kept):
    heard = gather(SpeechResult="yes", Confidence=raw)
    assert heard.confidence == kept
    assert heard.dropped == (() if kept is not None or raw == "" else ("Confidence",))


@pytest.mark.parametrize("raw, kept", [("1", "1"), ("123#", "123#"), ("*", "*"), ("1\x00", None),
                                       ("1" * 33, None), ("one", None)])
def test_digits_are_dtmf_keys_or_nothing(raw, kept):
    assert gather(Digits=raw).digits == kept


@pytest.mark.parametrize("raw, kept", [("60", 60), ("0", 0), ("86400", 86400), ("86401", None), ("-5", None),
                                       ("99999999999999999999", None), ("12.5", None), ("\x00", None)])
def test_call_duration_out_of_range_is_dropped_but_the_call_is_still_closed(raw, kept):
    ended = status(CallDuration=raw)
    assert ended.call_status == "completed" and ended.call_duration_s == kept


@pytest.mark.parametrize("raw, kept", [("30003", 30003), ("99999999999999999999", None), ("-1", None),
                                       ("30003\x00", None), ("", None)])
def test_error_code_out_of_range_is_dropped_but_the_status_is_still_recorded(raw, kept):
    callback = fields.sms_status(status_form(MessageStatus="undelivered", ErrorCode=raw))
    assert callback.message_status == "undelivered" and callback.error_code == kept


def test_status_words_are_bounded_tokens():
    assert status(CallStatus="no-answer").call_status == "no-answer"
    assert status(CallStatus="completed\x00").call_status == ""  # not final: nothing changes
    assert status(CallStatus="x" * 100).call_status == ""
    assert fields.sms_status(status_form(MessageStatus="", SmsStatus="sent")).message_status == "sent"
    assert fields.sms_status(status_form(MessageStatus="de\x00livered")).message_status is None


@pytest.mark.parametrize("num_media, urls, kept", [
    ("2", ["https://api.twilio.com/m/ME1", "https://api.twilio.com/m/ME2"],
     ("https://api.twilio.com/m/ME1", "https://api.twilio.com/m/ME2")),
    ("1", ["javascript:alert(1)"], ()),
    ("1", ["https://x/" + "a" * 2000], ()),
    ("1", ["https://x/a\x00b"], ()),
    ("99999999999999999999", ["https://api.twilio.com/m/ME1"], ()),   # NumMedia dropped: no media read
    ("11", ["https://api.twilio.com/m/ME1"], ()),
])
def test_media_urls_are_http_and_bounded(num_media, urls, kept):
    media = {f"MediaUrl{i}": url for i, url in enumerate(urls)}
    text = fields.sms_inbound(sms_form(NumMedia=num_media, **media))
    assert text.media_urls == kept and text.body == "Hello"


def test_opt_out_type_is_a_word():
    assert fields.sms_inbound(sms_form(OptOutType="STOP")).opt_out_type == "STOP"
    assert fields.sms_inbound(sms_form(OptOutType="STOP\x00")).opt_out_type is None


def test_recording_callback_fields():
    rec = fields.recording_status(recording_form())
    assert (rec.recording_sid, rec.recording_duration_s, rec.recording_channels) == (RECORDING_SID, 42, 1)
    assert rec.recording_url.endswith(RECORDING_SID) and rec.dropped == ()
    hostile = fields.recording_status(recording_form(RecordingDuration="1" * 30, RecordingChannels="3",
                                                     RecordingUrl="file:///etc/passwd"))
    assert hostile.recording_url is None and hostile.recording_duration_s is None
    assert set(hostile.dropped) == {"RecordingDuration", "RecordingChannels", "RecordingUrl"}


# ---------------------------------------------------------------- legitimate SIDs pass

def test_the_sids_the_tests_and_simulators_generate_pass():
    from .test_outbox_delivery import ACCOUNT_SID, callback
    from .test_sms_inbound import sms_params

    voice = call_params("CA" + "9" * 32)
    assert fields.voice_inbound(voice, {"source": "ivr"}).account_sid == "AC" + "0" * 32
    assert fields.voice_inbound({**voice, "AccountSid": FAKE_ACCOUNT_SID}, {}).account_sid == FAKE_ACCOUNT_SID
    assert fields.sms_inbound(sms_params("hi")).message_sid.startswith("SM")
    assert fields.sms_status({**callback(), "AccountSid": ACCOUNT_SID}).message_status == "sent"
    # The simulators: "CA"/"SM"/"MM" + secrets.token_hex(16); Twilio's OpenAPI also allows A-F.
    for prefix, hex_digits in itertools.product(("SM", "MM"), ("0123456789abcdef" * 2, "0123456789ABCDEF" * 2)):
        assert fields.sms_status(status_form(MessageSid=prefix + hex_digits)).message_sid == prefix + hex_digits


def test_legacy_sms_field_names_still_work():
    legacy = sms_form(MessageSid=None, SmsMessageSid=MESSAGE_SID)
    del legacy["MessageSid"]
    assert fields.sms_inbound(legacy).message_sid == MESSAGE_SID


def test_anonymous_and_client_callers_are_addresses():
    assert inbound(from_number="Anonymous").from_number == "Anonymous"
    assert inbound(from_number="client:alice").from_number == "client:alice"
    assert inbound(from_number=" +12025550123 ").from_number == "+12025550123"
