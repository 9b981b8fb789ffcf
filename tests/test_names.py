"""A caller's name as real callers say it (Twilio speech results, texts), in English and Spanish."""
from __future__ import annotations

import pytest

from receptionist.engine.interpret.names import after_name_cue, clean_name
from sms_screening.replies import ConfirmationReply, parse_confirmation_reply

SPOKEN = [
    # fillers and openers before (or inside) the name
    ("uh John", "John"),
    ("um my name is Jane Doe", "Jane Doe"),
    ("uh yeah so um my name is uh John uh Smith", "John Smith"),
    ("yeah it's John Smith", "John Smith"),
    ("okay so my name is Jane Doe", "Jane Doe"),
    ("well, it's Priya Patel", "Priya Patel"),
    ("hello this is Maria", "Maria"),
    ("good morning, this is Kevin Brown", "Kevin Brown"),
    ("no, it's John Smith", "John Smith"),
    # introductions
    ("call me Bob", "Bob"),
    ("you can call me Bob", "Bob"),
    ("I go by Sam Lee", "Sam Lee"),
    ("John Smith is my name", "John Smith"),
    ("Jane Doe, that's my name, thank you", "Jane Doe"),
    ("the name is Bond James Bond", "James Bond"),
    ("The name's Bond. James Bond.", "James Bond"),
    # thanks and please
    ("Jane Doe thank you", "Jane Doe"),
    ("Jane Doe, thanks", "Jane Doe"),
    ("John Smith please", "John Smith"),
    ("Jane Doe thank you very much", "Jane Doe"),
    ("thanks, it's Jane Doe, that's it", "Jane Doe"),
    # titles
    ("mister Lee", "Lee"),
    ("Mr. Lee", "Lee"),
    ("my name is Mrs. Alice Walker", "Alice Walker"),
    ("ms Jones", "Jones"),
    ("Miss Jones", "Jones"),
    ("Don Johnson", "Don Johnson"),  # "Don" is a name in English: only a title before two more words
    # first and last name said apart
    ("first name Sarah last name Connor", "Sarah Connor"),
    ("my first name is Sarah and my last name is Connor", "Sarah Connor"),
    ("first name Sarah, middle name Jane, last name Connor", "Sarah Jane Connor"),
    ("my last name is Connor and my first name is Sarah", "Sarah Connor"),
    ("last name Connor, first name Sarah, thank you", "Sarah Connor"),
    ("Sarah is my first name and Connor is my last name", "Sarah Connor"),
    ("Connor is my surname", "Connor"),
    # spelled letters
    ("J-O-H-N Smith", "John Smith"),
    ("j o h n smith", "John Smith"),
    ("J. O. H. N. Smith", "John Smith"),
    ("my name is John, J-O-H-N, Smith", "John Smith"),
    ("it's Smith S M I T H", "Smith"),
    ("J. R. Smith", "J. R. Smith"),  # two letters with periods: initials
    ("A.J. Smith", "A.J. Smith"),
    # said twice
    ("my name is Jane Doe Jane Doe", "Jane Doe"),
    ("Jane Doe. Jane Doe.", "Jane Doe"),
]

HABLADO = [
    ("sí, me llamo Ana López", "Ana López"),
    ("pues me llamo José Luis", "José Luis"),
    ("bueno, eh, mi nombre es Juan Pérez", "Juan Pérez"),
    ("este, soy Carmen Ruiz", "Carmen Ruiz"),
    ("buenas tardes, me llamo María", "María"),
    ("Ana López gracias", "Ana López"),
    ("Ana López, por favor", "Ana López"),
    ("Juan Pérez, muchas gracias", "Juan Pérez"),
    ("señor Pérez", "Pérez"),
    ("señora Ana López", "Ana López"),
    ("señorita Ana Ruiz", "Ana Ruiz"),
    ("don José Pérez", "José Pérez"),
    ("doña María Gómez", "María Gómez"),
    ("mi nombre es Ana y mi apellido es López", "Ana López"),
    ("mi primer nombre es Ana, mi segundo nombre es Sofía y mis apellidos son López Vega",
     "Ana Sofía López Vega"),
    ("me llamo Ana López Ana López", "Ana López"),
    ("j o s e Pérez", "Jose Pérez"),
    ("me dicen Pepe", "Pepe"),
    ("Ana López es mi nombre", "Ana López"),
]

# Real names, kept as they are (or capitalised as a person writes them).
KEPT = [
    ("De La Cruz", "De La Cruz"),
    ("maria de la cruz", "Maria De La Cruz"),  # no sign of how its bearer writes it
    # A particle its writer (or the recognizer) kept lowercase beside capitals stays so.
    ("María de la Cruz", "María de la Cruz"),
    ("me llamo José de Jesús Pérez y Gasset", "José de Jesús Pérez y Gasset"),
    ("Ludwig van Beethoven", "Ludwig van Beethoven"),
    ("Robert De Niro", "Robert De Niro"),
    ("de la Cruz", "De la Cruz"),
    ("O'Brien", "O'Brien"),
    ("sean o’brien", "Sean O'Brien"),
    ("d'andre jones", "D'Andre Jones"),
    ("Mary-Kate", "Mary-Kate"),
    ("mary-kate olsen", "Mary-Kate Olsen"),
    ("José Luis", "José Luis"),
    ("Nguyen", "Nguyen"),
    ("McDonald", "McDonald"),
    ("JOHN SMITH", "John Smith"),
    ("Will", "Will"),
    ("will smith", "Will Smith"),
    ("Hope", "Hope"),
    ("Grace", "Grace"),
    ("my name is Grace Hope", "Grace Hope"),
    ("Sirhan Sirhan", "Sirhan Sirhan"),
    ("José Ortega y Gasset", "José Ortega y Gasset"),
    ("Sandra Oh", "Sandra Oh"),
]

# Answers that give no name: None, so the flow asks again instead of greeting "Hi I".
NO_NAME = [
    "I don't know", "why do you need it?", "why do you need that", "no", "No.", "nope",
    "I'm not sure", "I'd rather not say", "what?", "sorry, can you repeat that", "thank you",
    "Thank", "uh", "um, uh", "my name is", "yes", "hello?", "it's a secret", "no thanks",
    "no sé", "¿para qué?", "¿por qué lo necesita?", "prefiero no decirlo", "gracias", "mi nombre es",
    "", "...", "¡!",
]


@pytest.mark.parametrize("text,name", SPOKEN + HABLADO + KEPT)
def test_a_name_as_callers_say_it(text, name):
    assert clean_name(text) == name


@pytest.mark.parametrize("text", NO_NAME)
def test_no_name_is_made_of_an_answer_without_one(text):
    assert clean_name(text) is None


def test_a_long_answer_is_cut_to_200_characters():
    assert clean_name("my name is Ann " + "x" * 300) == "Ann X" + "x" * 195


@pytest.mark.parametrize("body,expected", [
    ("NAME Jane Smith thanks", ConfirmationReply(name="Jane Smith")),
    ("my name is Mr. John Smith", ConfirmationReply(name="John Smith")),
    ("me llamo Ana, apellido López", ConfirmationReply(name="Ana López")),
    ("name j o h n smith, john@example.com", ConfirmationReply(email="john@example.com", name="John Smith")),
    ("my name is I don't know", ConfirmationReply()),  # no name: nothing corrected
    ("call me Bob", ConfirmationReply()),  # no name cue at the start: not a correction
])
def test_a_name_correction_by_text_reads_the_same_way(body, expected):
    assert parse_confirmation_reply(body) == expected


def test_a_cue_is_only_a_cue_at_the_start():
    assert after_name_cue("um my name is Jane") is None
    assert after_name_cue("Name: Jane Doe thanks") == "Jane Doe thanks"
