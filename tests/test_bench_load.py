"""The load benchmark (``make bench-load``) runs end to end: a small SQLite run in a subprocess.

It starts gunicorn, an RQ worker and redis-server, places whole Twilio-style calls, then
checks the database; here we check that it completes without errors, that its database
check passes and that it leaves no process behind. No timing is asserted.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import psutil
import pytest

from bench.caller import QUALIFIED, choose_reply
from bench.stack import postgres_bin

ROOT = Path(__file__).resolve().parent.parent
MARK = "RECEPTIONIST_BENCH_LOAD_TEST"
TIMEOUT_S = 300  # far above the ~20 s it takes: only a hang gets here


def _left_behind(mark: str) -> list[str]:
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.environ().get(MARK) == mark:
                found.append(f"{proc.pid} {' '.join(proc.cmdline())[:120]}")
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


@pytest.mark.slow
def test_quick_sqlite_run_completes_with_no_error_and_passes_its_database_check():
    mark = uuid.uuid4().hex  # inherited by everything the harness starts
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "load.py"), "--quick", "--backends", "sqlite", "--callers", "6",
         "--calls", "12", "--client-processes", "1", "--time-limit", "120", "--drain-timeout", "60"],
        cwd=ROOT, env={**os.environ, MARK: mark}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)
    try:
        output, _ = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGTERM)  # the harness stops what it started, then exits
        output, _ = proc.communicate(timeout=60)
        pytest.fail(f"the benchmark did not finish in {TIMEOUT_S} s:\n{output}")
    assert proc.returncode == 0, output
    row = next(line.split() for line in output.splitlines() if line.startswith("sqlite "))
    assert row[7] == "0", output  # errors
    assert row[8] == "12/12", output  # calls completed
    assert "database check: OK (12 conversations, 72 answers each stored once, 12 texts each sent once)" in output, \
        output
    assert _left_behind(mark) == []


@pytest.mark.slow
@pytest.mark.skipif(postgres_bin() is None, reason="PostgreSQL binaries not installed (apt-get install postgresql)")
def test_pg_statements_prints_postgresqls_own_profile_per_call():
    mark = uuid.uuid4().hex
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "load.py"), "--backends", "postgres", "--callers", "3",
         "--calls", "6", "--client-processes", "1", "--time-limit", "120", "--drain-timeout", "60",
         "--pg-statements", "4"],
        cwd=ROOT, env={**os.environ, MARK: mark}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)
    try:
        output, _ = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=60)
        pytest.fail(f"the benchmark did not finish in {TIMEOUT_S} s:\n{output}")
    assert proc.returncode == 0, output
    lines = output.splitlines()
    at = next(n for n, line in enumerate(lines) if "PostgreSQL statements per call" in line)
    top = lines[at + 2:at + 6]
    assert len(top) == 4 and all(line.startswith("    ") for line in top), output
    # The turns' writes are there, and only what ran after the warm-up's reset: no migration DDL.
    assert any("UPDATE conversations" in line for line in top), output
    assert "CREATE TABLE" not in output
    assert _left_behind(mark) == []


@pytest.mark.parametrize("prompt,key", [
    ("For English, say English or press 1. Para español, diga español u oprima 2.", "language"),
    ("Great. I'll ask you a few short questions. Which job are you interested in? For Warehouse Associate, "
     "press 1. For Forklift Operator, press 2.", "posting"),
    ("Got it. Are you at least 18 years of age?", "age"),
    ("Thanks. How many years of experience do you have in a warehouse?", "experience"),
    ("I heard four years. Is that right?", "confirm"),
    ("What is your full name?", "name"),
])
def test_the_simulated_caller_answers_the_question_the_prompt_asks(prompt, key):
    reply, by_cue = choose_reply(prompt, QUALIFIED, given=[])
    assert (reply.key, by_cue) == (key, True)


def test_the_simulated_caller_keys_the_option_the_prompt_names():
    reply, _ = choose_reply("Which job are you interested in? For Delivery Driver, press 1. For Forklift "
                            "Operator, press 3.", QUALIFIED, given=[])
    assert reply.fields("For Delivery Driver, press 1. For Forklift Operator, press 3.") == {"Digits": "3"}


def test_an_unknown_prompt_gets_the_next_answer_of_the_script_then_the_caller_hangs_up():
    given: list[str] = []
    while True:
        reply, by_cue = choose_reply("Hi", QUALIFIED, given)
        if reply is None:
            break
        assert not by_cue
        given.append(reply.key)
    assert given == [r.key for r in QUALIFIED if r.required]
