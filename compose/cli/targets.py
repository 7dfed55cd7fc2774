"""Which containers a command acts on: the project (compose file, or ``-p NAME`` alone), its
containers from :mod:`compose.project_state`, narrowed by service names and ``--index``.

Docker Compose's wording is kept for the errors a user sees (``no such service: x``,
``service "web" is not running``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from compose.errors import UsageError
from compose.project_state import ContainerView, ProjectState
from compose.reconcile.common import lifecycle_for
from compose.reconcile.lifecycle import Lifecycle
from runtime.api import InvalidState


@dataclass(frozen=True)
class Target:
    """A command's project and its current state."""

    life: Lifecycle
    state: ProjectState

    @property
    def project(self) -> str:
        return self.life.project

    @property
    def known_services(self) -> tuple[str, ...]:
        """Services of the compose file (or, without one, of the containers found)."""
        if self.life.session is not None:
            return tuple(self.life.session.project.services)
        return self.state.services

    def check_services(self, services: Iterable[str]) -> None:
        known = set(self.known_services) | set(self.state.services)
        for name in services:
            if name not in known:
                raise UsageError(f"no such service: {name}")

    def containers(self, services: Iterable[str] = (), *, running_only: bool = False, oneoff: bool | None = False,
                   index: int | None = None) -> list[ContainerView]:
        """The project's containers (of ``services`` when given), by service then number."""
        wanted = set(services)
        self.check_services(wanted)
        out = [c for c in self.state.containers
               if (not wanted or c.service in wanted) and (oneoff is None or c.oneoff == oneoff)
               and (not running_only or c.active) and (not index or c.number == index)]
        return sorted(out, key=lambda c: (c.service, c.oneoff, c.number, c.name))

    def one(self, service: str, index: int | None = None, *, running: bool = True) -> ContainerView:
        """The container ``exec``/``cp``/``port`` talk to: replica ``index``, else the first one."""
        self.check_services([service])
        candidates = [c for c in self.state.of_service(service) if not running or c.status == "running"]
        if index:
            candidates = [c for c in candidates if c.number == index]
            if not candidates:
                wording = "is not running" if running else "has no"
                raise InvalidState(f'service "{service}" {wording} container #{index}')
        if not candidates:
            paused = [c for c in self.state.of_service(service) if c.status == "paused"]
            if paused and running:
                raise InvalidState(f'service "{service}" is paused')
            raise InvalidState(f'service "{service}" is not running')
        return candidates[0]


def open_target(opts: Any, *, required: bool = False) -> Target:
    """The project the global options name; with ``required=False``, ``-p NAME`` alone will do."""
    life = lifecycle_for(opts, required=required)
    return Target(life, life.read())


__all__ = ["Target", "open_target"]
