"""Benchmarks of the service (not imported by it): ``webhooks.py`` (server time per webhook,
in-process) and ``load.py`` (simulated Twilio callers against gunicorn, ``make bench-load``)."""
