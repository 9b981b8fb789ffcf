"""Background processes: ``worker`` (RQ worker with its scheduler) and ``cron`` (RQ's cron)."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .serve import exit_with_supervisor

@click.command("worker")
@click.option("--burst", is_flag=True, help="Exit once the queue is empty.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run an RQ worker on the "receptionist" queue with RQ's scheduler (retries, enqueue_in/at)."""
    from redis import Redis
    from rq import Worker

    from receptionist.adapters.queue import QUEUE_NAME
    from receptionist.adapters.redis_server import redis_url

    # A connection of its own: RQ raises its read timeout for the blocking dequeue.
    connection = Redis.from_url(redis_url(current_app.config["SETTINGS"]))
    exit_with_supervisor()
    Worker([QUEUE_NAME], connection=connection).work(with_scheduler=True, burst=burst)


@click.command("cron")
@with_appcontext
def cron_command() -> None:
    """Run RQ's cron scheduler: enqueue ``receptionist.jobs.sweep`` every SWEEP_INTERVAL seconds."""
    from rq.cron import CronScheduler

    from receptionist import jobs
    from receptionist.adapters.queue import QUEUE_NAME, connection

    settings = current_app.config["SETTINGS"]
    cron = CronScheduler(connection=connection(settings))
    # ttl: a sweep nobody ran in time expires instead of piling up while the worker is down.
    cron.register(jobs.sweep, queue_name=QUEUE_NAME, interval=settings.sweep_interval_s,
                  ttl=max(60, 2 * settings.sweep_interval_s))
    exit_with_supervisor()
    cron.start()


def register(app: Flask) -> None:
    """Attach ``worker`` and ``cron`` to ``app.cli``."""
    app.cli.add_command(worker_command)
    app.cli.add_command(cron_command)
