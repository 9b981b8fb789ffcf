"""The shape of one language's words: what the interpreters read and the wording says.

Pure data, filled in by one module per language (``en.py``, ``es.py``). Two kinds of
strings live here:

- *Heard* phrases, read by the interpreters: casefolded, without accents or apostrophes
  ("si", "manana", "thats right"), because that is how the interpreters fold what a caller
  said before comparing. A field documented as "phrases" is ``"a|b c"``: alternatives
  separated by ``|``, words by single spaces. A field documented as "regex" is a regular
  expression fragment matched on folded text.
- *Said* words, shown or spoken to the caller (month names, hints, status words): written
  as a person writes them ("miércoles", "Sí").
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping


@dataclass(frozen=True)
class YesNoWords:
    """Phrases for ``interpret.yes_no``, by how they commit an answer.

    yes / no: explicit answers, committed anywhere in a clause ("yes", "of course not",
    "not yet"); yes_loose / no_loose: looser ones, committed with less confidence ("I think
    so", "afraid not"); yes_alone / no_alone: committed only when they are the whole clause
    ("never." is a no, "never been better" is not); acknowledgements: agreement that does
    not answer a question ("okay", "bueno"): a yes to a confirmation text, nothing to a
    yes/no question. echoes: {a word of the question: (yes phrases, no phrases)} that answer
    it by repeating its verb or auxiliary ("Can you ...?" -> "I can" / "I can't"; "¿Tiene
    ...?" -> "tengo"). unsure: neither ("not sure"). hedges: make any answer not understood
    ("if", "con ayuda"); weakeners: make a yes not understood ("but", "pero"); number_hedges:
    make a number answer to an age-like question not understood ("I turn 18 in May").
    echo_tail: words that may follow an echo, besides stopwords and the question's own.
    negators: words that turn a following yes-word into a no ("that's not right"), except a
    yes-phrase that carries its own negation ("I don't see why not", "no veo por qué no");
    unsure_when_negated: yes-words whose negation means "don't know" ("not sure").
    turnarounds: a plain no said first and at once followed by a plain yes, a discourse
    marker whose yes is the answer ("no yeah", "no pues sí": the "no" is dropped);
    markers: a yes at once followed by a no that open an answer and are no answer of their own
    when more follows ("yeah no, I need sponsorship": dropped); alone they stay unclear;
    laughter: words that are no answer, dropped wherever they are ("lol", "jaja").
    """

    yes: str
    yes_loose: str
    no: str
    no_loose: str
    unsure: str
    negators: frozenset[str]
    unsure_when_negated: frozenset[str]
    yes_alone: str = ""
    no_alone: str = ""
    # Like yes_alone, but never a yes to a confirmation text: also a name ("Simón").
    yes_alone_spoken: str = ""
    acknowledgements: str = ""
    echoes: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    hedges: str = ""
    weakeners: str = ""
    number_hedges: str = ""
    echo_tail: frozenset[str] = frozenset()  # may follow an echo besides the question's words: "I have one"
    # Echoes that cannot end a sentence: "I'm" alone is cut off, not "I am".
    clipped: frozenset[str] = frozenset()
    # Phrases that leave an implied phrase in doubt: "my work permit expired", "en trámite",
    # "I'm waiting on my work permit".
    lapsed: str = ""
    turnarounds: str = ""
    markers: str = ""
    laughter: frozenset[str] = frozenset()


@dataclass(frozen=True)
class NumberWords:
    """Regexes for ``interpret.number`` beyond what text2num reads ("a couple", "y medio").

    zero: phrases meaning 0 that are not number words ("no experience"), matched on words
    without apostrophes or accents ("i dont have any"); phrases:
    (regex, replacement) rewrites applied before text2num; half: "<n> [unit] and a half";
    range_joiner: "three or four", "3 to 5"; between: ("between", "and").
    decimal_comma: whether "2,5" is 2.5 (else "1,000" is a thousand). The other fields
    (units, since, bounds) are documented where they are declared.
    """

    zero: str
    phrases: tuple[tuple[str, str], ...]
    half: str
    range_joiner: str
    between: tuple[str, str]
    decimal_comma: bool
    point: str = r"point"  # "point seven", "punto cinco": a decimal point before digits
    multipliers: Mapping[str, float] = field(default_factory=dict)  # "<n> dozen" -> n * 12
    # Units of time as regexes -> months: "six months" is 0.5 for a question in years.
    units: Mapping[str, float] = field(default_factory=dict)
    since: str = r"$^"  # "since 2015": years from then until today
    since_age: str = r"$^"  # "since I was 16": needs the caller's age, not understood
    until_now: str = r"$^"  # "from 2018 until now"
    above: str = r"$^"  # "over 18", "more than 5": the number is a lower bound (exclusive)
    at_least: str = r"$^"  # "at least 5", "18 or older" (before or after the number)
    below: str = r"$^"  # "under 18", "less than a year": an upper bound (exclusive)
    # "just started", "apenas empecé": less than a year of it, matched on words without
    # apostrophes or accents; read as 0, unsure (read back).
    starting: str = r"$^"
    # Of age or not, with no number: the age of majority, 18 in the United States ("mayor de
    # edad"), for a question a number answers ("Are you 18 or older?").
    adult: str = r"$^"
    minor: str = r"$^"


@dataclass(frozen=True)
class DateWords:
    """Names and regexes for ``interpret.date`` and for saying a date (``texts.spoken_date``).

    months / weekdays: said names, January and Monday first; month_aliases: heard
    abbreviations and variants, folded ("sept" -> 9); spoken_format: how a date is said,
    with ``{month}`` and ``{day}``; spoken_weekday_format: the same with ``{weekday}``, for a
    read-back the caller can check ("Wednesday, June 25" for "in two weeks"). The regex fields are documented where
    ``interpret.date`` uses them; ``offset`` has groups ``n`` (digits, an article meaning
    1, or ``offset_two``) and ``unit`` (a word starting with a key of ``units``).
    """

    months: tuple[str, ...]
    weekdays: tuple[str, ...]
    month_aliases: Mapping[str, int]
    spoken_format: str
    spoken_weekday_format: str
    now: str
    tomorrow: str
    day_after_tomorrow: str
    this_weekday: str  # "this Friday": today counts ("next Friday", "Friday" do not)
    next_week: str
    next_month: str
    offset: str
    offset_two: str
    units: Mapping[str, str]  # unit word stem -> "day" | "week" | "month"
    the: str
    of: str
    ordinal: str  # suffix after a day number
    day_prefix: str  # "the 15th", "el 15"
    month_prefix: str  # "in March", "a principios de marzo"
    date_order: str  # dateparser DATE_ORDER; also the order of "4/7" ("DMY": 4 July)
    filler: str  # stripped before handing the rest to dateparser
    past: str = r"$^"  # backward references: "last Monday", "a week ago", "hace 3 semanas"
    from_now: str = r"$^"  # "3 Fridays from now"
    from_day: str = r"$^"  # "a week from Monday": an offset counted from a weekday
    # Holidays: regex -> "MM-DD" (fixed) or "MM:weekday:n[+days]" (n-th weekday of the month,
    # -1 for the last; weekday 0 = Monday): Black Friday is "11:3:4+1".
    holidays: Mapping[str, str] = field(default_factory=dict)
    # Day counts that are an idiom for weeks: "en ocho días" is in a week, "en quince días"
    # in two (RAE: "ocho días", "quince días"), not 8 and 15 days.
    days_meaning_weeks: Mapping[int, int] = field(default_factory=dict)
    this_month: str = r"$^"  # "the 4th of this month": this month's day, even if it has passed
    bound: str = r"$^"  # "after Christmas", "before the 15th": a bound, not a day
    asks: str = r"$^"  # a question back opens with these ("what day is it today?")
    year_only: str = r"$^"  # a year and no day: "next year", "el año que viene"
    ordinal_split: str = r"$^"  # ordinal suffixes a recogniser writes apart: "1.er" -> "1er"
    # Parts of a month, regex (ending with its "of") -> "start" | "middle" | "end", before a
    # month name, ``next_month`` or ``this_month``: "mid December", "a finales de mes".
    month_parts: Mapping[str, str] = field(default_factory=dict)
    the_month: str = r"$^"  # this month, after a part of it only: "end of the month", "fin de mes"
    # A week of a month, ending with its "of": group ``n`` (1-5, text2num has made "first"
    # "1st") or group ``last``: "the first week of", "la última semana de".
    week_of: str = r"$^"
    # The whole answer (fillers aside) leaves the day to the company: "whenever", "cuando sea".
    whenever: str = r"$^"
    # Heard abbreviations of weekdays, folded -> 0 (Monday) .. 6: "thurs", "weds".
    weekday_aliases: Mapping[str, int] = field(default_factory=dict)
    # "the Monday after Thanksgiving": a weekday, ``after``, then a day (or ``next_one``:
    # "the Monday after next", that week's Monday).
    after: str = r"$^"
    next_one: str = r"$^"
    # Words before ``after`` in "sometime after Christmas", "right after the 15th": the
    # earliest start is the day after (``interpret.dates._rule_after``).
    after_lead: str = r"$^"
    # This week's end (its Friday): "end of the week", "a fin de semana".
    end_of_week: str = r"$^"
    # A weekend (its Saturday): "this weekend", "fin de semana"; a group named ``next...`` set
    # when it is said to be the next one ("next weekend", "el fin de semana que viene"): the
    # Saturday strictly after today.
    weekend: str = r"$^"
    # The week after next (its Monday): "the week after next", "la semana después de la próxima".
    week_after_next: str = r"$^"


@dataclass(frozen=True)
class ChoiceWords:
    """Words for ``interpret.choice``.

    ordinals: phrases for positions 1..10 ("first|1st"); last: phrases for the last option;
    cardinals: phrases for 1..10 ("one"); number_cues: words after which a bare cardinal is
    an option number ("number two"); fillers: words that carry no answer ("um");
    function_words: too common to tell options apart ("the warehouse one").
    """

    ordinals: tuple[str, ...]
    last: str
    cardinals: tuple[str, ...]
    number_cues: frozenset[str]
    fillers: frozenset[str]
    function_words: frozenset[str]
    any_words: str = ""  # phrases meaning "any of them": "whatever works", "me da igual"
    both_words: frozenset[str] = frozenset()  # "days and nights", "both"
    except_words: str = ""  # phrases before an option that rule it out: "anything but nights"
    # Common option meanings, each phrases said for it: an option whose label holds one of a
    # meaning's phrases ("night shift" holds "night") is also picked by the others ("overnight",
    # "graveyard", "nites"), whole phrase only, when no other option holds one. A meaning may
    # be a pair (names, activities): a job family ("driver|chofer|box truck", "drive|manejar"),
    # whose activities pick it only when no option is named ("I drive a forklift": forklift).
    meanings: tuple[str | tuple[str, str], ...] = ()
    # Digits a recognizer writes for a word said beside an option's word ("4 lift": "forklift").
    homophones: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EmailWords:
    """Spoken email addresses: symbols: {"@": regex of what is said for it, ...} for the
    symbols ``_ @ . - +``; preamble: words said before an address, never part of it."""

    symbols: Mapping[str, str]
    preamble: frozenset[str]


@dataclass(frozen=True)
class NameWords:
    """Phrases around a name: cues announce one ("my name is", "NAME" in a text reply);
    intros introduce oneself ("I'm", "soy") and greetings come first ("hi").

    The rest, all phrases, read what callers say around a name (``interpret.names``):
    fillers: hesitations, dropped wherever they are ("uh", "este");
    courtesies: thanks and please, dropped at either end ("thank you", "por favor");
    titles: dropped before a name ("mister", "señora");
    given_names: given names that are another language's title ("Don"): dropped as a
    title only before two more words ("don José Pérez", not "Don Johnson");
    parts: {"first" | "middle" | "last": phrases announcing that part of a name}, for
    "first name Sarah, last name Connor" / "mi apellido es López";
    joiners: words between the parts of such a frame ("and my", "y mi", "is");
    non_answers: answers that give no name ("I don't know", "why do you need it", "no"),
    also at the start of a longer answer;
    particles: words inside a name that its writer may keep lowercase ("de la" in "María de
    la Cruz", "van"): kept so when written so beside capitalised words.
    """

    cues: str
    intros: str
    greetings: str
    fillers: str = ""
    courtesies: str = ""
    titles: str = ""
    given_names: str = ""
    parts: Mapping[str, str] = field(default_factory=dict)
    joiners: str = ""
    non_answers: str = ""
    particles: str = ""


@dataclass(frozen=True)
class PhoneWords:
    """A phone number said digit by digit (``interpret.phone_number``).

    digits: {heard word: the digit it says} ("oh" -> "0", "cero" -> "0"); repeats: {heard
    word: how many times the next digit is said} ("double five" -> "55"); no_number: phrases
    that say there is no number to give ("I don't have one", "no tengo celular").
    """

    digits: Mapping[str, str]
    repeats: Mapping[str, int] = field(default_factory=dict)
    no_number: str = ""


@dataclass(frozen=True)
class Vocabulary:
    """Everything one language contributes besides its wording (``engine.texts.PHRASES``).

    confirm_words: phrases that confirm the details in a confirmation text, besides the
    yes phrases ("looks good"); deny_words: phrases that say they are wrong, besides the no
    phrases ("that's wrong", "está mal");
    menu: {menu option key: labels a caller may say, the first one shown};
    language_names: {language code: what a speaker of this language calls it, heard forms};
    yes_no_hints / date_hints: speech-recognition hints (Twilio ``<Gather hints>``);
    status_words: {conversation status value: how the caller hears it};
    stopwords: heard words that say nothing about a question's topic (FAQ matching);
    corrections: phrases with which a caller takes back what they just said ("no wait",
    "I mean", "perdón", "digo"): the answer is what follows the last one; hesitations: words
    that may open a lone "no" that takes back the answer before it ("sí, bueno no, no tengo");
    repeat_requests / hold_requests: asking to hear the question again, or for a moment.
    """

    yes_no: YesNoWords
    numbers: NumberWords
    dates: DateWords
    choices: ChoiceWords
    email: EmailWords
    names: NameWords
    confirm_words: str
    menu: Mapping[str, tuple[str, ...]]
    language_names: Mapping[str, tuple[str, ...]]
    yes_no_hints: tuple[str, ...]
    date_hints: tuple[str, ...]
    status_words: Mapping[str, str]
    stopwords: frozenset[str]
    corrections: str = ""
    hesitations: str = ""
    deny_words: str = ""
    # What a caller says instead of an answer (``engine.flow``: the question is asked again,
    # no failure counted): asking to hear it again ("can you repeat that", "what was the
    # question"), or for a moment ("hold on", "un momento").
    repeat_requests: str = ""
    # Words that ask to hear it again only when they are all the reply ("¿cómo?", "what?"):
    # inside an answer they are something else ("como 3 años": about three years).
    repeat_alone: str = ""
    hold_requests: str = ""
    # Needing nothing more, at the menu ("no, that's all", "eso es todo"): the call ends.
    closings: str = ""
    # Asking for a person ("representative", "una persona"): told what the line can do instead.
    human_requests: str = ""
    # Asking whether this is a person or a machine ("are you a robot?", "¿es una persona?"):
    # answered truthfully (an automated AI assistant) before a request for a person is read.
    identity_questions: str = ""
    # A number to text, said digit by digit (the voice flow's ``text_number`` phase).
    phone: PhoneWords = PhoneWords(digits={})
