"""Every TwiML document the service answers a call with is one Twilio plays as written
(``tests/twiml_rules.py``: the rules and their sources), and reads well aloud.

Each test plays calls through the app (signed webhooks; the simulator's scripts, the menu,
every policy of the sample company in both languages, knockouts, holds and apologies, an
IVR-forwarded call, recording on and off) while every voice answer is kept and checked."""
from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest
import yaml

from receptionist.devtools.call import CallSimulator, parse_script, run_script
from receptionist.devtools.twilio_http import SimulatorError, load_script

from .conftest import AUTH_TOKEN, SAMPLE
from .twiml_rules import spoken_problems, twiml_violations

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
BASE = "http://localhost"


@pytest.fixture
def heard(app, sample_company):
    """Every voice TwiML the app answers during the test, as (request path, document)."""
    documents: list[tuple[str, str]] = []

    @app.after_request
    def keep(response):
        if response.mimetype == "text/xml":
            from flask import request
            documents.append((request.full_path, response.get_data(as_text=True)))
        return response

    return documents


@pytest.fixture
def client(app):
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url=BASE) as c:
        yield c


def violations(documents) -> list[str]:
    return [f"{path}: {problem}\n{doc}" for path, doc in documents for problem in twiml_violations(doc)]


def spoken(documents) -> list[str]:
    return [f"{path}: {problem} in {say.text!r}" for path, doc in documents
            for say in ET.fromstring(doc.encode()).iter("Say") for problem in spoken_problems(say.text or "")]


def phone(client, **kw) -> CallSimulator:
    kw.setdefault("from_number", "+12025550177")
    return CallSimulator(BASE, AUTH_TOKEN, kw.pop("from_number"), kw.pop("to_number", "+12025550100"),
                         out=io.StringIO(), client=client, **kw)


@pytest.mark.parametrize("name", sorted(p.name for p in (EXAMPLES / "calls").glob("*.txt")))
def test_every_step_of_every_example_call_is_valid_twiml(name, heard, client):
    for before in (("qualified.txt",) if name == "returning.txt" else ()):
        run_script(load_script(EXAMPLES / "calls" / before, parse_script), BASE, AUTH_TOKEN, out=io.StringIO(),
                   err=io.StringIO(), client=client)
    assert run_script(load_script(EXAMPLES / "calls" / name, parse_script), BASE, AUTH_TOKEN, out=io.StringIO(),
                      err=io.StringIO(), client=client) == 0
    assert heard and violations(heard) == []
    assert spoken(heard) == []


POLICIES = yaml.safe_load(SAMPLE.read_text())["agents"][0]["policies"]


@pytest.mark.parametrize("language,choose", [("en", "1"), ("es", "2")])
def test_every_policy_answer_and_the_menu_in_both_languages(language, choose, heard, client):
    sim = phone(client, source="ivr", forwarded_from="+12025559999")  # "press 1 for jobs" at the IVR
    sim.start()
    sim.press(choose)
    for policy in POLICIES:
        sim.press("3")
        assert policy["answer"][language][:20] in sim.say(policy["questions"][language][0])
    sim.silence()
    sim.hangup()
    assert violations(heard) == []
    assert spoken(heard) == []


def load_company(app, tmp_path, change) -> None:
    """The sample company with ``change(data)`` applied, loaded over it through the CLI."""
    data = yaml.safe_load(SAMPLE.read_text())
    change(data)
    path = tmp_path / "company.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    result = app.test_cli_runner().invoke(args=["load-company", str(path)])
    assert result.exit_code == 0, result.output


def receptionist(data) -> dict:
    return data["agents"][0]


LONG_ANSWER = {  # a handbook pasted as one policy: ~4,500 characters in each language
    "en": " ".join(["Benefits start on your first day: medical, dental and vision insurance, a 401(k) with a match, "
                    "paid time off that grows with every year you stay, and weekly pay by direct deposit."] * 25),
    "es": " ".join(["Los beneficios empiezan el primer día: seguro médico, dental y de la vista, un plan de retiro, "
                    "vacaciones pagadas que crecen cada año y pago semanal por depósito directo."] * 25),
}


@pytest.mark.parametrize("language,choose", [("en", "1"), ("es", "2")])
def test_a_policy_answer_longer_than_a_say_allows_is_said_whole(language, choose, app, tmp_path, heard, client):
    """Twilio's Polly voices say at most 3,000 characters per <Say> (warning 13521): before,
    a long answer was one <Say> and the caller heard nothing of it."""
    load_company(app, tmp_path, lambda d: receptionist(d)["policies"].append(
        {"key": "benefits", "questions": {"en": ["what are the benefits"], "es": ["cuáles son los beneficios"]},
         "answer": LONG_ANSWER}))
    sim = phone(client)
    sim.start()
    sim.press(choose)
    sim.press("3")
    heard.clear()
    words = sim.say({"en": "what are the benefits", "es": "cuáles son los beneficios"}[language])
    assert violations(heard) == []
    assert " ".join(LONG_ANSWER[language].split()) in " ".join(words.split())


def test_a_company_without_voices_is_said_in_valid_voices_in_both_languages(app, tmp_path, heard, client):
    """No ``voices:``: before, every <Say> had no voice (Twilio's basic "man"), which does
    not speak es-US; the Spanish prompts could fail."""
    load_company(app, tmp_path, lambda d: receptionist(d).pop("voices"))
    sim = phone(client)
    sim.start()
    sim.say("español")
    sim.say("quiero solicitar")
    sim.hangup()
    assert violations(heard) == []
    assert all(say.get("voice") for _, doc in heard for say in ET.fromstring(doc.encode()).iter("Say"))


def test_holds_and_apologies_are_valid_in_every_language(app, heard, client, monkeypatch):
    """The database failing: held ("one moment", <Pause>, <Redirect>) up to HOLD_RETRIES,
    then "please call again" and <Hangup>; before the caller's language is known, in each
    language in turn. Before: no voice on these <Say>s, and the basic voice has no es-US."""
    from receptionist.web.twilio.voice import HOLD_RETRIES

    sim = phone(client, source="ivr", forwarded_from="+12025559999")  # forwarded from the IVR
    sim.start()
    sim.say("español")

    def down(*args, **kwargs):
        raise RuntimeError("database down")

    monkeypatch.setattr(app.extensions["container"].uow, "run", down)
    heard.clear()
    with pytest.raises(SimulatorError, match="/voice/status answered HTTP 503"):  # its status too
        sim.say("quiero solicitar")  # held, Twilio comes back, ... then the apology and hang-up
    with pytest.raises(SimulatorError, match="/voice/status answered HTTP 503"):
        phone(client, from_number="+12025550178").start()  # a new call while down: every language
    assert len(heard) == 2 * (HOLD_RETRIES + 1)
    assert violations(heard) == []
    assert {say.get("language") for _, doc in heard for say in ET.fromstring(doc.encode()).iter("Say")} == {
        "en-US", "es-US"}


@pytest.mark.parametrize("to", ["+12025550101", "+12025550999"])  # the SMS agent's number; nobody's
def test_a_call_to_a_number_without_a_receptionist_is_told_so_in_valid_twiml(to, heard, client):
    phone(client, to_number=to).start()
    assert len(heard) == 1 and violations(heard) == []


def test_company_text_with_symbols_control_characters_and_long_labels_is_valid(app, tmp_path, heard, client):
    """Company text is said as written, escaped: & < > quotes, a control character pasted
    from a word processor (not allowed in XML: before, Twilio could not parse the document,
    error 12100), an emoji; a choice label over 100 characters (before, a hint Twilio refuses,
    warning 13330)."""
    def change(d):
        agent = receptionist(d)
        agent["greeting"]["en"] = 'Thanks for calling "Acme" <Staffing> & Logistics\x0b\u200b 🎉'
        agent["policies"][0]["answer"]["en"] = "Pay is 19 dollars 50 an hour & up\x07, paid <weekly>."
        shift = next(q for q in agent["questions"] if q["key"] == "shift")
        shift["options"][0]["labels"]["en"][0] = "days " + "from early in the morning until the afternoon " * 3
    load_company(app, tmp_path, change)
    sim = phone(client)
    assert '"Acme" <Staffing> and Logistics' in sim.start()  # "&" said as a word: for_voice
    sim.press("1")
    sim.press("3")
    assert "and up, paid <weekly>" in sim.say("how much does it pay")
    for answer in ("apply", "2", "yes", "yes", "yes", "four years", "right away"):
        sim.say(answer) if not answer.isdigit() else sim.press(answer)
    assert "from early in the morning" in sim.last_heard
    sim.hangup()
    assert violations(heard) == []


def test_knockouts_returning_callers_and_a_recording_off_agent_are_valid(app, tmp_path, heard, client):
    load_company(app, tmp_path, lambda d: receptionist(d).update(
        recording=False, disclosure={"en": "I'm an automated AI assistant.", "es": "Soy un asistente automático."},
        speech={"model": "googlev2_telephony", "speech_timeout": 2}))
    for script in ("knockout.txt", "knockout-spanish.txt", "qualified.txt", "returning.txt", "garbled.txt"):
        out = io.StringIO()
        run_script(load_script(EXAMPLES / "calls" / script, parse_script), BASE, AUTH_TOKEN, out=out,
                   err=io.StringIO(), client=client)
        assert "(recording started)" not in out.getvalue()
    assert not any("<Start>" in doc for _, doc in heard)
    assert violations(heard) == []


HEAD = '<?xml version="1.0" encoding="UTF-8"?>'
SAY = '<Say language="en-US" voice="Polly.Joanna-Neural">Hi.</Say>'


@pytest.mark.parametrize("document,rule", [
    (f"{HEAD}<Response>{SAY}<Hangup /></Response>", None),
    (f" {HEAD}<Response>{SAY}<Hangup /></Response>", "12100"),
    (f"{HEAD}<Response><Say>A & B</Say><Hangup /></Response>", "12100"),
    (f"{HEAD}<Response><Say>bell \x07</Say><Hangup /></Response>", "12100"),
    (f"{HEAD}<Reply>{SAY}</Reply>", "12102"),
    (f"{HEAD}<Response><say>Hi.</say><Hangup /></Response>", "12200"),
    (f"{HEAD}<Response><Gather><Gather /></Gather><Hangup /></Response>", "12200"),
    (f"{HEAD}<Response><Say voice=\"Polly.Joanna\">Hi <Pause /></Say><Hangup /></Response>", "12200"),
    (f"{HEAD}<Response><Say voice=\"Polly.Joanna\" lang=\"en-US\">Hi.</Say><Hangup /></Response>", "12200"),
    (f"{HEAD}<Response><Say voice=\"Polly.Joanna\"> </Say><Hangup /></Response>", "13520"),
    (f"{HEAD}<Response><Say voice=\"Polly.Joanna\">{'a' * 3001}</Say><Hangup /></Response>", "13521"),
    (f"{HEAD}<Response><Say language=\"es-US\">Hola.</Say><Hangup /></Response>", "does not speak es-US"),
    (f"{HEAD}<Response><Say voice=\"Polly.Mia\" language=\"es-US\">Hola.</Say><Hangup /></Response>", "speaks es-MX"),
    (f"{HEAD}<Response><Gather input=\"voice\" /><Hangup /></Response>", "input"),
    (f"{HEAD}<Response><Gather timeout=\"5s\" /><Hangup /></Response>", "timeout"),
    (f"{HEAD}<Response><Gather speechTimeout=\"auto\" speechModel=\"googlev2_telephony\" /><Hangup /></Response>",
     "13335"),
    (f"{HEAD}<Response><Gather language=\"es\" /><Hangup /></Response>", "13512"),
    (f"{HEAD}<Response><Gather hints=\"{'x' * 101}\" /><Hangup /></Response>", "13330"),
    (f"{HEAD}<Response><Gather hints=\"{', '.join(['x'] * 501)}\" /><Hangup /></Response>", "13330"),
    (f"{HEAD}<Response><Gather actionOnEmptyResult=\"yes\" /><Hangup /></Response>", "actionOnEmptyResult"),
    (f"{HEAD}<Response><Hangup />{SAY}</Response>", "never played"),
    (f"{HEAD}<Response><Redirect>/voice/gather</Redirect><Hangup /></Response>", "never played"),
    (f"{HEAD}<Response><Redirect>voice gather</Redirect></Response>", "not a URL"),
    (f"{HEAD}<Response>{SAY}</Response>", "running out of verbs"),
    (f"{HEAD}<Response><Start><Recording recordingStatusCallback=\"/voice/recording\" /></Start><Hangup /></Response>",
     "absolute URL"),
])
def test_the_rules_catch_what_twilio_would_refuse(document, rule):
    found = twiml_violations(document)
    assert (found == []) if rule is None else any(rule in problem for problem in found), found


@pytest.mark.parametrize("voices,error", [
    ({"es": "Polly.Joanna-Neural"}, "voices.es: 'Polly.Joanna-Neural' speaks en-US, not 'es'"),
    ({"es": "Google.en-US-Neural2-C"}, "speaks en-US, not 'es'"),
    ({"en": "Joanna"}, "voices.en: 'Joanna' is not a Twilio voice"),
    ({"en": "alice"}, "is not a Twilio voice"),
    ({"fr": "Polly.Lea-Neural"}, "voices.fr: not one of the agent's languages"),
    ({"en": ["Polly.Joanna"]}, "is not a Twilio voice"),
])
def test_a_voice_that_does_not_speak_its_language_does_not_load(voices, error, app, tmp_path):
    """Before, any string loaded, and Twilio failed each <Say> in that voice (13511)."""
    data = yaml.safe_load(SAMPLE.read_text())
    receptionist(data)["voices"] = voices
    path = tmp_path / "company.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    result = app.test_cli_runner().invoke(args=["load-company", str(path)])
    assert result.exit_code != 0 and error in result.output, result.output


@pytest.mark.parametrize("voice,say_language", [
    ("Polly.Mia-Neural", "es-MX"), ("Polly.Lupe", "es-US"), ("Google.es-US-Neural2-B", "es-US"),
    ("Polly.Lucia-Generative", "es-ES"), ("woman", "es"), ("Polly.Nuevo-Neural", "es-US"),  # not known: the tag
])
def test_a_spanish_voice_is_said_with_its_own_locale_and_heard_in_es_us(voice, say_language, app, tmp_path,
                                                                        heard, client):
    """"es-MX vs es-US": each <Say> carries the locale its voice speaks; speech recognition
    (<Gather language>) stays es-US, the Spanish of a US phone line."""
    load_company(app, tmp_path, lambda d: receptionist(d)["voices"].update(es=voice))
    sim = phone(client)
    sim.start()
    sim.say("español")
    assert violations(heard) == []
    root = ET.fromstring(heard[-1][1].encode())
    assert {(s.get("voice"), s.get("language")) for s in root.iter("Say")} == {(voice, say_language)}
    assert root.find("Gather").get("language") == "es-US"


@pytest.mark.parametrize("language,choose,written,heard_as", [
    ("en", "1", "Pay is $18.50/hr & up, w/ weekly pay, for day/night shifts and/or weekends.",
     "Pay is $18.50 an hour and up, with weekly pay, for day or night shifts or weekends."),
    ("es", "2", "El pago es de $18.50/hora y más, w/ pago semanal, en turnos día/noche y/o fines de semana.",
     "El pago es de $18.50 por hora y más, con pago semanal, en turnos día o noche o fines de semana."),
])
def test_a_policy_written_in_shorthand_is_read_in_words(language, choose, written, heard_as, app, tmp_path, heard,
                                                        client):
    """Before, a voice read "$18.50/hr" as "eighteen fifty slash H R" and "day/night" as
    "day slash night"; a caller on the phone could not follow."""
    load_company(app, tmp_path, lambda d: receptionist(d)["policies"][0]["answer"].update({language: written}))
    sim = phone(client)
    sim.start()
    sim.press(choose)
    sim.press("3")
    assert heard_as in sim.say(POLICIES[0]["questions"][language][0])
    assert violations(heard) == [] and spoken(heard) == []
