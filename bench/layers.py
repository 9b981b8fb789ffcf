"""Benchmark: what a gather costs per layer, in-process (CPU ms, no server, no profiler).

Calls the WSGI apps as gunicorn does (an environ with ``RAW_URI`` and a URL-encoded body)
and prints, for the 5th answer of whole qualified calls (``webhooks.CALL``, signed as Twilio
signs them), the median and mean CPU ms of: the bare Flask ceiling (``bench/ceiling.py``)
given the same request; the request refused for its signature (403: Flask, the form, the
HMAC, the error page); the same answer posted again (a replay: + the unit of work and one
read of the stored reply); the answer itself (+ the engine, the TwiML and the turn's
writes); and an empty unit of work (a connection's checkout, BEGIN, COMMIT, checkin).
Subtracting neighbours gives each layer. SQLite by default, or ``DATABASE_URL``.

    .venv/bin/python bench/layers.py [--calls 300]
"""
from __future__ import annotations

import argparse
import gc
import io
import logging
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from twilio.request_validator import RequestValidator  # noqa: E402

from bench.ceiling import app as ceiling  # noqa: E402
from bench.webhooks import CALL, TOKEN, call_fields, sample_app  # noqa: E402

HOST = "127.0.0.1:8000"


def environ(path: str, params: dict, signer: RequestValidator | None) -> dict:
    """The WSGI environ gunicorn builds for a Twilio POST of ``params`` to ``path``; signed
    with ``signer``, else carrying a wrong signature."""
    body = urlencode(params).encode()
    route, _, query = path.partition("?")
    signature = signer.compute_signature(f"http://{HOST}{path}", params) if signer else "wrong"
    return {"REQUEST_METHOD": "POST", "SCRIPT_NAME": "", "PATH_INFO": route, "QUERY_STRING": query, "RAW_URI": path,
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "HTTP_HOST": HOST, "SERVER_PROTOCOL": "HTTP/1.1",
            "CONTENT_TYPE": "application/x-www-form-urlencoded", "CONTENT_LENGTH": str(len(body)),
            "HTTP_X_TWILIO_SIGNATURE": signature, "HTTP_USER_AGENT": "TwilioProxy/1.1", "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr, "wsgi.version": (1, 0),
            "wsgi.multithread": False, "wsgi.multiprocess": False, "wsgi.run_once": False}


def cpu_ms(wsgi_app, env: dict) -> tuple[float, str]:
    """CPU ms of one request through ``wsgi_app``, and its status line."""
    seen = []
    start = time.process_time()
    b"".join(wsgi_app(env, lambda status, headers, exc_info=None: seen.append(status)))
    return (time.process_time() - start) * 1000, seen[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=40)
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the refused requests' log lines are not what is measured
    app, url = sample_app("receptionist-layers-")
    signer, uow = RequestValidator(TOKEN), app.extensions["container"].uow
    figures: dict[str, list[float]] = {}

    def note(name: str, ms: float, status: str, expected: str) -> None:
        assert status.startswith(expected), (name, status)
        if n >= args.warmup:
            figures.setdefault(name, []).append(ms)

    for n in range(args.calls + args.warmup):
        if n == args.warmup:
            gc.collect()
            gc.freeze()  # as app.py does once loaded
        fields = call_fields(n)
        steps = [("/voice/inbound", fields)]
        steps += [(f"/voice/gather?step={s}", {**fields, **i}) for s, i in enumerate(CALL, start=1)]
        steps.append(("/voice/status", {**fields, "CallStatus": "completed", "CallDuration": "95"}))
        for i, (path, params) in enumerate(steps):
            if i != 5:
                assert cpu_ms(app, environ(path, params, signer))[1][:3] in ("200", "204")
                continue
            note("ceiling", *cpu_ms(ceiling, environ(path, params, signer)), "200")
            note("refused (403)", *cpu_ms(app, environ(path, params, None)), "403")
            note("answer", *cpu_ms(app, environ(path, params, signer)), "200")
            note("replay", *cpu_ms(app, environ(path, params, signer)), "200")
            start = time.process_time()
            uow.run(lambda connection: None, orm=False, autocommit_first=True)
            note("empty unit of work", (time.process_time() - start) * 1000, "200", "200")
    print(f"g5 in-process, {url.split(':')[0]}; {args.calls} calls measured; CPU ms per request")
    print(f"{'layer':<20}{'p50':>8}{'mean':>8}")
    for name, values in figures.items():
        print(f"{name:<20}{statistics.median(values):>8.3f}{statistics.mean(values):>8.3f}")


if __name__ == "__main__":
    main()
