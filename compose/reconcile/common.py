"""What the lifecycle commands share: the project they act on and the services they name."""

from __future__ import annotations

from typing import Any

from compose.errors import ConfigError
from compose.reconcile.lifecycle import Lifecycle
from compose.reconcile.progress import progress_for
from compose.reconcile.session import Runtime, load_session


def lifecycle_for(opts: Any, *, timeout: float | None = None, required: bool = True) -> Lifecycle:
    """The project from the compose file; with ``required=False``, ``-p NAME`` alone will do."""
    from dataclasses import replace

    rt = Runtime.open()
    try:
        session = replace(load_session(opts), runtime=rt)
    except ConfigError:
        if required or not opts.project_name or opts.files:
            raise
        return Lifecycle(rt, opts.project_name, progress_for(opts), None, timeout)
    return Lifecycle(rt, session.project.name, progress_for(opts), session, timeout)


def service_names(life: Lifecycle, services: list[str]) -> list[str]:
    if life.session is None:
        return services or sorted({c.service for c in life.read().containers})
    for name in services:
        life.session.project.service(name)
    return list(services) or sorted(life.session.project.services)


__all__ = ["lifecycle_for", "service_names"]
