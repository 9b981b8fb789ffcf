"""Loading a company from YAML data: create or update, and loading twice changes nothing.

The file's shape is ``examples/acme-staffing.yaml``. Records are matched by company slug,
agent slug and question/policy/posting keys. A question dropped from the file is
deactivated (its answers keep pointing at it); a dropped posting is closed; a dropped
policy or phone number is removed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..engine.interpret.common import words
from ..engine.interpret.numbers import UNITS as NUMBER_UNITS
from ..engine.languages import LANGUAGES
from ..engine.screening import validate_rule
from ..engine.scoring import validate_scoring
from ..adapters.models import (Agent, AgentKind, Company, PhoneNumber, Policy, Posting, QuestionKind, RoutingMode,
                      ScreeningQuestion)
from ..adapters.voices import voice_problem
from ..phones import to_e164
from ..settings import SpeechSettings


class CompanyFileError(ValueError):
    """The company data is invalid; the message names the field, e.g. ``agents[0].questions[1].kind``."""


class NumberInUseError(CompanyFileError):
    """A phone number already belongs to another agent (one number, one agent)."""


@dataclass
class LoadReport:
    """What a load did: counts of records created, updated and left unchanged."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


def _require(data: dict, key: str, where: str) -> Any:
    if not isinstance(data, dict) or data.get(key) in (None, "", [], {}):
        raise CompanyFileError(f"{where}.{key}: required")
    return data[key]


def _texts(value: Any, languages: list[str], where: str) -> dict[str, Any]:
    """A {language: text} mapping that covers every language of the agent."""
    if isinstance(value, str) and len(languages) == 1:
        value = {languages[0]: value}
    if not isinstance(value, dict):
        raise CompanyFileError(f"{where}: expected a mapping of language to text")
    missing = [lang for lang in languages if not value.get(lang)]
    if missing:
        raise CompanyFileError(f"{where}: missing text for {', '.join(missing)}")
    return {lang: value[lang] for lang in value}


def _phrase_lists(value: Any, where: str) -> dict[str, list[str]]:
    if not isinstance(value, dict):
        raise CompanyFileError(f"{where}: expected a mapping of language to a list of phrases")
    return {lang: [v] if isinstance(v, str) else [str(x) for x in v] for lang, v in value.items()}


class _Loader:
    def __init__(self, session: Session):
        self.session = session
        self.report = LoadReport()

    def upsert(self, model, lookup: dict, values: dict):
        """Find by ``lookup`` or create; set only the values that differ (so a reload is a no-op)."""
        obj = self.session.scalars(select(model).filter_by(**lookup)).one_or_none()
        if obj is None:
            obj = model(**lookup, **values)
            self.session.add(obj)
            self.session.flush()
            self.report.created += 1
            return obj
        changed = False
        for name, value in values.items():
            if getattr(obj, name) != value:  # str enums compare equal to their values
                setattr(obj, name, value)
                changed = True
        if changed:
            self.report.updated += 1
        else:
            self.report.unchanged += 1
        return obj


def load_company(session: Session, data: dict) -> LoadReport:
    """Create or update the company described by ``data`` (parsed YAML) in ``session``.

    Raises CompanyFileError (or NumberInUseError) on invalid data; the caller's
    transaction should then be rolled back, so a bad file changes nothing.
    """
    loader = _Loader(session)
    company_data = _require(data, "company", "file")
    company = loader.upsert(Company, {"slug": _require(company_data, "slug", "company")},
                            {"name": _require(company_data, "name", "company"),
                             "ats_config": ats_config(data.get("ats"), "ats")})
    all_languages = {lang for a in data.get("agents") or () for lang in (a.get("languages") or ["en"])}
    _load_postings(loader, company, data.get("postings") or [], sorted(all_languages) or ["en"])
    for i, agent_data in enumerate(data.get("agents") or []):
        _load_agent(loader, company, agent_data, f"agents[{i}]")
    session.flush()
    return loader.report


def _load_postings(loader: _Loader, company: Company, postings: list, languages: list[str]) -> None:
    keys = []
    for i, p in enumerate(postings):
        where = f"postings[{i}]"
        key = _require(p, "key", where)
        keys.append(key)
        loader.upsert(Posting, {"company_id": company.id, "key": key}, posting_values(p, languages, where))
    for posting in loader.session.scalars(select(Posting).filter_by(company_id=company.id)):
        if posting.key not in keys and posting.is_open:
            posting.is_open = False
            loader.report.updated += 1


def posting_values(p: dict, languages: list[str], where: str) -> dict:
    """A posting's columns from its YAML/API shape (``title``: text or {language: text},
    ``location``, ``description``, ``open``, ``interview_posting_id``, ``also_called``).
    Raises CompanyFileError."""
    title = p.get("title")
    title = {lang: title for lang in languages} if isinstance(title, str) else _texts(title, [], where + ".title")
    return {"title": title, "location": p.get("location"), "description": p.get("description"),
            "is_open": bool(p.get("open", True)), "interview_posting_id": p.get("interview_posting_id"),
            "also_called": _also_called(p.get("also_called"), where + ".also_called")}


def _also_called(value: Any, where: str) -> dict[str, list[str]] | None:
    """What people also call a posting's job (``also_called: {en: [CDL driver], es: [chofer]}``):
    {language: [phrases]}, known language codes, each phrase a few words; None when not given."""
    if value is None or value == {}:
        return None
    result = _phrase_lists(value, where)
    for lang, phrases in result.items():
        if lang not in LANGUAGES:
            raise CompanyFileError(f"{where}: unknown language {lang!r} (known: {', '.join(LANGUAGES)})")
        if not phrases or (bad := [p for p in phrases if not words(p)]):
            raise CompanyFileError(f"{where}.{lang}: {bad[0]!r} is not a phrase" if phrases
                                   else f"{where}.{lang}: expected a non-empty list of phrases")
    return result


def routing_values(routing: dict, where: str) -> dict:
    """``routing: {mode: auto | manual, threshold: 0-100}`` as the agent's columns (defaults:
    manual, 70). Raises CompanyFileError naming ``where.routing.mode`` or ``.threshold``."""
    mode = routing.get("mode", "manual")
    if mode not in RoutingMode.__members__:
        raise CompanyFileError(f"{where}.routing.mode: must be auto or manual")
    threshold = routing.get("threshold", 70)
    if not isinstance(threshold, int) or isinstance(threshold, bool) or not 0 <= threshold <= 100:
        raise CompanyFileError(f"{where}.routing.threshold: a whole number from 0 to 100")
    return {"routing_mode": RoutingMode(mode), "routing_threshold": threshold}


def _load_agent(loader: _Loader, company: Company, a: dict, where: str) -> None:
    slug = _require(a, "slug", where)
    kind = a.get("kind", "receptionist")
    if kind not in AgentKind.__members__:
        raise CompanyFileError(f"{where}.kind: must be one of {', '.join(AgentKind.__members__)}")
    languages = list(a.get("languages") or ["en"])
    bad = [lang for lang in languages if not isinstance(lang, str) or lang not in LANGUAGES]  # the registry
    if bad:
        raise CompanyFileError(f"{where}.languages: unsupported {', '.join(map(str, bad))} "
                               f"(supported: {', '.join(LANGUAGES)})")
    recording = _recording(a, kind, languages, where)
    try:
        speech = SpeechSettings.parse(a.get("speech")).as_dict()
    except ValueError as exc:
        raise CompanyFileError(f"{where}.speech.{exc}") from exc
    agent = loader.upsert(Agent, {"company_id": company.id, "slug": slug}, {
        "kind": AgentKind(kind),
        "name": _require(a, "name", where),
        "timezone": _timezone(a.get("timezone", "America/New_York"), where),
        "languages": languages,
        "voices": _voices(a.get("voices"), languages, where),
        "greeting": _texts(_require(a, "greeting", where), languages, where + ".greeting"),
        "disclosure": _texts(_require(a, "disclosure", where), languages, where + ".disclosure"),
        "help_text": _texts(a["help_text"], languages, where + ".help_text") if a.get("help_text") else {},
        **routing_values(a.get("routing") or {}, where),
        "recording": recording,
        "speech": speech,
        "on_file_message": (_texts(a["on_file_message"], languages, where + ".on_file_message")
                            if a.get("on_file_message") else None),
        "switchboard_numbers": switchboard_numbers(a.get("switchboard_numbers"), kind, where),
    })
    _load_numbers(loader, agent, a.get("phone_numbers") or [], where)
    _load_questions(loader, agent, a.get("questions") or [], languages, where)
    _load_policies(loader, agent, a.get("policies") or [], languages, where)


def _voices(value: Any, languages: list[str], where: str) -> dict[str, str]:
    """The agent's ``voices`` ({language: Twilio ``<Say voice>``}, each optional: a language
    without one is said in the registry's voice), each a voice that speaks its language
    (``adapters.voices.voice_problem``: Twilio fails a ``<Say>`` whose voice and language do
    not go together). Raises CompanyFileError naming the language."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise CompanyFileError(f"{where}.voices: expected a mapping of language to voice, e.g. "
                               "{en: Polly.Joanna-Neural, es: Polly.Lupe-Neural}")
    for lang, voice in value.items():
        if lang not in languages:
            raise CompanyFileError(f"{where}.voices.{lang}: not one of the agent's languages ({', '.join(languages)})")
        problem = voice_problem(voice, lang)
        if problem:
            raise CompanyFileError(f"{where}.voices.{lang}: {problem}")
    return dict(value)


# How each language says a call is recorded ("this call is recorded", "esta llamada se graba").
_SAYS_RECORDED = {"en": re.compile(r"\brecord", re.I), "es": re.compile(r"\bgrab", re.I)}


def _recording(a: dict, kind: str, languages: list[str], where: str) -> bool:
    """The agent's ``recording`` switch (default off), checked against its disclosure: a
    caller is told the call is recorded exactly when it is (DESIGN: what the caller is told
    is true; many places require the disclosure when recording)."""
    recording = a.get("recording", False)
    if not isinstance(recording, bool):
        raise CompanyFileError(f"{where}.recording: true or false")
    if kind != "receptionist":
        if recording:
            raise CompanyFileError(f"{where}.recording: only a receptionist's calls can be recorded")
        return False
    disclosure = a.get("disclosure")
    texts = disclosure if isinstance(disclosure, dict) else {lang: disclosure for lang in languages}
    for lang, text in texts.items():
        says = lang in _SAYS_RECORDED and bool(_SAYS_RECORDED[lang].search(str(text or "")))
        if says and not recording:
            raise CompanyFileError(f"{where}.disclosure.{lang}: says the call is recorded, but recording is off; "
                                   "set recording: true or change the disclosure")
        if lang in _SAYS_RECORDED and recording and not says:
            raise CompanyFileError(f"{where}.disclosure.{lang}: recording is on; the disclosure must say the "
                                   "call is recorded")
    return recording
# The ATS kinds and the credentials each needs (names of environment variables in the YAML).
ATS_CREDENTIALS = {"builtin": (), "greenhouse": ("client_id", "client_secret"),
                   "bullhorn": ("client_id", "client_secret", "username", "password")}
_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")


def ats_config(raw: Any, where: str) -> dict:
    """The YAML ``ats:`` block, checked: ``{kind, base_url?, credentials_env: {field: ENV_NAME},
    jobs: {posting key: ATS job id}, reply_within_days}``. Absent: the built-in ATS.

    Credentials are only ever named (an environment variable per field), never stored: a value
    that is not an environment variable's name is refused (it may be the secret itself).
    """
    raw = raw or {"kind": "builtin"}
    if not isinstance(raw, dict):
        raise CompanyFileError(f"{where}: expected a mapping")
    kind = raw.get("kind", "builtin")
    if kind not in ATS_CREDENTIALS:
        raise CompanyFileError(f"{where}.kind: must be one of {', '.join(ATS_CREDENTIALS)}")
    credentials = raw.get("credentials_env") or {}
    if not isinstance(credentials, dict):
        raise CompanyFileError(f"{where}.credentials_env: expected a mapping of field to environment variable name")
    for name, env in credentials.items():
        if not isinstance(env, str) or not _ENV_NAME.fullmatch(env):
            raise CompanyFileError(f"{where}.credentials_env.{name}: must name an environment variable "
                                   "(e.g. GH_CLIENT_ID), never hold the secret itself")
    missing = [f for f in ATS_CREDENTIALS[kind] if f not in credentials]
    if missing:
        raise CompanyFileError(f"{where}.credentials_env: {kind} needs {', '.join(missing)}")
    jobs = raw.get("jobs") or {}
    if not isinstance(jobs, dict):
        raise CompanyFileError(f"{where}.jobs: expected a mapping of posting key to ATS job id")
    days = raw.get("reply_within_days", 5)
    if not isinstance(days, int) or not 1 <= days <= 60:
        raise CompanyFileError(f"{where}.reply_within_days: a whole number of days from 1 to 60")
    config = {"kind": kind, "credentials_env": dict(credentials), "jobs": {str(k): str(v) for k, v in jobs.items()},
              "reply_within_days": days}
    for key in ("base_url", "token_url", "login_info_url", "region"):
        if raw.get(key):
            config[key] = str(raw[key])
    return config


def _timezone(name: str, where: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CompanyFileError(f"{where}.timezone: unknown time zone {name!r}") from exc
    return name


def switchboard_numbers(raw, kind: str, where: str) -> list[str] | None:
    """A receptionist's ``switchboard_numbers``: the company's own lines that forward calls
    to it with their own caller ID (a PBX or IVR hand-off), as sorted E.164 without repeats;
    None for none. A call from one is an unknown caller's (``services.calls.start_call``).
    Raises CompanyFileError naming the entry for a number that is not one, and for an SMS
    screening agent (nobody forwards texts)."""
    if raw is None or raw == []:
        return None
    if kind != AgentKind.receptionist:
        raise CompanyFileError(f"{where}.switchboard_numbers: only a receptionist takes forwarded calls")
    if not isinstance(raw, list):
        raise CompanyFileError(f"{where}.switchboard_numbers: must be a list of phone numbers")
    numbers = set()
    for j, number in enumerate(raw):
        try:
            numbers.add(to_e164(str(number)))
        except ValueError as exc:
            raise CompanyFileError(f"{where}.switchboard_numbers[{j}]: {exc}") from exc
    return sorted(numbers)


def _load_numbers(loader: _Loader, agent: Agent, numbers: list, where: str) -> None:
    wanted = []
    for j, raw in enumerate(numbers):
        try:
            e164 = to_e164(str(raw))
        except ValueError as exc:
            raise CompanyFileError(f"{where}.phone_numbers[{j}]: {exc}") from exc
        wanted.append(e164)
        assign_number(loader.session, agent, e164, report=loader.report)
    for number in list(agent.phone_numbers):
        if number.e164 not in wanted:
            loader.session.delete(number)
            loader.report.updated += 1


def assign_number(session: Session, agent: Agent, e164: str, report: LoadReport | None = None) -> PhoneNumber:
    """Give ``e164`` to ``agent``. Raises NumberInUseError when another agent has it
    (the database's unique constraint enforces the same rule under concurrency)."""
    number = session.scalars(select(PhoneNumber).filter_by(e164=e164)).one_or_none()
    if number is not None and number.agent_id != agent.id:
        raise NumberInUseError(
            f"{e164} already belongs to agent {number.agent.slug!r} ({number.agent.kind.value}); "
            "a number can serve only one agent")
    if number is None:
        number = PhoneNumber(e164=e164, agent=agent)
        session.add(number)
        session.flush()
        if report:
            report.created += 1
    elif report:
        report.unchanged += 1
    return number


def _load_questions(loader: _Loader, agent: Agent, questions: list, languages: list[str], where: str) -> None:
    keys = []
    for rank, q in enumerate(questions, start=1):
        w = f"{where}.questions[{rank - 1}]"
        key = _require(q, "key", w)
        if key in keys:
            raise CompanyFileError(f"{w}.key: {key!r} appears twice")
        keys.append(key)
        loader.upsert(ScreeningQuestion, {"agent_id": agent.id, "key": key},
                      {"rank": rank, **question_values(q, languages, w), "active": True})
    for question in loader.session.scalars(select(ScreeningQuestion).filter_by(agent_id=agent.id)):
        if question.key not in keys and question.active:
            question.active = False
            loader.report.updated += 1


def _unit(q: dict, kind: str, where: str) -> str | None:
    """A number question's unit (``unit: years``): how "six months" is counted."""
    unit = q.get("unit")
    if unit is None:
        return None
    if kind != "number":
        raise CompanyFileError(f"{where}.unit: only a number question has a unit")
    if unit not in NUMBER_UNITS:
        raise CompanyFileError(f"{where}.unit: must be one of {', '.join(NUMBER_UNITS)}, not {unit!r}")
    return unit


def _implied_by_number(q: dict, kind: str, where: str) -> dict | None:
    """A yes/no question a number answers (``implied_by_number: {at_least: 18}``): "I'm 17"
    is a no. Exactly one of at_least / at_most, a number."""
    rule = q.get("implied_by_number")
    if rule is None:
        return None
    field = f"{where}.implied_by_number"
    if kind != "yes_no":
        raise CompanyFileError(f"{field}: only a yes_no question can be answered by a number")
    if not isinstance(rule, dict) or len(rule) != 1 or not set(rule) <= {"at_least", "at_most"}:
        raise CompanyFileError(f"{field}: expected one of {{at_least: N}} or {{at_most: N}}")
    (name, limit), = rule.items()
    if isinstance(limit, bool) or not isinstance(limit, (int, float)):
        raise CompanyFileError(f"{field}.{name}: a number, not {limit!r}")
    return {name: int(limit) if float(limit).is_integer() else limit}  # 21, not 21.0 (the API's JSON)


_POLARITIES = {"yes": "yes", "no": "no", True: "yes", False: "no"}  # YAML 1.1 reads a bare yes/no key as a bool


def _implied_by_phrases(q: dict, kind: str, where: str) -> dict | None:
    """A yes/no question callers answer in their own words (``implied_by_phrases: {en: {yes:
    [citizen, green card], no: [need sponsorship]}}``): {language: {"yes": [...], "no": [...]}}.
    Known language codes, non-empty lists of phrases, no phrase in both lists (compared as the
    interpreter reads them: case and accents folded)."""
    value = q.get("implied_by_phrases")
    if value is None:
        return None
    field = f"{where}.implied_by_phrases"
    if q.get("key"):
        field += f" (question {q['key']!r})"
    if kind != "yes_no":
        raise CompanyFileError(f"{field}: only a yes_no question can be answered by phrases")
    if not isinstance(value, dict) or not value:
        raise CompanyFileError(f"{field}: expected {{language: {{yes: [phrases], no: [phrases]}}}}")
    result = {}
    for lang, lists in value.items():
        if lang not in LANGUAGES:
            raise CompanyFileError(f"{field}: unknown language {lang!r} (known: {', '.join(LANGUAGES)})")
        if not isinstance(lists, dict) or not lists or not set(lists) <= set(_POLARITIES):
            raise CompanyFileError(f"{field}.{lang}: expected {{yes: [phrases], no: [phrases]}}")
        result[lang] = {}
        for polarity, phrases in lists.items():
            name = _POLARITIES[polarity]
            if name in result[lang]:
                raise CompanyFileError(f"{field}.{lang}.{name}: given twice")
            if isinstance(phrases, str):
                phrases = [phrases]
            if not isinstance(phrases, list) or not phrases:
                raise CompanyFileError(f"{field}.{lang}.{name}: expected a non-empty list of phrases")
            if bad := [p for p in phrases if not isinstance(p, str) or not words(p)]:
                raise CompanyFileError(f"{field}.{lang}.{name}: {bad[0]!r} is not a phrase")
            result[lang][name] = phrases
        yes, no = ({tuple(words(p)) for p in result[lang].get(name, ())} for name in ("yes", "no"))
        if both := yes & no:
            raise CompanyFileError(f"{field}.{lang}: {' '.join(sorted(both)[0])!r} is in both the yes and the no list")
    return result


def question_values(q: dict, languages: list[str], w: str) -> dict:
    """A screening question's columns from its YAML/API shape (``kind``, ``text`` in every
    language of the agent, ``options`` for a choice, ``knockout`` rule, ``weight``, ``scoring``, ``unit``,
    ``implied_by_number``, ``implied_by_phrases``).
    Raises CompanyFileError naming the field under ``w``."""
    kind = q.get("kind")
    if kind not in QuestionKind.__members__:
        raise CompanyFileError(f"{w}.kind: must be one of {', '.join(QuestionKind.__members__)}")
    options = []
    for k, o in enumerate(q.get("options") or []):
        options.append({"key": _require(o, "key", f"{w}.options[{k}]"),
                        "labels": _phrase_lists(_require(o, "labels", f"{w}.options[{k}]"),
                                                f"{w}.options[{k}].labels"),
                        **({"credit": o["credit"]} if "credit" in o else {})})
    if kind == "choice" and len(options) < 2:
        raise CompanyFileError(f"{w}.options: a choice question needs at least two options")
    try:
        validate_rule(q.get("knockout"))
    except ValueError as exc:
        raise CompanyFileError(f"{w}.knockout: {exc}") from exc
    try:
        validate_scoring(kind, q.get("scoring"), options)
    except ValueError as exc:
        raise CompanyFileError(f"{w}.scoring: {exc}") from exc
    return {"kind": QuestionKind(kind), "text": _texts(_require(q, "text", w), languages, w + ".text"),
            "options": options, "knockout": q.get("knockout"), "weight": float(q.get("weight", 0)),
            "scoring": q.get("scoring"), "unit": _unit(q, kind, w),
            "implied_by_number": _implied_by_number(q, kind, w),
            "implied_by_phrases": _implied_by_phrases(q, kind, w)}


def policy_values(p: dict, languages: list[str], w: str) -> dict:
    """A policy's columns from its YAML/API shape (``questions``: {language: [phrases]},
    ``answer``: {language: text}). Raises CompanyFileError naming the field under ``w``."""
    return {"questions": _phrase_lists(_require(p, "questions", w), w + ".questions"),
            "answer": _texts(_require(p, "answer", w), languages, w + ".answer")}


def _load_policies(loader: _Loader, agent: Agent, policies: list, languages: list[str], where: str) -> None:
    keys = []
    for i, p in enumerate(policies):
        w = f"{where}.policies[{i}]"
        key = _require(p, "key", w)
        keys.append(key)
        loader.upsert(Policy, {"agent_id": agent.id, "key": key}, policy_values(p, languages, w))
    for policy in loader.session.scalars(select(Policy).filter_by(agent_id=agent.id)):
        if policy.key not in keys:
            loader.session.delete(policy)
            loader.report.updated += 1
