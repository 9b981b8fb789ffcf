"""gunicorn's settings for this project, read by gunicorn started in this folder
(``gunicorn app:app``; gunicorn reads ``./gunicorn.conf.py`` unless given ``-c``).

Before the workers start, the database is made ready as ``make run`` makes it: migrated to
the newest revision and, with the embedded defaults (DATABASE_URL unset), the sample company
loaded into an empty database (``flask --app app db prepare``). Without this a fresh
checkout served by gunicorn answered every call "we are having a problem" (no tables).
Once, in the arbiter, so the workers never race over a migration; a database that cannot be
reached stops gunicorn here with the error, rather than workers that fail every webhook.
``MIGRATE_ON_START=0`` leaves the database alone (migrations run by the deploy instead).
"""
import os
import subprocess
import sys
from pathlib import Path


def on_starting(server):
    """gunicorn's hook before the arbiter starts its workers (gunicorn docs, "Server Hooks")."""
    if os.environ.get("MIGRATE_ON_START", "1").strip() == "0":
        return
    project = Path(__file__).resolve().parent
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "db", "prepare"], cwd=project,
                          capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"flask --app app db prepare failed ({done.returncode}): "
                           f"{(done.stderr or done.stdout).strip()[-2000:]}")
    server.log.info("%s", done.stdout.strip())
