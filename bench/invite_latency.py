"""Benchmark: from a qualified caller's last answer to the interview-link text being handed to
the SMS sender (the outbox row's ``sent_at``), through a real RQ worker process.

Each call is a whole qualified call through the Flask app (signed webhooks); right after
the last answer the duplicate check is cleared as the ATS job would, and routing runs
(auto, threshold 70); the worker then runs the invite (the built-in stand-in, no network)
and the text. Calls are run one after another, so each measures an idle system's latency.
SQLite by default (or DATABASE_URL); Redis from REDIS_URL or the embedded server.

    .venv/bin/python bench/invite_latency.py [--calls 20]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.webhooks import CALL, TOKEN, percentile, service_app  # noqa: E402
from receptionist.adapters import redis_server  # noqa: E402
from receptionist.adapters.models import Application, Candidate, OutboxItem, OutboxStatus  # noqa: E402
from receptionist.engine.vocabulary import DuplicateCheck  # noqa: E402
from receptionist.services.routing import route_if_ready  # noqa: E402

TIMEOUT_S = 30


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="receptionist-invite-bench-"))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.db'}"
    redis = os.environ.get("REDIS_URL") or redis_server.start_embedded(tmp)
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis, "INSTANCE_PATH": str(tmp),
           "TWILIO_AUTH_TOKEN": TOKEN, "PYTHONUNBUFFERED": "1"}
    for name in ("TWILIO_ACCOUNT_SID", "INTERVIEW_PLATFORM_URL", "INTERVIEW_WEBHOOK_URL"):
        env.pop(name, None)
    app = service_app(tmp, url, redis)
    settings = app.extensions["container"].settings
    client, validator, uow = app.test_client(), RequestValidator(TOKEN), app.extensions["container"].uow
    log = open(tmp / "worker.log", "wb")
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker"], cwd=ROOT, env=env,
                              stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    latencies: list[float] = []
    try:
        from rq import Worker
        from receptionist.adapters.queue import connection
        deadline = time.monotonic() + TIMEOUT_S
        while not Worker.all(connection=connection(settings)):  # measured from a worker that is up
            if time.monotonic() > deadline or worker.poll() is not None:
                raise SystemExit(f"the worker did not start; see {tmp / 'worker.log'}")
            time.sleep(0.05)
        for n in range(args.calls):
            sid, caller = f"CA{n:032x}", f"+1312555{n % 10000:04d}"
            base = {"CallSid": sid, "AccountSid": "AC" + "0" * 32, "From": caller, "To": "+12025550100",
                    "CallStatus": "in-progress", "Direction": "inbound", "ApiVersion": "2010-04-01"}
            for step, params in enumerate([{}] + CALL):
                path = "/voice/inbound" if step == 0 else f"/voice/gather?step={step}"
                sig = validator.compute_signature("http://localhost" + path, {**base, **params})
                response = client.post(path, data={**base, **params}, headers={"X-Twilio-Signature": sig})
                assert response.status_code == 200, response.data
            answered = time.time()

            def ats_clears(s):  # what the ATS duplicate check does when it finds nothing
                application = s.scalars(select(Application).join(Candidate).filter(Candidate.phone == caller)).one()
                application.duplicate_check = DuplicateCheck.clear
                route_if_ready(s, application)
                return application.id
            app_id = uow.run(ats_clears)
            deadline = time.monotonic() + TIMEOUT_S
            while True:
                sent = uow.run(lambda s: s.scalars(select(OutboxItem.sent_at).filter_by(
                    purpose="interview_link", status=OutboxStatus.sent).where(
                    OutboxItem.idempotency_key.like(f"interview_link:{app_id}:%"))).first())
                if sent is not None:
                    latencies.append((sent.timestamp() - answered) * 1000)
                    break
                if time.monotonic() > deadline:
                    raise SystemExit(f"call {n}: no interview-link text after {TIMEOUT_S} s; see {tmp / 'worker.log'}")
                time.sleep(0.005)
    finally:
        worker.terminate()
        worker.wait(30)
        log.close()
        redis_server.stop_embedded()
    print(f"last answer -> interview-link text handed to the SMS sender, {len(latencies)} calls "
          f"(database: {url.split('://')[0]}, one RQ worker, built-in interview stand-in)")
    print(f"p50 {statistics.median(latencies):.0f} ms   p95 {percentile(latencies, 95):.0f} ms   "
          f"max {max(latencies):.0f} ms   (issue 11: the link within 5 s in the embedded run)")


if __name__ == "__main__":
    main()
