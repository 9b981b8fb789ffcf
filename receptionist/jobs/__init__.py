"""RQ jobs: module-level functions the worker imports by name.

    receptionist.jobs.outbox.run_items(ids) the outbox rows one transaction wrote (enqueued
                                           after commit by the unit of work), then the rows
                                           their handlers write, each through its kind's handler
    receptionist.jobs.outbox.run_item(id)  one outbox row (the reconciler's, a retry's job)
    receptionist.jobs.sweeps.sweep()       the periodic job (``flask --app app cron``): the
                                           outbox reconciler, then the registered timers

Jobs take their dependencies from the process's container (``receptionist.bootstrap``), or
from an argument in tests; none reads the environment itself. Transactions stay short:
none is open during a network call.
"""
from .outbox import MAX_ATTEMPTS, run_item, run_items
from .sweeps import sweep

__all__ = ["MAX_ATTEMPTS", "run_item", "run_items", "sweep"]
