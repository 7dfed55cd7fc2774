"""Waiting on ``depends_on`` conditions: started, healthy, completed successfully.

Each wait polls the dependency's containers through the runtime (in a worker thread) until
the condition holds, fails, or the deadline passes. ``required: false`` turns a failure into
a warning, as in Docker Compose.
"""

from __future__ import annotations

from collections.abc import Callable

import trio

from compose.errors import PyComposeError
from compose.project_state import ContainerView
from runtime.api.containers import Containers

POLL = 0.05
STARTED, HEALTHY, COMPLETED = "service_started", "service_healthy", "service_completed_successfully"


class DependencyFailed(PyComposeError):
    """A dependency did not reach its condition; names which one and why."""

    def __init__(self, message: str, *, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _check(containers: Containers, cid: str, name: str, condition: str, service: str) -> bool:
    """True when the condition holds; False to keep waiting; raises when it never will."""
    info = containers.get(cid)
    st = info.state
    if condition == COMPLETED:
        if st.status in ("exited", "dead"):
            if st.exit_code != 0:
                raise DependencyFailed(f'service "{service}" didn\'t complete successfully: exit {st.exit_code}')
            return True
        return False
    if condition == HEALTHY:
        if info.record.spec.healthcheck is None:
            raise DependencyFailed(f"dependency failed to start: container {name} has no healthcheck configured")
        status = (st.health or {}).get("Status", "")
        if status == "healthy":
            return True
        if status == "unhealthy":
            log = (st.health or {}).get("Log") or []
            last = (log[-1].get("Output") or "").strip() if log else ""
            raise DependencyFailed(f"dependency failed to start: container {name} is unhealthy"
                                   + (f" (last check: {last})" if last else ""))
        if st.status in ("exited", "dead"):
            raise DependencyFailed(f"dependency failed to start: container {name} exited ({st.exit_code})")
        return False
    # started and already done counts as started, as in Docker Compose
    return st.status in ("running", "paused", "restarting", "exited", "dead")


async def wait_condition(containers: Containers, targets: list[ContainerView], service: str, condition: str,
                         *, timeout: float, on_wait: Callable[[str], None] | None = None) -> None:
    """Until every container of ``service`` meets ``condition`` (raises DependencyFailed)."""
    if not targets:
        if condition == STARTED:
            return
        raise DependencyFailed(f"dependency failed to start: service {service} has no container")
    with trio.move_on_after(timeout) as scope:
        for c in targets:
            if on_wait is not None and condition != STARTED:
                on_wait(c.name)
            while not await trio.to_thread.run_sync(_check, containers, c.id, c.name, condition, service):
                await trio.sleep(POLL)
    if scope.cancelled_caught:
        raise DependencyFailed(f"dependency failed to start: {service} did not reach {condition} "
                               f"within {timeout:g}s")


__all__ = ["COMPLETED", "HEALTHY", "STARTED", "DependencyFailed", "wait_condition"]
