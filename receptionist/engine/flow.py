"""The conversation flow: a pure state machine driven by events.

    start(script, ctx)                  -> (state, turn)   the call (or thread) begins
    advance(script, state, event, ctx)  -> (state, turn)   the caller said/pressed/did nothing

Phases (:class:`~.vocabulary.Phase`) and what leads where are declared in :data:`PHASES`:
language -> menu -> (faq | status | [on_file ->] role -> (question -> readback?)* -> name
-> [text_number -> text_number_readback]) -> ended.
A knockout answer, or a low-confidence answer to a scored question, is read back and
confirmed (``readback``) before it counts: a knockout never ends a screening unconfirmed.
A :class:`Turn` says what the agent says next (:class:`~.texts.Line` values), what it waits
for (:class:`Gather`, or None when the conversation is over) and the facts to store
(effects: answers, the chosen language, the name, an e-mail texted, the end). The state is a small frozen
value, serialised with :meth:`CallState.to_dict` between webhooks.

Why no state-machine library: the flow's state is extended state (question index, retry
count, chosen language) persisted as JSON between HTTP requests, and each transition is a
pure function of (script, state, event). A reducer over a frozen dataclass says that
directly; a library's stateful machine object would be rebuilt from JSON on every webhook.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable, Union

from . import interpret, readback
from .faq import match_policy
from .interpret.common import INFERRED, PLAIN, every_language, find_phrases, words
from .interpret.names import clean_name
from .matching import match_role
from .languages import LANGUAGES, in_language, language as find_language
from .screening import is_knockout
from .script import AgentScript, OptionSpec, QuestionSpec
from ..phones import digit_groups, region_of
from .texts import Line, spoken_date, status_words
from .vocabulary import AnswerSource, Channel, ConversationStatus, FollowUpReason, Phase, QuestionKind

# ---------------------------------------------------------------- events


@dataclass(frozen=True)
class Speech:
    """The caller spoke (voice: Twilio ``SpeechResult``/``Confidence``, None when Twilio sent
    none) or texted (SMS body)."""

    text: str
    confidence: float | None = 1.0
    source: AnswerSource = AnswerSource.speech  # sms for a text


@dataclass(frozen=True)
class Digits:
    """The caller pressed keys (Twilio ``Digits``), e.g. "1" or "0315", or texted only digits."""

    digits: str
    source: AnswerSource = AnswerSource.dtmf  # sms for a text


@dataclass(frozen=True)
class Silence:
    """The caller gave no input before the timeout (or an empty text)."""


@dataclass(frozen=True)
class Repeat(Silence):
    """No input because our side lost it: the call's webhook failed (the database down) and
    Twilio came back through our ``<Redirect>``. What is awaited is asked again, with no
    failure counted; otherwise a :class:`Silence` (no activity, no late answer)."""


Event = Union[Speech, Digits, Silence]

# ---------------------------------------------------------------- effects


@dataclass(frozen=True)
class LanguageChosen:
    language: str


@dataclass(frozen=True)
class PostingChosen:
    posting_key: str


@dataclass(frozen=True)
class AnswerGiven:
    """A screening question answered: ``value`` is typed (bool, int, float, date, option key, str)."""

    question_key: str
    raw_text: str
    source: AnswerSource
    value: Any
    confidence: float
    knocked_out: bool
    speech_confidence: float | None = None       # Twilio's ``Confidence`` (voice speech only)
    interpreter_confidence: float | None = None  # the interpreter's own
    confirmed: bool | None = None  # True: confirmed at a read-back; False: the caller's correction
                                   # after a read-back was denied; None: not read back


@dataclass(frozen=True)
class NameGiven:
    name: str


@dataclass(frozen=True)
class EmailGiven:
    """An e-mail address texted while another answer was awaited (SMS): stored on the
    candidate; ``email`` is normalised (``interpret.email``)."""

    email: str


@dataclass(frozen=True)
class Ended:
    """The conversation is over with ``status``; ``follow_up`` (typed reason) and ``note``
    (what happened, in words) when a recruiter should look at it."""

    status: ConversationStatus
    follow_up: FollowUpReason | None = None
    note: str | None = None


@dataclass(frozen=True)
class TextNumberGiven:
    """A number to text the caller at, said or keyed on the call and confirmed at its
    read-back (the caller ID takes no texts): ``number`` in E.164. Unverified until a text
    from it confirms (``services.text_numbers``)."""

    number: str


@dataclass(frozen=True)
class FollowUp:
    """A recruiter should look at the conversation, which goes on (a texter who has not picked a
    job after the reprompts): ``reason`` (typed) and ``note`` (what happened, in words)."""

    reason: FollowUpReason
    note: str


Effect = Union[LanguageChosen, PostingChosen, AnswerGiven, NameGiven, EmailGiven, TextNumberGiven, Ended, FollowUp]

# ---------------------------------------------------------------- turn, state, context


@dataclass(frozen=True)
class Gather:
    """What the agent waits for: ``input`` "speech dtmf" | "dtmf" | "speech"; ``num_digits``
    when a fixed number of keys ends the input (else the caller ends with #)."""

    input: str
    hints: tuple[str, ...] = ()
    num_digits: int | None = None


@dataclass(frozen=True)
class Turn:
    """The agent's reply: lines to say in ``language``, then wait (``gather``) or hang up (None)."""

    lines: tuple[Line, ...]
    language: str
    gather: Gather | None
    effects: tuple[Effect, ...] = ()

    @property
    def ended(self) -> bool:
        return self.gather is None


@dataclass(frozen=True)
class CallState:
    """Where the conversation is. ``question``: index into ``script.questions``;
    ``failures``: inputs not understood at the current prompt; ``pending``: the answer being
    read back (``readback`` phase: the :class:`AnswerGiven` fields as JSON, and the question's
    ``failures`` to return to); ``readbacks``: read-backs of the current question so far."""

    phase: Phase = Phase.start
    language: str = "en"
    question: int = 0
    failures: int = 0
    posting: str | None = None
    name: str | None = None
    role_choices: tuple[str, ...] | None = None  # postings matching what the caller asked for
    pending: dict | None = None
    readbacks: int = 0
    on_file: tuple[str, ...] = ()  # postings the caller already applied to (not offered again)
    may_switch: bool = False  # greeted in the language on file: the first reply may name another
    asides: int = 0  # replies that asked to repeat, to hold on or a policy question (see _aside)
    text_number: str | None = None  # the number to text being read back (E.164)

    def to_dict(self) -> dict:
        # The fields as they are (JSON writes tuples as lists): dataclasses.asdict would
        # deep-copy them, a cost on every turn for values nobody changes.
        return {name: getattr(self, name) for name in _STATE_FIELDS}

    @classmethod
    def from_dict(cls, data: dict | None) -> "CallState":
        return cls(**{k: v for k, v in (data or {}).items() if k in _STATE_FIELDS})

    def __post_init__(self):
        object.__setattr__(self, "phase", Phase(self.phase))  # from JSON, or a test's plain string
        if self.role_choices is not None:
            object.__setattr__(self, "role_choices", tuple(self.role_choices))  # JSON gives a list
        object.__setattr__(self, "on_file", tuple(self.on_file))


# CallState's field names, in order: dataclasses.fields() builds its tuple on every call.
_STATE_FIELDS = tuple(f.name for f in dataclasses.fields(CallState))


@dataclass(frozen=True)
class ApplicationSummary:
    """The caller's latest earlier application, for "check on an application": ``status`` a
    ``ConversationStatus`` value, or once decided a ``RoutingState`` one ("approved",
    "invited", "dismissed")."""

    started: dt.date
    status: str
    role: str | None = None


@dataclass(frozen=True)
class OnFile:
    """An active application of the caller, found in the ATS (prefetched by a job when the call
    arrived) or in our own records: the posting, when it was made, when to expect a reply."""

    posting_key: str
    applied: dt.date
    reply_days: int = 5


@dataclass(frozen=True)
class CallContext:
    """Facts from outside the flow: the call's date in the agent's timezone, the channel,
    and the caller's previous application (prefetched by the service layer)."""

    today: dt.date
    channel: Channel = Channel.voice
    application: ApplicationSummary | None = None
    max_reprompts: int = 2      # reprompts before the keypad-only offer (voice)
    keypad_fallback: bool = True
    skip_menu: bool = False     # SMS screening: straight to the application after the language
    can_text: bool = True       # False when no confirmation text will follow (hidden ID, landline, opted out)
    # The caller ID takes no texts (hidden, a landline, the company's own switchboard) and the
    # caller has not opted out: a number to text is asked for after the name (voice).
    ask_text_number: bool = False
    region: str = "US"          # ISO 3166: a number said without its country code is read in it
    # A scored answer below either confidence (0.0-1.0) is read back once before it counts.
    min_speech_confidence: float = 0.5   # Twilio's ``Confidence`` for the SpeechResult
    min_answer_confidence: float = 0.7   # the interpreter's (interpret.common: GUESSED is 0.6)
    on_file: tuple[OnFile, ...] = ()  # the caller's active applications (read after the menu)
    # The texter's language on file (``candidates.language``, e.g. "es"), None when unknown:
    # a thread ``start``s in it, without the language question (SMS only).
    language: str | None = None
    # The texter's previous screening with this agent ended unfinished (not understood, or gone
    # silent): a new thread says it starts again rather than greeting them as new (SMS only).
    unfinished: bool = False


def sms_context(today: dt.date, application: ApplicationSummary | None = None,
                on_file: tuple[OnFile, ...] = (), language: str | None = None,
                unfinished: bool = False) -> CallContext:
    """The context for an SMS screening: two clarifying reprompts (a texter off topic for two
    texts, "ok" or "what?", is not turned away on the third), no keypad, no menu;
    ``language``: the texter's language on file, if any; ``unfinished``: their previous
    screening ended unfinished."""
    return CallContext(today=today, channel=Channel.sms, application=application, max_reprompts=2,
                       keypad_fallback=False, skip_menu=True, on_file=on_file, language=language,
                       unfinished=unfinished)


# The menu, in the order it is offered (press 1, 2, 3); labels from engine.languages.
MENU = tuple(OptionSpec(key, {code: lang.words.menu[key] for code, lang in LANGUAGES.items()})
             for key in ("apply", "status", "question"))
# Each language may be asked for by any language's name for it ("Spanish", "español").
_NAMES_FOR = {code: tuple(name for other in LANGUAGES.values()
                          for name in other.words.language_names.get(code, ())) for code in LANGUAGES}
LANGUAGE_OPTIONS = {code: OptionSpec(code, {said_in: _NAMES_FOR[code] for said_in in LANGUAGES})
                    for code in LANGUAGES}
# A message that only names a language ("ENGLISH", "Español", "en inglés por favor"): its
# folded name words -> code; the words around a name that do not change it.
_NAMED = {tuple(words(name)): code for code, names in _NAMES_FOR.items() for name in names}
_AROUND_NAME = frozenset({"in", "en", "please", "pls", "por", "favor"})


def named_language(text: str | None) -> str | None:
    """The language code a message asks for when it only names a language, in any
    registered language's words: "ENGLISH" / "inglés" -> "en", "Español, por favor" -> "es";
    None for anything else ("I speak English and Spanish", "1", "")."""
    said = tuple(w for w in words(text or "") if w not in _AROUND_NAME)
    return _NAMED.get(said)


def asks_to_switch(state: dict | None, text: str | None) -> bool:
    """Whether ``text`` switches the language of the thread in ``state`` (a
    :meth:`CallState.to_dict`): a first reply after a greeting in the language on file that
    names a language. Such a reply begins again, so its context needs ``CallContext.on_file``."""
    return bool(state and state.get("may_switch")) and named_language(text) is not None


# ---------------------------------------------------------------- entry points


def start(script: AgentScript, ctx: CallContext, said: str | None = None) -> tuple[CallState, Turn]:
    """Begin a conversation: greeting, AI and recording disclosure, then the first prompt.
    An SMS texter whose language is known (``ctx.language``, one of the script's) is greeted
    in it, offered the other languages in one line each, and goes straight on (see
    :func:`_switch_language` for a first reply that names another language); ``said``, the
    first text, is answered first when the company's policies answer it ("how much does it
    pay?"). A texter whose previous screening ended unfinished (``ctx.unfinished``) is told
    this one starts again."""
    known = ctx.skip_menu and ctx.language in script.languages
    language = ctx.language if known else script.languages[0]
    intro = _intro(script, language)
    if ctx.unfinished:
        intro.insert(min(1, len(intro)), Line("start_again"))
    if ctx.skip_menu and (known or len(script.languages) == 1):
        others = [code for code in script.languages if code != language]
        offer = [Line("switch_language", {"languages": others})] if others else []
        answer = policy_answer(script, said, language)
        state = CallState(phase=Phase.menu, language=language, may_switch=bool(others))
        return _begin_application(script, state, ctx, before=intro + ([answer] if answer else []) + offer)
    phase = Phase.language if len(script.languages) > 1 else Phase.menu
    state = CallState(phase=phase, language=language)
    return state, _prompt_turn(script, state, ctx, intro)


def _intro(script: AgentScript, language: str) -> list[Line]:
    """The greeting and the disclosure in ``language`` (the company's own texts)."""
    said = (in_language(script.greeting, language, script.default_language),
            in_language(script.disclosure, language, script.default_language))
    return [Line("text", {"text": t}) for t in said if t]


def current_prompt(script: AgentScript, state: CallState) -> Line | None:
    """The line that asks for what the conversation is waiting for (for a nudge), or None."""
    if state.phase not in PHASES:
        return None
    return _prompt(script, state)[0]


def advance(script: AgentScript, state: CallState, event: Event, ctx: CallContext) -> tuple[CallState, Turn]:
    """Apply one caller event to ``state``; never raises on caller input."""
    spec = PHASES.get(state.phase)
    if spec is None:  # already ended: nothing more to say
        return state, Turn((), state.language, None)
    if state.may_switch:  # the first reply after a greeting in the language on file
        code = named_language(event.text) if isinstance(event, Speech) else None
        if code in script.languages:
            return _switch_language(script, state, code, ctx)
        state = dataclasses.replace(state, may_switch=False)
    if isinstance(event, Repeat):
        keys_only = _keys_only(script, state, ctx)
        return state, _prompt_turn(script, state, ctx, [Line("asked_again")], keys_only=keys_only)
    if isinstance(event, Silence):
        return _failed(script, state, ctx, Line("not_heard"))
    return spec.handler(script, state, event, ctx)


def _switch_language(script: AgentScript, state: CallState, code: str, ctx: CallContext):
    """The texter asked for language ``code`` in reply to a greeting in the language on file:
    the thread begins again in ``code`` (greeting and disclosure when it differs, what is on
    file, the first prompt), keeping a job already chosen; the choice is stored."""
    before = _intro(script, code) if code != state.language else []
    state = CallState(phase=Phase.menu, language=code, posting=state.posting)
    return _begin_application(script, state, ctx, [LanguageChosen(code)], before)


# ---------------------------------------------------------------- prompts


def _question(script: AgentScript, state: CallState) -> QuestionSpec:
    return script.questions[state.question]


def _open_postings(script: AgentScript, state: CallState) -> tuple[OptionSpec, ...]:
    """The postings a caller may apply to: open, and not already on file for them."""
    return tuple(p.as_option() for p in script.postings if p.key not in state.on_file)


def _role_options(script: AgentScript, state: CallState) -> tuple[OptionSpec, ...]:
    """The postings to pick from: those matching what the caller asked for, else all open ones."""
    options = _open_postings(script, state)
    if state.role_choices:
        by_key = {o.key: o for o in options}
        return tuple(by_key[k] for k in state.role_choices if k in by_key)
    return options


def _keys_only(script: AgentScript, state: CallState, ctx: CallContext) -> bool:
    """Whether the prompt of ``state`` is asked for keys alone: the one attempt after the
    reprompts (``ctx.max_reprompts``), where a keypad can answer."""
    return (ctx.keypad_fallback and state.failures == ctx.max_reprompts + 1
            and _keypad_possible(script, state))


def _keypad_possible(script: AgentScript, state: CallState) -> bool:
    if state.phase in (Phase.language, Phase.menu, Phase.role, Phase.readback, Phase.on_file, *TEXT_NUMBER_PHASES):
        return True
    return state.phase is Phase.question and _question(script, state).kind is not QuestionKind.free_text


def _prompt(script: AgentScript, state: CallState, keys_only: bool = False, today: dt.date | None = None,
            how: bool = False) -> tuple[Line, Gather]:
    """The line that asks for the current phase's input, and how to gather it; a choice asked
    again (``state.failures``, or ``how``) says how to answer it (by text: the numbers)."""
    lang = state.language
    how = how or state.failures > 0
    inputs = "dtmf" if keys_only else "speech dtmf"
    if state.phase is Phase.language:
        hints = tuple(h for code in script.languages for h in LANGUAGE_OPTIONS[code].labels[lang])
        return Line("choose_language", {"languages": script.languages}), Gather(inputs, hints, 1)
    if state.phase is Phase.menu:
        hints = tuple(o.label(lang) for o in MENU)
        return Line("menu"), Gather(inputs, hints, 1)
    if state.phase is Phase.faq:
        hints = tuple(p.questions.get(lang, ("",))[0] for p in script.policies if p.questions.get(lang))
        return Line("ask_faq"), Gather("speech", hints[:20])
    if state.phase is Phase.on_file:
        roles = [o.label(lang) for o in _open_postings(script, state)]
        return (Line("other_roles_offer", {"roles": roles, "keys_only": keys_only}),
                Gather(inputs, find_language(lang).words.yes_no_hints, 1))
    if state.phase is Phase.role:
        options = _role_options(script, state)
        return (_ask_choice({"text_key": "choose_role"}, options, lang, keys_only, how),
                Gather(inputs, tuple(o.label(lang) for o in options), 1 if len(options) < 10 else None))
    if state.phase is Phase.name:
        return Line("ask_name"), Gather("speech")
    if state.phase is Phase.text_number:  # keys end with "#" (no fixed count: 10 or 11 digits)
        return Line("ask_text_number", {"keys_only": keys_only}), Gather(inputs)
    if state.phase is Phase.text_number_readback:
        return (Line("read_back_text_number", {"groups": digit_groups(state.text_number, region_of(state.text_number))}),
                Gather(inputs, find_language(lang).words.yes_no_hints, 1))
    q = _question(script, state)
    if state.phase is Phase.readback:
        line = Line("read_back", {**_read_back_words(script, q, state),
                                  "brief": state.failures == 0 and state.readbacks > 1, "today": today})
        return line, Gather(inputs, find_language(lang).words.yes_no_hints, 1)
    text = in_language(q.text, lang, script.default_language)
    if q.kind is QuestionKind.choice:
        return (_ask_choice({"text": text}, q.options, lang, keys_only, how),
                Gather(inputs, tuple(o.label(lang) for o in q.options), 1 if len(q.options) < 10 else None))
    # Callers learn "press 1 for yes" once; later yes/no questions skip it unless reprompted.
    brief = (q.kind is QuestionKind.yes_no and not keys_only and state.failures == 0 and state.question > 0
             and script.questions[state.question - 1].kind is QuestionKind.yes_no)
    line = Line("ask", {"kind": q.kind, "text": text, "keys_only": keys_only, "brief": brief})
    if q.kind is QuestionKind.yes_no:
        return line, Gather(inputs, find_language(lang).words.yes_no_hints, 1)
    if q.kind is QuestionKind.number:
        return line, Gather(inputs)
    if q.kind is QuestionKind.date:
        return line, Gather(inputs, find_language(lang).words.date_hints, 1 if keys_only else None)
    return line, Gather("speech")


def _ask_choice(text: dict, options, lang: str, keys_only: bool, how: bool = False) -> Line:
    """A numbered choice; ``text`` is {"text": company text} or {"text_key": phrase key};
    ``how``: with how to answer (texts.render: "Reply 1, 2 or 3.")."""
    return Line("ask", {"kind": "choice", "options": [o.label(lang) for o in options],
                        "keys_only": keys_only, **({"how": True} if how else {}), **text})


def _prompt_turn(script, state, ctx, before=(), effects=(), keys_only=False, how=False) -> Turn:
    line, gather = _prompt(script, state, keys_only, ctx.today, how)
    return Turn(tuple(before) + (line,), state.language, gather, tuple(effects))


# A read-back gets one reprompt; a knockout answer is read back at most twice per question
# (a caller who denies both read-backs is handed to a recruiter), any other answer once.
READBACK_REPROMPTS = 1
MAX_KNOCKOUT_READBACKS = 2


def _end(state: CallState, lines, effects, status: ConversationStatus, follow_up: FollowUpReason | None = None,
         note: str | None = None) -> tuple[CallState, Turn]:
    ended = dataclasses.replace(state, phase=Phase.ended, failures=0)
    return ended, Turn(tuple(lines), state.language, None, tuple(effects) + (Ended(status, follow_up, note),))


# ---------------------------------------------------------------- failures


def _failed(script, state, ctx, why: Line) -> tuple[CallState, Turn]:
    """Input not heard or not understood: reprompt, then keypad only, then end politely."""
    failures = state.failures + 1
    state = dataclasses.replace(state, failures=failures)
    if state.phase is Phase.readback and failures > READBACK_REPROMPTS:
        # A read-back not understood after its reprompt: the answer was not understood.
        asked = dataclasses.replace(state, phase=Phase.question, pending=None, failures=state.pending["failures"])
        return _failed(script, asked, ctx, why)
    if state.phase is Phase.readback:
        return state, _prompt_turn(script, state, ctx, [why])
    if state.phase in TEXT_NUMBER_PHASES and failures > ctx.max_reprompts:
        return _close(state, ctx, [why])  # the screening is done: it ends without a text, not abandoned
    if failures <= ctx.max_reprompts:
        return state, _prompt_turn(script, state, ctx, [why])
    if _keys_only(script, state, ctx):
        return state, _prompt_turn(script, state, ctx, [why], keys_only=True)
    if state.phase is Phase.name:  # the name can still be confirmed by text: finish the call
        return _goodbye(script, dataclasses.replace(state, name=None), ctx, [why], ())
    if state.phase is Phase.faq:   # an unheard question is no reason to hang up
        menu = dataclasses.replace(state, phase=Phase.menu, failures=0)
        return menu, _prompt_turn(script, menu, ctx, [why])
    if state.phase in (Phase.role, Phase.question) and ctx.channel is Channel.sms:
        # Nor is an answer not understood, by text: a texter writes back when they can (the
        # thread expires after silence, ``sms_screening.timers``). The question once more, how
        # to answer, and (once) a recruiter asked to follow up; the thread stays open.
        if failures > ctx.max_reprompts + 1:
            return state, _prompt_turn(script, state, ctx, [why])
        where = "the job" if state.phase is Phase.role else f"question {_question(script, state).key}"
        flag = FollowUp(FollowUpReason.not_understood, f"{where} not answered by text after the reprompts; thread open")
        return state, _prompt_turn(script, state, ctx, [why, Line("recruiter_can_help")], [flag])
    if state.phase is Phase.language and ctx.channel is Channel.sms:
        # Nor is the language question: a texter goes on in the first language, offered the others.
        first = script.languages[0]
        offer = Line("switch_language", {"languages": [code for code in script.languages if code != first]})
        return _in_language(script, state, ctx, first, [], [offer], may_switch=True)
    where = _question(script, state).key if state.phase is Phase.question else state.phase
    return _end(state, [why, Line("give_up")], (), ConversationStatus.abandoned, FollowUpReason.not_understood,
                f"no answer understood at {where}")


def _unclear(script, state, event, ctx) -> tuple[CallState, Turn]:
    """Input not understood as the answer to the open question. On SMS, an e-mail address
    (``interpret.email``) is saved (:class:`EmailGiven`), acknowledged, and the question asked
    again without counting a failure; so is an aside (:func:`_aside`); anything else is
    :func:`_failed`."""
    if ctx.channel is Channel.sms and isinstance(event, Speech):
        found = interpret.email(event.text)
        if found is not None:
            said = Line("email_saved", {"email": found.value})
            return state, _prompt_turn(script, state, ctx, [said], [EmailGiven(found.value)])
    return _aside(script, state, event, ctx) or _failed(script, state, ctx, Line("not_understood"))


MAX_ASIDES = 6  # per conversation: then a reply that is no answer counts as a failure again
_ASIDE_MAX_WORDS = 10  # "can you repeat the question please": longer replies are something else


def _aside(script, state, event, ctx) -> tuple[CallState, Turn] | None:
    """A reply that is no answer but no failure either: a question the company's policies
    answer ("how much does it pay?": the answer), another question ("Sorry, I don't have an
    answer to that"), whether this is a person ("are you a robot?": "I'm an automated AI
    assistant"), asking for a person ("no one to transfer to"), for a moment ("hold
    on": "Sure, take your time") or to hear the
    question again ("can you repeat that?", "¿cómo?": "Sure."). Each is answered and the open
    question asked again, failures unchanged, up to MAX_ASIDES per conversation; None for
    anything else."""
    if not isinstance(event, Speech) or state.asides >= MAX_ASIDES:
        return None
    said = words(event.text)
    if not said or len(said) > 2 * _ASIDE_MAX_WORDS:
        return None
    state = dataclasses.replace(state, asides=state.asides + 1)
    answer = policy_answer(script, event.text, state.language)
    if answer:
        return state, _prompt_turn(script, state, ctx, [answer])
    if len(said) > _ASIDE_MAX_WORDS:
        return None
    if _has_phrase(said, "identity_questions"):  # before a person asked for: "am I talking to a real person?"
        return state, _prompt_turn(script, state, ctx, [Line("automated")])
    if _has_phrase(said, "human_requests"):
        return state, _prompt_turn(script, state, ctx, [Line("no_transfer")])
    if _has_phrase(said, "hold_requests"):
        return state, _prompt_turn(script, state, ctx, [Line("take_your_time")])
    if _has_phrase(said, "repeat_requests") or _only_phrases(said, "repeat_alone"):
        return state, _prompt_turn(script, state, ctx, [Line("sure")])
    if event.text.rstrip().endswith("?") and len(said) >= 3 and state.phase not in _PERSONAL_PHASES:
        return state, _prompt_turn(script, state, ctx, [Line("faq_unknown")])
    return None


# Asked for a number to text: the screening is done there (a failure or a hang-up ends it completed).
TEXT_NUMBER_PHASES = (Phase.text_number, Phase.text_number_readback)
# Asked for the caller's own details: "Why do you need it?" is no question for a recruiter.
_PERSONAL_PHASES = (Phase.name, *TEXT_NUMBER_PHASES)


def _has_phrase(said: list[str], kind: str) -> bool:
    return next(find_phrases(said, every_language(kind)), None) is not None


def _only_phrases(said: list[str], kind: str) -> bool:
    """Whether ``said`` is made of phrases of ``kind`` only, one after another."""
    return bool(said) and sum(len(phrase) for _, phrase in find_phrases(said, every_language(kind))) == len(said)


# ---------------------------------------------------------------- phase handlers


def _choose(event: Event, options, lang: str) -> interpret.Interpretation | None:
    choices = [o.as_choice(lang) for o in options]
    if isinstance(event, Digits):
        return interpret.digits_choice(event.digits, choices)
    return interpret.choice(event.text, choices, lang)


def _on_language(script, state, event, ctx):
    options = [LANGUAGE_OPTIONS[code] for code in script.languages]
    picked = _choose(event, options, state.language)
    # A reply that names no language still shows the one it is in ("yes", "hola, busco trabajo").
    lang = picked.value if picked is not None else \
        interpret.language_of(event.text, script.languages) if isinstance(event, Speech) else None
    if lang is None:
        return _unclear(script, state, event, ctx)
    return _in_language(script, state, ctx, lang, [LanguageChosen(lang)])


def _in_language(script, state, ctx, lang: str, effects: list, before: list | None = None,
                 may_switch: bool = False) -> tuple[CallState, Turn]:
    """Go on from the language question in ``lang``: the menu, or on SMS the application; the
    disclosure is repeated in ``lang`` when it differs from the greeting's."""
    state = dataclasses.replace(state, phase=Phase.menu, language=lang, failures=0, may_switch=may_switch)
    before = list(before or [])
    if lang != script.languages[0] and script.disclosure.get(lang):
        before.insert(0, Line("text", {"text": script.disclosure[lang]}))
    if ctx.skip_menu:
        return _begin_application(script, state, ctx, effects, before)
    return state, _prompt_turn(script, state, ctx, before, effects)


def _on_menu(script, state, event, ctx):
    picked = _choose(event, MENU, state.language)
    if picked is None and state.asides < MAX_ASIDES and isinstance(event, Speech) \
            and _has_phrase(words(event.text), "identity_questions"):
        state = dataclasses.replace(state, asides=state.asides + 1)
        return state, _prompt_turn(script, state, ctx, [Line("automated")])
    if picked is None and state.asides < MAX_ASIDES and (
            (isinstance(event, Digits) and event.digits.strip("#") == "0")
            or (isinstance(event, Speech) and _has_phrase(words(event.text), "human_requests"))):
        # "0" or "representative": there is no one to transfer to; say what the line can do.
        state = dataclasses.replace(state, asides=state.asides + 1)
        return state, _prompt_turn(script, state, ctx, [Line("no_transfer")])
    if picked is None and isinstance(event, Speech) and _only_phrases(words(event.text), "closings"):
        # "No, that's all, thanks" to "anything else?": goodbye, nothing for a recruiter to do.
        return _end(state, [Line("goodbye_menu")], (), ConversationStatus.abandoned, None, "nothing more at the menu")
    if picked is None and isinstance(event, Speech):
        # A caller who asks a question straight away gets the answer.
        answer = policy_answer(script, event.text, state.language)
        if answer:
            state = dataclasses.replace(state, failures=0)
            return state, _prompt_turn(script, state, ctx, [answer, Line("anything_else")])
        if len(event.text.split()) >= 4 and state.asides < MAX_ASIDES:  # a real question we have no policy for
            state = dataclasses.replace(state, failures=0, asides=state.asides + 1)
            return state, _prompt_turn(script, state, ctx, [Line("faq_unknown"), Line("anything_else")])
    if picked is None:
        return _unclear(script, state, event, ctx)
    if picked.value == "question":
        state = dataclasses.replace(state, phase=Phase.faq, failures=0)
        return state, _prompt_turn(script, state, ctx)
    if picked.value == "status":
        state = dataclasses.replace(state, failures=0)
        app = ctx.application
        if app is None:
            said = Line("no_application")
        else:
            said = Line(_STATUS_LINES.get(app.status, "application_found"), {
                "role": app.role, "date": spoken_date(app.started, state.language),
                "status": status_words(app.status, state.language)})
        return state, _prompt_turn(script, state, ctx, [said, Line("anything_else")])
    return _begin_application(script, state, ctx)


# What a caller checking on an application hears once it was decided (else its status).
_STATUS_LINES = {"invited": "application_invited", "approved": "application_approved",
                 "dismissed": "application_closed", "knocked_out": "application_closed"}


def _begin_application(script, state, ctx, effects=(), before=()):
    on_file = [f for f in ctx.on_file if f.posting_key in {p.key for p in script.postings}]
    if on_file and not state.on_file:
        return _on_file(script, state, ctx, on_file, effects, before)
    postings = [p for p in script.postings if p.key not in state.on_file]
    before = list(before) + [Line("start_screening")]
    if len(postings) > 1 and state.posting is None:
        state = dataclasses.replace(state, phase=Phase.role, failures=0)
        return state, _prompt_turn(script, state, ctx, before, effects)
    if len(postings) == 1 and state.posting is None:
        state = dataclasses.replace(state, posting=postings[0].key)
        effects = tuple(effects) + (PostingChosen(postings[0].key),)
    return _next_question(script, dataclasses.replace(state, question=-1), ctx, before, effects)


def _on_file(script, state, ctx, on_file, effects, before):
    """The returning caller: what is on file and when to expect a reply, then the other
    open roles offered (or goodbye when there are none). No screening, no text, for those jobs."""
    lang = state.language
    titles = {p.key: p.title for p in script.postings}
    said = [Line("on_file", {"job": in_language(titles[f.posting_key], lang, script.default_language),
                             "date": spoken_date(f.applied, lang), "days": f.reply_days,
                             "custom": script.on_file_message.get(lang)}) for f in on_file]
    state = dataclasses.replace(state, on_file=tuple(f.posting_key for f in on_file), failures=0)
    if not _open_postings(script, state):
        return _end(state, list(before) + said + [Line("on_file_goodbye")], effects, ConversationStatus.completed)
    state = dataclasses.replace(state, phase=Phase.on_file)
    return state, _prompt_turn(script, state, ctx, list(before) + said, effects)


def _on_other_roles(script, state, event, ctx):
    found = (interpret.digits_yes_no(event.digits) if isinstance(event, Digits)
             else interpret.yes_no(event.text, state.language))
    if found is None or not isinstance(found.value, bool):
        return _unclear(script, state, event, ctx)
    if not found.value:
        return _end(state, [Line("on_file_goodbye")], (), ConversationStatus.completed)
    return _begin_application(script, dataclasses.replace(state, phase=Phase.menu), ctx)


def _on_faq(script, state, event, ctx):
    if not isinstance(event, Speech) or not event.text.strip():
        return _unclear(script, state, event, ctx)
    answer = policy_answer(script, event.text, state.language)
    state = dataclasses.replace(state, phase=Phase.menu, failures=0)
    return state, _prompt_turn(script, state, ctx, [answer or Line("faq_unknown"), Line("anything_else")])


def policy_answer(script: AgentScript, text: str | None, lang: str) -> Line | None:
    """The answer, in ``lang``, of the company policy ``text`` asks about, or None."""
    found = match_policy(text, script.policies, lang) if text else None
    return Line("text", {"text": in_language(found[0].answer, lang, script.default_language)}) if found else None


def _on_role(script, state, event, ctx):
    options = _role_options(script, state)
    # The job by its title in the conversation's language, else in another of the script's
    # ("forklift" in a Spanish call: job titles are often said in English).
    others = [lang for lang in script.languages if lang != state.language] if isinstance(event, Speech) else []
    for lang in [state.language, *others]:
        key, narrowed = _role_said(script, event, options, lang)
        if key is not None or narrowed:
            break
    if narrowed:  # several jobs match what was said: ask among these (never loops)
        state = dataclasses.replace(state, role_choices=narrowed, failures=0)
        return state, _prompt_turn(script, state, ctx, [Line("roles_matching")])
    if key is None and _answers_ahead(script, event, state.language, ctx) and state.asides < MAX_ASIDES:
        # "sí tengo 25", "tengo papeles": an answer to a question still to come, not nonsense.
        state = dataclasses.replace(state, asides=state.asides + 1)
        return state, _prompt_turn(script, state, ctx, [Line("answer_later")], how=True)
    if key is None:
        return _unclear(script, state, event, ctx)
    state = dataclasses.replace(state, posting=key, role_choices=None)
    return _next_question(script, dataclasses.replace(state, question=-1), ctx, [], [PostingChosen(key)])


def _answers_ahead(script: AgentScript, event: Event, lang: str, ctx: CallContext) -> bool:
    """Whether ``event``, said at the job question, answers a screening question still to come
    ("si tengo 25": the age; "tengo papeles": work authorization; "tomorrow": the start), by
    more than a bare yes or no (which answers nothing here). Such an answer is not kept: the
    question is asked in its turn. (Keeping it would mean an ``AnswerGiven`` per question it
    answers, stored with the application once the job is picked, and the flow skipping
    questions already answered, each read back as a knockout answer must be.)"""
    if not isinstance(event, Speech):
        return False
    answered = [q for q in script.questions if q.kind is not QuestionKind.free_text and _interpret_answer(
        q, event, lang, ctx.today, in_language(q.text, lang, script.default_language)) is not None]
    # "sí", "yes sir": a bare yes or no (two words at most), no answer given ahead.
    bare = bool(answered) and len(words(event.text)) <= 2 and interpret.yes_no(event.text, lang) is not None
    return any(q.kind is not QuestionKind.yes_no or not bare for q in answered)


def _role_said(script, event: Event, options, lang: str) -> tuple[str | None, tuple[str, ...] | None]:
    """(the posting ``event`` picks among ``options`` read in ``lang``, by number, title or the
    caller's own words and place; or None and the postings it narrows them to, or None)."""
    picked = _choose(event, options, lang)
    if picked is not None:
        return picked.value, None
    if not isinstance(event, Speech):
        return None, None
    keys = {o.key for o in options}
    found = match_role(event.text, [p.as_opening() for p in script.postings if p.key in keys], lang)
    if found is not None and found.unique:
        return found.keys[0], None
    if found is not None and set(found.keys) != keys:
        return None, tuple(found.keys)
    return None, None


def _interpret_answer(q: QuestionSpec, event: Event, lang: str, today: dt.date, asked: str | None = None):
    if isinstance(event, Digits):
        digits = event.digits
        if q.kind is QuestionKind.yes_no:
            return interpret.digits_yes_no(digits)
        if q.kind is QuestionKind.number:
            return interpret.digits_number(digits)
        if q.kind is QuestionKind.date:
            return interpret.digits_date(digits, today)
        if q.kind is QuestionKind.choice:
            return interpret.digits_choice(digits, [o.as_choice(lang) for o in q.options])
        return None
    text = event.text
    if q.kind is QuestionKind.yes_no:
        return interpret.yes_no(text, lang, asked, q.implied_by_number, q.implied_by_phrases)
    if q.kind is QuestionKind.number:
        return interpret.number(text, lang, q.unit, today)
    if q.kind is QuestionKind.date:
        return interpret.date(text, lang, today)
    if q.kind is QuestionKind.choice:
        return interpret.choice(text, [o.as_choice(lang) for o in q.options], lang)
    cleaned = " ".join(text.split())
    return interpret.Interpretation(cleaned, 1.0) if len(cleaned) >= 1 else None


def _not_understood(script, state, event, ctx, q: QuestionSpec) -> tuple[CallState, Turn]:
    """Reprompt with the reason when there is a specific one: a date that has passed (or a
    year, or more than a year out), or several options named ("Which one: days or nights?")."""
    lang = state.language
    if isinstance(event, Speech) and q.kind is QuestionKind.date:
        reason = interpret.date_refusal(event.text, lang, ctx.today)
        if reason in ("past", "too_far", "year_only"):
            return _failed(script, state, ctx, Line(f"date_{reason}"))
    if isinstance(event, Speech) and q.kind is QuestionKind.choice:
        named = interpret.ambiguous_choice(event.text, [o.as_choice(lang) for o in q.options], lang)
        if len(named) > 1 and state.failures < ctx.max_reprompts:
            state = dataclasses.replace(state, failures=state.failures + 1)
            labels = [o.label(lang) for o in q.options if o.key in named]
            return state, Turn((Line("which_one", {"options": labels}),), lang, _prompt(script, state)[1])
    return _unclear(script, state, event, ctx)


def _on_question(script, state, event, ctx):
    q = _question(script, state)
    asked = in_language(q.text, state.language, script.default_language)
    found = _interpret_answer(q, event, state.language, ctx.today, asked) \
        or _in_other_language(script, q, event, state.language, ctx.today)
    if found is None:
        return _not_understood(script, state, event, ctx, q)
    return _take_answer(script, state, ctx, q, event, found)


def _in_other_language(script, q: QuestionSpec, event: Event, lang: str, today: dt.date):
    """An answer not understood in the conversation's language, read in another of the
    script's when its words are in that one ("five years", "next Monday" in a Spanish call:
    bilingual callers mix them), or when it names an option by that language's label ("part
    time"); at most 0.75. None otherwise: the reprompt stays in the conversation's language."""
    if not isinstance(event, Speech):
        return None
    said_in = interpret.language_of(event.text, script.languages)
    for other in script.languages:
        if other == lang:
            continue
        found = _interpret_answer(q, event, other, today, in_language(q.text, other, script.default_language))
        if found is not None and (said_in == other or (q.kind is QuestionKind.choice and found.confidence >= PLAIN)):
            return interpret.Interpretation(found.value, min(found.confidence, INFERRED))
    return None


def _take_answer(script, state, ctx, q: QuestionSpec, event: Event, found: interpret.Interpretation,
                 before=()):
    """An understood answer to ``q``: read back first when it knocks out or is unsure (see
    READBACK_*), else stored, and the screening goes on (or ends on a confirmed knockout)."""
    raw = event.digits if isinstance(event, Digits) else event.text
    heard = event.confidence if isinstance(event, Speech) and event.source == AnswerSource.speech else None
    confidence = found.confidence * (heard if heard is not None else 1.0)
    answer = AnswerGiven(q.key, raw, event.source, found.value, round(confidence, 3),
                         is_knockout(q.knockout, found.value, ctx.today), heard, found.confidence,
                         False if state.readbacks else None)
    scored = bool(q.knockout) or q.weight > 0
    unsure = scored and ((heard is not None and heard < ctx.min_speech_confidence)
                         or found.confidence < ctx.min_answer_confidence)
    if answer.knocked_out and state.readbacks >= MAX_KNOCKOUT_READBACKS:
        return _end(state, list(before) + [Line("not_understood"), Line("give_up")], (), ConversationStatus.abandoned,
                    FollowUpReason.not_understood, f"knockout answer to {q.key} not confirmed at the read-back")
    if answer.knocked_out or (unsure and state.readbacks == 0):
        pending = {**dataclasses.asdict(answer), "value": json_value(found.value), "failures": state.failures}
        state = dataclasses.replace(state, phase=Phase.readback, pending=pending, readbacks=state.readbacks + 1,
                                    failures=0)
        return state, _prompt_turn(script, state, ctx, before)
    return _answered(script, state, ctx, answer, before)


def _answered(script, state, ctx, answer: AnswerGiven, before=()):
    """Store ``answer``; a knockout ends the screening, anything else leads to the next question."""
    if answer.knocked_out:
        return _end(state, list(before) + [Line("knocked_out", {"company": script.company_name})], [answer],
                    ConversationStatus.knocked_out)
    return _next_question(script, state, ctx, before, [answer])


def _on_readback(script, state, event, ctx):
    """The caller's reply to a read-back: confirmed -> the answer counts; denied -> their
    correction is taken (and read back again if it knocks out), or the question is asked
    again; not understood -> one reprompt (``_failed``)."""
    q, pending = _question(script, state), state.pending
    verdict, correction = _read_reply(q, pending, event, state.language, ctx.today)
    if verdict is None:
        return _unclear(script, state, event, ctx)
    asked = dataclasses.replace(state, phase=Phase.question, pending=None, failures=pending["failures"])
    if verdict:
        fields = {k: v for k, v in pending.items() if k != "failures"}
        answer = AnswerGiven(**{**fields, "value": _typed(q, pending["value"]), "confirmed": True})
        return _answered(script, asked, ctx, answer)
    if correction is not None:
        return _take_answer(script, asked, ctx, q, event, correction)
    return asked, _prompt_turn(script, asked, ctx, [Line("read_back_denied")])


def _read_reply(q: QuestionSpec, pending: dict, event: Event, lang: str, today: dt.date):
    """(verdict, correction) for a reply to the read-back of ``pending``: verdict True/False,
    or None when not understood; ``correction`` an Interpretation when the caller gave
    another answer ("No, I am authorized", "seven years"), else None."""
    if isinstance(event, Digits):
        found = interpret.digits_yes_no(event.digits)
        return (found.value if found else None), None
    text, question = event.text, in_language(q.text, lang) or ""
    if q.kind is not QuestionKind.yes_no or readback.restates(text, question, lang):
        again = _interpret_answer(q, event, lang, today, question)
        if again is not None:  # the answer said again: the same one confirms it
            same = json_value(again.value) == pending["value"]
            return same, None if same else again
    verdict, rest = readback.leading_verdict(text, lang)
    if verdict is None:
        found = interpret.yes_no(text, lang) if q.kind is QuestionKind.yes_no else None
        return (found.value if found else None), None
    # What follows the verdict counts when it answers the question ("No, I am authorized"), not
    # when it only insists ("yes, that's right" to a yes/no question).
    says_more = rest and (q.kind is not QuestionKind.yes_no or readback.restates(rest, question, lang))
    again = _interpret_answer(q, Speech(rest, source=event.source), lang, today, question) if says_more else None
    if again is None or json_value(again.value) == pending["value"]:
        return verdict, None
    return False, again  # "yes, I am authorized" to "you are not authorized": the caller's words win


def _read_back_words(script, q: QuestionSpec, state: CallState) -> dict:
    """The read-back's parameters (``texts`` phrase ``read_back``): the question, the
    understood answer in words, and for a yes/no question the answer as a statement."""
    lang, value = state.language, _typed(q, state.pending["value"])
    text = in_language(q.text, lang, script.default_language)
    params = {"question": text, "kind": q.kind, "value": value}
    if q.kind is QuestionKind.yes_no:
        params["statement"] = readback.statement(text, bool(value), lang)
    elif q.kind is QuestionKind.choice:
        params["value"] = next((o.label(lang) for o in q.options if o.key == value), value)
    elif q.kind is QuestionKind.number:
        params["unit"] = q.unit
    return params


def json_value(value):
    """An answer's value as JSON keeps it: a date as its ISO string, anything else as it is."""
    return value.isoformat() if isinstance(value, dt.date) else value


def _typed(q: QuestionSpec, value):
    """A pending answer's value from its JSON form (dates are ISO strings there)."""
    return dt.date.fromisoformat(value) if q.kind is QuestionKind.date and isinstance(value, str) else value


def _next_question(script, state, ctx, before, effects):
    index = state.question + 1
    if index < len(script.questions):
        state = dataclasses.replace(state, phase=Phase.question, question=index, failures=0, readbacks=0)
    else:
        state = dataclasses.replace(state, phase=Phase.name, failures=0, readbacks=0)
    return state, _prompt_turn(script, state, ctx, before, effects)


def _on_name(script, state, event, ctx):
    # An e-mail address is no name ("jane@example.com" would clean to "Janeexample.Com").
    said = isinstance(event, Speech) and interpret.email(event.text) is None
    name = clean_name(event.text) if said else None
    if name is None:
        return _unclear(script, state, event, ctx)
    state = dataclasses.replace(state, name=name)
    return _goodbye(script, state, ctx, [], [NameGiven(name)])


def _goodbye(script, state, ctx, before, effects):
    """The screening is done: goodbye, or first a number to text when the caller ID takes
    none (``ctx.ask_text_number``, voice)."""
    if ctx.ask_text_number and ctx.channel == Channel.voice:
        state = dataclasses.replace(state, phase=Phase.text_number, failures=0, readbacks=0)
        return state, _prompt_turn(script, state, ctx, before, effects)
    return _close(state, ctx, before, effects)


def close_unanswered(state: CallState) -> tuple[CallState, Turn]:
    """The end of a call whose caller hung up while asked for a number to text (phases
    ``TEXT_NUMBER_PHASES``): the screening was done, so it ends completed, without a text
    (a number not yet confirmed is not kept), as "I don't have one" would end it."""
    return _close(state, None, [])


def _close(state, ctx, before, effects=(), texted: str | None = None):
    """The completed call's goodbye: "you'll get a text" only when one will follow (the
    caller ID takes texts, or ``texted``, the number the caller gave; ``ctx`` None: no text);
    a name not captured is flagged for a recruiter."""
    first = state.name.split()[0] if state.name else None
    key = "goodbye" if ctx is not None and ctx.can_text else "goodbye_texted" if texted else "goodbye_no_text"
    follow_up, note = (FollowUpReason.name_not_captured, "name not captured") if state.name is None else (None, None)
    return _end(state, list(before) + [Line(key, {"name": first})], effects, ConversationStatus.completed,
                follow_up, note)


# Numbers read back and denied before the call goes on without one.
MAX_TEXT_NUMBER_READBACKS = 3


def _on_text_number(script, state, event, ctx):
    """A number to text said or keyed: read back; "I don't have one": goodbye without a text."""
    found = (interpret.digits_phone_number(event.digits, ctx.region) if isinstance(event, Digits)
             else interpret.phone_number(event.text, state.language, ctx.region))
    if found is None and isinstance(event, Speech) and interpret.declines_number(event.text, state.language):
        return _close(state, ctx, [])
    if found is None:
        return _unclear(script, state, event, ctx)
    return _read_back_number(script, state, ctx, found.value)


def _read_back_number(script, state, ctx, number: str, before=()):
    state = dataclasses.replace(state, phase=Phase.text_number_readback, text_number=number, failures=0,
                                readbacks=state.readbacks + 1)
    return state, _prompt_turn(script, state, ctx, before)


def _on_text_number_readback(script, state, event, ctx):
    """The reply to the number's read-back: yes -> it is kept and the text will go to it; the
    number said (or keyed) again -> the same one confirms it, another is read back; no ->
    asked again, up to MAX_TEXT_NUMBER_READBACKS numbers, then goodbye without a text."""
    if isinstance(event, Digits):
        again = interpret.digits_phone_number(event.digits, ctx.region)
        verdict = interpret.digits_yes_no(event.digits) if again is None else None
    else:
        again = interpret.phone_number(event.text, state.language, ctx.region)
        verdict = interpret.yes_no(event.text, state.language) if again is None else None
    if again is not None and again.value != state.text_number:
        if state.readbacks >= MAX_TEXT_NUMBER_READBACKS:
            return _close(state, ctx)
        return _read_back_number(script, state, ctx, again.value)
    confirmed = again is not None or (verdict is not None and verdict.value is True)
    if confirmed:
        return _close(state, ctx, [], [TextNumberGiven(state.text_number)], texted=state.text_number)
    if verdict is None or not isinstance(verdict.value, bool):
        return _unclear(script, state, event, ctx)
    if state.readbacks >= MAX_TEXT_NUMBER_READBACKS:
        return _close(dataclasses.replace(state, text_number=None), ctx, [])
    state = dataclasses.replace(state, phase=Phase.text_number, text_number=None, failures=0)
    return state, _prompt_turn(script, state, ctx, [Line("read_back_denied")])


@dataclass(frozen=True)
class PhaseSpec:
    """One phase of the flow: the handler of a caller's input there, and the phases it may
    lead to (declared, so the whole machine reads in one table and tests can check it)."""

    handler: Callable[[AgentScript, CallState, Event, CallContext], tuple[CallState, Turn]]
    leads_to: frozenset[Phase]


def _phases(*names: str) -> frozenset[Phase]:
    return frozenset(Phase(n) for n in names)


# The flow: language -> menu -> (faq | status | [on_file ->] role -> question* -> name
# -> [text_number -> text_number_readback]) -> ended.
# ``start`` has no handler (``start()`` leaves it at once); ``ended`` takes no input.
PHASES: dict[Phase, PhaseSpec] = {
    Phase.language: PhaseSpec(_on_language, _phases("language", "menu", "on_file", "role", "question", "name",
                                                     "ended")),
    Phase.menu: PhaseSpec(_on_menu, _phases("menu", "faq", "on_file", "role", "question", "name", "ended")),
    Phase.on_file: PhaseSpec(_on_other_roles, _phases("on_file", "role", "question", "ended")),
    Phase.faq: PhaseSpec(_on_faq, _phases("faq", "menu")),
    Phase.role: PhaseSpec(_on_role, _phases("role", "question", "name", "ended")),
    Phase.question: PhaseSpec(_on_question, _phases("question", "readback", "name", "ended")),
    Phase.readback: PhaseSpec(_on_readback, _phases("readback", "question", "name", "ended")),
    Phase.name: PhaseSpec(_on_name, _phases("name", "text_number", "ended")),
    Phase.text_number: PhaseSpec(_on_text_number, _phases("text_number", "text_number_readback", "ended")),
    Phase.text_number_readback: PhaseSpec(_on_text_number_readback,
                                          _phases("text_number_readback", "text_number", "ended")),
}
START_LEADS_TO = _phases("language", "menu", "on_file", "role", "question", "name", "ended")
# The phases whose input may begin an application, and so read ``CallContext.on_file``
# (the service looks it up only for them; ``start`` reads it when it skips the menu).
READS_ON_FILE = _phases("language", "menu")
