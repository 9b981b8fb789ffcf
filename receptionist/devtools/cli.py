"""The simulators' commands: ``flask --app app call`` and ``flask --app app text``.

They register through the ``flask.commands`` entry point (pyproject.toml). Flask loads every
such command whenever its CLI starts, ``flask serve`` (the web process) and ``flask worker``
included, so this module imports only click and the defaults: a simulator, and httpx with
it, is imported when its command runs. An install without the ``dev`` extra (no httpx) thus
serves as usual, and ``call``/``text`` say what to install.
"""
from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import click
from flask.cli import with_appcontext

from .defaults import DEFAULT_FROM, DEFAULT_OUTBOX_WAIT, DEFAULT_SMS_TO, DEFAULT_TO, DEFAULT_URL, SCRIPT_OUTBOX_WAIT

SCRIPT = click.Path(exists=True, dir_okay=False, path_type=Path)


def _simulator(name: str) -> ModuleType:
    """``receptionist.devtools.<name>``; raises click.ClickException when a development
    dependency it needs is not installed."""
    try:
        return importlib.import_module(f"{__package__}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == "httpx":
            raise click.ClickException(
                f"the {name} simulator needs httpx, a development dependency: pip install -e '.[dev]'"
            ) from exc
        raise


# Options both commands take (each use makes its own click.Option).
_url_option = click.option("--url", "base_url", default=DEFAULT_URL, envvar="RECEPTIONIST_URL", show_default=True,
                           show_envvar=True, help="Base URL of the running server.")
_auth_token_option = click.option("--auth-token", default=None, envvar="TWILIO_AUTH_TOKEN", show_envvar=True,
                                  help="Token to sign requests with. Default: the local development token.")


@click.command("call")
@_url_option
@click.option("--from", "from_number", default=DEFAULT_FROM, show_default=True, help="Caller's number (E.164).")
@click.option("--to", "to_number", default=DEFAULT_TO, show_default=True, help="Number dialed (E.164).")
@click.option("--forwarded-from", default=None, help="ForwardedFrom: the number that forwarded the call.")
@click.option("--source", default=None, help="Sent as ?source= on /voice/inbound (e.g. ivr).")
@click.option("--script", "script_path", default=None, type=SCRIPT,
              help="Play this caller script instead of the prompt; exit 0 only if the call goes as scripted.")
@_auth_token_option
def call_command(**options):
    """Call the receptionist as Twilio would: signed webhooks, TwiML played in the terminal.

    Script headers (@from, @to, @forwarded-from, @source) win over the options.
    """
    click.get_current_context().exit(_simulator("call").run_command(**options))


@click.command("text")
@click.argument("body", required=False)
@_url_option
@click.option("--to", "to_number", default=DEFAULT_SMS_TO, show_default=True,
              help="Number texted (E.164); default: the sample SMS screening agent.")
@click.option("--from", "from_number", default=DEFAULT_FROM, show_default=True,
              help="The simulated phone's number (E.164).")
@click.option("--media", "media", multiple=True, metavar="URL",
              help="Attach a picture or file by URL (repeatable): NumMedia, MediaUrlN, MediaContentTypeN.")
@click.option("--script", "script_path", default=None, type=SCRIPT,
              help="Play this texting script; exit 0 only if every expect holds.")
@_auth_token_option
@click.option("--outbox-wait", type=click.FloatRange(0, 600), default=None,
              help=f"Seconds to wait for outbox texts after a text (default {DEFAULT_OUTBOX_WAIT:g}); "
                   f"with --script, how long expect-outbox waits (default {SCRIPT_OUTBOX_WAIT:g}).")
@with_appcontext
def text_command(**options):
    """Text the receptionist as Twilio would: signed /sms/inbound webhooks, replies and
    outbox texts printed in the terminal.

    With BODY: send one text (with --media and no BODY: a picture only) and exit.
    With --script FILE: play the script (its @from/@to win over the options).
    Otherwise: an interactive phone.
    """
    if options["script_path"] and (options["body"] is not None or options["media"]):
        raise click.UsageError("--script plays a whole script: give either BODY/--media or --script")
    click.get_current_context().exit(_simulator("text").run_command(**options))
