"""A call's recording, fetched from Twilio as MP3 for a recruiter's browser.

Source: Twilio API reference, "Recording resource": the media of
``/2010-04-01/Accounts/{AccountSid}/Recordings/{RecordingSid}`` is WAV without an extension and
MP3 (``audio/mpeg``) with ``.mp3`` appended; with "Enforce HTTP Auth on Media URLs" on (Twilio's
advice) it needs HTTP basic auth with the Account SID and Auth Token. The RecordingUrl of the
recording status callback is that resource's URL.

Only Twilio's API host is ever asked (or ``TWILIO_API_BASE_URL``, a stand-in in tests): the
stored URL is checked against that shape and rebuilt from its SIDs, so a forged or odd
RecordingUrl never makes the server fetch anything else (SSRF). httpx is imported on first use:
importing the web app loads no HTTP client (tests/test_devtools_off_runtime.py).
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import httpx

TWILIO_API = "https://api.twilio.com"
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 15.0  # between two chunks: a recording that stops flowing ends the answer
CHUNK_BYTES = 64 * 1024
MAX_REDIRECTS = 3  # Twilio may redirect media; httpx drops the Authorization header across hosts
PASSED_HEADERS = ("Content-Length", "Content-Range", "Accept-Ranges", "ETag", "Last-Modified")

_PATH = re.compile(r"/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Recordings/(RE[0-9a-fA-F]{32})(?:\.(?:wav|mp3|json))?")
_RANGE = re.compile(r"bytes=[0-9]*-[0-9]*(?:, ?[0-9]*-[0-9]*){0,4}")


def media_url(stored_url: str | None, api_base_url: str | None = None) -> str | None:
    """The MP3 URL to fetch for a stored RecordingUrl, on ``api_base_url`` (else Twilio's API),
    e.g. ``https://api.twilio.com/2010-04-01/Accounts/AC…/Recordings/RE….mp3``.

    None unless ``stored_url`` is exactly a Recording resource on Twilio's API host (https) or
    on ``api_base_url``'s host: no other host, query, fragment, user info or path."""
    if not stored_url:
        return None
    base = (api_base_url or TWILIO_API).rstrip("/")
    parts = urlsplit(stored_url)
    found = _PATH.fullmatch(parts.path)
    if f"{parts.scheme}://{parts.netloc}" not in (TWILIO_API, base) or parts.query or parts.fragment or not found:
        return None
    account_sid, recording_sid = found.groups()
    return f"{base}/2010-04-01/Accounts/{account_sid}/Recordings/{recording_sid}.mp3"


def byte_range(header: str | None) -> str | None:
    """The browser's ``Range`` header when it is a plain bytes range (passed on), else None."""
    value = (header or "").strip()
    return value if _RANGE.fullmatch(value) else None


class RecordingUnavailable(Exception):
    """Twilio did not give the recording. ``status``: Twilio's HTTP status (None: no answer,
    e.g. refused or timed out); ``gone``: Twilio answered 404 (deleted, or never saved)."""

    def __init__(self, message: str, *, status: int | None):
        super().__init__(message)
        self.status = status
        self.gone = status == 404


@dataclass
class RecordingStream:
    """Twilio's answer, open: ``status`` 200, 206 (a range) or 416; ``headers`` the ones
    worth passing on (``PASSED_HEADERS`` present in the answer); ``chunks()`` the body; call
    ``close()`` when done (also after a partial read)."""

    status: int
    headers: dict[str, str]
    response: httpx.Response
    client: httpx.Client

    def chunks(self) -> Iterator[bytes]:
        """The body in chunks of up to ``CHUNK_BYTES``; stops early (no error) when Twilio's
        answer breaks off, since the player has already started."""
        import httpx
        try:
            yield from self.response.iter_bytes(CHUNK_BYTES)
        except httpx.HTTPError:
            return
        finally:
            self.close()

    def close(self) -> None:
        self.response.close()
        self.client.close()


def open_recording(url: str, account_sid: str, auth_token: str, *, range_header: str | None = None,
                   timeout: httpx.Timeout | None = None) -> RecordingStream:
    """GET ``url`` (from :func:`media_url`) with basic auth, streaming; ``range_header`` is
    passed on so a player can seek. Returns the open answer (200, 206 or 416); raises
    :class:`RecordingUnavailable` for any other answer, a timeout or no connection."""
    import httpx
    client = httpx.Client(auth=(account_sid, auth_token), follow_redirects=True, max_redirects=MAX_REDIRECTS,
                          timeout=timeout or httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S))
    headers = {"Accept": "audio/mpeg", "User-Agent": "receptionist"}
    if range_header:
        headers["Range"] = range_header
    try:
        response = client.send(client.build_request("GET", url, headers=headers), stream=True)
    except httpx.TimeoutException as exc:
        client.close()
        raise RecordingUnavailable(f"Twilio timed out: {type(exc).__name__}", status=None) from exc
    except httpx.HTTPError as exc:
        client.close()
        raise RecordingUnavailable(f"Twilio unreachable: {type(exc).__name__}", status=None) from exc
    if response.status_code not in (200, 206, 416):
        response.close()
        client.close()
        raise RecordingUnavailable(f"Twilio answered HTTP {response.status_code}", status=response.status_code)
    kept = {name: response.headers[name] for name in PASSED_HEADERS if name in response.headers}
    return RecordingStream(response.status_code, kept, response, client)
