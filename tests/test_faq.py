"""Matching callers' questions to the sample company's policies."""
from pathlib import Path

import pytest
import yaml

from receptionist.engine.faq import match_policy
from receptionist.engine.script import PolicySpec

SAMPLE = yaml.safe_load((Path(__file__).parent.parent / "examples" / "acme-staffing.yaml").read_text())
POLICIES = tuple(PolicySpec(p["key"], {k: tuple(v) for k, v in p["questions"].items()}, p["answer"])
                 for p in SAMPLE["agents"][0]["policies"])


@pytest.mark.parametrize("question,language,key", [
    ("How much does it pay?", "en", "pay"),
    ("what's the hourly pay", "en", "pay"),
    ("um where is the warehouse", "en", "location"),
    ("what's the address", "en", "location"),
    ("what are the hours", "en", "shifts"),
    ("do you have night shifts", "en", "shifts"),
    ("how can I apply", "en", "how-to-apply"),
    ("do I need a resume", "en", "how-to-apply"),
    ("I already applied last week", "en", "already-applied"),
    ("¿Cuánto pagan por hora?", "es", "pay"),
    ("dónde queda el almacén", "es", "location"),
    ("qué turnos tienen", "es", "shifts"),
    ("ya apliqué", "es", "already-applied"),
    ("cuanto pagan", "en", "pay"),  # Spanish words on an English call still match
])
def test_known_questions_find_their_policy(question, language, key):
    found = match_policy(question, POLICIES, language)
    assert found is not None and found[0].key == key


@pytest.mark.parametrize("question", [
    "do you have a dental plan for pets", "can I bring my dog", "", "um", "hello?", "what is the meaning of life",
])
def test_unknown_questions_match_nothing(question):
    assert match_policy(question, POLICIES, "en") is None
