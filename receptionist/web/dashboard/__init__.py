"""The recruiter pages at ``/``: server-rendered (Jinja, autoescaped), behind a sign-in.

- Sessions: Flask's signed cookie, keyed with ``SECRET_KEY`` (else a key generated once into
  the instance folder, 0600, shared by every worker); HttpOnly, SameSite=Lax, Secure when
  ``PUBLIC_BASE_URL`` is https; a session ends ``SESSION_LIFETIME_S`` after sign-in whatever
  the cookie says (the sign-in time is in the signed session and checked on every request).
- CSRF: every POST to these pages carries Flask-WTF's token (``csrf_token()`` in forms),
  checked here for this blueprint only: Twilio's webhooks and the API are not forms.
- Scope: every view reads ``g.user.company_id`` and passes it to the services, which answer
  for that company only (another company's id is "not found").
- Content-Security-Policy: no inline script, nothing from another origin, so text a caller
  said is shown, never run, even if escaping were ever missed.
- Times: stored in UTC, shown (and date filters read) in the company's timezone
  (``services.reports.company_timezone``): a recruiter in Ohio reads the call they just took
  at 8 PM as 8 PM, and "since today" means their today.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Blueprint, Flask, abort, current_app, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from werkzeug.middleware.proxy_fix import ProxyFix
from wtforms import ValidationError

from ...adapters.models import utcnow
from ...services import reports, users
from ...engine.languages import english_name
from ...phones import for_people
from ...settings import local_secret

bp = Blueprint("dashboard", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/dashboard")

PUBLIC_ENDPOINTS = {"dashboard.login", "dashboard.static"}
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


@dataclass(frozen=True)
class SignedIn:
    """The recruiter behind this request (``g.user``)."""

    id: int
    email: str
    company_id: int
    company_name: str
    timezone: str = "UTC"  # IANA name: the company's (``reports.company_timezone``)


def container():
    """The composition root's container (services' unit of work, settings)."""
    return current_app.extensions["container"]


@bp.before_request
def require_sign_in():
    """Every page but the sign-in needs a live session of an existing user; POSTs need the CSRF token."""
    if request.method == "POST":
        try:
            validate_csrf(request.form.get("csrf_token"))
        except ValidationError as exc:
            raise CSRFError(str(exc)) from None
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    user_id, signed_in_at = session.get("uid"), session.get("at")
    lifetime = current_app.permanent_session_lifetime
    if not user_id or not signed_in_at or utcnow() - dt.datetime.fromisoformat(signed_in_at) > lifetime:
        session.clear()
        return redirect(url_for("dashboard.login", next=request.full_path.rstrip("?") if request.method == "GET" else None))
    found = container().uow.run(lambda s: _signed_in(s, users.get(s, user_id)))
    if found is None:
        session.clear()
        return redirect(url_for("dashboard.login"))
    g.user = found
    return None


def _signed_in(s, user) -> SignedIn | None:
    return user and SignedIn(user.id, user.email, user.company_id, user.company.name,
                             reports.company_timezone(s, user.company_id))


def zone() -> dt.tzinfo:
    """The signed-in recruiter's company's timezone (UTC without a sign-in or for an unknown name)."""
    name = g.user.timezone if "user" in g else "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.timezone.utc


def local_time(t: dt.datetime | None) -> str:
    """``t`` (aware) as the recruiter reads it: "2026-11-24 20:01 EST", in the company's timezone."""
    if t is None:
        return ""
    here = t.astimezone(zone())
    return f"{here:%Y-%m-%d %H:%M} {here.tzname()}"


@bp.after_request
def security_headers(response):
    """Pages are private and never framed; no script but ours runs on them."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def error_page(status: int, heading: str, message: str):
    """A page in the layout (navigation, a way back) saying what went wrong, with ``status``."""
    return render_template("dashboard/error.html", heading=heading, message=message), status


@bp.app_errorhandler(CSRFError)
def csrf_failed(exc: CSRFError):
    """A form without a valid token (expired page, another site): 400 and nothing done."""
    return error_page(400, "This form has expired",
                      f"Nothing was changed: the form had expired or did not come from this site "
                      f"({exc.description}). Reload the page and try again.")


@bp.errorhandler(404)
def not_found(_exc):
    """An unknown or another company's candidate: said plainly, with the way back."""
    return error_page(404, "Not found", "This candidate or page is not in your company's pipeline.")


# Paths whose callers are not recruiters in a browser: Twilio's webhooks, the candidate's
# interview stand-in, the load balancer's probe (the API answers its own, in JSON).
_NOT_PAGES = ("/voice/", "/sms/", "/interview/", "/healthz")


def _unknown_address(exc):
    """A recruiter's browser asking for an address no view has (a mistyped or shortened link):
    the layout's 404 page with the way back instead of the bare default. None otherwise
    (``make_flask``'s renderers)."""
    if exc.code != 404 or request.method not in ("GET", "HEAD") or request.path.startswith(_NOT_PAGES) \
            or not request.accept_mimetypes.accept_html:
        return None
    return error_page(404, "Not found", "There is no page at this address.")


@bp.errorhandler(400)
def bad_request(exc):
    """A filter that cannot be read (e.g. a date typed by hand): named, with the way back."""
    if isinstance(exc, CSRFError):  # a handler by code wins over one by class: send it on
        return csrf_failed(exc)
    return error_page(400, "Cannot show this page", f"Check the filters: {exc.description}")


def init_app(app: Flask) -> None:
    """Configure sessions and CSRF on ``app`` and register the pages' blueprint."""
    from . import actions, auth, pages, recordings  # noqa: F401  (the views register on ``bp``)

    app.extensions["http_error_renderers"].append(_unknown_address)

    settings = app.config["SETTINGS"]
    app.secret_key = settings.secret_key or local_secret("secret-key", settings.instance_path)
    app.config.update(
        PERMANENT_SESSION_LIFETIME=dt.timedelta(seconds=settings.session_lifetime_s),
        SESSION_REFRESH_EACH_REQUEST=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(settings.public_base_url and settings.public_base_url.startswith("https:")),
        WTF_CSRF_TIME_LIMIT=settings.session_lifetime_s,
    )
    app.jinja_env.globals["csrf_token"] = generate_csrf
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["language_name"] = english_name
    app.jinja_env.filters["phone"] = for_people  # "(202) 555-0127": E.164 stays in exports and the API
    if settings.trusted_proxy_hops:
        # Only the client address: the Twilio signature keeps using PUBLIC_BASE_URL.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxy_hops)
    app.register_blueprint(bp)


def company_id() -> int:
    """The signed-in recruiter's company (every query is scoped to it)."""
    if "user" not in g:
        abort(401)
    return g.user.company_id
