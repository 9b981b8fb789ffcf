"""Indirect answers, as people give them: Circa-style answers to the screening's yes/no
questions ("I wish", "Is the Pope Catholic?", "no pues sí"), spoken fillers and restarts,
hedged numbers and start dates. The battery in tests/data/indirect_*.csv is held to the levels
it reaches; the tables are the classes fixed for it, each read wrongly or not at all before."""
from __future__ import annotations

import datetime as dt

import pytest

from receptionist.devtools import evaluate
from receptionist.engine import flow, interpret
from receptionist.engine.flow import CallContext, Speech
from receptionist.engine.script import AgentScript, QuestionSpec
from receptionist.engine.texts import Line, render

WEDNESDAY = dt.date(2025, 6, 11)
QUESTIONS = {  # the sample company's (examples/acme-staffing.yaml), and a driver posting's license
    "age": {"en": "Are you 18 years of age or older?", "es": "¿Tiene usted 18 años o más?"},
    "work": {"en": "Are you legally authorized to work in the United States?",
             "es": "¿Está usted autorizado legalmente para trabajar en los Estados Unidos?"},
    "lift": {"en": "Can you lift up to 50 pounds on a regular basis?",
             "es": "¿Puede levantar hasta 50 libras con regularidad?"},
    "license": {"en": "Do you have a valid driver's license?", "es": "¿Tiene licencia de manejo vigente?"},
}
WORK_PHRASES = evaluate._phrases("acme-staffing.yaml#work-authorization")  # the sample's, as loaded


def read(question: str, text: str, language: str):
    """The answer as a call reads it: with the question's number rule or phrases."""
    return interpret.yes_no(text, language, QUESTIONS[question][language],
                            {"at_least": 18} if question == "age" else None,
                            WORK_PHRASES if question == "work" else None)


# Levels the battery reached (`make eval`, second table): precision held, coverage may give a
# little. Its labels differ from interpret_*.csv's in a few conventions (see the files' headers),
# which is why neither is 100%.
BATTERY = {  # (kind, language): (coverage, precision)
    ("yes_no", "en"): (0.76, 0.99), ("yes_no", "es"): (0.79, 0.99),
    ("date", "en"): (0.94, 1.0), ("date", "es"): (1.0, 0.91),
    ("number", "en"): (0.94, 0.94), ("number", "es"): (0.95, 0.95),
    ("choice", "en"): (0.95, 1.0), ("choice", "es"): (1.0, 1.0),
}


@pytest.mark.parametrize("kind", evaluate.INDIRECT_KINDS)
def test_the_indirect_battery_holds_its_levels(kind):
    scores = evaluate.evaluate(kind, labelled_set=evaluate.INDIRECT)
    assert set(scores) == {"en", "es"} and sum(s.n for s in scores.values()) >= 45
    for language, score in scores.items():
        coverage, precision = BATTERY[(kind, language)]
        assert score.precision >= precision - 1e-9, (kind, language, score.precision)
        assert score.coverage >= coverage - 0.02, (kind, language, score.coverage)


@pytest.mark.parametrize("question, text, language, expected", [
    # A yes-phrase that carries its own negation is not turned over by another: a double negative.
    ("lift", "I don't see why not", "en", True),
    ("lift", "I can't see why not", "en", True),
    ("lift", "there's no reason I can't", "en", True),
    ("lift", "I don't have no problem lifting", "en", True),
    ("lift", "no veo por qué no", "es", True),
    ("license", "I don't not have one", "en", True),
    # Said for "definitely"; a question whose answer is obviously yes, said back.
    ("lift", "no question", "en", True),
    ("lift", "without a doubt", "en", True),
    ("lift", "Is the Pope Catholic?", "en", True),
    ("lift", "Does a bear poop in the woods?", "en", True),
    ("lift", "piece of cake", "en", True),
    ("lift", "I'd say so", "en", True),
    ("lift", "a huevo", "es", True),
    ("license", "yuh", "en", True),
    # A no at once taken back by a yes is a discourse marker: the yes answers.
    ("lift", "no pues sí", "es", True),
    ("lift", "no, sí puedo", "es", True),
    ("age", "no pues sí, ya tengo 20", "es", True),
    ("lift", "no yeah", "en", True),
    ("lift", "no, yeah, I can do that", "en", True),
    ("work", "no yeah I'm a citizen", "en", True),
    # "Yeah no" opening an answer is no answer of its own; what follows is.
    ("age", "yeah no I'm 30", "en", True),
    ("work", "yeah no, I need sponsorship", "en", False),
    # A wish is counterfactual; so are dreams and flying pigs. Laughter is no answer.
    ("lift", "I wish", "en", False),
    ("lift", "haha I wish", "en", False),
    ("lift", "I wish lol", "en", False),
    ("lift", "I wish I could", "en", False),
    ("lift", "ojalá pudiera", "es", False),
    ("age", "ya quisiera", "es", False),
    ("lift", "in my dreams", "en", False),
    ("lift", "when pigs fly", "en", False),
    ("lift", "ni en sueños", "es", False),
    # A lapse said with "not since"; "can't" said alone.
    ("lift", "not since my accident", "en", False),
    ("lift", "can't", "en", False),
    # Of age without a number.
    ("age", "I'm old enough", "en", True),
    ("age", "I'm not old enough", "en", False),
    # The sample's work-authorization phrases.
    ("work", "naturalized in 2015", "en", True),
    ("work", "tengo la residencia", "es", True),
])
def test_indirect_answers_are_read_as_a_recruiter_would(question, text, language, expected):
    found = read(question, text, language)
    assert found is not None and found.value is expected, found


@pytest.mark.parametrize("question, text, language", [
    # Waiting for papers, or having applied for them, is not having them (a yes before).
    ("work", "I'm waiting on my work permit", "en"),
    ("work", "still waiting for my green card", "en"),
    ("work", "I applied for my green card", "en"),
    ("work", "I'm getting my work permit next month", "en"),
    ("work", "estoy esperando mi permiso de trabajo", "es"),
    ("work", "estoy esperando mi green card", "es"),
    # Sarcasm, as often as not (a yes before).
    ("lift", "yeah right", "en"),
    ("lift", "yeah right, with my back?", "en"),
    ("lift", "sure, and pigs fly", "en"),
    # A wished-for age is no age (18 or older before).
    ("age", "I wish I were 18", "en"),
    ("age", "ya quisiera tener 18", "es"),
    # Unclear as before: a wished-for age, a bare turnaround or marker, a hope, a rhetorical question.
    ("age", "ojalá tuviera 18", "es"),
    ("lift", "no, yes", "en"),
    ("lift", "no, sí", "es"),
    ("lift", "yeah no", "en"),
    ("lift", "ojalá que sí", "es"),
    ("lift", "who can't?", "en"),
    ("lift", "can't wait", "en"),
])
def test_indirect_answers_a_recruiter_would_ask_again_are_not_understood(question, text, language):
    assert read(question, text, language) is None


def test_a_discourse_marker_lowers_the_confidence_and_keeps_what_it_opens():
    assert read("lift", "no pues sí", "es").confidence == 0.75  # INFERRED: not read as a plain "sí"
    assert read("lift", "yeah no problem", "en").value is True  # "no problem" is no marker's "no"
    assert read("lift", "yeah, no, I can't", "en").value is False
    assert read("lift", "no, no puedo", "es").value is False


@pytest.mark.parametrize("text, language, expected", [
    # A weekday before a month and day confirms it (the next such weekday before).
    ("Wednesday, June 25", "en", dt.date(2025, 6, 25)),
    ("Wednesday June 25th", "en", dt.date(2025, 6, 25)),
    ("Monday the 30th of June", "en", dt.date(2025, 6, 30)),
    ("miércoles 25 de junio", "es", dt.date(2025, 6, 25)),  # as before, now by the same rule
    ("lunes, el 16 de junio", "es", dt.date(2025, 6, 16)),
    # Right away, in Mexican Spanish; "whenever" with a filler after it.
    ("luego luego", "es", WEDNESDAY),
    ("de volada", "es", WEDNESDAY),
    ("any day really", "en", WEDNESDAY),
    ("honestly whenever", "en", WEDNESDAY),
])
def test_indirect_start_dates(text, language, expected):
    found = interpret.date(text, language, WEDNESDAY)
    assert found is not None and found.value == expected, found


@pytest.mark.parametrize("text, language", [
    ("Thursday, June 25", "en"),  # June 25 is a Wednesday: which one? (the 12th before)
    ("jueves 25 de junio", "es"),  # as before
    ("ya mero", "es"),  # "almost", "soon": no "ya" (now) (today before)
    ("ya casi", "es"),
])
def test_start_dates_a_recruiter_would_ask_again_are_not_understood(text, language):
    assert interpret.date(text, language, WEDNESDAY) is None


@pytest.mark.parametrize("text, expected", [
    ("five-ish years", 5), ("two-ish", 2), ("twenty-ish years", 20), ("like five ish", 5),
    ("8ish", 8)])  # as before
def test_hedged_numbers_with_ish(text, expected):
    found = interpret.number(text, "en", "years", WEDNESDAY)
    assert found is not None and found.value == expected and found.confidence < 0.9


@pytest.mark.parametrize("language, said", [
    ("en", "I understood: Wednesday, June 25."),
    ("es", "Entendí: miércoles 25 de junio."),
])
def test_a_start_date_is_read_back_with_its_weekday(language, said):
    """"In two weeks" / "en quince días" read back as a date the caller can check."""
    line = Line("read_back", {"question": "When?", "kind": "date", "value": dt.date(2025, 6, 25)})
    assert said in render(line, language)


@pytest.mark.parametrize("language, question, answer, said", [
    ("en", "When is the earliest you could start?", "whenever", "I understood: today, Wednesday, June 11."),
    ("en", "When is the earliest you could start?", "tomorrow", "I understood: tomorrow, Thursday, June 12."),
    ("en", "When is the earliest you could start?", "in two weeks", "I understood: Wednesday, June 25."),
    ("es", "¿Cuándo es lo más pronto que podría empezar?", "cuando sea", "Entendí: hoy, miércoles 11 de junio."),
    ("es", "¿Cuándo es lo más pronto que podría empezar?", "luego luego", "Entendí: hoy, miércoles 11 de junio."),
    ("es", "¿Cuándo es lo más pronto que podría empezar?", "en quince días", "Entendí: miércoles 25 de junio."),
])
def test_an_unsure_start_date_is_read_back_as_the_caller_can_check_it(language, question, answer, said):
    """Heard with low confidence, a scored start date is read back: "whenever" as today, with
    its weekday, rather than a bare "June 11" the caller has to work out."""
    script = AgentScript("A", (language,), {language: "Hi."}, {language: "AI."},
                         questions=(QuestionSpec("start", "date", {language: question}, weight=15),))
    ctx = CallContext(today=WEDNESDAY, skip_menu=True)
    state, _ = flow.start(script, ctx)
    state, turn = flow.advance(script, state, Speech(answer, 0.4), ctx)
    assert state.phase == "readback" and said in " ".join(render(line, language) for line in turn.lines)
