"""Picking the job as people say it: the sample company's postings named in other words, by
voice (a recognizer's spelling) and by text (a cheap phone's), in English and Spanish. The
common job families are known without the company saying so (``ChoiceWords.meanings``); a
posting's ``also_called`` adds its own words. Never a confident pick when two options match."""
from __future__ import annotations

import pytest

from receptionist.engine import interpret
from receptionist.engine.interpret import Choice
from receptionist.engine.script import PostingSpec

TITLES = {"warehouse": {"en": "Warehouse Associate", "es": "Asociado de almacén"},
          "forklift": {"en": "Forklift Operator", "es": "Operador de montacargas"},
          "driver": {"en": "Delivery Driver", "es": "Conductor de reparto"}}


def jobs(language: str, **also_called) -> list[Choice]:
    """The sample's postings as the flow offers them (``PostingSpec.as_option``: the title,
    then what the posting is also called)."""
    return [Choice(key, (title[language], *also_called.get(key, ()))) for key, title in TITLES.items()]


def test_a_posting_offers_its_title_first_then_what_it_is_also_called():
    spec = PostingSpec("driver", TITLES["driver"], None, {"es": ("chofer",)})
    assert spec.as_option().as_choice("es") == Choice("driver", ("Conductor de reparto", "chofer"))
    assert spec.as_option().label("en") == "Delivery Driver"


PICKED = [
    # (language, what was said or texted, the posting)
    ("es", "de chofer", "driver"), ("es", "chofer", "driver"), ("es", "chófer", "driver"),
    ("es", "Chofer!", "driver"), ("es", "como 3 años manejando camion", "driver"),
    ("es", "quiero de repartidor", "driver"), ("es", "troca", "driver"), ("es", "camionero", "driver"),
    ("es", "tengo licencia cdl", "driver"), ("es", "el de conductor", "driver"),
    ("es", "montacarga", "forklift"), ("es", "montacargas", "forklift"), ("es", "soy montacarguista", "forklift"),
    ("es", "manejo montacargas", "forklift"), ("es", "chofer de montacargas", "forklift"),
    ("es", "forklift", "forklift"), ("es", "almacen", "warehouse"), ("es", "en una bodega", "warehouse"),
    ("es", "de empacador", "warehouse"), ("es", "bodeguero", "warehouse"),
    ("en", "driver", "driver"), ("en", "box truck", "driver"), ("en", "I got my CDL", "driver"),
    ("en", "truck driver", "driver"), ("en", "the delivery job", "driver"), ("en", "courier", "driver"),
    ("en", "I drive a forklift", "forklift"), ("en", "fork lift", "forklift"), ("en", "4 lift", "forklift"),
    ("en", "forklif", "forklift"), ("en", "hi-lo", "forklift"), ("en", "hi lo", "forklift"),
    ("en", "tow motor", "forklift"), ("en", "reach truck", "forklift"), ("en", "forklift driver", "forklift"),
    ("en", "warehouse", "warehouse"), ("en", "picker packer", "warehouse"), ("en", "pick and pack", "warehouse"),
    ("en", "general labor", "warehouse"), ("en", "loading trucks", "warehouse"), ("en", "wearhouse", "warehouse"),
]


@pytest.mark.parametrize("language, text, expected", PICKED)
def test_a_job_said_in_other_words_picks_it(language, text, expected):
    found = interpret.choice(text, jobs(language), language)
    assert found is not None and found.value == expected, (text, found)


@pytest.mark.parametrize("language, text", [
    ("en", "driver or forklift"), ("en", "truck or warehouse"), ("es", "chofer o montacargas"),
    ("en", "I used to drive forklifts in a warehouse"),
    ("en", "driving"), ("es", "manejar"),  # a forklift is driven too
    ("es", "si tengo 25"), ("es", "tengo papeles"), ("en", "I need a job"),
])
def test_two_jobs_or_none_is_no_pick(language, text):
    assert interpret.choice(text, jobs(language), language) is None


def test_a_family_two_postings_share_picks_neither():
    options = [Choice("cdl", ("CDL Driver",)), Choice("local", ("Delivery Driver",)), Choice("wh", ("Warehouse",))]
    assert interpret.choice("truck", options, "en") is None
    assert interpret.choice("picker", options, "en").value == "wh"
    options = [Choice("cdl", ("Chofer CDL",)), Choice("local", ("Repartidor",)), Choice("wh", ("Almacén",))]
    assert interpret.choice("camion", options, "es") is None
    assert interpret.choice("bodega", options, "es").value == "wh"


def test_what_a_posting_is_also_called_picks_it():
    options = jobs("en", warehouse=["cold storage"], forklift=["hi-lo operator"])
    assert interpret.choice("the cold storage one", options, "en").value == "warehouse"
    assert interpret.choice("hi-lo operator", options, "en").value == "forklift"
    # A company's own phrase that names two families ("hi-lo driver") takes neither from the
    # others: "driver" still picks the driver's posting, the whole phrase the forklift's.
    options = jobs("en", forklift=["hi-lo driver"])
    assert interpret.choice("driver", options, "en").value == "driver"
    assert interpret.choice("hi-lo driver", options, "en").value == "forklift"
    assert interpret.choice("truck", options, "en").value == "driver"


def test_not_wanting_a_job_is_not_picking_it():
    assert interpret.choice("I don't want to drive", jobs("en"), "en").value == "warehouse"
    assert interpret.choice("no de chofer", jobs("es"), "es") is None
