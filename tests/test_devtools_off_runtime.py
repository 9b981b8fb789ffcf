"""The simulators stay off the runtime path: neither a web process nor any other `flask` process
imports them (or httpx, their development dependency) until `call` or `text` runs."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FLASK = Path(sys.executable).with_name("flask")  # the venv's flask, as `make run` uses it
SIMULATOR_MODULES = ("receptionist.devtools.call", "receptionist.devtools.text", "receptionist.devtools.twilio_http")
# Runs the flask CLI as if httpx were not installed (an install without the dev extra).
WITHOUT_HTTPX = "import sys; sys.modules['httpx'] = None; from flask.cli import main; main()"


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "INSTANCE_PATH": str(tmp_path), **env}
    environment.pop("DATABASE_URL", None)  # the default: SQLite under INSTANCE_PATH
    return subprocess.run(args, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)


def imported(importtime_log: str) -> set[str]:
    """The module names in a `-X importtime` log ("import time: self | cumulative | name")."""
    return {line.rsplit("|", 1)[1].strip() for line in importtime_log.splitlines()
            if line.startswith("import time:") and line.count("|") == 2}


def test_importing_the_app_imports_no_simulator_and_no_httpx(tmp_path):
    result = run([sys.executable, "-X", "importtime", "-c", "import app, sys; print(*sys.modules, sep='\\n')"],
                 tmp_path)

    assert result.returncode == 0, result.stderr[-2000:]
    # Both lists: the -X importtime log (what `python -X importtime -c "import app"` shows) and
    # sys.modules (which also holds modules loaded through importlib, which the log leaves out).
    for modules in (imported(result.stderr), set(result.stdout.split())):
        assert "receptionist.web.app" in modules
        assert not {m for m in modules if m.startswith("receptionist.devtools")}
        assert not {m for m in modules if m == "httpx" or m.startswith("httpx.")}


def test_the_flask_cli_lists_the_simulators_without_importing_them(tmp_path):
    """`flask serve` and `flask worker` run in such a process: the commands load from the entry
    point, the simulators do not (each would import twilio_http and httpx, which the log shows)."""
    if not FLASK.exists():
        pytest.skip(f"no flask script next to {sys.executable}: the project is not installed in this venv")
    result = run([str(FLASK), "--app", "app", "--help"], tmp_path, PYTHONPROFILEIMPORTTIME="1")

    assert result.returncode == 0, result.stderr[-2000:]
    commands = {line.split()[0] for line in result.stdout.split("Commands:", 1)[1].splitlines() if line.strip()}
    assert {"call", "text", "serve", "worker"} <= commands
    modules = imported(result.stderr)
    assert "receptionist.web.app" in modules
    assert not modules & set(SIMULATOR_MODULES)
    assert "httpx" not in modules


def test_without_httpx_the_cli_still_works_and_call_says_what_to_install(tmp_path):
    """An install without the dev extra: httpx cannot be imported, and nothing tries to until a
    simulator runs."""
    listed = run([sys.executable, "-c", WITHOUT_HTTPX, "--app", "app", "--help"], tmp_path)
    assert listed.returncode == 0, listed.stderr[-2000:]
    assert all(f"  {name} " in listed.stdout for name in ("call", "text", "serve"))

    called = run([sys.executable, "-c", WITHOUT_HTTPX, "--app", "app", "call", "--url", "http://127.0.0.1:9",
                  "--auth-token", "x"], tmp_path)
    assert called.returncode == 1
    assert "needs httpx" in called.stderr and "pip install -e '.[dev]'" in called.stderr
