"""``up --wait``: until every selected service's containers are running, and healthy when they
have a healthcheck (one-shot containers that exited 0 count as done, as in Docker Compose)."""

from __future__ import annotations

from collections.abc import Iterable

import trio

from compose.project_state import read_state
from compose.reconcile.conditions import POLL, DependencyFailed
from compose.reconcile.progress import Progress
from compose.reconcile.session import Session


def _ready(session: Session, cid: str, name: str) -> bool:
    info = session.rt.containers.get(cid)
    st = info.state
    if st.status in ("exited", "dead"):
        if st.exit_code != 0:
            raise DependencyFailed(f"container {name} exited ({st.exit_code})")
        return True
    if st.status != "running":
        return False
    if info.record.spec.healthcheck is None:
        return True
    status = (st.health or {}).get("Status", "")
    if status == "unhealthy":
        raise DependencyFailed(f"container {name} is unhealthy")
    return status == "healthy"


async def wait_project(session: Session, names: Iterable[str], progress: Progress, *,
                       timeout: float | None = None) -> int:
    wanted = set(names)
    state = await trio.to_thread.run_sync(lambda: read_state(session.project.name, containers=session.rt.containers,
                                                             oneoff=False))
    containers = [c for c in state.containers if c.service in wanted]
    with trio.move_on_after(timeout if timeout else float("inf")) as scope:
        async with trio.open_nursery() as nursery:
            for c in containers:
                async def one(c=c) -> None:
                    progress.event("Container", c.name, "Waiting")
                    while not await trio.to_thread.run_sync(_ready, session, c.id, c.name):
                        await trio.sleep(POLL)
                    progress.event("Container", c.name, "Healthy")

                nursery.start_soon(one)
    if scope.cancelled_caught:
        raise DependencyFailed(f"timeout waiting for the project to be running|healthy ({timeout:g}s)")
    return 0


__all__ = ["wait_project"]
