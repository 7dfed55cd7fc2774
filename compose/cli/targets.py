"""Which containers a command acts on: the project (compose file, or ``-p NAME`` alone), its
containers from :mod:`compose.project_state`, narrowed by service names and ``--index``.

Docker Compose's wording is kept for the errors a user sees (``no such service: x``,
``service "web" is not running``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from compose.errors import ConfigError, UsageError
from compose.project_state import ContainerView, ProjectState, read_state
from compose.reconcile.progress import Progress
from compose.reconcile.session import Runtime, Session, load_session
from runtime.api import InvalidState


@dataclass(frozen=True)
class Target:
    """A command's project, its runtime and its state when the command started.

    Reading needs no trio: commands that only look (``logs``, ``ps``, ``exec``, ...) start fast;
    :meth:`lifecycle` gives the trio side to those that change several containers.
    """

    rt: Runtime
    project: str
    session: Session | None
    progress: Progress
    state: ProjectState

    def read(self) -> ProjectState:
        return read_state(self.project, containers=self.rt.containers, oneoff=None)

    def lifecycle(self) -> Any:
        from compose.reconcile.lifecycle import Lifecycle

        return Lifecycle(self.rt, self.project, self.progress, self.session)

    @property
    def known_services(self) -> tuple[str, ...]:
        """Services of the compose file (or, without one, of the containers found)."""
        if self.session is not None:
            return tuple(self.session.project.services)
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
    from dataclasses import replace

    rt = Runtime.open()
    session: Session | None
    try:
        session = replace(load_session(opts), runtime=rt)
    except ConfigError:
        if required or not opts.project_name or opts.files:
            raise
        session = None
    project = session.project.name if session is not None else str(opts.project_name)
    state = read_state(project, containers=rt.containers, oneoff=None)
    return Target(rt, project, session, Progress(opts.progress), state)


__all__ = ["Target", "open_target"]
