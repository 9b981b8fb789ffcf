"""gunicorn hooks for ``bench/gunicorn_cpu.py``: a worker's CPU per request, and a cProfile of one step.

Loaded with ``gunicorn -c bench/gunicorn_hooks.py``. With one sync worker driven by one
client at a time, the worker's CPU (``time.process_time``) between the end of one request
and the end of the next is all it spent on the next: accepting, gunicorn's HTTP parsing,
the app, writing the answer (waiting in ``select`` costs none). Each request is recorded
as (label, CPU ms, of which database ms), the label being the path, or ``g<step>`` for
``/voice/gather``. Database CPU: inside SQLAlchemy's ``Connection`` statement execution,
BEGIN, COMMIT and ROLLBACK, the pool checkout (its pre-ping included), and the statements
run on the driver's cursor (``adapters.db.Prepared``), timed by
wrapping those methods in the worker (outermost call only).

Environment: ``BENCH_CPU_OUT`` (required) the JSON file written when the worker exits;
``BENCH_PROFILE`` a label (``g5``): every other request of it runs under cProfile (recorded
as ``g5*``, so the others give its CPU without the profiler's overhead), dumped to
``BENCH_CPU_OUT`` + ``.prof``.
"""
from __future__ import annotations

import cProfile
import functools
import json
import os
import time
from urllib.parse import parse_qs

_seen: list[tuple[str, float]] = []
_last = [0.0]
_profiler = cProfile.Profile(time.process_time)  # CPU, as the figures: waits on the database cost none
_profiling = [False, 0]  # this request is profiled; requests of the profiled label so far
_database = [0.0, False]  # CPU s in database calls during this request; inside one now


def _timed(method):
    @functools.wraps(method)
    def timed(*args, **kwargs):
        if _database[1]:
            return method(*args, **kwargs)
        _database[1], start = True, time.process_time()
        try:
            return method(*args, **kwargs)
        finally:
            _database[0] += time.process_time() - start
            _database[1] = False
    return timed


def _time_database_calls() -> None:
    from sqlalchemy.engine.base import Connection, Engine

    from receptionist.adapters.db import Prepared

    for cls, names in ((Connection, ("execute", "exec_driver_sql", "_begin_impl", "_commit_impl", "_rollback_impl")),
                       (Engine, ("raw_connection",)), (Prepared, ("execute",))):
        for name in names:
            setattr(cls, name, _timed(getattr(cls, name)))


def _label(req) -> str:
    if req.path == "/voice/gather":
        return "g" + parse_qs(req.query).get("step", ["?"])[0]
    return req.path


def post_fork(server, worker) -> None:
    _time_database_calls()
    _last[0] = time.process_time()


def pre_request(worker, req) -> None:
    _database[0] = 0.0
    _profiling[0] = False
    if os.environ.get("BENCH_PROFILE") == _label(req):
        _profiling[1] += 1
        _profiling[0] = _profiling[1] % 2 == 1
        if _profiling[0]:
            _profiler.enable()


def post_request(worker, req, environ, resp) -> None:
    _profiler.disable()
    now = time.process_time()
    _seen.append((_label(req) + ("*" if _profiling[0] else ""), (now - _last[0]) * 1000, _database[0] * 1000))
    _last[0] = now


def worker_exit(server, worker) -> None:
    out = os.environ["BENCH_CPU_OUT"]
    with open(out, "w") as f:
        json.dump(_seen, f)
    if os.environ.get("BENCH_PROFILE"):
        _profiler.dump_stats(out + ".prof")
