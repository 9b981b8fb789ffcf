"""Flask's request class with a cheaper form for the bodies every Twilio webhook sends.

Twilio posts ``application/x-www-form-urlencoded`` with a ``Content-Length`` (Twilio,
"Twilio's request to your application"). Werkzeug parses such a body by building a form
parser and a length-limited stream around the input for each request (~40 us of a
webhook's CPU); here the body is read from the WSGI input and split into the pairs ``parse_qsl`` gives, as
Werkzeug itself does (``werkzeug.formparser.FormDataParser._parse_urlencoded``), with the
same answers to bad input: 413 past ``MAX_CONTENT_LENGTH``, 400 for a body shorter than its
``Content-Length``, an empty form for one that is not UTF-8. Read exactly its length, also
when the server ends the input itself (gunicorn's ``wsgi.input_terminated``). Any other
request (multipart, chunked, no length, a body read already) goes through Werkzeug unchanged.
"""
from __future__ import annotations

from io import BytesIO
from urllib.parse import unquote_plus

from flask import Request
from werkzeug import urls  # noqa: F401  registers the "werkzeug.url_quote" codec error handler
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.utils import cached_property

URLENCODED = "application/x-www-form-urlencoded"
_ERRORS = "werkzeug.url_quote"  # undecodable escapes kept as written, as Werkzeug keeps them


def _pairs(text: str) -> list[tuple[str, str]]:
    """The pairs ``parse_qsl(text, keep_blank_values=True, errors="werkzeug.url_quote")`` gives,
    as Werkzeug parses a form, without decoding the pieces that need none (most of a webhook's:
    SIDs, statuses, numbers)."""
    pairs = []
    for piece in text.split("&"):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        if "%" in name or "+" in name:
            name = unquote_plus(name, errors=_ERRORS)
        if "%" in value or "+" in value:  # From, To: "%2B1..."
            value = unquote_plus(value, errors=_ERRORS)
        pairs.append((name, value))
    return pairs


class TwilioParams(ImmutableMultiDict):
    """Werkzeug's MultiDict that also answers ``getall`` (``getlist`` by the name of aiohttp's
    multidict), the method twilio's ``RequestValidator.get_values`` tries first: without it the
    signature check catches an AttributeError for each of a webhook's ~16 parameters (~15 us)."""

    # The values of a key (KeyError when absent, as aiohttp's): the list the MultiDict holds,
    # not a copy, to be read only (as twilio's ``get_values`` does); a C call, no frame.
    getall = dict.__getitem__


class FormRequest(Request):
    """``request.form`` (and ``request.args``) as :class:`TwilioParams`, the form of a URL-encoded
    body with a length read without Werkzeug's form parser, the query split as the form is;
    everything else as Flask's :class:`flask.Request`."""

    parameter_storage_class = TwilioParams

    @cached_property
    def args(self) -> TwilioParams:
        """The query's parameters, as Werkzeug's ``args`` (``parse_qsl`` of the query decoded as
        UTF-8) but split by :func:`_pairs` (a few us instead of ~12: each webhook reads them)."""
        return self.parameter_storage_class(_pairs(self.query_string.decode()))

    def _urlencoded_length(self) -> int | None:
        """The body's length when it is URL-encoded with a plain ``Content-Length`` and no
        ``Transfer-Encoding`` (each Twilio webhook), read from the environ as Werkzeug's
        ``content_length`` and ``mimetype`` read it, without building the headers view and
        parsing the Content-Type (~15 us); None for any other request."""
        environ = self.environ
        length = environ.get("CONTENT_LENGTH", "")
        if "HTTP_TRANSFER_ENCODING" in environ or not (length.isascii() and length.isdigit()):
            return None  # chunked, no length, or one Werkzeug reads as 0
        ctype = environ.get("CONTENT_TYPE", "")
        if ctype != URLENCODED and ctype.partition(";")[0].strip().lower() != URLENCODED:
            return None
        return int(length)

    def _load_form_data(self) -> None:
        if "form" in self.__dict__:
            return
        length = self._urlencoded_length()
        if (length is None
                or "stream" in self.__dict__ or getattr(self, "_cached_data", None) is not None):  # read already
            return super()._load_form_data()
        limit = self.max_content_length
        if limit is not None and length > limit:
            raise RequestEntityTooLarge()
        body = self.environ["wsgi.input"].read(length) if length else b""
        if len(body) < length:
            raise ClientDisconnected()
        try:
            items = _pairs(body.decode())
        except ValueError:  # not UTF-8: Werkzeug's parser is silent and leaves the form empty
            items = []
        empty = self.parameter_storage_class()
        d = self.__dict__
        # The input read, as Werkzeug leaves it after parsing a form: request.stream is empty.
        d["stream"], d["form"], d["files"] = BytesIO(), self.parameter_storage_class(items), empty
