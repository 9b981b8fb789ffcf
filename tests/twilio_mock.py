"""Prism (``@stoplight/prism-cli``, from package.json) mocking Twilio's REST API on loopback,
driven by Twilio's own OpenAPI description ``../shared/twilio/twilio_api_v2010.json``.

``--errors`` makes Prism answer requests that break the spec with 422 (401 without Basic
auth) instead of only logging a warning; valid ones get the spec's example, e.g. a Message
with sid ``SMaaaa...``. Install with ``npm ci`` in the repo root.
"""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PRISM = ROOT / "node_modules" / ".bin" / "prism"
SPEC = ROOT.parent / "shared" / "twilio" / "twilio_api_v2010.json"
START_TIMEOUT_S = 60  # about 2 s here: the 1.8 MB spec is parsed before it listens


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def start_twilio_mock(log_path: Path | None = None) -> Iterator[str | None]:
    """Run Prism for the ``with`` block and yield its base URL (``http://127.0.0.1:PORT``).

    Yields None when Prism is not installed, so a fixture can skip; under ``CI`` (which
    installs it) that raises instead. Prism's output goes to ``log_path`` (or nowhere);
    it logs each request's validation result there.
    """
    missing = [str(path) for path in (PRISM, SPEC) if not path.exists()]
    if missing:
        # CI installs Prism and has ../shared beside the clone: there, missing is a failure.
        if os.environ.get("CI"):
            raise RuntimeError(f"missing {', '.join(missing)}: run `npm ci` in {ROOT}, with ../shared beside it")
        yield None
        return
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = open(log_path, "wb") if log_path else subprocess.DEVNULL
    # Own process group: the .bin shim starts node, and both must go at the end.
    proc = subprocess.Popen(
        [str(PRISM), "mock", "--errors", "-h", "127.0.0.1", "-p", str(port), str(SPEC)],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"Prism exited with {proc.returncode} (log: {log_path})")
            try:
                requests.get(base_url, timeout=1)  # any HTTP answer (404 for "/") means ready
                break
            except (requests.ConnectionError, requests.Timeout):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Prism not answering after {START_TIMEOUT_S} s")
                time.sleep(0.1)
        yield base_url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if log_path:
            log.close()
