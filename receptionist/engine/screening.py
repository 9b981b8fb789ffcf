"""Knockout rules: pure checks of an interpreted answer against a question's rule.

A rule is a small dict, stored with the question (YAML/JSON):

    {"equals": false}            knocked out when the answer equals the value
    {"not_equals": "days"}       knocked out when the answer differs
    {"below": 1}                 numbers: knocked out when answer < 1
    {"above": 40}                numbers: knocked out when answer > 40
    {"in": ["nights"]}           choices: knocked out when the answer is one of these
    {"not_in": ["days", "any"]}  choices: knocked out unless the answer is one of these
    {"later_than_days": 30}      dates: knocked out when the date is more than 30 days after today
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

RULES = ("equals", "not_equals", "below", "above", "in", "not_in", "later_than_days")


def validate_rule(rule: Mapping | None) -> None:
    """Raise ValueError when ``rule`` names no known check (used by the company loader)."""
    if rule is None:
        return
    unknown = set(rule) - set(RULES)
    if unknown or not rule:
        raise ValueError(f"unknown knockout rule {dict(rule)!r}; use one of {', '.join(RULES)}")


def is_knockout(rule: Mapping | None, value: Any, today: dt.date | None = None) -> bool:
    """True when ``value`` fails ``rule`` (the candidate is knocked out). No rule: False."""
    if not rule:
        return False
    for name, limit in rule.items():
        if name == "equals" and value == limit:
            return True
        if name == "not_equals" and value != limit:
            return True
        if name == "below" and isinstance(value, (int, float)) and value < limit:
            return True
        if name == "above" and isinstance(value, (int, float)) and value > limit:
            return True
        if name == "in" and value in limit:
            return True
        if name == "not_in" and value not in limit:
            return True
        if (name == "later_than_days" and isinstance(value, dt.date) and today is not None
                and (value - today).days > limit):
            return True
    return False
