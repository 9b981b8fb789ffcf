"""English: the words callers use and the words they hear (see ``vocabulary`` for the format)."""
from .vocabulary import (ChoiceWords, DateWords, EmailWords, NameWords, NumberWords, PhoneWords, Vocabulary,
                         YesNoWords)

_UNITS = r"(?:years?|months?|weeks?|days?|hours?|decades?|dozen)"

WORDS = Vocabulary(
    yes_no=YesNoWords(
        yes="yes|yeah|yep|yup|yea|yah|yeh|yesh|yeppers|ya|sure|correct|absolutely|affirmative|definitely"
        "|certainly|indeed|exactly|of course|for sure|thats right|that is right"
        "|thats correct|that is correct|uh huh|mhm|mm hmm|no problem|no doubt|why not|you bet"
        "|no worries|not a problem|no problemo|not an issue|no issue|totally|sure thing|you got it|by all means"
        "|yessir|yes sir|ofc|defo|deffo|yuh|no question|no question about it|without a doubt|without question"
        "|no doubt about it",
        # Agreement that answers a yes/no question ("Can you work weekends?" "That's fine."); not
        # "that's okay", which often declines.
        yes_loose="pretty much|easily|i think so|i believe so|i guess so|i sure am|i sure do|i sure can"
        "|thats fine|that is fine|that would be fine|thats fine with me|fine with me|fine by me"
        "|sounds good|that sounds good|that works|that works for me|works for me"
        "|i suppose so|id say so|i would say so|i would think so|i should think so|id think so|piece of cake"
        "|no reason i cant|no reason why i cant|no reason i couldnt|its not like i cant|not like i cant"
        "|i dont not|dont not|i do not not"  # "I don't not have one"
        # Questions whose answer is obviously yes, said back: "Is the Pope Catholic?"
        "|is the pope catholic|does a bear|is water wet|do fish swim",
        no="no|nope|nah|negative|not really|not at all|no way|not yet|not right now"
        "|not at the moment|not currently|not anymore|no longer|not quite|never have|never did"
        "|i dont think so|i do not think so|absolutely not|definitely not|of course not"
        "|certainly not|i dont think i can|i dont think i am|i dont think i do|i dont think i have"
        "|i dont think i will|totally not|not a chance|no chance",
        no_loose="afraid not|im afraid not|i guess not|i think not|probably not|not that i know of"
        "|not since|in my dreams|only in my dreams|dream on|pigs fly|when pigs fly",  # "not since my accident"
        yes_alone="y|ye|si",  # typed in a text; "sí" from a Spanish speaker
        no_alone="n|never|never ever|not|uh uh|nuh uh|mm mm|cant|cannot"  # "uh-uh", "can't.": a no, said alone
        # A wish is counterfactual: what is wished for is not so.
        "|i wish|i wish i could|i wish i was|i wish i were|i wish i did|i wish i had|i wish i had one|i wish i do"
        "|i wish i am|i wish i can",
        acknowledgements="ok|okay|okey|alright|all right|fine|right|got it",
        # The question's auxiliary or verb -> how a caller echoes it. "Do you have ...?" is
        # answered "I do" or "I have"; "I'm not" answers "Are you ...?".
        echoes={
            "are": ("i am|im|i sure am", "i am not|im not|i aint"),
            "is": ("it is|its|he is|she is|that is", "it is not|its not|it isnt|he isnt|she isnt"),
            "can": ("i can|i sure can|i can do that", "i cant|i cannot|i can not"),
            "could": ("i could|i can", "i couldnt|i could not|i cant|i cannot"),
            "do": ("i do|i sure do", "i dont|i do not"),
            "does": ("it does|he does|she does", "it doesnt|it does not"),
            "did": ("i did", "i didnt|i did not"),
            "have": ("i have|ive|i do|i got|ive got", "i havent|i have not|i dont|i do not|i never have"),
            "has": ("it has|he has|she has", "it hasnt|it has not"),
            "will": ("i will|ill|i can", "i wont|i will not|i cant"),
            "would": ("i would|id", "i wouldnt|i would not"),
            "were": ("i was|i were", "i wasnt|i was not|i werent"),
            "was": ("i was|it was", "i wasnt|it wasnt|i was not"),
            "own": ("i own|i do", "i dont|i do not|i dont own"),
        },
        unsure="not sure|im not sure|i am not sure|not really sure|maybe|perhaps"
        "|i dont know|i do not know|dont know|dunno|it depends|depends|kind of|sort of"
        "|i guess|more or less|not exactly|not totally|not completely"
        "|yeah right|yea right|ya right|yah right",  # sarcasm as often as not
        hedges="if|unless|as long as|depending|with help|with some help|with assistance"
        "|hopefully|rather|id rather|i would rather|might|should be|almost|nearly|sometimes"
        "|soon|usually|mostly|with a|with an|using a|used to|i used to",
        weakeners="but|though|although|probably|except|only",
        echo_tail=frozenset("one ones them it that too also both already yes yeah sure definitely really easy easily"
                            .split()),
        number_hedges="turn|turning|will be|ill be|next|soon|in|until|was|almost|nearly|wish",
        negators=frozenset("not dont cant cannot never wont didnt isnt arent wasnt".split()),
        unsure_when_negated=frozenset({"sure"}),  # "I'm not really sure"
        clipped=frozenset("im ive ill id its".split()),
        lapsed="expired|expire|expires|expiring|ran out|runs out|pending|in process|in progress"
        "|being processed|renewing|revoked|waiting on|waiting for|still waiting|applied for|applying for"
        "|getting my|about to get|in the works|on the way",
        # A bare "no, yes" stays unclear; restated with a verb it is a yes.
        turnarounds="no yeah|nah yeah|no yea|no yes i am|no yes i can|no yes i do|no yes i have",
        markers="yeah no|yea no|ya no|yeah nah",
        laughter=frozenset("lol lmao lmfao rofl haha hahaha hehe".split()),
    ),
    numbers=NumberWords(
        # Matched on words without apostrophes: "I don't have any" is "i dont have any".
        zero=r"\b(?:none|nothing|no experience|not any|never|(?:dont|do not|havent) (?:have |got )?any"
        r"|(?:i dont|i do not) have(?: experience)?$)\b",
        phrases=(
            # A rate's "a week" is no second quantity: "35 hours a week" is 35.
            (r"\b(hours?|hrs?|days?|shifts?|weeks?|months?)\s+(?:a|an|per|each|every)\s+(?:day|week|month|year)\b",
             r"\1"),
            (r"\ba couple(?: of)?\b|\bcouple of\b", "2"),
            (r"\ba dozen\b", "12"),
            (r"\bhalf an?\b", "0.5"),
            (rf"\ban?\s+(?={_UNITS}\b)", "1 "),  # "a year and a half"
            (r"(?<!\d )(?<!\ba )(?<!\ban )(?<!\bone )\b(?=(?:year|month) and a half\b)", "1 "),  # "year and a half"
            (r"\b(\d+) 1/2\b", r"\1 and a half"),  # "2 1/2 years", as a recogniser writes it
            (r"(?<=\d)-?ish\b|(?<=\w)(?:-|\s+)ish\b", ""),  # "8ish years" texted, "five-ish years"
        ),
        half=r"and a half",
        range_joiner=r"(?:or )?maybe|or possibly|possibly|or|to|through|-|–",  # "a year and a half maybe two"
        between=("between", "and"),
        decimal_comma=False,
        point=r"point",
        multipliers={r"dozens?": 12, r"hundred": 100},
        units={r"decades?": 120, r"years?|yrs?": 12, r"months?|mos?|mths?": 1, r"weeks?": 12 / 52, r"days?": 12 / 365},
        since=r"since|ever since|starting in|started in|beginning in|from",
        since_age=r"since i was|from when i was|since age|since the age of|when i was",
        until_now=r"(?:until|till|to|through) (?:now|today|the present|present|this year)",
        above=r"over|more than|above|older than|greater than|longer than|past",
        at_least=r"at least|or more|or older|or over|or above|plus|and up|and older|and over",
        below=r"under|less than|below|younger than|fewer than|not even|shy of",
        starting=r"\b(?:(?:just|only just|recently) (?:started|starting|began|begun|beginning|got started)"
        r"|just getting started|brand new|im new|i am new|new (?:to|at) (?:this|it))\b",
        adult=r"\b(?:an adult|of (?:legal )?age|legal age|old enough)\b",
        minor=r"\b(?:a minor|underage|under age|not of (?:legal )?age|not old enough)\b",
    ),
    dates=DateWords(
        months=("January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December"),
        weekdays=("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        month_aliases={"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "febuary": 2,
                       "sept": 9, "sep": 9, "oct": 10, "nov": 11, "dec": 12},
        spoken_format="{month} {day}",
        spoken_weekday_format="{weekday}, {month} {day}",
        now=r"right away|immediately|right now|now|today|asap|a s a p|as soon as possible"
        r"|any ?time",
        tomorrow=r"tomorrow|tomorow|tmrw|tmrow|tmr|tmw|2morrow|2moro|2mrw",  # as texted
        day_after_tomorrow=r"(?:the )?day after tomorrow",
        this_weekday=r"this(?: coming)?|coming",
        next_week=r"next week|the following week|(?:next|nxt) wk|nxt week",
        next_month=r"next month|the following month",
        # "in to weeks": a recognizer's "to" for "two", after "in"/"within" only.
        offset=r"\b(?:(?:in|within|after)\s+)?(?P<n>\d+|an?|a couple of|a couple|(?<=in )too?)\s+"
        r"(?P<unit>days?|weeks?|wks?|months?)\b",
        offset_two=r"a couple(?: of)?|too?",
        units={"day": "day", "week": "week", "wk": "week", "month": "month"},
        the=r"the",
        of=r"of",
        ordinal=r"st|nd|rd|th",
        day_prefix=r"on the|the",
        month_prefix=r"in|early|beginning of|the beginning of|start of|the start of|around",
        date_order="MDY",
        past=r"\b(?:last (?:week(?! of)|month|year|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
        r"|weekend)|(?:\d+|an?|a couple of|a few|few) (?:days?|weeks?|months?|years?) ago|yesterday"
        r"|the day before yesterday|earlier this (?:week|month|year)|already started)\b",
        from_now=r"from now|from today",
        this_month=r"this month|the current month",
        month_parts={r"(?:the )?(?:beginning|start) of|early": "start",
                     r"mid|(?:the )?middle of|halfway through": "middle",
                     r"(?:the )?end of|late|(?:the )?last days of": "end"},
        week_of=r"(?:the )?(?:(?P<n>[1-5])(?:st|nd|rd|th)|(?P<last>last|final)) week (?:of|in)",
        end_of_week=r"(?:the )?end of (?:the|this) week|(?:the )?end of the work ?week|later this week",
        weekend=r"(?:(?:this|the|this coming|(?P<next>next|the next|the following|the coming)) )?weekend",
        week_after_next=r"(?:the )?week after next",
        weekday_aliases={"mon": 0, "tue": 1, "tues": 1, "wed": 2, "weds": 2, "thu": 3, "thur": 3, "thurs": 3,
                         "fri": 4, "sat": 5, "sun": 6},
        after=r"after",
        after_lead=r"sometime|some time|anytime|any time|right|just|only|probably|maybe|not until|not till",
        next_one=r"next",
        whenever=r"whenever|whenever (?:you|yall) (?:want|need|like)(?: me)?(?: to)?|whenever works(?: for you)?"
        r"|whenever is (?:good|fine|best)(?: for you)?|any day|any day you (?:want|need|like)",
        the_month=r"the month|month",
        bound=r"(?<!day )(?<!week )after(?!(?: \w+){0,3} (?:\d+|an?|a couple(?: of)?) (?:days?|weeks?|wks?|months?)\b)|before|until|till|no later than|sometime|somewhere around",
        asks=r"what|when|which|how|why|who|is it|do you|does it|can i|could you",
        from_day=r"from|after",
        year_only=r"next year|this year|the following year|in a year|a year from now",
        holidays={
            r"(?:the )?day after thanksgiving": "11:3:4+1", r"new years eve": "12-31", r"new years(?: day)?": "01-01", r"christmas eve": "12-24",
            r"christmas(?: day)?|xmas": "12-25", r"(?:the )?(?:4|fourth) of july|independence day": "07-04",
            r"thanksgiving(?: day)?": "11:3:4", r"black friday": "11:3:4+1", r"cyber monday": "11:3:4+4",
            r"labor day": "09:0:1", r"memorial day": "05:0:-1", r"valentines(?: day)?": "02-14",
            r"halloween": "10-31", r"veterans day": "11-11", r"martin luther king(?: jr)? day|mlk day": "01:0:3",
            r"presidents day": "02:0:3", r"columbus day": "10:0:2", r"juneteenth": "06-19",
            r"(?:the )?end of (?:the|this) year": "12-31",
            r"(?:the )?(?:beginning|start) of (?:the|next) year": "01-01",
            r"(?:the )?(?:1st|1|first) of (?:the|next) year": "01-01",
        },
        filler=r"um+|uh+|er|well|i think|i guess|i can start|i could start|i can begin"
        r"|ill be able to start|i will be able to start|i would be able to start"
        r"|im available|i am available|available|starting|start|on|by|maybe|probably|really|honestly",
    ),
    choices=ChoiceWords(
        ordinals=("first|1st", "second|2nd", "third|3rd", "fourth|4th", "fifth|5th", "sixth|6th",
                  "seventh|7th", "eighth|8th", "ninth|9th", "tenth|10th"),
        last="last|the last one",
        cardinals=("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"),
        number_cues=frozenset("number option choice press the".split()),
        fillers=frozenset("um umm uh uhh er erm hmm mm ah oh well please".split()),
        function_words=frozenset("the and for with one".split()),
        any_words="any|any one|anything|any of them|any shift|whatever|whatever works|whichever"
        "|either|either one|either is fine|both|all|all of them|doesnt matter|does not matter"
        "|it doesnt matter|i dont mind|dont mind|no preference|i have no preference|flexible"
        "|im flexible|open|im open|anytime|any time|up to you|whatever you need|i dont care|dont care"
        "|idc|whenever|whenever you need|whatever you have|whatever is open|anything works|any is fine|any of those"
        "|i can do any|i can work any|doesnt matter to me|it doesnt matter to me",
        both_words=frozenset("and both plus".split()),
        except_words="but|except|other than|besides|anything but",
        meanings=(
            "day|days|day shift|days only|daytime|day time|daytimes|morning|mornings|morning shift"
            "|first shift|1st shift",
            "night|nights|nite|nites|night shift|nite shift|nighttime|night time|overnight|overnights"
            "|overnight shift|graveyard|graveyard shift|third shift|3rd shift|late nights",
            "evening|evenings|evening shift|swing|swing shift|second shift|2nd shift",
            "weekend|weekends|weekend shift|wknd|wknds|wkend|wkends|saturday and sunday"
            "|saturdays and sundays|sat and sun|sat sun|saturday sunday|saturdays sundays",
            "full time|fulltime|ft",
            "part time|parttime|pt",
            # Hourly job families (names, activities), for postings in other words: a family picks
            # the one option whose title holds one of its phrases, never one of two.
            ("driver|delivery driver|truck driver|box truck|box truck driver|box truck delivery|cdl|cdl driver"
             "|class a|class b|class a cdl|class b cdl|trucker|truck|semi|semi truck|tractor trailer|18 wheeler"
             "|delivery|deliveries|delivery job|route driver|van driver|courier|driving job|drivers license",
             "drive|driving|drove|deliver|delivering|drive a truck|drive trucks|make deliveries"),
            ("forklift|forklift operator|forklift driver|fork lift|fork lift operator|forklift truck|lift truck"
             "|hi lo|hilo|hi low|tow motor|towmotor|reach truck|reach truck driver|sit down forklift"
             "|stand up forklift|forklift certified|forklift certification|forklift license",
             # A forklift is driven too: "driving" alone is either job when both are offered.
             "drive|driving|drove|operate|operating|operate a forklift|drive a forklift|drive forklift"),
            ("warehouse|warehouse worker|warehouse associate|warehouse job|warehouse work|picker|packer"
             "|picker packer|pick and pack|pick pack|order picking|order filler|material handler|package handler"
             "|loader|unloader|loading trucks|unloading trucks|load trucks|unload trucks|stocker"
             "|shipping and receiving|distribution center|fulfillment center|general labor|general laborer"
             "|laborer|dock worker",
             "pick|picking|pack|packing|packaging|stocking|sorting|loading|unloading|lifting boxes"),
            ("cook|cooks|line cook|prep cook|kitchen|kitchen staff|short order cook|cocinero",
             "cooking|cook food|prep food|food prep"),
            ("cashier|cashiers|front register|register|checkout|cajero|cajera", "ring up|ringing up"),
            ("cleaner|cleaners|janitor|janitorial|custodian|housekeeper|housekeeping|cleaning crew|porter",
             "cleaning|clean|mopping"),
            ("security|security guard|guard|security officer|guard card|unarmed security|armed security",
             "patrol|patrolling|keep watch"),
            ("caregiver|caregivers|caretaker|home health aide|home health|hha|cna|personal care aide|pca"
             "|home care|elderly care",
             "caring for|take care of|taking care of|care for"),
        ),
        homophones={"4": "for", "2": "to"},
    ),
    email=EmailWords(
        symbols={"_": r"under ?score", "@": r"at sign|at", ".": r"dot", "-": r"dash|hyphen",
                 "+": r"plus"},
        preamble=frozenset("my email is its it address email the yes yeah sure ok okay um uh so well thats"
                            " send to me reach write and".split()),
    ),
    names=NameWords(
        cues="my name is|my names|my name|name is|name|the name is|the names"
        "|my full name is|my full names|my full name|full name is|full name",
        intros="i am|im|its|it is|this is|call me|you can call me|just call me|they call me"
        "|people call me|everyone calls me|everybody calls me|i go by|i go by the name|i usually go by",
        # Also what opens an answer before the name: "okay so", "well", "yeah".
        greetings="hi|hello|yes|yeah|okay|ok|sure|hey|hi there|hello there|good morning"
        "|good afternoon|good evening|yep|yup|alright|all right|oh|well|so|okay so|yeah so"
        "|right|of course|absolutely|sure thing|yes maam|yes sir",
        fillers="uh|um|umm|uhm|uhh|er|erm|ah|ahh|eh|hmm|hm|mm|mmm|spelled|spelt|its spelled|spelled like",
        courtesies="thank you|thanks|thank|thank you very much|thank you so much|thanks a lot"
        "|please|bye|goodbye|thats it|thats all|thats my name|and thats it"
        "|nice to meet you|pleased to meet you|nice meeting you|here|speaking"  # "Tom Hanks here"
        "|thx|tysm|pls|plz|lol|haha",  # as texted: "mike jones lol" (not "ty": Ty Jones)
        titles="mr|mister|mrs|missus|ms|miss|mz|dr|doctor",
        given_names="don",
        parts={"first": "first name|given name|first names",
               "middle": "middle name|middle names|second name",
               "last": "last name|last names|surname|family name"},
        joiners="and|is|my|its|it is|and my|then|and then|the|and the",
        non_answers="i dont know|i do not know|dont know|idk|no idea|not sure|im not sure|no|nope"
        "|nah|why|what|who|how|where|when|huh|sorry|excuse me|pardon|pardon me|come again"
        "|can you repeat|could you repeat|repeat|say that again|what was that|do i have to"
        "|do you need|is this|are you|i dont want|i do not want|i would rather not|id rather not"
        "|rather not|i prefer not|prefer not|i dont have|none|nothing|nobody|no one|not telling"
        "|its a secret|a secret|none of your business|skip|next question",
        particles="van|von|der|den|da|di|du|de|la|le|bin|ibn",  # "Ludwig van Beethoven"
    ),
    confirm_words="confirm|confirmed|all good|looks good",
    deny_words="wrong|its wrong|thats wrong|thats not right|its not right|not right|incorrect|not correct"
    "|thats incorrect|its incorrect|misspelled|mispelled|spelled wrong|typo|mistake|theres a mistake"
    "|the name is wrong|name is wrong|wrong name|thats not me|not me|not my name",
    corrections="no wait|wait|no sorry|sorry|i mean|i meant|actually|no actually|scratch that|make that|or rather"
    "|let me correct that|correction",
    repeat_requests="repeat|repeat that|repeat the question|say that again|say it again|come again|once more"
    "|one more time|what was the question|whats the question|what was that|what did you say|what was it"
    "|i didnt hear|i didnt catch that|i didnt get that|didnt hear you|didnt catch that|i cant hear you"
    "|what do you mean|i dont understand|i dont understand the question",
    repeat_alone="what|huh|pardon|sorry|excuse me",  # "sorry I drive trucks" is an answer
    closings="no|nope|nah|no thanks|no thank you|thats all|thats it|thats everything|nothing|nothing else"
    "|im good|im all set|all set|im done|bye|goodbye|bye bye|have a good day|have a nice day|thank you|thanks",
    human_requests="real person|a person|live person|actual person|human|a human|human being|representative"
    "|operator|live agent|an agent|customer service|someone real|talk to someone|speak to someone|talk to somebody"
    "|speak to somebody|talk to a recruiter|speak to a recruiter|speak with a recruiter|talk with a recruiter",
    identity_questions="are you a robot|are you a bot|is this a robot|is this a bot|are you real|are you a real person"
    "|are you a person|are you human|are you a human|is this a real person|is this a person|is this a human"
    "|is this a machine|are you a machine|are you a computer|is this a computer|is this automated"
    "|is this a recording|is this a recorded message|are you ai|are you an ai|is this ai|is this an ai"
    "|am i talking to a real person|am i talking to a person|am i talking to a human|am i talking to a robot"
    "|am i talking to a machine|am i speaking to a real person|am i speaking to a person|am i speaking with a person"
    "|am i speaking to a robot|who am i talking to|who am i speaking to|who am i speaking with|who is this",
    hold_requests="hold on|hold on a second|hold on a sec|one moment|one sec|one second|just a moment"
    "|just a second|just a sec|give me a second|give me a sec|give me a minute|hang on|wait a second"
    "|wait a minute|let me think|let me see|let me check",
    hesitations="well|oh|uh|um|ok|okay",
    phone=PhoneWords(
        digits={"zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3",
                "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9"},
        repeats={"double": 2, "triple": 3},
        no_number="i dont have one|i dont have a cell|i dont have a cell phone|i dont have a mobile"
        "|i dont have a phone|i do not have one|dont have one|no cell|no cell phone|i dont|none|no"
        "|i dont have any|i dont have a number|i dont have another number|not really|nope|no i dont"
        "|this is the only one|this is my only number|thats my only number",
    ),
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
