"""English: the words callers use and the words they hear (see ``vocabulary`` for the format)."""
from .vocabulary import (ChoiceWords, DateWords, EmailWords, NameWords, NumberWords, Vocabulary,
                         YesNoWords)

_UNITS = r"(?:years?|months?|weeks?|days?|hours?|decades?)"

WORDS = Vocabulary(
    yes_no=YesNoWords(
        yes="yes|yeah|yep|yup|yea|sure|correct|absolutely|affirmative|definitely"
        "|certainly|indeed|exactly|of course|for sure|thats right|that is right"
        "|thats correct|that is correct|uh huh|mhm|mm hmm|no problem|no doubt|why not",
        yes_loose="y|i am|i do|i can|i have|i will|i did|i would|i could|i think so"
        "|i guess so|i believe so|right|ok|okay|alright|all right|fine",
        no="no|nope|nah|negative|not really|not at all|no way|never|im not"
        "|i am not|i cant|i cannot|i can not|i dont|i do not|i havent|i have not|i wont"
        "|i will not|i didnt|i did not|i wouldnt|i would not|i dont think so|i do not think so"
        "|absolutely not|definitely not|of course not|certainly not",
        no_loose="n|not|afraid not|i guess not|i think not",  # "probably not"; y/n typed in texts
        unsure="not sure|im not sure|i am not sure|not really sure|maybe|perhaps"
        "|i dont know|i do not know|dont know|dunno|it depends|depends|kind of|sort of|i guess",
        negators=frozenset("not dont cant cannot never wont didnt isnt arent wasnt".split()),
        unsure_when_negated=frozenset({"sure"}),  # "I'm not really sure"
    ),
    numbers=NumberWords(
        zero=r"\b(?:none|nothing|no experience|not any|never)\b",
        phrases=(
            (r"\ba couple(?: of)?\b|\bcouple of\b", "2"),
            (r"\ba dozen\b", "12"),
            (r"\bhalf an?\b", "0.5"),
            (rf"\ban?\s+(?={_UNITS}\b)", "1 "),  # "a year and a half"
        ),
        half=r"and a half",
        range_joiner=r"or|to|through|-|–",
        between=("between", "and"),
        decimal_comma=False,
    ),
    dates=DateWords(
        months=("January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December"),
        weekdays=("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        month_aliases={"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8,
                       "sept": 9, "sep": 9, "oct": 10, "nov": 11, "dec": 12},
        spoken_format="{month} {day}",
        now=r"right away|immediately|right now|now|today|asap|a s a p|as soon as possible"
        r"|any ?time",
        tomorrow=r"tomorrow",
        day_after_tomorrow=r"(?:the )?day after tomorrow",
        this_weekday=r"this(?: coming)?|coming",
        next_week=r"next week|the following week",
        next_month=r"next month|the following month",
        offset=r"\b(?:(?:in|within|after)\s+)?(?P<n>\d+|an?|a couple of|a couple)\s+"
        r"(?P<unit>days?|weeks?|months?)\b",
        offset_two=r"a couple(?: of)?",
        units={"day": "day", "week": "week", "month": "month"},
        the=r"the",
        of=r"of",
        ordinal=r"st|nd|rd|th",
        day_prefix=r"on the|the",
        month_prefix=r"in|early|beginning of|the beginning of|start of|the start of|around",
        date_order="MDY",
        filler=r"um+|uh+|er|well|i think|i guess|i can start|i could start|i can begin"
        r"|ill be able to start|i will be able to start|i would be able to start"
        r"|im available|i am available|available|starting|start|on|by|maybe|probably",
    ),
    choices=ChoiceWords(
        ordinals=("first|1st", "second|2nd", "third|3rd", "fourth|4th", "fifth|5th", "sixth|6th",
                  "seventh|7th", "eighth|8th", "ninth|9th", "tenth|10th"),
        last="last|the last one",
        cardinals=("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"),
        number_cues=frozenset("number option choice press the".split()),
        fillers=frozenset("um umm uh uhh er erm hmm mm ah oh well please".split()),
        function_words=frozenset("the and for with one".split()),
    ),
    email=EmailWords(
        symbols={"_": r"under ?score", "@": r"at sign|at", ".": r"dot", "-": r"dash|hyphen",
                 "+": r"plus"},
        preamble=frozenset("my email is its it address e mail the yes sure ok okay".split()),
    ),
    names=NameWords(
        cues="my name is|my names|my name|name is|name",
        intros="i am|im|its|this is",
        greetings="hi|hello|yes|yeah|okay|ok|sure",
    ),
    confirm_words="confirm|confirmed|all good|looks good",
    menu={"apply": ("apply", "job", "jobs", "apply for a job", "work"),
          "status": ("status", "check", "application", "check on my application"),
          "question": ("question", "ask a question", "information", "questions")},
    language_names={"en": ("english",), "es": ("spanish",)},
    yes_no_hints=("yes", "no"),
    date_hints=("right away", "tomorrow", "next Monday", "in two weeks"),
    status_words={"in_progress": "not finished yet", "completed": "received and under review",
                  "knocked_out": "closed", "abandoned": "not finished yet"},
    stopwords=frozenset("""
a an the and or of to in on at for with is are was be do does did can could would will i im
you your we our it its me my this that there what which who please um uh like just so about
any have has
""".split()),
)
