"""Recruiters' accounts: creating them, and signing in with a lockout against guessing.

A user belongs to one company and sees only its data. Passwords are hashed with werkzeug's
``generate_password_hash`` (scrypt, salted; werkzeug >= 3 default); only the hash is stored.

Sign-in attempts are limited in the database (``login_attempts``), so the limit holds across
gunicorn workers and restarts: after ``MAX_FAILURES`` failed attempts for one account from
one address within ``LOCKOUT_WINDOW``, or ``MAX_FAILURES_PER_IP`` from one address for any
accounts, further attempts are refused without checking the password until the oldest
counted failure leaves the window. A success clears the account's failures from that address.
"""
from __future__ import annotations

import datetime as dt
import math

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..adapters.models import Company, LoginAttempt, User, utcnow

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # hashing a megabyte per attempt would be a denial of service
MAX_FAILURES = 5            # per account and address, within the window
MAX_FAILURES_PER_IP = 30    # per address, any accounts (password spraying)
LOCKOUT_WINDOW = dt.timedelta(minutes=15)
# Checked against when the account does not exist, so an unknown address costs as much time
# as a wrong password and the answer does not tell which accounts exist. Written out, not
# computed at import: scrypt cost ~0.1 s of CPU in every process (web workers, RQ worker,
# cron) that imports this module. It is generate_password_hash("not a password: equalises
# timing") with werkzeug's default method (tests/test_dashboard.py checks they still agree).
_DUMMY_HASH = ("scrypt:32768:8:1$oFs1thUngApukECi$aa5c1ae62f804dec954314e21b64e7178a1dcd58d7f4d5229993247f052de87"
               "4744717ae5c9a6c37f65ee186968f388977002422ca12b92d4619e668ea6983fb")


class UserError(ValueError):
    """An account cannot be created as asked; the message says why (for the command line)."""


class LockedOut(Exception):
    """Too many failed attempts: ``retry_after_s`` (whole seconds) until one may try again."""

    def __init__(self, retry_after_s: int):
        super().__init__(f"too many failed sign-ins; try again in {math.ceil(retry_after_s / 60)} minutes")
        self.retry_after_s = retry_after_s


def normalise_email(email: str) -> str:
    """The login name: ``email`` stripped and lower-cased (no deliverability check, no network)."""
    return (email or "").strip().lower()


def create_user(session: Session, email: str, password: str, company_slug: str | None = None) -> User:
    """Create a recruiter of the company ``company_slug`` (optional when there is exactly one).

    Raises UserError: an invalid email address (email-validator's syntax rules), a password
    shorter than ``MIN_PASSWORD_LENGTH`` characters, an unknown company, no or several
    companies when the slug is left out, or an email already in use.
    """
    try:
        email = normalise_email(validate_email(email, check_deliverability=False).normalized)
    except EmailNotValidError as exc:
        raise UserError(f"invalid email address: {exc}") from None
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise UserError(f"the password must have at most {MAX_PASSWORD_LENGTH} characters")
    if company_slug:
        company = session.scalars(select(Company).filter_by(slug=company_slug)).one_or_none()
        if company is None:
            raise UserError(f"no company with slug {company_slug!r}")
    else:
        companies = session.scalars(select(Company).order_by(Company.slug).limit(11)).all()
        if len(companies) != 1:
            names = ", ".join(c.slug for c in companies) or "none loaded yet"
            raise UserError(f"name the company with --company (companies: {names})")
        company = companies[0]
    if session.scalar(select(User.id).filter_by(email=email)) is not None:
        raise UserError(f"{email} already has an account")
    user = User(company_id=company.id, email=email, password_hash=generate_password_hash(password))
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str, ip: str,
                 now: dt.datetime | None = None) -> User | None:
    """The user whose ``email`` and ``password`` these are, signing in from ``ip``; None for an
    unknown email or a wrong password (deliberately not saying which), the failure recorded.

    Raises LockedOut (nothing checked, nothing recorded) while the account or the address is
    locked out. A success sets ``last_login_at`` and clears this account's failures from
    ``ip``. Runs in the caller's transaction (a failure is counted once it commits).
    """
    now = now or utcnow()
    email, ip = normalise_email(email)[:320], (ip or "unknown")[:64]
    since = now - LOCKOUT_WINDOW
    recent = select(func.count(), func.min(LoginAttempt.at)).where(LoginAttempt.at > since)
    for limit, (count, oldest) in (
            (MAX_FAILURES, session.execute(recent.where(LoginAttempt.email == email,
                                                        LoginAttempt.ip == ip)).one()),
            (MAX_FAILURES_PER_IP, session.execute(recent.where(LoginAttempt.ip == ip)).one())):
        if count >= limit:
            raise LockedOut(max(1, int((oldest + LOCKOUT_WINDOW - now).total_seconds())))
    user = session.scalars(select(User).filter_by(email=email)).one_or_none()
    password = (password or "")[:MAX_PASSWORD_LENGTH]
    if not check_password_hash(user.password_hash if user else _DUMMY_HASH, password) or user is None:
        session.execute(delete(LoginAttempt).where(LoginAttempt.at <= since))
        session.add(LoginAttempt(email=email, ip=ip, at=now))
        return None
    session.execute(delete(LoginAttempt).where(LoginAttempt.email == email, LoginAttempt.ip == ip))
    user.last_login_at = now
    return user


def get(session: Session, user_id: int) -> User | None:
    """The user with ``user_id`` (from a signed session cookie), or None when it was deleted."""
    return session.get(User, user_id)
