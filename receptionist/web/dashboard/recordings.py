"""A call's recording played on the candidate page: the server fetches the MP3 from Twilio
with the account's credentials and streams it on, so a recruiter (who has no Twilio login)
hears it in the page's player, and a phone downloads a small MP3, not the WAV.

Range requests go through to Twilio (a player seeks, a phone fetches in pieces); the answer is
``Cache-Control: private`` (the browser may keep it, a shared cache never). The audio stays at
Twilio: nothing is written here (DESIGN: recordings referenced, not copied).
"""
from __future__ import annotations

import logging

from flask import Response, abort, request

from ...adapters import twilio_recordings
from ...services import candidates
from ...services.errors import NotFound
from . import bp, company_id, container, error_page

log = logging.getLogger(__name__)

CACHE_CONTROL = "private, max-age=3600"


@bp.get("/candidates/<int:candidate_id>/calls/<int:conversation_id>/recording")
def recording(candidate_id: int, conversation_id: int):
    """The call's recording as ``audio/mpeg`` (200, or 206 for a ``Range``); ``?download=1``
    as an attachment. 404 for another company's call or one without a recording; 503 without
    Twilio credentials; 502 when Twilio does not give it (404 when Twilio has no such recording)."""
    cid = company_id()
    try:
        stored = container().uow.run(lambda s: candidates.recording_url(s, cid, candidate_id, conversation_id))
    except NotFound:
        abort(404)
    settings = container().settings
    if not stored:
        return error_page(404, "No recording", "This call was not recorded.")
    url = twilio_recordings.media_url(stored, settings.twilio_api_base_url)
    if url is None:
        log.warning("conversation %s: the stored recording URL is not on Twilio's API; not fetched", conversation_id)
        return error_page(404, "Recording unavailable", "This call's recording address is not Twilio's, so it "
                                                         "cannot be played here.")
    if not settings.twilio_account_sid:
        return error_page(503, "Recordings cannot be played here yet",
                          "Twilio credentials are not configured on this server (TWILIO_ACCOUNT_SID and "
                          "TWILIO_AUTH_TOKEN). Ask whoever runs it to set them.")
    try:
        upstream = twilio_recordings.open_recording(url, settings.twilio_account_sid, settings.twilio_auth_token,
                                                    range_header=twilio_recordings.byte_range(request.headers.get("Range")))
    except twilio_recordings.RecordingUnavailable as exc:
        log.warning("conversation %s: recording not fetched from Twilio: %s", conversation_id, exc)
        if exc.gone:
            return error_page(404, "Recording not found at Twilio",
                              "Twilio no longer has this recording (it was deleted, or the call ended before "
                              "it was saved).")
        if exc.status in (401, 403):
            return error_page(502, "Twilio refused this server's credentials",
                              "Twilio would not send the recording: TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN on "
                              "this server do not match the account that recorded the call. Ask whoever runs it.")
        return error_page(502, "Twilio did not send the recording",
                          "The recording could not be fetched from Twilio just now "
                          f"({'no answer' if exc.status is None else f'HTTP {exc.status}'}). Try again in a minute.")
    response = Response(upstream.chunks(), status=upstream.status, mimetype="audio/mpeg", headers=upstream.headers,
                        direct_passthrough=True)
    response.call_on_close(upstream.close)  # the browser left mid-way: let go of Twilio's answer too
    response.headers["Cache-Control"] = CACHE_CONTROL
    name = f"call-{conversation_id}.mp3"
    response.headers["Content-Disposition"] = (f'attachment; filename="{name}"' if request.args.get("download")
                                               else f'inline; filename="{name}"')
    return response
